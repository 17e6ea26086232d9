"""metrics.json values, computed with pandas from the kept sessions."""

from __future__ import annotations

from incident_lab.evidence.metrics import compute_metrics
from tests.incident_lab.evidence.conftest import make_session


def test_metrics_of_known_sessions() -> None:
    """Counts, per-tool calls, safeguard decision matrix, rates, versions, actors, time range."""
    sessions = [make_session(i) for i in range(8)]
    sessions[7]["actor"] = {}
    del sessions[6]["started_at"]
    m = compute_metrics(sessions)
    assert m["sessions"] == 8 and m["steps"] == 48
    assert m["steps_by_type"] == {"message": 24, "tool_call": 8, "tool_result": 8, "safeguard": 8}
    assert m["tool_calls_per_tool"] == {"read_document": 8}
    assert m["tool_errors"] == 2 and m["tool_error_rate"] == 0.25  # sessions 0 and 5
    assert m["safeguard_decisions"] == {"egress-filter": {"allow": 6, "block": 2}}
    assert m["block_rate"] == 0.25 and m["flag_rate"] == 0.0
    assert m["sessions_with_block"] == 2
    assert m["model_versions"] == [
        {"name": "gpt-4o", "version": "2024-08-06", "sessions": 4},
        {"name": "gpt-4o", "version": "2024-11-20", "sessions": 4},
    ]
    assert m["policy_hashes"] == [
        {"id": "mail-policy", "version": "7", "hash": "sha256:" + "ab" * 32, "sessions": 8}
    ]
    assert {(r["user_id"], r["sessions"]) for r in m["sessions_per_actor"]} == {
        ("u0", 3),
        ("u1", 2),
        ("u2", 2),
        (None, 1),
    }
    assert m["time_range"] == {
        "first_started_at": "2026-02-01T12:00:00Z",
        "last_started_at": "2026-02-01T12:00:07Z",
        "sessions_without_started_at": 1,
    }


def test_metrics_of_nothing() -> None:
    """No sessions: zeros and null rates, no crash."""
    m = compute_metrics([])
    assert m["sessions"] == 0 and m["tool_error_rate"] is None and m["block_rate"] is None
    assert m["model_versions"] == [] and m["safeguard_decisions"] == {}
