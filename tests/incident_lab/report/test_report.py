"""The incident report: phases against the budget, every section from the bundle's data,
root cause by layer with marked placeholders, escaping, and the CLI."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from incident_lab.blast import blast_radius, write_result
from incident_lab.blast.signature import load_signature
from incident_lab.cli.app import run
from incident_lab.cli.main import cli
from incident_lab.evidence import append_event, take_snapshot
from incident_lab.example.traffic import generate_log
from incident_lab.report import write_report
from incident_lab.report.collect import collect_report
from incident_lab.report.html import SECTIONS, render_html
from incident_lab.report.markdown import render_markdown
from incident_lab.report.phases import phase_durations
from incident_lab.report.rootcause import PLACEHOLDER


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    log = generate_log(
        base / "log.jsonl", sessions=60, incidents=2, seed=3, start="2026-02-01T06:00:00Z"
    )
    out = base / "incident"
    take_snapshot([str(log["path"])], out=out, sessions=[log["incident_session_ids"][0]])
    write_result(blast_radius(load_signature(str(out)), [str(log["path"])]), out / "followup")
    return out


def _event(action: str, time: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "time": time, **extra}


def test_recorded_phase_durations_are_used_and_compared_with_the_budget() -> None:
    """respond's phase events carry seconds; a phase over 120 s is over budget."""
    rows = phase_durations([
        _event("snapshot", "2026-02-01T12:00:00Z"),
        _event("phase:contain", "2026-02-01T12:01:00Z", phase="contain", seconds=95.0),
        _event("phase:classify", "2026-02-01T12:05:00Z", phase="classify", seconds=150.5),
    ])  # fmt: skip
    by = {r["key"]: r for r in rows}
    assert (by["contain"]["seconds"], by["contain"]["source"], by["contain"]["over_budget"]) == (
        95.0,
        "recorded",
        False,
    )
    assert by["classify"]["over_budget"] is True
    assert [r["budget_s"] for r in rows] == [120] * 5


def test_phase_durations_are_inferred_from_action_times() -> None:
    """Without phase events, a phase runs from the previous phase's end to its last event."""
    rows = phase_durations([
        _event("contain", "2026-02-01T12:00:00Z"),
        _event("contain", "2026-02-01T12:01:30Z"),
        _event("snapshot", "2026-02-01T12:03:00Z"),
        _event("notify", "2026-02-01T12:09:00Z", phase="notify"),
    ])  # fmt: skip
    by = {r["key"]: r for r in rows}
    assert (by["contain"]["seconds"], by["contain"]["source"]) == (90.0, "inferred")
    assert by["preserve"]["seconds"] == 90.0
    assert by["triage"]["seconds"] == 360.0 and by["triage"]["over_budget"]
    assert by["convert"]["source"] == "none" and by["convert"]["seconds"] is None


def test_report_collects_every_section(bundle: Path, tmp_path: Path) -> None:
    """Status, timeline, metrics, classification, blast radius, root cause come from the data."""
    append_event(
        bundle, {"action": "notify", "phase": "notify", "channel": "slack", "result": "sent"}
    )
    doc = collect_report(bundle, scenarios_dir=tmp_path)
    assert doc["status"]["failure_mode"] == "prompt_injection"
    assert doc["status"]["severity"].startswith("SEV-")
    assert doc["status"]["blast_risk"] in ("localized", "moderate")
    assert doc["blast_radius"]["summary"]["sessions"] == 2
    assert sum(doc["activity"]["tool_calls"]) == doc["metrics"]["tool_calls"]
    layers = {layer["key"]: layer for layer in doc["root_cause"]["layers"]}
    assert list(layers) == ["pre_action", "mid_trajectory", "post_action", "escalation"]
    assert any(
        "action-guard (pre_action) decided allow" in f for f in layers["pre_action"]["facts"]
    )
    assert any("slack" in f for f in layers["escalation"]["facts"])
    assert all(layer["analysis"] == PLACEHOLDER for layer in layers.values())
    assert doc["root_cause"]["decision"]["choice"] == PLACEHOLDER
    assert doc["gate"] is None and doc["status"]["gate_verdict"] is None


def test_scenarios_variants_and_gate_results_are_included(bundle: Path, tmp_path: Path) -> None:
    """A scenario whose provenance names an incident session, its variants, and the gate cases."""

    session = json.loads((bundle / "trajectories.jsonl").read_text("utf-8").splitlines()[0])[
        "session_id"
    ]
    lib = tmp_path / "scenarios"
    parent = {"schema_version": "scenario/v1", "id": "inc-rep", "title": "Mail exfil", "status": "gated",
              "provenance": {"session_ids": [session]}, "taxonomy": {"failure_mode": "prompt_injection", "severity": "SEV-1"}}  # fmt: skip
    child = {
        "schema_version": "scenario/v1",
        "id": "inc-rep--v-1",
        "variant": {"parent": "inc-rep", "converters": ["base64"]},
    }
    (lib / "variants").mkdir(parents=True)
    (lib / "inc-rep.yaml").write_text(json.dumps(parent), "utf-8")
    (lib / "variants" / "inc-rep--v-1.yaml").write_text(json.dumps(child), "utf-8")
    from regression_suite.gate import finalize
    from regression_suite.reports import write_reports

    def item(sid: str, outcome: str) -> dict[str, Any]:
        return {"id": sid, "scenario_id": sid, "parent_id": None, "variant": None, "repeat": 1,
                "failure_mode": "prompt_injection", "severity": "SEV-1", "tags": [], "outcome": outcome,
                "results": [], "message": None, "diff": None, "duration_s": 0.001, "target": "example:vulnerable"}  # fmt: skip

    report = finalize([item("inc-rep", "failed"), item("other", "passed")], suite={"name": "release_gate"},
                      target={"spec": "example:vulnerable"}, options={})  # fmt: skip
    write_reports(report, tmp_path / "gate", ["json"])
    gate = tmp_path / "gate" / "report.json"
    doc = collect_report(bundle, scenarios_dir=lib, gate_report=gate)
    assert [s["id"] for s in doc["scenarios"]["scenarios"]] == ["inc-rep"]
    assert [(v["id"], v["converters"]) for v in doc["scenarios"]["variants"]] == [
        ("inc-rep--v-1", ["base64"])
    ]
    assert doc["status"]["gate_verdict"] == "BLOCK"
    assert [c["scenario_id"] for c in doc["gate"]["cases"]] == ["inc-rep"]


def test_html_is_self_contained_and_escapes_bundle_text(bundle: Path, tmp_path: Path) -> None:
    """Every section is present; no external reference; text from logs cannot inject markup."""
    doc = collect_report(bundle, scenarios_dir=tmp_path)
    doc["classification"]["sessions"][0]["session_id"] = '<script>alert("x")</script>'
    html = render_html(doc)
    for sid, _ in SECTIONS:
        assert f'<section id="{sid}">' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not re.search(r"""\b(?:src|href)\s*=""", html)
    assert "default-src 'none'" in html
    assert html.count("class=placeholder") == 6


def test_markdown_marks_what_a_human_must_fill(bundle: Path, tmp_path: Path) -> None:
    """Four layers, contributing factors and the decision carry the visible marker."""
    md = render_markdown(collect_report(bundle, scenarios_dir=tmp_path))
    assert md.count(f"**{PLACEHOLDER}:**") == 6
    for title in ("## Timeline and phase durations", "## Metrics", "## Classification", "## Blast radius",
                  "## Scenarios and variants", "## Release gate", "## Root cause", "### Pre-action",
                  "### Mid-trajectory", "### Post-action", "### Escalation", "### Policy change or system change?"):  # fmt: skip
        assert title in md


def test_cli_writes_into_followup_and_errors_are_one_line(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Default output is BUNDLE/followup; a missing bundle or gate report exits 3."""
    assert run(cli, "incident_lab", ["report", str(bundle), "--scenarios-dir", str(tmp_path)]) == 0
    assert "written:" in capsys.readouterr().out
    assert (bundle / "followup" / "report.html").is_file() and (
        bundle / "followup" / "report.md"
    ).is_file()
    assert run(cli, "incident_lab", ["report", str(tmp_path / "nope")]) == 3
    assert "no such bundle directory" in capsys.readouterr().err
    assert (
        run(
            cli,
            "incident_lab",
            ["report", str(bundle), "--gate-report", str(tmp_path / "missing.json")],
        )
        == 3
    )
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_write_report_returns_both_files(bundle: Path, tmp_path: Path) -> None:
    """report.html and report.md land in the chosen directory."""
    paths = write_report(collect_report(bundle, scenarios_dir=tmp_path), tmp_path / "out")
    assert [p.name for p in paths] == ["report.html", "report.md"]


def test_cli_missing_scenarios_dir_is_exit_3_and_absent_values_print_as_dash(
    bundle: Path, tmp_path: Path, il: Any
) -> None:
    """An explicit --scenarios-dir that does not exist is exit 3 (not a silently empty
    scenarios section); without a gate report the summary says 'gate -', never 'gate None'."""
    missing = tmp_path / "no-such-library"
    r = il("report", bundle, "--scenarios-dir", missing, "--out", tmp_path / "a")
    assert r.exit_code == 3 and f"{missing}: no such scenarios directory" in r.stderr
    assert not (tmp_path / "a").exists()
    r = il("report", bundle, "--scenarios-dir", tmp_path, "--out", tmp_path / "b")
    assert r.exit_code == 0, r.stderr
    assert "gate -" in r.stdout and "None" not in r.stdout


@pytest.fixture(scope="module")
def rejecting_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle whose source log had three malformed lines (rejects.jsonl has them)."""
    base = tmp_path_factory.mktemp("rejects")
    log = generate_log(
        base / "log.jsonl", sessions=20, incidents=1, seed=5, start="2026-02-01T06:00:00Z"
    )
    with Path(log["path"]).open("a", encoding="utf-8") as fh:
        fh.write("{not json\n{also not json\n[1, 2]\n")
    out = base / "incident"
    take_snapshot([str(log["path"])], out=out)
    return out


def test_rejects_section_counts_reasons_and_links_the_file(
    rejecting_bundle: Path, tmp_path: Path
) -> None:
    doc = collect_report(rejecting_bundle, scenarios_dir=tmp_path)
    rows = (rejecting_bundle / "rejects.jsonl").read_text("utf-8").splitlines()
    assert doc["rejects"]["count"] == len(rows) >= 3
    assert sum(r["count"] for r in doc["rejects"]["reasons"]) == len(rows)
    html_path, md_path = write_report(doc, rejecting_bundle / "followup")
    html = html_path.read_text("utf-8")
    section = html.split('<section id="rejects">', 1)[1].split("</section>", 1)[0]
    assert f"{len(rows)} input record(s) were rejected" in section
    assert '<a href="../rejects.jsonl">rejects.jsonl</a>' in section
    assert (html_path.parent / "../rejects.jsonl").resolve() == rejecting_bundle / "rejects.jsonl"
    for reason in {json.loads(r)["reason"] for r in rows}:
        assert reason.split("<")[0][:20] in section
    md = md_path.read_text("utf-8")
    assert f"{len(rows)} input record(s) were rejected" in md and "## Rejected records" in md


def test_phases_without_data_are_na_not_zero_and_counts_are_integers(
    rejecting_bundle: Path, tmp_path: Path
) -> None:
    """No timeline: every phase is n/a in the chart (no zero bar); the per-minute chart's
    y ticks are whole numbers and its x labels are HH:MM, spaced so they cannot overlap;
    nothing prints "None"."""
    doc = collect_report(rejecting_bundle, scenarios_dir=tmp_path)
    assert [e["action"] for e in doc["timeline"]["events"]] == ["snapshot"]
    html = render_html(doc)
    timeline = html.split('<section id="timeline">', 1)[1].split("</section>", 1)[0]
    na_phases = [p for p in doc["timeline"]["phases"] if p["seconds"] is None]
    assert len(na_phases) == 5  # the snapshot opens the timeline: an instant, no duration
    assert timeline.count("n/a (no data)") == 5
    assert 'class="bar' not in timeline  # no bar drawn for a phase without a duration
    metrics = html.split('<section id="metrics">', 1)[1].split("</section>", 1)[0]
    chart = metrics[metrics.index("Tool calls and safeguard decisions per minute") :]
    y_ticks = re.findall(r'text-anchor="end">([^<]+)</text>', chart)
    assert y_ticks and all(t.isdigit() for t in y_ticks), y_ticks
    x_labels = re.findall(r'text-anchor="middle"><title>([^<]+)</title>([^<]+)</text>', chart)
    assert x_labels and all(re.fullmatch(r"\d\d:\d\d", short) for _, short in x_labels)
    xs = [
        float(x)
        for x in re.findall(
            r'<text x="([\d.]+)" y="\d+" class="tick"[^>]*text-anchor="middle"', chart
        )
    ]
    assert all(b - a >= 5 * 6.5 for a, b in itertools.pairwise(xs))  # HH:MM never overlaps
    assert "None" not in re.sub(r"<[^>]+>", " ", html)
    assert "None" not in render_markdown(doc)


def test_a_session_without_content_prints_no_none(bundle: Path, tmp_path: Path) -> None:
    doc = collect_report(bundle, scenarios_dir=tmp_path)
    doc["classification"]["sessions"] = [{"session_id": None, "top": None, "ranked": []}]
    doc["status"] = dict.fromkeys(doc["status"])
    html, md = render_html(doc), render_markdown(doc)
    assert "None" not in re.sub(r"<[^>]+>", " ", html) and "None" not in md
    assert "Session n/a: no failure mode" in html


def test_the_demo_bundles_report_has_a_timeline(tmp_path: Path) -> None:
    """The demo runs snapshot, classify and add: all three are on the bundle's timeline,
    and classify and convert get the durations their decision events recorded."""
    from incident_lab.demo import build_incident_library

    build_incident_library(tmp_path)
    doc = collect_report(tmp_path / "incident_demo", scenarios_dir=tmp_path / "scenarios")
    assert [e["action"] for e in doc["timeline"]["events"]] == ["snapshot", "classify", "add"]
    phases = {p["key"]: p for p in doc["timeline"]["phases"]}
    assert phases["classify"]["source"] == phases["convert"]["source"] == "recorded"
    events = {e["action"]: e for e in doc["timeline"]["events"]}
    assert phases["classify"]["seconds"] == pytest.approx(events["classify"]["duration_s"])
