"""Mutation-driven tests for ``evidence/filters.py`` (issue 14): every filter's exact verdict.

Each test pins one decision (a unit, a boundary, a guard, a message, the heap's tie rule)
through the public functions and through ``take_snapshot``'s counts, so a flipped
comparison or a changed message fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import UsageError
from incident_lab.evidence import take_snapshot
from incident_lab.evidence.filters import (
    LastN,
    Selection,
    parse_since,
    recency_key,
    started_at_epoch,
)

from .conftest import make_session, read_jsonl, write_jsonl

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
EPOCH_NOON = NOW.timestamp()


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("  3 h  ", timedelta(hours=3)),
        ("\t12\tm\n", timedelta(minutes=12)),
        ("0s", timedelta(0)),
        ("007d", timedelta(days=7)),
    ],
)
def test_every_duration_unit_counts_back_from_now(text: str, back: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - back


def test_now_defaults_to_the_current_time() -> None:
    before = datetime.now(UTC)
    cut = parse_since("1h")
    after = datetime.now(UTC)
    assert before - timedelta(hours=1) <= cut <= after - timedelta(hours=1)
    assert cut.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-01T09:00:00Z", datetime(2026, 2, 1, 9, 0, tzinfo=UTC)),
        ("2026-02-01T09:00:00.250+02:00", datetime(2026, 2, 1, 7, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_are_taken_as_given(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["2H", "x2h", "2hx", "2 hours", "2y", "-1h", "1.5h", "", "h"])
def test_anything_else_is_a_usage_error_with_its_hint(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_since(text, NOW)
    assert err.value.message == f"--since {text!r} is neither a duration nor an RFC 3339 time"
    assert err.value.hint == (
        "use e.g. --since 30m, --since 2h, --since 1d or --since 2026-02-01T12:00:00Z"
    )
    assert err.value.exit_code == 3


@pytest.mark.parametrize("text", ["99999999d", "999999999999999999999w", "9999999999w"])
def test_a_duration_reaching_before_year_one_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_since(text, NOW)
    assert err.value.message == f"--since {text!r} reaches back before year 1"
    assert err.value.hint == ("use a duration of at most a few thousand years, or an RFC 3339 time")


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"started_at": "2026-02-01T12:00:00Z"}, EPOCH_NOON),
        ({"started_at": "2026-02-01T13:00:00+01:00"}, EPOCH_NOON),
        ({"started_at": "2026-02-01T12:00:01.5Z"}, EPOCH_NOON + 1.5),
        ({}, None),
        ({"started_at": None}, None),
        ({"started_at": 1769947200}, None),
        ({"started_at": "yesterday"}, None),
        ({"started_at": "2026-02-01T12:00:00"}, None),  # no offset
    ],
)
def test_started_at_epoch(obj: dict[str, Any], expected: float | None) -> None:
    assert started_at_epoch(obj) == expected


def test_recency_key_orders_dated_after_undated_then_by_time_then_input() -> None:
    assert recency_key({"started_at": "2026-02-01T12:00:00Z"}, 7) == (1, EPOCH_NOON, 7)
    assert recency_key({"started_at": "bad"}, 7) == (0, 0.0, 7)
    assert recency_key({}, 3) == (0, 0.0, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"last": 3, "since": NOW}, "--last and --since cannot be combined"),
        ({"last": 3, "sessions": frozenset({"a"})}, "--last and --session cannot be combined"),
        ({"since": NOW, "sessions": frozenset({"a"})}, "--since and --session cannot be combined"),
        (
            {"last": 1, "since": NOW, "sessions": frozenset({"a"})},
            "--last and --since and --session cannot be combined",
        ),
    ],
)
def test_selections_that_cannot_be_combined(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as err:
        Selection(**kwargs)
    assert err.value.message == message
    assert err.value.hint == (
        "pick one of --last N, --since T or --session ID (add --user to narrow)"
    )


@pytest.mark.parametrize("last", [0, -1])
def test_last_must_be_at_least_one(last: int) -> None:
    with pytest.raises(UsageError) as err:
        Selection(last=last)
    assert err.value.message == f"--last must be at least 1, got {last}"


def test_selections_that_combine() -> None:
    assert Selection(last=1).last == 1
    users, versions = frozenset({"u1"}), frozenset({"v"})
    Selection(last=2, users=users, model_versions=versions)
    Selection(since=NOW, users=users)
    Selection(sessions=frozenset({"a"}), users=users)
    Selection(last=None, since=None, sessions=frozenset())


def _obj(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "session_id": "s1",
        "started_at": "2026-02-01T12:00:00Z",
        "actor": {"user_id": "u1"},
        "agent": {"model": {"version": "v1"}},
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("selection", "obj", "kept"),
    [
        (Selection(), _obj(), True),
        (Selection(), {}, True),
        (Selection(sessions=frozenset({"s1", "s2"})), _obj(), True),
        (Selection(sessions=frozenset({"s2"})), _obj(), False),
        (Selection(sessions=frozenset({"s1"})), {}, False),
        (Selection(users=frozenset({"u1"})), _obj(), True),
        (Selection(users=frozenset({"u2"})), _obj(), False),
        (Selection(users=frozenset({"5"})), _obj(actor={"user_id": 5}), False),
        (Selection(users=frozenset({"u1"})), _obj(actor="u1"), False),
        (Selection(users=frozenset({"u1"})), _obj(actor=None), False),
        (Selection(model_versions=frozenset({"v1"})), _obj(), True),
        (Selection(model_versions=frozenset({"v2", "v3"})), _obj(), False),
        (Selection(model_versions=frozenset({"v1"})), _obj(agent={"model": "v1"}), False),
        (
            Selection(model_versions=frozenset({"['v1']"})),
            _obj(agent={"model": {"version": ["v1"]}}),
            False,
        ),
        (Selection(since=NOW), _obj(), True),  # at the cut-off: kept
        (Selection(since=NOW + timedelta(microseconds=1)), _obj(), False),
        (Selection(since=NOW - timedelta(seconds=1)), _obj(), True),
        (Selection(since=NOW - timedelta(days=9999)), _obj(started_at="bad"), False),
        (Selection(since=NOW - timedelta(days=9999)), _obj(started_at=None), False),
        (
            Selection(users=frozenset({"u1"}), model_versions=frozenset({"v1"}), since=NOW),
            _obj(),
            True,
        ),
        (
            Selection(users=frozenset({"u1"}), model_versions=frozenset({"v9"}), since=NOW),
            _obj(),
            False,
        ),
    ],
)
def test_matches(selection: Selection, obj: dict[str, Any], kept: bool) -> None:
    assert selection.matches(obj) is kept


def test_describe_is_what_the_manifest_records() -> None:
    sel = Selection(
        since=datetime(2026, 2, 1, 9, 0, 0, 500000, tzinfo=UTC),
        since_text="3h",
        users=frozenset({"u2", "u1"}),
        model_versions=frozenset({"b", "a"}),
    )
    assert sel.describe() == {
        "last": None,
        "since": "2026-02-01T09:00:00.500000Z",
        "since_arg": "3h",
        "sessions": [],
        "users": ["u1", "u2"],
        "model_versions": ["a", "b"],
    }
    assert Selection(sessions=frozenset({"z", "y"})).describe() == {
        "last": None,
        "since": None,
        "since_arg": None,
        "sessions": ["y", "z"],
        "users": [],
        "model_versions": [],
    }
    assert Selection(last=4).describe()["last"] == 4


def test_last_n_keeps_the_most_recent_and_counts_evictions() -> None:
    heap = LastN(2)
    assert len(heap) == 0 and heap.evicted == 0 and heap.oldest_first() == []
    heap.offer((1, 5.0, 0), "a")
    assert len(heap) == 1 and heap.evicted == 0
    heap.offer((1, 3.0, 1), "b")
    assert len(heap) == 2 and heap.evicted == 0
    assert heap.oldest_first() == ["b", "a"]
    heap.offer((1, 3.0, 1), "same-as-oldest")  # not more recent than the oldest: dropped
    assert heap.oldest_first() == ["b", "a"] and heap.evicted == 1
    heap.offer((0, 0.0, 9), "undated")  # undated is older than any dated one
    assert heap.oldest_first() == ["b", "a"] and heap.evicted == 2
    heap.offer((1, 3.0, 2), "tie-later")  # same time, later in input: more recent
    assert heap.oldest_first() == ["tie-later", "a"] and heap.evicted == 3
    heap.offer((1, 9.0, 3), "newest")
    assert heap.oldest_first() == ["a", "newest"] and heap.evicted == 4
    assert len(heap) == 2 and heap.n == 2


def test_last_one_and_the_snapshot_counts(tmp_path: Path) -> None:
    """--last through a real snapshot: which sessions, in what order, and the counts."""
    sessions = [make_session(i) for i in (5, 1, 9, 3)]
    sessions[1]["started_at"] = sessions[2]["started_at"]  # a tie: the later one wins
    undated = make_session(7)
    del undated["started_at"]
    log = write_jsonl(tmp_path / "log.jsonl", [*sessions, undated])
    result = take_snapshot([log], last=2, out=tmp_path / "b", now=NOW)
    kept = [t["session_id"] for t in read_jsonl(tmp_path / "b" / "trajectories.jsonl")]
    assert kept == ["sess-0001", "sess-0009"]  # oldest first; the tie by input order
    assert result.summary["counts"] == {
        "read": 5,
        "accepted": 2,
        "rejected": 0,
        "filtered_out": 3,
    }
    assert result.manifest["filters"]["last"] == 2
