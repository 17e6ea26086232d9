"""snapshot --last warns when flagged sessions sit at the window's oldest edge."""

from __future__ import annotations

import json
from pathlib import Path


def _log(tmp_path: Path, flagged: set[int], n: int = 20) -> Path:
    rows = []
    for i in range(n):
        traj = {
            "schema_version": "trajectory/v1",
            "session_id": f"s{i:02d}",
            "started_at": f"2026-02-01T12:{i:02d}:00Z",
            "steps": [{"type": "message", "role": "user", "content": "hello"}],
        }
        if i in flagged:
            traj["labels"] = {"unsafe_steps": [0], "verdict": "unsafe"}
        rows.append(json.dumps(traj))
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_flagged_at_the_edge_warns_with_a_since(il, tmp_path) -> None:
    """Flagged sessions 10..15, --last 8 keeps 12..19: the oldest kept is flagged -> warning."""
    log = _log(tmp_path, set(range(10, 16)))
    r = il("snapshot", "--from", log, "--last", "8", "--out", tmp_path / "b", "--json")
    assert r.exit_code == 0, r.stderr
    (warning,) = json.loads(r.stdout)["warnings"]
    assert "1 of the 4 flagged-looking session(s)" in warning
    # Doubling the window back: oldest kept 12:12, newest 12:19 -> 12:05.
    assert "--since 2026-02-01T12:05:00Z" in warning
    r = il("snapshot", "--from", log, "--last", "8", "--out", tmp_path / "c")
    assert "warning: " in r.stderr and "--since" in r.stderr


def test_no_warning_when_flagged_sessions_are_inside(il, tmp_path) -> None:
    """Flagged sessions well inside the window, or nothing evicted: no warning."""
    log = _log(tmp_path, {17, 18})
    r = il("snapshot", "--from", log, "--last", "8", "--out", tmp_path / "b", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["warnings"] == []
    log = _log(tmp_path, {0, 1}, n=5)
    r = il("snapshot", "--from", log, "--last", "8", "--out", tmp_path / "c", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["warnings"] == []


def test_unlabelled_incident_at_the_edge_is_found_by_the_classifier(il, tmp_path) -> None:
    """Production logs label nothing: the oldest kept sessions are classified; SEV-1 warns."""
    from incident_lab.example.traffic import generate_log

    info = generate_log(tmp_path / "raw.jsonl", sessions=40, incidents=1, seed=3)
    rows = [json.loads(x) for x in (tmp_path / "raw.jsonl").read_text().splitlines()]
    for r in rows:
        r.pop("labels", None)
    rows.sort(key=lambda r: r["started_at"])
    k = [r["session_id"] for r in rows].index(info["incident_session_ids"][0])
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = il("snapshot", "--from", log, "--last", str(40 - k), "--out", tmp_path / "b", "--json")
    assert r.exit_code == 0, r.stderr
    (warning,) = json.loads(r.stdout)["warnings"]
    assert "SEV-1" in warning and info["incident_session_ids"][0] in warning
    assert "--since " in warning
    # One session later, the incident is outside the window: nothing to warn about.
    r = il("snapshot", "--from", log, "--last", str(40 - k - 1), "--out", tmp_path / "c", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["warnings"] == []


def test_undated_sessions_at_the_edge_warn_without_a_time(il, tmp_path) -> None:
    """Without started_at there is no time to double back to: the warning says so."""
    rows = []
    for i in range(20):
        traj = {
            "schema_version": "trajectory/v1",
            "session_id": f"s{i:02d}",
            "steps": [{"type": "message", "role": "user", "content": "hello"}],
        }
        if 10 <= i < 16:
            traj["labels"] = {"unsafe_steps": [0], "verdict": "unsafe"}
        rows.append(json.dumps(traj))
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(rows) + "\n")
    r = il("snapshot", "--from", log, "--last", "8", "--out", tmp_path / "b", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["warnings"] == [
        "1 of the 4 flagged-looking session(s) kept by --last are among its 1 oldest of 8: "
        "more may sit just before the window; re-run with --since a time before the first "
        "incident (or a larger --last)"
    ]
