"""confirm: is containment holding in the live log?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _session(sid: str, start: str, tool_time: str | None = None) -> dict:
    steps: list[dict] = [{"type": "message", "role": "user", "content": "hi", "timestamp": start}]
    if tool_time:
        steps += [
            {
                "type": "tool_call",
                "name": "send_email",
                "arguments": {"to": "a@b.c"},
                "timestamp": tool_time,
            },
            {
                "type": "safeguard",
                "safeguard": "egress",
                "stage": "pre_action",
                "decision": "allow",
                "timestamp": tool_time,
            },
        ]
    return {
        "schema_version": "trajectory/v1",
        "session_id": sid,
        "started_at": start,
        "steps": steps,
    }


def _log(tmp_path: Path, sessions: list[dict]) -> Path:
    path = tmp_path / "live.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in sessions) + "{not json\n")
    return path


def test_holding_when_nothing_after_since(il, tmp_path) -> None:
    """Only activity before --since, every record read: exit 0, HOLDING."""
    log = tmp_path / "clean.jsonl"
    log.write_text(json.dumps(_session("a", "2026-02-01T11:00:00Z", "2026-02-01T11:00:05Z")) + "\n")
    r = il("confirm", "--from", log, "--since", "2026-02-01T12:00:00Z")
    assert r.exit_code == 0, r.stderr
    assert "HOLDING" in r.stdout and "0 rejected" in r.stdout and r.stderr == ""


def test_holding_with_rejected_records_is_partial_exit_5(il, tmp_path) -> None:
    """HOLDING among the records read, but a rejected line could hide activity: exit 5 (partial),
    like every other command that rejects input records; the bad line is listed on stderr."""
    log = _log(tmp_path, [_session("a", "2026-02-01T11:00:00Z", "2026-02-01T11:00:05Z")])
    r = il("confirm", "--from", log, "--since", "2026-02-01T12:00:00Z")
    assert r.exit_code == 5, r.stderr
    assert "HOLDING" in r.stdout and "1 rejected" in r.stdout
    assert "rejected:" in r.stderr and "1 of 2 record(s) were rejected" in r.stderr


@pytest.mark.parametrize("kind", ["empty file", "empty directory"])
def test_no_records_at_all_is_never_holding(il, tmp_path, kind) -> None:
    """A log with no records proves nothing: exit 3 naming the path, never 'HOLDING' with exit 0."""
    if kind == "empty file":
        source = tmp_path / "live.jsonl"
        source.write_text("")
    else:
        source = tmp_path / "logs"
        source.mkdir()
    incident = tmp_path / "inc"
    incident.mkdir()
    r = il("confirm", "--from", source, "--since", "15m", "--json")
    assert r.exit_code == 3 and "HOLDING" not in r.stdout and r.stdout == ""
    assert f"{source}: nothing to read" in r.stderr and len(r.stderr.splitlines()) == 1


def test_since_in_the_future_is_a_usage_error(il, tmp_path) -> None:
    """A containment time in the future (a mistyped year) would make HOLDING vacuous: exit 3."""
    r = il("confirm", "--from", _log(tmp_path, []), "--since", "2099-01-01T00:00:00Z")
    assert r.exit_code == 3 and "is in the future" in r.stderr and r.stdout == ""


def test_not_holding_lists_sessions_and_tools(il, tmp_path) -> None:
    """A tool call after containment: exit 6 with the tool and safeguard decision counted."""
    log = _log(
        tmp_path,
        [
            _session("old", "2026-02-01T11:00:00Z"),
            # started before containment, but kept acting after it
            _session("straggler", "2026-02-01T11:59:00Z", "2026-02-01T12:03:00Z"),
            _session("new", "2026-02-01T12:10:00Z"),
        ],
    )
    r = il("confirm", "--from", log, "--since", "2026-02-01T12:00:00Z", "--json")
    assert r.exit_code == 6
    report = json.loads(r.stdout)
    assert report["holding"] is False
    assert report["sessions_after"] == ["straggler", "new"]
    assert report["tool_calls_after"] == {"send_email": 1}
    assert report["safeguard_decisions_after"] == {"egress:allow": 1}


def test_since_from_incident_timeline_and_recorded(il, tmp_path) -> None:
    """--incident takes the containment time from the timeline and records the check there."""
    from incident_lab.adapters.contain import record_event

    incident = tmp_path / "inc"
    incident.mkdir()
    record_event(
        incident,
        {
            "kind": "contain",
            "phase": "contain",
            "action": "kill-switch",
            "result": "ok",
            "time": "2026-02-01T12:00:00Z",
        },
    )
    log = _log(tmp_path, [_session("new", "2026-02-01T12:10:00Z")])
    r = il("confirm", "--from", log, "--incident", incident)
    assert r.exit_code == 6 and "NOT HOLDING" in r.stdout
    last = json.loads((incident / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["kind"] == "confirm" and last["result"] == "not-holding"
    assert {k: last[k] for k in ("phase", "undone", "holding", "records_read")} == {
        "phase": "contain",
        "undone": [],
        "holding": False,
        "records_read": 2,
    }
    assert last["actor"] and last["sessions_after"] == ["new"]


def test_requires_a_time(il, tmp_path) -> None:
    """Neither --since nor --incident: usage error, exit 3."""
    log = _log(tmp_path, [])
    r = il("confirm", "--from", log)
    assert r.exit_code == 3


def test_bad_since_is_a_usage_error(il, tmp_path) -> None:
    """An unparseable --since names the value."""
    r = il("confirm", "--from", _log(tmp_path, []), "--since", "yesterday-ish")
    assert r.exit_code == 3 and "yesterday-ish" in r.stderr


def _contained(incident: Path, *actions: tuple[str, str]) -> list[dict]:
    from incident_lab.adapters.contain import record_event

    incident.mkdir(exist_ok=True)
    return [
        record_event(
            incident,
            {"kind": "contain", "phase": "contain", "action": a, "result": "ok", "time": t},
        )
        for a, t in actions
    ]


def test_every_action_undone_is_not_in_effect(il, tmp_path) -> None:
    """Containment recorded then undone: never HOLDING; exit 6 and recorded as not-in-effect."""
    from incident_lab.adapters.contain import record_event

    incident = tmp_path / "inc"
    (done,) = _contained(incident, ("kill-switch", "2026-02-01T12:00:00Z"))
    record_event(
        incident,
        {"kind": "undo", "action": "kill-switch", "result": "ok", "undoes": done["event_id"]},
    )
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps(_session("a", "2026-02-01T11:00:00Z")) + "\n")
    r = il("confirm", "--from", clean, "--incident", incident)
    assert r.exit_code == 6, r.stderr
    assert "HOLDING" not in r.stdout and "NOT IN EFFECT" in r.stderr and "kill-switch" in r.stderr
    last = json.loads((incident / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["kind"] == "confirm" and last["result"] == "not-in-effect"
    assert last["phase"] == "contain" and last["undone"] == ["kill-switch"] and last["actor"]
    assert "holding" not in last  # nothing was read: no report to record


def test_undone_action_does_not_set_the_time(il, tmp_path) -> None:
    """The first containment was undone: the time is that of the one still in effect."""
    from incident_lab.adapters.confirm import containment_state, containment_time
    from incident_lab.adapters.contain import record_event

    incident = tmp_path / "inc"
    first, _ = _contained(
        incident, ("kill-switch", "2026-02-01T12:00:00Z"), ("disable-tools", "2026-02-01T12:30:00Z")
    )
    record_event(
        incident,
        {"kind": "undo", "action": "kill-switch", "result": "failed", "undoes": first["event_id"]},
    )
    assert (
        containment_time(incident).isoformat().startswith("2026-02-01T12:00")
    )  # failed undo: still on
    record_event(
        incident,
        {"kind": "undo", "action": "kill-switch", "result": "ok", "undoes": first["event_id"]},
    )
    assert containment_time(incident).isoformat().startswith("2026-02-01T12:30")
    assert [e["action"] for e in containment_state(incident).undone] == ["kill-switch"]
    log = tmp_path / "live.jsonl"
    log.write_text(json.dumps(_session("x", "2026-02-01T12:10:00Z")) + "\n")  # before 12:30
    r = il("confirm", "--from", log, "--incident", incident)
    assert r.exit_code == 0, r.stderr
    assert "HOLDING" in r.stdout and "undone since, so not in effect: kill-switch" in r.stdout
