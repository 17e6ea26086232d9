"""The gate report from ``finalize``, pinned key by key (issue 14, mutation testing of
regression_suite/gate/__init__.py): verdict precedence and exit codes, headline, versions,
suite record, run block, options, baseline annotations and the empty run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab import __version__
from incident_lab.errors import UsageError
from regression_suite.gate import REPORT_SCHEMA_VERSION, finalize
from regression_suite.gate.stats import wilson_interval
from tests.regression_suite.gate.builders import items as _items
from tests.regression_suite.gate.builders import pass_rate

SUITE: dict[str, Any] = {"name": "gate-suite"}
TARGET: dict[str, Any] = {"spec": "example:patched"}
FIXED = {
    "run_id": "r1",
    "started_at": "2026-01-01T00:00:00Z",
    "finished_at": "2026-01-01T00:01:00Z",
}


def _run(
    items: list[dict[str, Any]],
    suite: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    return finalize(
        items,
        suite=SUITE if suite is None else suite,
        target=TARGET if target is None else target,
        options={**FIXED, **options},
    )


def test_constants() -> None:
    assert REPORT_SCHEMA_VERSION == "gate_report/v1"


@pytest.mark.parametrize(
    ("items", "verdict", "exit_code"),
    [
        (_items("a", "pp", severity="SEV-1"), "OK", 0),
        (_items("a", "pf", severity="SEV-3"), "WARN", 1),
        (_items("a", "pf", severity="SEV-1"), "BLOCK", 2),
        (_items("a", "pe", severity="SEV-1"), "ERROR", 4),
        (_items("a", "pe", severity="SEV-1") + _items("b", "f", severity="SEV-3"), "ERROR", 4),
        (_items("a", "pe", severity="SEV-1") + _items("b", "f", severity="SEV-2"), "BLOCK", 2),
        ([], "ERROR", 3),
    ],
)
def test_verdict_precedence_and_exit_codes(
    items: list[dict[str, Any]], verdict: str, exit_code: int
) -> None:
    report = _run(items)
    assert (report["verdict"], report["exit_code"]) == (verdict, exit_code)


def test_warn_exit_code_option() -> None:
    items = _items("a", "f", severity="SEV-3")
    assert _run(items, warn_exit_code=0)["exit_code"] == 0
    assert _run(items, warn_exit_code=255)["exit_code"] == 255
    assert _run(_items("a", "p"), warn_exit_code=9)["exit_code"] == 0
    for bad in (-1, 256, True, "1", 1.0):
        with pytest.raises(UsageError) as info:
            _run(items, warn_exit_code=bad)
        assert info.value.message == f"--warn-exit-code must be an integer 0..255, got {bad!r}"


def test_an_empty_run_is_an_error_unless_it_is_a_shard() -> None:
    report = _run([])
    assert report["reasons"] == [
        {
            "level": "error",
            "code": "empty",
            "scenario_id": None,
            "severity": None,
            "failure_mode": None,
            "message": "no test item ran: the suite (or -k) selected nothing, which cannot "
            "pass a gate",
        }
    ]
    assert report["headline"] == "ERROR: 0/0 scenarios pass"
    shard = _run([], shard="1/2")
    assert (shard["verdict"], shard["exit_code"], shard["reasons"]) == ("OK", 0, [])


def test_headline_parts() -> None:
    items = (
        _items("a", "pp")
        + _items("b", "pf", severity="SEV-3")
        + _items("c", "e")
        + _items(
            "v1",
            "f",
            case="a[b64]",
            parent_id="a",
            variant={"converters": ["b64"]},
            severity="SEV-3",
        )
        + _items(
            "v2",
            "p",
            case="a[rot]",
            parent_id="a",
            variant={"converters": ["rot"]},
            severity="SEV-3",
        )
    )
    report = _run(items)
    assert report["headline"] == (
        "ERROR: 1/3 scenarios pass, 1 flaky, 1 errored, 1 of 2 variants bypass"
    )
    assert _run(_items("a", "p"))["headline"] == "OK: 1/1 scenarios pass"
    assert _run(_items("a", "f", severity="SEV-3"))["headline"] == "WARN: 0/1 scenarios pass"


def test_summary_counts_items_and_cases() -> None:
    items = (
        _items("a", "pp", duration_s=0.5)
        + _items("b", "ff")
        + _items("c", "pe")
        + _items("d", "pf")
        + _items("v1", "fe", case="a[x]", parent_id="a", variant={"converters": ["x"]})
        + _items("v2", "p", case="a[y]", parent_id="a", variant={"converters": ["y"]})
    )
    assert _run(items)["summary"] == {
        "items": 11,
        "passed": 5,
        "failed": 4,
        "errors": 2,
        "scenarios": 4,
        "scenarios_passed": 1,
        "scenarios_failed": 1,
        "scenarios_flaky": 1,
        "scenarios_error": 1,
        "variants": 2,
        "variants_bypassed": 1,
        "duration_s": 1.0,
    }


def test_run_block_and_options() -> None:
    report = _run(_items("a", "p"), repeats=1, shards=2, wall_time_s=1.5, extra=Path("x"))
    assert report["schema_version"] == "gate_report/v1"
    assert report["run"] == {
        "id": "r1",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:01:00Z",
        "wall_time_s": 1.5,
        "shard": None,
        "shards": 2,
        "repeats": 1,
    }
    assert "run_id" not in report["options"]
    assert report["options"]["started_at"] == "2026-01-01T00:00:00Z"
    assert report["options"]["extra"] == "x"  # recorded as JSON (str of the path)
    fresh = finalize(_items("a", "p"), suite=SUITE, target=TARGET)
    assert (
        len(fresh["run"]["id"]) == 32 and fresh["run"]["started_at"] == fresh["run"]["finished_at"]
    )
    assert fresh["run"]["finished_at"].endswith("Z") and "T" in fresh["run"]["finished_at"]
    assert fresh["options"] == {}


def test_suite_record_and_sha256() -> None:
    suite = {
        "name": "s",
        "path": "suites/s.yaml",
        "version": "3",
        "repeats": 2,
        "other": 1,
        "thresholds": None,
    }
    rec = _run(_items("a", "p"), suite=suite)["suite"]
    canonical = json.dumps(suite, sort_keys=True, separators=(",", ":"))
    assert rec == {
        "name": "s",
        "path": "suites/s.yaml",
        "version": "3",
        "repeats": 2,
        "thresholds": None,
        "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    }
    given = _run(_items("a", "p"), suite={"name": "s", "sha256": "ab" * 32})["suite"]
    assert given == {"name": "s", "sha256": "ab" * 32}
    nameless = _run(_items("a", "p"), suite={"description": "d"})["suite"]
    assert nameless["name"] is None and nameless["description"] == "d"


def test_versions_block() -> None:
    items = _items("a", "p", model={"name": "gpt", "version": "1"}, policy="pol-2") + _items(
        "b", "p", model={"id": "m2"}, policy={"hash": "h9"}
    )
    target = {
        "spec": "python:t:run",
        "version": "7",
        "model": "gpt@1",
        "policy": {"name": "p", "version": "2"},
    }
    v = _run(items, suite={"name": "s", "version": "v5"}, target=target)["versions"]
    assert v == {
        "tool": f"incident-lab {__version__}",
        "target": "python:t:run@7",
        "models": ["gpt@1", "m2"],
        "policies": ["h9", "p@2", "pol-2"],
        "suite": "v5",
    }
    assert _run([], target={"spec": "x@7", "version": "7"})["versions"]["target"] == "x@7"
    assert _run([], target={"name": "n"})["versions"]["target"] == "n"
    assert _run([], target={"target": "t"})["versions"]["target"] == "t"
    assert _run([], target={"version": {"hash": "h"}})["versions"]["target"] == "h"
    assert _run([], target={})["versions"]["target"] is None
    assert _run([], target={"model": {}})["versions"]["models"] == []
    sha = _run([], suite={"name": "s", "sha256": "0123456789abcdef"})["versions"]["suite"]
    assert sha == "0123456789ab"


def test_target_and_thresholds_are_recorded() -> None:
    target = {"spec": "x", "obj": Path("p")}
    report = _run(
        _items("a", "p"), target=target, suite={"name": "s", "thresholds": {"confidence": 0.9}}
    )
    assert report["target"] == {"spec": "x", "obj": "p"}
    assert report["thresholds"]["confidence"] == 0.9
    assert report["baseline"] is None


def test_aggregates_and_bypass() -> None:
    items = _items("a", "pf", failure_mode="exfil", severity="SEV-3") + _items(
        "v1", "f", case="a[x]", parent_id="a", variant={"converters": ["x"]}, severity="SEV-3"
    )
    report = _run(items)
    assert list(report["aggregates"]) == ["by_failure_mode", "by_severity"]
    assert list(report["aggregates"]["by_failure_mode"]) == ["exfil"]
    assert list(report["aggregates"]["by_severity"]) == ["SEV-3"]
    assert report["bypass"]["overall"]["variants"] == 1


def test_cases_and_items_are_in_report_order() -> None:
    items = _items("b", "p") + _items("a", "fp", severity="SEV-3")
    shuffled = [items[2], items[0], items[1]]
    report = _run(shuffled)
    assert [c["scenario_id"] for c in report["cases"]] == ["a", "b"]
    assert [i["id"] for i in report["items"]] == ["a#1", "a#2", "b#1"]
    assert report["items"][0] is items[1]
    assert report["cases"][0]["action"] == "warn"


def test_baseline_annotations() -> None:
    base = _run(
        _items("a", "pp", severity="SEV-3")
        + _items("b", "ff", severity="SEV-3")
        + _items("c", "pp", severity="SEV-3")
        + _items("d", "fp", severity="SEV-3")
    )
    assert base["verdict"] == "WARN"
    report = _run(
        _items("a", "ff", severity="SEV-3")
        + _items("b", "ff", severity="SEV-3")
        + _items("c", "pf", severity="SEV-3")
        + _items("d", "ff", severity="SEV-3"),
        baseline=base,
    )
    msgs = {r["scenario_id"]: r["message"] for r in report["reasons"]}
    assert msgs["a"] == (
        "a (SEV-3, unknown) failed 2 of 2 repeat(s): a broke [new since baseline; significant: "
        "unanimous flip (every baseline repeat passed, every repeat now fails)]"
    )
    assert msgs["b"] == (
        "b (SEV-3, unknown) failed 2 of 2 repeat(s): b broke [already failing in the baseline]"
    )
    assert msgs["c"] == (
        "c (SEV-3, unknown) failed 1 of 2 repeat(s): c broke [new since baseline; not "
        "significant: one-sided Fisher exact test p=0.5 >= 0.05]"
    )
    assert msgs["d"].endswith(" [already failing in the baseline]")
    comparison = report["baseline"]
    assert comparison["path"] is None and comparison["verdict"] == "WARN"
    assert comparison["started_at"] == "2026-01-01T00:00:00Z"
    assert "_failing" not in comparison
    assert comparison["regressions"] == ["a"]


def test_baseline_annotation_skips_error_reasons() -> None:
    base = _run(_items("a", "p", severity="SEV-3"))
    report = _run(_items("a", "e", severity="SEV-3"), baseline=base)
    (reason,) = report["reasons"]
    assert reason["code"] == "target_error" and "baseline" not in reason["message"]


def test_a_requirement_reason_is_annotated_too() -> None:
    suite = {
        "name": "s",
        "thresholds": pass_rate("SEV-2", "warn", 0.9),
    }
    base = _run(_items("a", "pppp", severity="SEV-2"), suite=suite)
    report = _run(_items("a", "pppf", severity="SEV-2"), suite=suite, baseline=base)
    (reason,) = report["reasons"]
    assert reason["code"] == "requirement"
    assert reason["message"].endswith(
        "[new since baseline; not significant: one-sided Fisher exact test p=0.5 >= 0.05]"
    )


def test_the_clock_is_utc_with_microseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import re
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC)
        report = finalize(_items("a", "p"), suite=SUITE, target=TARGET)
        after = dt.datetime.now(dt.UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    stamp = report["run"]["finished_at"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", stamp), stamp
    when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    assert before.replace(microsecond=0) <= when <= after


def test_suite_thresholds_path_shard_and_duration_reach_the_report() -> None:
    from incident_lab.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        _run([], suite={"name": "s", "path": "suites/s.yaml", "thresholds": {"bad": 1}})
    assert info.value.path == "suites/s.yaml"
    suite = {"name": "s", "thresholds": {"confidence": 0.8, "significance": 0.01}}
    items = _items("a", "pf", duration_s=0.1234567) + _items("b", "p", duration_s=0.1)
    report = _run(items, suite=suite, shard="1/2")
    assert report["run"]["shard"] == "1/2"
    assert report["summary"]["duration_s"] == 0.346913  # 2 x 0.1234567 + 0.1, 6 places
    case = next(c for c in report["cases"] if c["scenario_id"] == "a")
    assert case["pass_rate_ci"] == list(wilson_interval(1, 2, 0.8))
    base = _run(_items("a", "pppppppppp"), suite=suite)
    again = _run(_items("a", "ppppppppff"), suite=suite, baseline=base)
    assert again["baseline"]["newly_failing"][0]["rule"].endswith(">= 0.01")
    bare = _run(_items("a", "p"), baseline={"verdict": "OK"})
    assert bare["baseline"]["added"] == ["a"] and bare["baseline"]["verdict"] == "OK"


def test_the_target_model_is_listed_with_the_items_models() -> None:
    target = {"spec": "t", "model": {"name": "m", "version": "9"}}
    versions = _run(_items("a", "p", model="other"), target=target)["versions"]
    assert versions["models"] == ["m@9", "other"]
