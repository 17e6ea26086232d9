"""generate_log writes a realistic production log with a prompt-injection incident."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from incident_lab.example.traffic import ATTACKER, generate_log
from incident_lab.readers import read_paths
from incident_lab.trajectory import parse_timestamp

START = "2026-02-01T09:00:00Z"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[dict], Path]:
    path = tmp_path_factory.mktemp("traffic") / "prod.jsonl"
    summary = generate_log(path, sessions=300, incidents=2, seed=5, start=START)
    with path.open(encoding="utf-8") as fh:
        sessions = [json.loads(line) for line in fh]
    return summary, sessions, path


def test_every_line_is_an_accepted_native_trajectory(log: tuple[dict, list[dict], Path]) -> None:
    """The production reader accepts all 300 sessions, rejects none."""
    summary, _, path = log
    records = [record for _, record in read_paths([str(path)])]
    assert len(records) == 300 and all(r.trajectory is not None for r in records)
    assert summary["sessions"] == 300 and summary["benign"] == 298 and summary["incidents"] == 2


def test_incidents_are_exfiltrations_a_safeguard_allowed(
    log: tuple[dict, list[dict], Path],
) -> None:
    """Each incident session emails the customer list to the attacker after an allow decision."""
    summary, sessions, _ = log
    by_id = {s["session_id"]: s for s in sessions}
    for session_id in summary["incident_session_ids"]:
        steps = by_id[session_id]["steps"]
        unsafe = by_id[session_id]["labels"]["unsafe_steps"]
        assert len(unsafe) == 1
        call = steps[unsafe[0]]
        assert call["name"] == "send_email" and call["arguments"]["to"] == ATTACKER
        guard = steps[unsafe[0] - 1]
        assert (
            guard["type"] == "safeguard"
            and guard["decision"] == "allow"
            and guard["target_step"] == unsafe[0]
        )
    benign_leaks = [
        s
        for s in sessions
        if s["session_id"] not in summary["incident_session_ids"] and ATTACKER in json.dumps(s)
    ]
    assert benign_leaks == []


def test_traffic_is_varied(log: tuple[dict, list[dict], Path]) -> None:
    """Many users over five tenants, and a mix of tasks (not one canned session)."""
    summary, sessions, _ = log
    assert len(summary["tenants"]) == 5 and summary["users"] >= 20
    first_tools = collections.Counter(
        next((s["name"] for s in t["steps"] if s["type"] == "tool_call"), None) for t in sessions
    )
    assert len(first_tools) >= 7 and max(first_tools.values()) < 120
    assert len({t["steps"][1]["content"] for t in sessions}) > 100
    assert any(sum(s.get("role") == "user" for s in t["steps"]) > 1 for t in sessions)


def test_timestamps_are_sorted_within_the_window(log: tuple[dict, list[dict], Path]) -> None:
    """Sessions are ordered by start time, inside the six-hour window; steps are timestamped."""
    summary, sessions, _ = log
    starts = [parse_timestamp(s["started_at"]) for s in sessions]
    assert starts == sorted(starts)
    assert parse_timestamp(summary["start"]) <= starts[0] and starts[-1] <= parse_timestamp(
        summary["end"]
    )
    assert all("timestamp" in step for s in sessions for step in s["steps"])
    assert all(s["agent"]["policy"]["version"] == "7" for s in sessions)


def test_same_seed_same_bytes_other_seed_other_log(tmp_path: Path) -> None:
    """Generation is deterministic for a seed and start."""
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    generate_log(a, sessions=30, seed=1, start=START)
    generate_log(b, sessions=30, seed=1, start=START)
    generate_log(c, sessions=30, seed=2, start=START)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_default_window_ends_now(tmp_path: Path) -> None:
    """Without start, the log looks like the last six hours."""
    from datetime import UTC, datetime, timedelta

    summary = generate_log(tmp_path / "x.jsonl", sessions=5, incidents=0)
    assert abs(parse_timestamp(summary["end"]) - datetime.now(UTC)) < timedelta(minutes=2)
    assert summary["incident_session_ids"] == []


@pytest.mark.parametrize(("sessions", "incidents"), [(0, 0), (5, 6), (5, -1)])
def test_bad_counts_are_refused(tmp_path: Path, sessions: int, incidents: int) -> None:
    """Impossible counts raise ValueError before anything is written."""
    with pytest.raises(ValueError):
        generate_log(tmp_path / "x.jsonl", sessions=sessions, incidents=incidents)
    assert not (tmp_path / "x.jsonl").exists()
