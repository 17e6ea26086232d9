"""``junit.xml``: the gate report as JUnit XML, one ``<testcase>`` per item.

Written by the ``junit`` reporter from the finished report (so ``regression_suite
run``, ``merge`` and ``pytest --gate-report-dir`` give the same file), and not by
pytest's ``--junitxml``: pytest does not know the verdict, and for I/O-bound targets
the cases ran together before their items reported, so its times were all zero.

* ``time`` is the item's own ``duration_s`` (the replay on the target and the
  judging), also for cases run concurrently.
* A failed item whose scenario blocks the release is a ``<failure>``. A failed item
  that only warns is ``<skipped type="gate.warn" message="WARN: ...">``, and one the
  suite's thresholds let through (an ``ignore`` rule, a pass rate still within its
  requirement) is ``<skipped type="gate.info" message="INFO: ...">``: CI servers show
  both apart from failures, and neither fails a build on its own. A target error is
  an ``<error>``.
* The element text is the full message (real line breaks) and the difference from
  the recorded incident. Characters XML cannot hold are replaced by U+FFFD.

The layout follows the Jenkins JUnit schema (``testsuites/testsuite/testcase``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from incident_lab.atomic import write_text_atomic

FILENAME = "junit.xml"

#: Characters outside XML 1.0's ``Char`` production (control characters, lone surrogates,
#: U+FFFE/U+FFFF). One character class, no repetition: linear on any input. Written as the
#: characters excluded, not as the complement of the allowed ranges: the same class for
#: any Python string (nothing lies above U+10FFFF), and ten times cheaper to compile at
#: start-up (a negated class up to U+10FFFF is ~3 ms of ``re`` compilation).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


#: A character that an attribute value cannot hold as it is: one XML escapes (``&<>"``,
#: the white space quoteattr writes as character references) or one outside ``Char``.
_ATTR_SPECIAL = re.compile("[\x00-\x1f\x22\x26\x3c\x3e\ud800-\udfff\ufffe\uffff]")


def _attr(value: Any) -> str:
    text = str(value)
    if _ATTR_SPECIAL.search(text) is None:  # most ids and names: nothing to escape
        return f'"{text}"'
    return quoteattr(_text(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def case_level(item: dict[str, Any], actions: dict[str, str]) -> str:
    """The JUnit level of an item: ``passed``, ``error``, ``block``, ``warn`` or ``info``.

    Args:
        item: A report item.
        actions: Each case's ``action`` (from the report's ``cases``) by scenario id.
    """
    outcome = item.get("outcome")
    if outcome == "passed":
        return "passed"
    if outcome == "error":
        return "error"
    action = actions.get(str(item.get("scenario_id")), "none")
    return action if action in ("block", "warn") else "info"


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line[:500]


def _body(item: dict[str, Any]) -> str:
    parts = [str(item.get("message") or "")]
    if item.get("diff"):
        parts += ["", "difference from the recorded incident:", str(item["diff"])]
    return escape(_text("\n".join(parts)))


def _testcase(item: dict[str, Any], level: str, classname: str) -> str:
    head = (
        f"<testcase classname={_attr(classname)} name={_attr(item.get('id'))} "
        f'time="{float(item.get("duration_s") or 0.0):.6f}"'
    )
    if level == "passed":
        return head + " />\n"
    message = _first_line(str(item.get("message") or ""))
    if level == "error":
        inner = f'<error type="gate.error" message={_attr(message)}>{_body(item)}</error>'
    elif level == "block":
        inner = f'<failure type="gate.block" message={_attr(message)}>{_body(item)}</failure>'
    else:
        label = "WARN" if level == "warn" else "INFO"
        why = "" if level == "warn" else " (within the suite's thresholds)"
        inner = (
            f'<skipped type="gate.{level}" message={_attr(f"{label}: {message}{why}")}>'
            f"{_body(item)}</skipped>"
        )
    return f"{head}>{inner}</testcase>\n"


def render_junit(report: dict[str, Any]) -> Iterator[str]:
    """Yield ``junit.xml`` for a ``gate_report/v1`` dict, piece by piece.

    Counts: ``failures`` are blocking failures, ``errors`` target errors, ``skipped``
    failures that only warn (or are let through); ``tests`` is every item.
    """
    items = report["items"]  # a list or an on-disk spool
    summary = report.get("summary") or {}
    # only the cases whose thresholds acted (bounded by the failing cases); an action
    # decides a failed item's level only: with no failed item the cases are not read
    actions = (
        {}
        if summary.get("failed") == 0
        else {
            str(c["scenario_id"]): str(c["action"])
            for c in report["cases"]
            if c.get("action") not in (None, "none")
        }
    )
    if summary.get("failed") == 0 and isinstance(summary.get("passed"), int):
        # no failed item: every level is the outcome, counted already (one read, not two)
        levels = Counter({"passed": summary["passed"], "error": summary.get("errors") or 0})
    else:  # read twice: counts, then test cases
        levels = Counter(case_level(item, actions) for item in items)
    suite = str(report.get("suite", {}).get("name") or "scenarios")
    run = report.get("run") or {}
    wall = run.get("wall_time_s")
    if isinstance(wall, int | float):
        time_s = float(wall)
    else:
        time_s = sum(float(i.get("duration_s") or 0.0) for i in items)
    counts = (
        f'tests="{levels.total()}" failures="{levels["block"]}" '
        f'errors="{levels["error"]}" skipped="{levels["warn"] + levels["info"]}" '
        f'time="{time_s:.3f}"'
    )
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield f"<testsuites name={_attr(suite)} {counts}>\n"
    yield f"<testsuite name={_attr(suite)} {counts}"
    if run.get("started_at"):
        yield f" timestamp={_attr(run['started_at'])}"
    yield ">\n<properties>\n"
    versions = report.get("versions") or {}
    for name, value in (
        ("gate.verdict", report.get("verdict")),
        ("gate.exit_code", report.get("exit_code")),
        ("gate.headline", report.get("headline")),
        ("gate.target", versions.get("target")),
    ):
        if value is not None:
            yield f"<property name={_attr(name)} value={_attr(value)} />\n"
    yield "</properties>\n"
    for item in items:
        yield _testcase(item, case_level(item, actions), suite)
    yield "</testsuite>\n</testsuites>\n"


def write_junit(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write ``report_dir/junit.xml`` atomically (a temporary file renamed into place)."""
    return [write_text_atomic(Path(report_dir) / FILENAME, render_junit(report))]
