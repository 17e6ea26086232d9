"""`incident_lab demo` runs the whole loop for real and tells the truth about it."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.app import run
from incident_lab.cli.main import cli
from incident_lab.demo import MARKER, prepare_workdir
from incident_lab.errors import UsageError
from incident_lab.gate_report import load_report


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real demo run through the CLI with --json (stdout JSON, narration on stderr)."""
    workdir = tmp_path_factory.mktemp("demo") / "incident_lab_demo"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(cli, "incident_lab", ["demo", "--workdir", str(workdir), "--json"])
    return {"code": code, "json": out.getvalue(), "stderr": err.getvalue(), "workdir": workdir}


def test_demo_exits_0_and_prints_only_json_on_stdout(demo_run: dict[str, Any]) -> None:
    assert demo_run["code"] == 0, demo_run["stderr"][-2000:]
    result = json.loads(demo_run["json"])
    assert result["workdir"] == str(demo_run["workdir"].resolve())
    assert "time per playbook phase" in demo_run["stderr"]


def test_vulnerable_blocks_patched_passes_literal_scenario(demo_run: dict[str, Any]) -> None:
    verdicts = json.loads(demo_run["json"])["verdicts"]
    assert (verdicts["vulnerable"]["verdict"], verdicts["vulnerable"]["exit_code"]) == ("BLOCK", 2)
    assert (verdicts["patched"]["verdict"], verdicts["patched"]["exit_code"]) == ("OK", 0)
    vulnerable = load_report(verdicts["vulnerable"]["report_dir"])
    [case] = vulnerable["cases"]
    assert case["failure_mode"] == "prompt_injection" and case["status"] == "failed"
    assert "send_email" in vulnerable["reasons"][0]["message"]


def test_variants_show_which_rewrites_still_bypass_the_patch(demo_run: dict[str, Any]) -> None:
    """After the patch passes the literal attack, some rewrites get through and the verdict says so."""
    result = json.loads(demo_run["json"])
    gate = result["verdicts"]["patched_with_variants"]
    report = load_report(gate["report_dir"])
    through = [r for r in report["bypass"]["converters"] if r["bypasses"]]
    held = [r for r in report["bypass"]["converters"] if r["runs"] and not r["bypasses"]]
    assert through and held  # the patch stops some rewrites, not all
    assert gate["verdict"] == "BLOCK" and gate["exit_code"] == 2
    literal = [c for c in report["cases"] if c["kind"] == "scenario"]
    assert [c["status"] for c in literal] == ["passed"]
    bypass_reasons = [r for r in report["reasons"] if r["code"] == "bypass"]
    assert bypass_reasons and "still bypass" in bypass_reasons[0]["message"]
    for row in through:  # depth 1: each bypassing chain is one converter, named in the reason
        assert row["converter"] in bypass_reasons[0]["message"]
    assert result["bypass"] == report["bypass"]
    assert "rewrites that still get through" in demo_run["stderr"]
    summary = report["summary"]
    assert (
        f"{summary['variants_bypassed']} of {summary['variants']} variants bypass"
        in report["headline"]
    )


def test_artifacts_of_every_phase_are_on_disk(demo_run: dict[str, Any]) -> None:
    workdir: Path = demo_run["workdir"]
    result = json.loads(demo_run["json"])
    sid = result["scenario_id"]
    assert (workdir / "production" / "agent-sessions.jsonl").stat().st_size > 100_000
    bundle = workdir / "incident_demo"
    for name in ("trajectories.jsonl", "manifest.json", "metrics.json"):
        assert (bundle / name).is_file()
    assert (workdir / "scenarios" / f"{sid}.yaml").is_file()
    suite = (workdir / "scenarios" / "suites" / "release_gate.yaml").read_text("utf-8")
    assert sid in suite and "variants: all" in suite
    assert len(list((workdir / "scenarios" / "variants").glob("*.yaml"))) >= 5
    for gate in ("gate-vulnerable", "gate-patched", "gate-variants"):
        for name in ("report.json", "report.html", "junit.xml"):
            assert (workdir / gate / name).is_file(), f"{gate}/{name}"


def test_timings_cover_each_playbook_phase(demo_run: dict[str, Any]) -> None:
    result = json.loads(demo_run["json"])
    phases = result["phases"]
    for phase in (
        "production",
        "2 preserve evidence",
        "3 classify",
        "5 convert to regression",
        "6 stress-test variants",
    ):
        assert phase in phases and phases[phase] >= 0.0
    assert sum(s["seconds"] for s in result["steps"]) <= result["seconds"] + 0.01
    assert result["seconds"] < 60


def test_workdir_must_be_new_or_empty(tmp_path: Path) -> None:
    """A directory with someone else's files is never reused, even with --force."""
    busy = tmp_path / "mine"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me", "utf-8")
    with pytest.raises(UsageError, match="not made by the demo"):
        prepare_workdir(busy, force=True)
    assert (busy / "notes.txt").read_text("utf-8") == "keep me"


def test_previous_demo_needs_force(tmp_path: Path) -> None:
    wd = prepare_workdir(tmp_path / "d")
    (wd / "old.txt").write_text("x", "utf-8")
    with pytest.raises(UsageError, match="holds a previous demo run") as info:
        prepare_workdir(wd)
    assert info.value.hint is not None and "--force" in info.value.hint
    again = prepare_workdir(wd, force=True)
    assert (again / MARKER).is_file() and not (again / "old.txt").exists()


def test_workdir_that_is_a_file_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x", "utf-8")
    assert run(cli, "incident_lab", ["demo", "--workdir", str(target)]) == 3
    assert "is a file" in capsys.readouterr().err


def test_workdir_that_cannot_be_created_exits_3(tmp_path: Path, il: Any) -> None:
    """A --workdir under a file (or unwritable) is a one-line usage error, exit 3, not an
    internal error with exit 4."""
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    r = il("demo", "--workdir", blocker / "sub")
    assert r.exit_code == 3, r.stderr
    assert "cannot create the demo directory" in r.stderr and "internal error" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


def test_a_failing_gate_command_keeps_its_exit_code_and_error_line(tmp_path: Path) -> None:
    """The demo runs regression_suite as its own process: a usage error there (exit 3) is
    an error here with the same code and the command's one-line message; the log has it."""
    from incident_lab.demo import _regression_suite
    from incident_lab.errors import IncidentLabError

    log = tmp_path / "pytest.log"
    args = ["run", "--suite", "nope", "--target", "example:patched"]
    with pytest.raises(IncidentLabError) as caught:
        _regression_suite([*args, "--scenarios-dir", str(tmp_path)], log)
    assert caught.value.exit_code == 3
    assert caught.value.message.startswith("'regression_suite run' failed (exit 3): ")
    assert "no suite 'nope'" in caught.value.message
    assert "no suite 'nope'" in log.read_text("utf-8")
