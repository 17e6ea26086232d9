"""respond: the guided ten-minute run, interactive and non-interactive."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from incident_lab.adapters.config import load_config
from incident_lab.adapters.respond import PHASES, PhaseClock, Prompter, respond


@pytest.fixture
def prod_log(tmp_path: Path) -> Path:
    from incident_lab.example.traffic import generate_log

    path = tmp_path / "prod.jsonl"
    generate_log(path, sessions=60, incidents=1, seed=11)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "incident_lab.toml"
    flag = tmp_path / "flag.txt"
    path.write_text(
        f"""
[contain.actions.disable-tools]
backend = "command"
command = ["{sys.executable}", "-c", "import sys; open(sys.argv[1], 'w').write('off')", "{flag}"]
undo_command = ["{sys.executable}", "-c", "import sys; open(sys.argv[1], 'w').write('on')", "{flag}"]
"""
    )
    return path


def _events(incident: Path) -> list[dict]:
    return [json.loads(line) for line in (incident / "timeline.jsonl").read_text().splitlines()]


def test_yes_runs_every_phase_and_records_it(il, tmp_path, prod_log, config) -> None:
    """--yes: contain, snapshot, classify, ticket, scenario + suite; each phase timed in the timeline."""
    incident = tmp_path / "incident_drill"
    scenarios = tmp_path / "scenarios"
    r = il(
        "respond",
        "--from",
        prod_log,
        "--out",
        incident,
        "--config",
        config,
        "--scenarios-dir",
        scenarios,
        "--yes",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["contained"] == ["disable-tools"] and (tmp_path / "flag.txt").read_text() == "off"
    assert out["failure_mode"] == "prompt_injection"
    assert out["scenario_id"] and (scenarios / f"{out['scenario_id']}.yaml").exists()
    suite = yaml.safe_load((scenarios / "suites" / "release_gate.yaml").read_text())
    assert out["scenario_id"] in suite["scenarios"]
    assert (incident / "followup" / "ticket.md").exists() and (incident / "manifest.json").exists()
    events = _events(incident)
    ended = [e["phase"] for e in events if e.get("kind") == "phase" and e["result"] == "done"]
    assert ended == [p[0] for p in PHASES]
    assert all("seconds" in e for e in events if e.get("kind") == "phase" and e["result"] == "done")
    assert "Phase 1/5: Contain" in r.stderr and "What remains" in r.stderr
    assert "NOT NOTIFIED: pagerduty" in r.stderr  # routed but not configured: said loudly
    assert il("verify", incident).exit_code == 0


def test_interactive_path_asks_and_respects_answers(il, tmp_path, prod_log, config) -> None:
    """Interactive: declining containment skips it; the chosen mode and severity are used."""
    incident = tmp_path / "inc"
    scenarios = tmp_path / "scenarios"
    answers = "n\nprompt_injection\nSEV-1\nn\n"
    r = il(
        "respond",
        "--from",
        prod_log,
        "--out",
        incident,
        "--config",
        config,
        "--scenarios-dir",
        scenarios,
        "--json",
        input=answers,
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["contained"] == [] and not (tmp_path / "flag.txt").exists()
    assert out["severity"] == "SEV-1"
    scenario = yaml.safe_load((scenarios / f"{out['scenario_id']}.yaml").read_text())
    assert scenario["taxonomy"]["severity"] == "SEV-1"
    # The human's choice is the record's, and the ticket tells it (not the suggestion).
    record = json.loads((incident / "followup" / "incident.json").read_text())
    assert record["severity"]["value"] == "SEV-1" and record["severity"]["source"] == "human"
    assert record["scenario_ids"] == [out["scenario_id"]]
    ticket = (incident / "followup" / "ticket.md").read_text()
    assert "(SEV-1, confirmed)" in ticket and "prompt_injection (confirmed" in ticket
    decided = [e for e in _events(incident) if e.get("kind") == "classify"]
    assert decided and decided[0]["duration_s"] >= 0 and decided[0]["source"] == "human"


def test_dry_run_runs_and_sends_nothing(il, tmp_path, prod_log, http_server) -> None:
    """--dry-run: containment shown and recorded as dry-run, no page sent, the story still written."""
    flag = tmp_path / "flag.txt"
    cfg = tmp_path / "dry.toml"
    cfg.write_text(
        f"""
[contain.actions.disable-tools]
backend = "command"
command = ["{sys.executable}", "-c", "import sys; open(sys.argv[1], 'w').write('off')", "{flag}"]

[notify.slack]
url = "{http_server.url}/slack"
"""
    )
    incident = tmp_path / "inc"
    r = il(
        "respond", "--from", prod_log, "--out", incident, "--config", cfg,
        "--scenarios-dir", tmp_path / "sc", "--yes", "--dry-run", "--since", "2000-01-01T00:00:00Z",
        "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["dry_run"] is True and out["contained"] == []
    assert not flag.exists() and http_server.requests == []
    assert "DRY RUN, not run: disable-tools" in r.stderr and "would run: " in r.stderr
    events = _events(incident)
    assert any(e.get("kind") == "contain" and e.get("dry_run") for e in events)
    assert any(e.get("kind") == "notify" and e.get("result") == "dry-run" for e in events)
    assert events[-1]["kind"] == "respond" and events[-1]["result"] == "dry-run"
    record = json.loads((incident / "followup" / "incident.json").read_text())
    assert record["failure_mode"] == {
        **record["failure_mode"],
        "value": "prompt_injection",
        "source": "accepted",
    }
    manifest = json.loads((incident / "manifest.json").read_text())
    assert manifest["filters"]["since"]


def test_phase_clock_flags_over_budget(tmp_path) -> None:
    """A phase that overruns its two-minute budget says OVER BUDGET."""
    lines: list[str] = []
    ticks = iter([0.0, 0.0, 200.0, 200.0, 200.0])
    clock = PhaseClock(lines.append, tmp_path, clock=lambda: next(ticks))
    with clock.phase("contain"):
        pass
    assert any("OVER BUDGET" in line for line in lines)
    assert clock.durations["contain"] == 200.0


def test_no_containment_configured_is_said_and_recorded(tmp_path, prod_log) -> None:
    """Without configured actions respond says to contain by hand and records the skip."""
    lines: list[str] = []
    prompt = Prompter(
        say=lines.append, confirm=lambda q, d: True, choose=lambda q, o, d: d, assume_yes=True
    )
    incident = tmp_path / "inc"
    result = respond(
        [str(prod_log)],
        config=load_config(None),
        prompt=prompt,
        out=incident,
        scenarios_dir=tmp_path / "sc",
    )
    assert result.contained == []
    assert any("contain by hand" in line for line in lines)
    assert any(
        e.get("kind") == "contain" and e.get("result") == "skipped" for e in _events(incident)
    )


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--format", "nope"], "unknown format 'nope'"),
        (["--suite", "../x"], "invalid suite name '../x'"),
        (["--from", "MISSING"], "no such file or directory"),
        (["--from", "EMPTYDIR"], "nothing to read"),
        (["--out", "BUNDLE"], "bundle already exists"),
    ],
)
def test_bad_input_is_refused_before_any_containment_runs(
    il, tmp_path, prod_log, config, extra, needle
) -> None:
    """A typo in --from/--format/--suite/--out exits 3 before phase 1: no action runs, nothing
    is recorded (exit 3 means nothing was done), instead of failing after containment."""
    (tmp_path / "emptydir").mkdir()
    bundle = tmp_path / "old_incident"
    bundle.mkdir()
    (bundle / "manifest.json").write_text("{}")
    swap = {
        "MISSING": str(tmp_path / "missing.jsonl"),
        "EMPTYDIR": str(tmp_path / "emptydir"),
        "BUNDLE": str(bundle),
    }
    args = ["--from", str(prod_log), "--out", str(tmp_path / "inc"), "--yes", "--config", config]
    args += [swap.get(a, a) for a in extra]
    if "--from" in extra:
        args = args[2:]
    r = il("respond", *args, "--scenarios-dir", tmp_path / "scenarios")
    assert r.exit_code == 3, r.stderr
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "flag.txt").exists()  # disable-tools never ran
    assert not (tmp_path / "inc").exists()


def test_failed_containment_runs_the_playbook_but_exits_4(il, tmp_path, prod_log) -> None:
    """A failing action is reported, the later phases still run, and the exit code says containment failed."""
    cfg = tmp_path / "fail.toml"
    cfg.write_text(
        f'[contain.actions.kill-switch]\nbackend = "command"\ncommand = ["{sys.executable}", "-c", "raise SystemExit(3)"]\n'
    )
    incident = tmp_path / "inc"
    r = il(
        "respond",
        "--from",
        prod_log,
        "--out",
        incident,
        "--config",
        cfg,
        "--scenarios-dir",
        tmp_path / "sc",
        "--yes",
        "--json",
    )
    assert r.exit_code == 4 and "containment FAILED for: kill-switch" in r.stderr
    out = json.loads(r.stdout)
    assert out["contained"] == [] and out["containment_failed"] == ["kill-switch"]
    assert out["scenario_id"]  # the rest of the playbook still ran
    assert any(
        e.get("action") == "kill-switch" and e.get("result") == "failed" for e in _events(incident)
    )
