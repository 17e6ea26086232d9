"""Which sessions a snapshot keeps: ``--last``, ``--since``, ``--session``, ``--user``, ``--model-version``.

Filters look at a parsed record before it is validated (validation is the costly
part), so a record that fails a filter is counted as filtered out whatever its
schema; a record that cannot be parsed at all is a reject before any filter runs.

``--last N`` keeps the N most recent sessions by ``started_at`` in a bounded heap:
memory holds N raw lines whatever the input size. Sessions without a parseable
``started_at`` count as older than any dated one; ties (and undated sessions) are
ordered by input order, later being more recent.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from incident_lab.errors import UsageError
from incident_lab.trajectory import parse_timestamp, to_rfc3339

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Turn ``--since`` into an aware UTC cut-off.

    Args:
        text: A duration back from now (``30m``, ``2h``, ``1d``, ``90s``, ``1w``) or an
            RFC 3339 time (``2026-02-01T12:00:00Z``).
        now: The reference time (default: the current UTC time).

    Raises:
        UsageError: the text is neither.
    """
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        try:
            return now - timedelta(**{_UNITS[unit]: amount})
        except (OverflowError, ValueError):
            raise UsageError(
                f"--since {text!r} reaches back before year 1",
                hint="use a duration of at most a few thousand years, or an RFC 3339 time",
            ) from None
    try:
        return parse_timestamp(text)
    except ValueError:
        raise UsageError(
            f"--since {text!r} is neither a duration nor an RFC 3339 time",
            hint="use e.g. --since 30m, --since 2h, --since 1d or --since 2026-02-01T12:00:00Z",
        ) from None


def started_at_epoch(obj: dict[str, Any]) -> float | None:
    """Return ``started_at`` as POSIX seconds, or None when missing or unparseable."""
    value = obj.get("started_at")
    if type(value) is not str:
        return None
    try:
        return parse_timestamp(value).timestamp()
    except ValueError:
        return None


def recency_key(obj: dict[str, Any], seq: int) -> tuple[int, float, int]:
    """Sort key, larger = more recent: dated after undated, then time, then input order."""
    ts = started_at_epoch(obj)
    return (0, 0.0, seq) if ts is None else (1, ts, seq)


def _nested(obj: dict[str, Any], *keys: str) -> Any:
    cur: Any = obj
    for key in keys:
        if type(cur) is not dict:
            return None
        cur = cur.get(key)
    return cur


@dataclass(frozen=True)
class Selection:
    """The filters of one snapshot.

    Attributes:
        last: Keep the N most recent sessions.
        since: Keep sessions that started at or after this time (undated ones are dropped).
        since_text: ``--since`` as typed, for the manifest.
        sessions: Keep these session ids only.
        users: Keep sessions of these ``actor.user_id`` values only.
        model_versions: Keep sessions whose ``agent.model.version`` is one of these.
    """

    last: int | None = None
    since: datetime | None = None
    since_text: str | None = None
    sessions: frozenset[str] = field(default_factory=frozenset)
    users: frozenset[str] = field(default_factory=frozenset)
    model_versions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        chosen = [
            flag
            for flag, used in (
                ("--last", self.last is not None),
                ("--since", self.since is not None),
                ("--session", bool(self.sessions)),
            )
            if used
        ]
        if len(chosen) > 1:
            raise UsageError(
                f"{' and '.join(chosen)} cannot be combined",
                hint="pick one of --last N, --since T or --session ID (add --user to narrow)",
            )
        if self.last is not None and self.last < 1:
            raise UsageError(f"--last must be at least 1, got {self.last}")

    def matches(self, obj: dict[str, Any]) -> bool:
        """True when ``obj`` passes every filter except ``--last`` (applied by :class:`LastN`)."""
        if self.sessions and obj.get("session_id") not in self.sessions:
            return False
        if self.users and _hashable(_nested(obj, "actor", "user_id")) not in self.users:
            return False
        if (
            self.model_versions
            and _hashable(_nested(obj, "agent", "model", "version")) not in self.model_versions
        ):
            return False
        if self.since is not None:
            ts = started_at_epoch(obj)
            if ts is None or ts < self.since.timestamp():
                return False
        return True

    def describe(self) -> dict[str, Any]:
        """The filters as recorded in ``manifest.json``."""
        return {
            "last": self.last,
            "since": to_rfc3339(self.since) if self.since else None,
            "since_arg": self.since_text,
            "sessions": sorted(self.sessions),
            "users": sorted(self.users),
            "model_versions": sorted(self.model_versions),
        }


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str) else None


class LastN:
    """A bounded min-heap keeping the N most recent candidates seen.

    Args:
        n: How many to keep.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._heap: list[tuple[tuple[int, float, int], Any]] = []
        self.evicted = 0

    def offer(self, key: tuple[int, float, int], item: Any) -> None:
        """Consider ``item``; keeps it if it is among the N most recent so far."""
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, (key, item))
        elif key > self._heap[0][0]:
            heapq.heapreplace(self._heap, (key, item))
            self.evicted += 1
        else:
            self.evicted += 1

    def oldest_first(self) -> Iterable[Any]:
        """The kept items, oldest first (by ``started_at``, then input order)."""
        return [item for _key, item in sorted(self._heap, key=lambda pair: pair[0])]

    def __len__(self) -> int:
        return len(self._heap)
