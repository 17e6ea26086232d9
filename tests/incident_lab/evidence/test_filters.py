"""--since parsing and the bounded --last heap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incident_lab.errors import UsageError
from incident_lab.evidence.filters import LastN, parse_since

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", datetime(2026, 2, 1, 11, 30, tzinfo=UTC)),
        ("2h", datetime(2026, 2, 1, 10, 0, tzinfo=UTC)),
        ("1d", datetime(2026, 1, 31, 12, 0, tzinfo=UTC)),
        ("2026-02-01T09:00:00+01:00", datetime(2026, 2, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    """Durations count back from now; RFC 3339 times are taken as given, in UTC."""
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["2 hours", "-1h", "2026-02-01", "h"])
def test_parse_since_rejects_garbage(text: str) -> None:
    """Anything else is a usage error."""
    with pytest.raises(UsageError):
        parse_since(text, NOW)


def test_last_n_never_holds_more_than_n() -> None:
    """The heap keeps the N largest keys and counts every eviction."""
    heap = LastN(3)
    for i in [5, 1, 9, 3, 7, 2]:
        heap.offer((1, float(i), i), i)
        assert len(heap) <= 3
    assert heap.oldest_first() == [5, 7, 9]
    assert heap.evicted == 3
