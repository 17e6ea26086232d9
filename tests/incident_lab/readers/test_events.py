"""The event-per-line reader: grouping, ordering, session metadata and whole-session rejects."""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.readers.events import line_ranges
from incident_lab.trajectory import validate_trajectory

from .conftest import accepted, read_all, rejected


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_interleaved_sessions_are_grouped_and_ordered_by_timestamp(logs: Path) -> None:
    """Events of two interleaved sessions form two trajectories, steps sorted by time."""
    sessions = accepted(read_all("events", logs / "events" / "mail_agent_events.jsonl"))
    assert set(sessions) == {"sess-8c1f", "sess-3b07"}
    steps = sessions["sess-8c1f"]["steps"]
    # the tool result was logged before its call; the timestamp puts it back after it
    assert [s["type"] for s in steps] == [
        "message",
        "message",
        "tool_call",
        "tool_result",
        "tool_call",
        "safeguard",
        "message",
    ]
    assert steps[2]["call_id"] == steps[3]["call_id"] == "c1"
    assert steps[4]["latency_ms"] == 41, "unknown event fields stay on the step"
    assert all(validate_trajectory(t) == [] for t in sessions.values())


def test_session_metadata_labels_and_references_are_resolved(logs: Path) -> None:
    """actor/agent come from any event, unsafe flags and target_call_id become indices."""
    traj = accepted(read_all("events", logs / "events" / "mail_agent_events.jsonl"))["sess-8c1f"]
    assert traj["actor"] == {"user_id": "u_5d41", "tenant_id": "acme"}
    assert traj["agent"]["model"]["version"] == "2024-08-06"
    assert traj["labels"] == {"notes": "exfiltration", "unsafe_steps": [4]}
    assert traj["steps"][4]["name"] == "send_email"
    assert traj["steps"][5]["target_step"] == 4
    assert traj["started_at"] == "2026-02-01T12:00:03Z"
    assert traj["source"] == {
        "format": "events",
        "path": str(logs / "events" / "mail_agent_events.jsonl"),
        "line": 1,
        "entry": None,
    }
    assert traj["x_events"]["lines"] == "1-2, 4-8, 10"


def test_an_inconsistent_session_is_rejected_whole_naming_its_lines(logs: Path) -> None:
    """A bad step rejects its session at the bad line, listing the session's other lines."""
    records = read_all("events", logs / "events" / "inconsistent_session.jsonl")
    assert set(accepted(records)) == {"sess-ok"}
    bad = [r for r in rejected(records) if "sess-bad" in (r.reason or "")]
    assert len(bad) == 1
    assert bad[0].line == 3
    assert "'name' is a required property" in bad[0].reason
    assert "other lines 2, 4" in bad[0].reason
    orphan = [r for r in rejected(records) if r.line == 5]
    assert orphan and "session_id" in orphan[0].reason


def test_conflicting_session_metadata_rejects_the_session(tmp_path: Path) -> None:
    """Two events disagreeing on the session's model is an inconsistency, not a silent pick."""
    path = _write(
        tmp_path,
        [
            {
                "session_id": "s",
                "type": "message",
                "role": "user",
                "content": "a",
                "agent": {"name": "x"},
            },
            {
                "session_id": "s",
                "type": "message",
                "role": "assistant",
                "content": "b",
                "agent": {"name": "y"},
            },
        ],
    )
    (record,) = read_all("events", path)
    assert not record.accepted
    assert record.line == 2
    assert "agent.name" in record.reason and "line 1" in record.reason


def test_bad_timestamp_unknown_type_and_dangling_reference_are_named(tmp_path: Path) -> None:
    """Each inconsistency names its line; the first bad line is the record's line."""
    path = _write(
        tmp_path,
        [
            {"session_id": "s", "type": "message", "role": "user", "content": "a"},
            {"session_id": "s", "type": "thought", "content": "b"},
            {
                "session_id": "s",
                "timestamp": "yesterday",
                "type": "message",
                "role": "user",
                "content": "c",
            },
            {
                "session_id": "s",
                "type": "safeguard",
                "safeguard": "g",
                "stage": "output",
                "decision": "block",
                "target_call_id": "nope",
            },
        ],
    )
    (record,) = read_all("events", path)
    assert record.line == 2
    assert 'line 2: type "thought"' in record.reason
    assert "line 3: timestamp" in record.reason
    assert "line 4: target_call_id" in record.reason


def test_duplicate_call_ids_are_inconsistent(tmp_path: Path) -> None:
    """Two tool calls sharing a call_id cannot both be right."""
    path = _write(
        tmp_path,
        [
            {"session_id": "s", "type": "tool_call", "name": "a", "arguments": {}, "call_id": "c"},
            {"session_id": "s", "type": "tool_call", "name": "b", "arguments": {}, "call_id": "c"},
        ],
    )
    (record,) = read_all("events", path)
    assert not record.accepted and "already used" in record.reason


def test_events_without_timestamps_keep_file_order(tmp_path: Path) -> None:
    """An event with no timestamp sorts with the event before it, so file order holds."""
    path = _write(
        tmp_path,
        [
            {
                "session_id": "s",
                "timestamp": "2026-01-01T00:00:02Z",
                "type": "message",
                "role": "user",
                "content": "late",
            },
            {"session_id": "s", "type": "message", "role": "assistant", "content": "after late"},
            {
                "session_id": "s",
                "timestamp": "2026-01-01T00:00:01Z",
                "type": "message",
                "role": "system",
                "content": "early",
            },
        ],
    )
    (record,) = read_all("events", path)
    assert [s["content"] for s in record.trajectory["steps"]] == ["early", "late", "after late"]


def test_non_object_lines_are_rejected_alone(tmp_path: Path) -> None:
    """A JSON array line is a reject of its own and does not disturb the sessions."""
    path = tmp_path / "e.jsonl"
    path.write_text('[1]\n{"session_id": "s", "type": "message", "role": "user", "content": "x"}\n')
    records = read_all("events", path)
    assert [r.line for r in rejected(records)] == [1]
    assert set(accepted(records)) == {"s"}


def test_line_ranges_compresses_runs() -> None:
    """Line lists in reasons are compact: runs become ranges."""
    assert line_ranges([9, 3, 4, 5, 7]) == "3-5, 7, 9"
    assert line_ranges([]) == ""


def test_every_problem_of_a_session_is_named_with_its_line(tmp_path: Path) -> None:
    """Bad timestamp, unknown type, bad unsafe flag, dangling references: each problem is
    listed with its line (first five, then a count), the reject sits on the first bad line."""
    msg = {"session_id": "s", "type": "message", "role": "user", "content": "a"}
    guard = {"session_id": "s", "type": "safeguard", "safeguard": "g", "stage": "pre_action"}
    guard["decision"] = "block"
    rows: list[object] = [
        msg | {"timestamp": "2026-02-01T12:00:00Z"},  # 1: fine
        msg | {"timestamp": 12},  # 2
        {"session_id": "s", "type": "telepathy"},  # 3
        msg | {"unsafe": "yes"},  # 4
        guard | {"target_call_id": "zz"},  # 5
        guard | {"target_step": 99},  # 6
        msg | {"timestamp": "yesterday"},  # 7
    ]
    [bad] = rejected(read_all("events", _write(tmp_path, rows)))
    assert bad.line == 2
    assert bad.reason.startswith("session 's' rejected: line 2: timestamp 12 is not RFC 3339")
    assert 'line 3: type "telepathy" is not one of message' in bad.reason
    assert "line 4: unsafe must be true or false" in bad.reason
    assert 'line 5: target_call_id "zz" names no tool_call' in bad.reason
    assert "line 6: target_step 99 does not exist (session has 6 steps)" in bad.reason
    assert bad.reason.endswith("; and 1 more problems; its other lines 1, 3-7 are rejected with it")


def test_steps_keep_the_time_of_the_event_before_and_map_to_their_lines(tmp_path: Path) -> None:
    """An untimed event sorts with the event before it; step_lines maps steps to lines;
    started_at defaults to the earliest step time."""
    msg = {"session_id": "s", "type": "message", "role": "user"}
    rows: list[object] = [
        msg | {"content": "late", "timestamp": "2026-02-01T12:00:05Z"},
        msg | {"content": "untimed"},
        msg | {"content": "early", "timestamp": "2026-02-01T12:00:01Z"},
    ]
    traj = accepted(read_all("events", _write(tmp_path, rows)))["s"]
    assert [s["content"] for s in traj["steps"]] == ["early", "late", "untimed"]
    assert traj["x_events"]["step_lines"] == [3, 1, 2]
    assert traj["started_at"] == "2026-02-01T12:00:01Z"
