"""Containment comes first: snapshot completes an incident directory that holds only a timeline."""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.adapters.contain import record_event


def _log(tmp_path: Path) -> Path:
    from incident_lab.example.traffic import generate_log

    path = tmp_path / "prod.jsonl"
    generate_log(path, sessions=10, incidents=1, seed=5)
    return path


def test_snapshot_adopts_the_containment_timeline(il, tmp_path) -> None:
    """contain-then-snapshot: the bundle's timeline keeps the contain event first and verifies."""
    incident = tmp_path / "incident_x"
    first = record_event(incident, {"kind": "contain", "action": "kill-switch", "result": "ok"})
    (incident / "followup").mkdir()
    (incident / "followup" / "note.md").write_text("paged at 12:01")
    r = il("snapshot", "--from", _log(tmp_path), "--out", incident)
    assert r.exit_code == 0, r.stderr
    events = [json.loads(x) for x in (incident / "timeline.jsonl").read_text().splitlines()]
    assert [e["action"] for e in events] == ["kill-switch", "snapshot"]
    assert events[0]["sha256"] == first["sha256"] and events[1]["prev_sha256"] == first["sha256"]
    manifest = json.loads((incident / "manifest.json").read_text())
    assert manifest["timeline"]["genesis_sha256"] == first["sha256"]
    assert (incident / "followup" / "note.md").read_text() == "paged at 12:01"
    assert il("verify", incident).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".incident_x")]


def test_a_real_bundle_is_still_never_overwritten(il, tmp_path) -> None:
    """A directory with a manifest is a bundle: a second snapshot into it is refused."""
    incident = tmp_path / "inc"
    log = _log(tmp_path)
    assert il("snapshot", "--from", log, "--out", incident).exit_code == 0
    before = (incident / "manifest.json").read_bytes()
    r = il("snapshot", "--from", log, "--out", incident)
    assert r.exit_code == 3 and "never overwritten" in r.stderr
    assert (incident / "manifest.json").read_bytes() == before


def test_damaged_pre_snapshot_timeline_is_refused(il, tmp_path) -> None:
    """An edited containment timeline stops the snapshot (exit 6) and nothing is written."""
    incident = tmp_path / "inc"
    record_event(incident, {"kind": "contain", "action": "kill-switch", "result": "ok"})
    record_event(incident, {"kind": "contain", "action": "scale-to-zero", "result": "ok"})
    path = incident / "timeline.jsonl"
    path.write_text(path.read_text().replace("scale-to-zero", "route-to-baseline"))
    r = il("snapshot", "--from", _log(tmp_path), "--out", incident)
    assert r.exit_code == 6 and "damaged" in r.stderr
    assert sorted(p.name for p in incident.iterdir()) == ["timeline.jsonl"]
