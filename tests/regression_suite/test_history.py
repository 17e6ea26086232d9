"""Gate history: recording reports, per-mode rates across releases, erosion tests, the CLI."""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.app import run
from regression_suite.cli.main import cli
from regression_suite.history import cochran_armitage, mann_kendall, query, record_report, trend_svg


def _report(run_id: str, release: str, passed: int, runs: int, bypasses: int = 0, variants: int = 0,
            mode: str = "prompt_injection") -> dict[str, Any]:  # fmt: skip
    items = [{"id": f"s{i}", "failure_mode": mode, "variant": None, "parent_id": None,
              "outcome": "passed" if i < passed else "failed"} for i in range(runs)]  # fmt: skip
    items += [{"id": f"v{i}", "failure_mode": mode, "variant": {"converters": ["base64"]}, "parent_id": "s0",
               "outcome": "failed" if i < bypasses else "passed"} for i in range(variants)]  # fmt: skip
    items.append(
        {"id": "err", "failure_mode": mode, "variant": None, "parent_id": None, "outcome": "error"}
    )
    return {
        "schema_version": "gate_report/v1",
        "verdict": "OK" if passed == runs else "BLOCK",
        "exit_code": 0,
        "run": {"id": run_id, "started_at": f"2026-02-{int(run_id[1:]) + 1:02d}T00:00:00Z"},
        "versions": {"target": release, "models": ["m@1"], "policies": ["p@1"]},
        "suite": {"name": "release_gate"},
        "target": {"spec": "example:x"},
        "summary": {},
        "items": items,
    }


def _two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float:
    p = (s1 + s2) / (n1 + n2)
    z = (s1 / n1 - s2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.5 * math.erfc(z / math.sqrt(2))


def test_small_steps_are_not_significant_but_the_trend_is() -> None:
    """99% → 96.5% in 0.5-point steps over 6 releases (400 runs each): no step is
    significant on its own, the Cochran-Armitage trend is."""
    runs = 400
    passed = [396, 394, 392, 390, 388, 386]
    steps = [_two_proportion_p(a, runs, b, runs) for a, b in itertools.pairwise(passed)]
    assert min(steps) > 0.2
    trend = cochran_armitage(passed, [runs] * len(passed))
    assert trend["p_decreasing"] < 0.05 < trend["p_increasing"]


def test_cochran_armitage_is_undefined_without_variation() -> None:
    """All passes, or a single release: no test, p = 1."""
    assert cochran_armitage([10, 10, 10], [10, 10, 10])["z"] is None
    assert cochran_armitage([5], [10])["p_decreasing"] == 1.0


def test_mann_kendall_direction_and_ties() -> None:
    """A strictly falling series of 6 has S = -15 and p < 0.01; a flat one is not a trend."""
    down = mann_kendall([0.99, 0.98, 0.97, 0.96, 0.95, 0.94])
    assert down["s"] == -15 and down["tau"] == -1.0 and down["p_decreasing"] < 0.01
    assert mann_kendall([0.9, 0.9, 0.9, 0.9])["p_decreasing"] == 1.0


def test_record_is_idempotent_and_query_groups_by_release(tmp_path: Path) -> None:
    """The same run twice is stored once; two runs of one release add up; errors count as neither."""
    db = tmp_path / "h.sqlite"
    first = record_report(_report("r1", "v1", 9, 10), db)
    assert record_report(_report("r1", "v1", 9, 10), db) == first
    record_report(_report("r2", "v1", 10, 10, bypasses=1, variants=4), db)
    record_report(_report("r3", "v2", 8, 10, bypasses=3, variants=4), db)
    result = query(db)
    points = result["failure_modes"]["prompt_injection"]["points"]
    assert [p["release"] for p in points] == ["v1", "v2"]
    assert (points[0]["scenario_runs"], points[0]["scenario_passed"], points[0]["gate_runs"]) == (
        20,
        19,
        2,
    )
    assert points[0]["bypass_rate"] == 0.25 and points[1]["bypass_rate"] == 0.75
    assert result["releases"] == ["v1", "v2"]


def test_slow_erosion_is_flagged_and_a_flat_history_is_not(tmp_path: Path) -> None:
    """Declining pass rates over 6 releases: eroding; steady with noise: not eroding."""
    db, flat = tmp_path / "down.sqlite", tmp_path / "flat.sqlite"
    for i, passed in enumerate([396, 394, 392, 390, 388, 386]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400), db)
    for i, passed in enumerate([392, 395, 391, 394, 392, 393]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400), flat)
    down = query(db)
    assert down["eroding"] == ["prompt_injection"]
    assert (
        "pass rate declines over 6 releases"
        in down["failure_modes"]["prompt_injection"]["reasons"][0]
    )
    assert query(flat)["eroding"] == []
    assert query(db, last=2)["eroding"] == []  # two releases are a step, not a trend


def test_rising_bypass_rate_is_erosion(tmp_path: Path) -> None:
    """Variants getting through more often, release after release, is erosion too."""
    db = tmp_path / "h.sqlite"
    for i, bypasses in enumerate([2, 4, 6, 8, 10]):
        record_report(_report(f"r{i}", f"v{i}", 10, 10, bypasses=bypasses, variants=50), db)
    assert "bypass rate rises" in query(db)["failure_modes"]["prompt_injection"]["reasons"][0]


def test_trend_svg_draws_both_rates(tmp_path: Path) -> None:
    """One point per release per rate, the release labels, and the erosion note."""
    db = tmp_path / "h.sqlite"
    assert trend_svg(db, None) == ""
    for i, passed in enumerate([396, 394, 392, 390, 388, 386]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400, bypasses=i, variants=20), db)
    svg = trend_svg(db, "release_gate")
    assert svg.startswith("<svg") and svg.count("<circle") == 12
    assert ">v0<" in svg and ">v5<" in svg and "pass rate declines" in svg


def test_bad_reports_and_databases_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report without run.id is a schema error; a missing or non-SQLite store exits 3."""
    from incident_lab.errors import SchemaError

    with pytest.raises(SchemaError):
        record_report({"verdict": "OK", "items": []}, tmp_path / "h.sqlite")
    assert run(cli, "regression_suite", ["history", "--db", str(tmp_path / "none.sqlite")]) == 3
    assert "no gate history here" in capsys.readouterr().err
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database " * 100)
    assert run(cli, "regression_suite", ["history", "--db", str(junk)]) == 3
    assert "not a gate history database" in capsys.readouterr().err


def test_history_cli_json_and_fail_on_erosion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints the query; --fail-on-erosion exits 6 when a mode erodes."""
    db = tmp_path / "h.sqlite"
    for i, passed in enumerate([396, 394, 392, 390, 388, 386]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400), db)
    assert run(cli, "regression_suite", ["history", "--db", str(db), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["eroding"] == ["prompt_injection"] and len(doc["releases"]) == 6
    assert run(cli, "regression_suite", ["history", "--db", str(db), "--fail-on-erosion"]) == 6
    assert "eroding for prompt_injection" in capsys.readouterr().err


def test_run_record_stores_the_run_and_draws_the_trend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """regression_suite run --record --db: a row per run and the trend in report.html."""
    from tests.regression_suite._library import agent_module, scenario, write, write_suite

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))

    base = write(tmp_path / "scenarios", scenario("inc-a"))
    write_suite(base, "release_gate", "name: release_gate\nscenarios: [inc-a]\n")
    module = agent_module(tmp_path)
    db = tmp_path / "history.sqlite"
    for n, fn in enumerate(["refuse", "leak"]):
        code = run(cli, "regression_suite", [
            "run", "--scenarios-dir", str(base), "--target", f"python:{module}:{fn}",
            "--report-dir", str(tmp_path / f"gate{n}"), "--record", "--db", str(db),
        ])  # fmt: skip
        assert code in (0, 2), capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    conn.close()
    html = (tmp_path / "gate1" / "report.html").read_text("utf-8")
    assert "Gate history" in html and html.count("<circle") >= 2


@pytest.mark.parametrize(
    ("args", "needle", "known"),
    [
        (["--suite", "release-gate"], "no recorded runs of suite 'release-gate'", "release_gate"),
        (
            ["--failure-mode", "prompt-injection"],
            "no recorded runs of failure mode 'prompt-injection'",
            "prompt_injection",
        ),
    ],
)
def test_history_filter_typo_is_exit_3_not_a_silent_pass(
    tmp_path: Path, rs: Any, args: list[str], needle: str, known: str
) -> None:
    """A mistyped --suite or --failure-mode is exit 3 naming what is recorded: with
    --fail-on-erosion it used to print an empty history and exit 0, passing an eroding gate."""
    db = tmp_path / "h.sqlite"
    for i, passed in enumerate([396, 394, 392, 390, 388, 386]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400), db)
    r = rs("history", "--db", db, "--fail-on-erosion", *args)
    assert r.exit_code == 3 and needle in r.stderr and known in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    assert rs("history", "--db", db, "--suite", "release_gate", "--fail-on-erosion").exit_code == 6


def test_fail_on_erosion_with_too_few_releases_to_test_is_a_usage_error(
    tmp_path: Path, rs: Any
) -> None:
    """--last 2 can never show a trend, so --fail-on-erosion with it could never fail: exit 3."""
    db = tmp_path / "h.sqlite"
    for i, passed in enumerate([396, 394, 392, 390, 388, 386]):
        record_report(_report(f"r{i}", f"v{i}", passed, 400), db)
    r = rs("history", "--db", db, "--last", "2", "--fail-on-erosion")
    assert r.exit_code == 3 and "--fail-on-erosion needs --last 3 or more" in r.stderr
    assert rs("history", "--db", db, "--last", "2").exit_code == 0  # viewing two is fine
