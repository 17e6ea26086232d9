"""junit.xml: valid for Jenkins, each case's own time, WARN told apart from a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from regression_suite.junit import render_junit, write_junit
from tests.conftest import CliResult
from tests.regression_suite._library import AGENT_SOURCE, scenario, write, write_suite
from tests.regression_suite.reports.conftest import make_item

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent.parent / "schemas" / "jenkins-junit.xsd")


def _cases(xml: str) -> dict[str, ElementTree.Element]:
    return {c.get("name", ""): c for c in ElementTree.fromstring(xml).iter("testcase")}


def test_levels_times_and_messages(make_report: Callable[..., dict[str, Any]]) -> None:
    """SEV-1 failure: <failure>; SEV-3 failure (warn rule): <skipped message="WARN: ...">;
    target error: <error>; a pass: empty. Times are the items' durations; text keeps
    real line breaks and loses characters XML cannot hold; the file is schema-valid."""
    items = [
        make_item("a", "passed", duration_s=0.25),
        make_item("b", "failed", message="no_tool_call: sent\nsecond line", duration_s=1.5),
        make_item("c", "failed", severity="SEV-3", message="warned \x00 here", duration_s=0.1),
        make_item("d", "error", message="target raised", duration_s=2.0),
    ]
    report = make_report(items)
    xml = "".join(render_junit(report))
    SCHEMA.validate(xml)
    cases = _cases(xml)
    assert {n: c.get("time") for n, c in cases.items()} == {
        "a[0]": "0.250000", "b[0]": "1.500000", "c[0]": "0.100000", "d[0]": "2.000000",
    }  # fmt: skip
    assert len(cases["a[0]"]) == 0
    failure = cases["b[0]"].find("failure")
    assert failure is not None and failure.get("message") == "no_tool_call: sent"
    assert failure.text is not None and "sent\nsecond line" in failure.text
    skipped = cases["c[0]"].find("skipped")
    assert skipped is not None and skipped.get("type") == "gate.warn"
    assert skipped.get("message") == "WARN: warned \ufffd here"
    assert cases["d[0]"].find("error") is not None
    suite = ElementTree.fromstring(xml).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "4", "1", "1", "1",
    )  # fmt: skip
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["gate.verdict"] == report["verdict"] == "BLOCK"


def test_a_failure_the_thresholds_let_through_is_info(
    make_report: Callable[..., dict[str, Any]],
) -> None:
    suite = {
        "name": "s",
        "path": "s.yaml",
        "thresholds": {"severities": {"SEV-1": {"on_failure": "ignore"}}},
    }
    xml = "".join(render_junit(make_report([make_item("a", "failed")], suite=suite)))
    SCHEMA.validate(xml)
    skipped = _cases(xml)["a[0]"].find("skipped")
    assert skipped is not None and skipped.get("type") == "gate.info"
    assert str(skipped.get("message")).startswith("INFO: ")


def test_schema_rejects_what_jenkins_cannot_read() -> None:
    """The check can fail: a testcase without a name, or a time that is not a number."""
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate('<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
                        '<testcase time="0.1"/></testsuite></testsuites>')  # fmt: skip
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate('<testsuites><testsuite name="s" tests="1" failures="0" errors="0">'
                        '<testcase name="x" time="n/a"/></testsuite></testsuites>')  # fmt: skip


def test_write_junit_is_atomic_and_named(
    tmp_path: Path, make_report: Callable[..., dict[str, Any]]
) -> None:
    (path,) = write_junit(make_report([make_item("a")]), tmp_path)
    assert path == tmp_path / "junit.xml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"]
    SCHEMA.validate(path.read_text("utf-8"))


SLOW_AGENT = """

import asyncio

async def slow_refuse(replay):
    await asyncio.sleep(0.2)
    return refuse(replay)
"""


def test_concurrent_target_cases_carry_their_real_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rs: Callable[..., CliResult]
) -> None:
    """An async (I/O-bound) target runs its cases together before the items report; each
    testcase still has the time its replay took (0.2 s here), not 0."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = write(tmp_path / "scenarios", *[scenario(f"inc-{i}") for i in range(4)])
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    (tmp_path / "slow_agents.py").write_text(AGENT_SOURCE + SLOW_AGENT, "utf-8")
    result = rs("run", "--target", "python:slow_agents:slow_refuse", "--concurrency", "4")
    assert result.exit_code == 0, result.stderr
    xml = (tmp_path / "gate-report" / "junit.xml").read_text("utf-8")
    SCHEMA.validate(xml)
    times = [float(c.get("time", "0")) for c in _cases(xml).values()]
    assert len(times) == 4 and all(0.2 <= t < 30.0 for t in times)  # not 0: its own time


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            ["a", "Z", "0", " ", "=", ";", "#", "?", "'", '"', "&", "<", ">", "\n", "\r", "\t",
             "\x00", "\x1f", "\x7f", "é", "\ud800", "\ufffe", "\U0001f600"]
        ),
        max_size=12,
    )
)  # fmt: skip
def test_attribute_fast_path_equals_quoteattr(text: str) -> None:
    """An attribute value with nothing to escape is written as it is; every value comes
    out exactly as the escaping path (quoteattr of the XML-safe text) writes it."""
    from xml.sax.saxutils import quoteattr

    from regression_suite.junit import _attr, _text

    expected = quoteattr(_text(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    assert _attr(text) == expected


def test_counts_without_failures_come_from_the_summary(
    make_report: Callable[..., dict[str, Any]],
) -> None:
    """Passes and target errors only: the counts (taken from the report's summary, the
    items read once) are those of the items."""
    items = [make_item(s, "passed") for s in "abc"] + [make_item("d", "error", message="boom")]
    report = make_report(items)
    suite = ElementTree.fromstring("".join(render_junit(report))).find("testsuite")
    assert suite is not None
    counts = (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped"))
    assert counts == ("4", "0", "1", "0")
    assert len(list(suite.iter("testcase"))) == 4


def test_character_classes_are_xml_char_for_every_code_point() -> None:
    """Over every code point (surrogates included): ``_text`` replaces exactly the
    characters outside XML 1.0's Char production, and the attribute fast path leaves
    exactly those that need no escaping (the classes list the excluded characters)."""
    import re

    from regression_suite.junit import _ATTR_SPECIAL, _NOT_XML

    every = "".join(map(chr, range(0x110000)))
    allowed = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    plain = re.compile(
        "[^\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
    )
    assert _NOT_XML.findall(every) == allowed.findall(every)
    assert _ATTR_SPECIAL.findall(every) == plain.findall(every)
    assert len(_NOT_XML.findall(every)) == 0x20 - 3 + 0x800 + 2
