"""`regression_suite diff` and `regression_suite merge`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.app import run
from incident_lab.gate_report import load_report
from regression_suite.cli.main import cli
from regression_suite.reports import write_reports
from regression_suite.reports.compare import diff_reports
from tests.regression_suite.gate.builders import pass_rate


def _write(report: dict[str, Any], where: Path) -> Path:
    write_reports(report, where, ["json"])
    return where


def _rs(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(cli, "regression_suite", argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def old_new(tmp_path: Path, item, make_report) -> tuple[Path, Path]:
    old = make_report([item("a"), item("b", "failed"), item("c"), item("gone")])
    new = make_report([item("a", "failed"), item("b"), item("c", severity="SEV-2"), item("fresh")])
    return _write(old, tmp_path / "old"), _write(new, tmp_path / "new")


def test_diff_lists_newly_failing_fixed_changed(old_new, capsys) -> None:
    code, out, _ = _rs(["diff", str(old_new[0]), str(old_new[1])], capsys)
    assert code == 0
    assert "newly failing (1):\n  a 1/1 -> 0/1 passed [significant regression]" in out
    assert "fixed (1):\n  b 0/1 -> 1/1 passed" in out
    assert "severity: 'SEV-1' -> 'SEV-2'" in out
    assert "only in NEW (1): fresh" in out and "only in OLD (1): gone" in out


def test_diff_json_is_machine_readable(old_new, capsys) -> None:
    code, out, err = _rs(
        ["diff", str(old_new[0] / "report.json"), str(old_new[1]), "--json"], capsys
    )
    assert code == 0 and err == ""
    result = json.loads(out)
    assert [r["scenario_id"] for r in result["newly_failing"]] == ["a"]
    assert result["regressions"] == ["a"]
    assert [r["scenario_id"] for r in result["changed"]] == ["c"]
    assert result["changed"][0]["changes"]["severity"] == {"old": "SEV-1", "new": "SEV-2"}
    assert result["verdict"] == {"old": "BLOCK", "new": "BLOCK"}


def test_diff_fail_on_new_failures_exits_6(old_new, capsys) -> None:
    code, _, err = _rs(["diff", *map(str, old_new), "--fail-on-new-failures"], capsys)
    assert code == 6
    assert "1 scenario(s) newly failing: a" in err
    code, _, _ = _rs(["diff", str(old_new[1]), str(old_new[1]), "--fail-on-new-failures"], capsys)
    assert code == 0


def test_diff_reports_version_changes(item, make_report) -> None:
    old = make_report([item("a", model={"name": "planner", "version": "1"})])
    new = make_report([item("a", model={"name": "planner", "version": "2"})])
    assert diff_reports(old, new)["versions"]["models[0]"] == {
        "old": "planner@1",
        "new": "planner@2",
    }


def test_diff_bad_input_exits_3_naming_the_file(tmp_path: Path, old_new, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n\n nope", "utf-8")
    code, _, err = _rs(["diff", str(bad), str(old_new[1])], capsys)
    assert code == 3
    assert f"{bad}:3: invalid JSON" in err and "Traceback" not in err


def test_merge_recomputes_one_verdict(tmp_path: Path, item, make_report, capsys) -> None:
    """A flaky case split over two shards is judged on all its repeats."""
    th = pass_rate("SEV-3", "block", 0.75)
    suite = {"name": "release_gate", "sha256": "f" * 64, "thresholds": th}
    s1 = make_report(
        [item("x", severity="SEV-3", id="x#1", repeat=1), item("x", "failed", severity="SEV-3", id="x#2", repeat=2)],
        suite=suite, shard="1/2",
    )  # fmt: skip
    s2 = make_report(
        [item("x", severity="SEV-3", id="x#3", repeat=3), item("x", severity="SEV-3", id="x#4", repeat=4)],
        suite=suite, shard="2/2",
    )  # fmt: skip
    assert s1["verdict"] == "BLOCK"  # 1/2 on its own
    out = tmp_path / "merged"
    code, stdout, _ = _rs(
        [
            "merge",
            str(_write(s1, tmp_path / "g1")),
            str(_write(s2, tmp_path / "g2")),
            "--out",
            str(out),
            "--json",
        ],
        capsys,
    )
    assert code == 0, stdout
    merged = load_report(out)
    assert merged["verdict"] == "OK" and merged["cases"][0]["pass_rate"] == 0.75
    assert merged["run"]["shards"] == ["1/2", "2/2"]
    assert json.loads(stdout)["verdict"] == "OK"
    assert (out / "report.html").is_file()


def test_merge_exit_code_is_the_merged_verdict(tmp_path: Path, item, make_report, capsys) -> None:
    s1 = make_report([item("a")], shard="1/2")
    s2 = make_report([item("b", "failed")], shard="2/2")
    code, out, _ = _rs(
        [
            "merge",
            str(_write(s1, tmp_path / "1")),
            str(_write(s2, tmp_path / "2")),
            "--out",
            str(tmp_path / "m"),
        ],
        capsys,
    )
    assert code == 2 and out.startswith("BLOCK: 1/2 scenarios pass")


@pytest.mark.parametrize(
    ("second", "needle"),
    [
        ({"suite": {"name": "other", "sha256": "0" * 64}}, "different suite"),
        ({"target": {"spec": "example:vulnerable"}}, "different target"),
        ({"same_item": True}, "both contain item"),
        ({"shard": "1/2"}, "both shard 1/2"),
        ({"shard": "2/3"}, "different splits"),
    ],
)
def test_merge_refuses_mismatched_shards(
    tmp_path: Path, item, make_report, capsys, second, needle
) -> None:
    first = make_report([item("a")], shard="1/2")
    sid = "a" if second.get("same_item") else "b"
    other = make_report(
        [item(sid)],
        suite=second.get("suite"),
        target=second.get("target"),
        shard=second.get("shard", "2/2"),
    )
    code, _, err = _rs(
        [
            "merge",
            str(_write(first, tmp_path / "1")),
            str(_write(other, tmp_path / "2")),
            "--out",
            str(tmp_path / "m"),
        ],
        capsys,
    )
    assert code == 3 and needle in err
    assert not (tmp_path / "m").exists()


def test_merge_missing_shard_needs_allow_partial(tmp_path: Path, item, make_report, capsys) -> None:
    only = _write(make_report([item("a")], shard="1/3"), tmp_path / "1")
    code, _, err = _rs(["merge", str(only), "--out", str(tmp_path / "m")], capsys)
    assert code == 3 and "missing shard(s) 2/3, 3/3" in err
    code, _, _ = _rs(["merge", str(only), "--out", str(tmp_path / "m"), "--allow-partial"], capsys)
    assert code == 0


@pytest.mark.parametrize("code", ["3", "9"])
def test_merge_warn_exit_code_is_limited_to_verdict_codes_like_run(
    tmp_path: Path, item, make_report, capsys, code: str
) -> None:
    """--warn-exit-code takes 0..2 as in `run`: a WARN must never exit 3+ and look like an error."""
    only = _write(make_report([item("a")], shard="1/1"), tmp_path / "1")
    got, _, err = _rs(
        ["merge", str(only), "--out", str(tmp_path / "m"), "--warn-exit-code", code], capsys
    )
    assert got == 3 and "--warn-exit-code" in err and "0<=x<=2" in err
    assert not (tmp_path / "m").exists()
