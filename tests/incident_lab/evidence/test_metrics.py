"""metrics.json values, computed from the kept sessions (snapshot writes them, verify recomputes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.evidence.metrics import MetricsCollector
from incident_lab.evidence.snapshot import take_snapshot
from incident_lab.trajectory import validate_trajectory
from tests.incident_lab.evidence.conftest import make_session

DATA = Path(__file__).parent / "data"


def compute_metrics(trajectories: Any) -> dict[str, Any]:
    """``metrics.json`` of valid trajectories, collected as a snapshot collects them."""
    collector = MetricsCollector()
    for traj in trajectories:
        collector.add(traj)
    return collector.compute()


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


def test_metrics_json_is_byte_identical_to_the_stored_expectation(tmp_path: Path) -> None:
    """``metrics.json`` of a fixture log (the example incidents plus 60 edge sessions: null,
    "", "nan" and "None" values, missing blocks, ties, offsets, every decision) is byte for
    byte the file the former pandas aggregation wrote for it (metrics_fixture.expected.json),
    so bundles written before stay verifiable: verify recomputes and compares this file."""
    bundle = take_snapshot([str(DATA / "metrics_fixture.jsonl")], out=tmp_path / "b").bundle
    expected = (DATA / "metrics_fixture.expected.json").read_bytes()
    assert (bundle / "metrics.json").read_bytes() == expected
    doc = json.loads(expected)
    # the fixture exercises what could differ: null groups, ties, several safeguards
    assert any(r["name"] is None for r in doc["model_versions"])
    assert any(r["user_id"] == "" for r in doc["sessions_per_actor"])
    assert len(doc["safeguard_decisions"]) >= 3 and doc["flag_rate"] and doc["block_rate"]


def test_group_order_breaks_ties_by_value_with_null_after_empty() -> None:
    """Most sessions first; equal counts ordered by value, with null after the empty string."""
    sessions = [
        make_session(i, actor={"user_id": u}) for i, u in enumerate(["b", None, "", "a", "b"])
    ]
    rows = compute_metrics(sessions)["sessions_per_actor"]
    assert [(r["user_id"], r["sessions"]) for r in rows] == [
        ("b", 2),
        ("", 1),
        (None, 1),
        ("a", 1),
    ]


def test_a_schema_valid_but_impossible_date_does_not_hide_the_others() -> None:
    """``2026-13-01T00:00:00Z`` matches the schema's timestamp pattern but is no date: that
    session counts as undated, and the sessions after it still set the time range."""
    sessions = [make_session(i) for i in range(4)]
    sessions[1]["started_at"] = "2026-13-01T00:00:00Z"
    assert validate_trajectory(sessions[1]) == []
    assert compute_metrics(sessions)["time_range"] == {
        "first_started_at": "2026-02-01T12:00:00Z",
        "last_started_at": "2026-02-01T12:00:03Z",
        "sessions_without_started_at": 1,
    }


def test_an_unknown_step_type_is_refused_by_name() -> None:
    """compute_metrics takes valid trajectories; an unknown step kind is a KeyError naming it."""
    with pytest.raises(KeyError) as err:
        compute_metrics([{"steps": [{"type": "thought"}]}])
    assert err.value.args == ("thought",)
