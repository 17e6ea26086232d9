"""metrics.json values, computed with pandas from the kept sessions (and without, for verify)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.evidence.metrics import MetricsCollector, compute_metrics
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


_maybe = st.none() | st.sampled_from(["a", "b", "", "nan", "None"])


def _session(draw: st.DrawFn, i: int) -> dict[str, Any]:
    traj: dict[str, Any] = {"schema_version": "trajectory/v1", "session_id": f"s{i}", "steps": []}
    if draw(st.booleans()):
        traj["started_at"] = draw(
            st.sampled_from(
                ["2026-02-01T12:00:00Z", "2026-02-01T11:00:00.5Z", "2026-01-31T23:59:59Z"]
            )
        )
    if draw(st.booleans()):
        traj["actor"] = {} if draw(st.booleans()) else {"user_id": draw(_maybe)}
    agent: dict[str, Any] = {}
    for key, fields in (("model", ("name", "version")), ("policy", ("id", "version", "hash"))):
        if draw(st.booleans()):
            agent[key] = {f: draw(_maybe) for f in fields if draw(st.booleans())}
    if agent or draw(st.booleans()):
        traj["agent"] = agent
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["message", "tool_call", "tool_result", "safeguard"]))
        if kind == "message":
            step = {"type": kind, "role": "user", "content": "hi"}
        elif kind == "tool_call":
            step = {"type": kind, "name": draw(st.sampled_from(["t1", "t2", "T"])), "arguments": {}}
        elif kind == "tool_result":
            step = {"type": kind, "output": ""}
            if draw(st.booleans()):
                step["is_error"] = draw(st.booleans())
        else:
            step = {
                "type": kind,
                "safeguard": draw(st.sampled_from(["g1", "g2"])),
                "stage": "input",
                "decision": draw(st.sampled_from(["allow", "block", "flag", "redact", "escalate"])),
            }
        traj["steps"].append(step)
    return traj


@st.composite
def _sessions(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [_session(draw, i) for i in range(draw(st.integers(0, 12)))]


@settings(max_examples=150, deadline=None)
@given(sessions=_sessions())
def test_plain_aggregation_equals_pandas(sessions: list[dict[str, Any]]) -> None:
    """compute_plain() (verify's pandas-free check) gives exactly the document compute()
    (pandas, which writes metrics.json) gives once written as JSON: nulls, ties, empties."""
    collector = MetricsCollector()
    for traj in sessions:
        collector.add(traj)
    assert collector.compute_plain() == json.loads(json.dumps(collector.compute()))
