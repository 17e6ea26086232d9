"""Helpers shared by the reader tests: fixture paths and one-call reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.readers import get_readers
from incident_lab.readers.base import Record

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def read_all(fmt: str, path: Path | str) -> list[Record]:
    """Read every record of ``path`` with the reader named ``fmt``."""
    return list(get_readers()[fmt].read(str(path)))


def accepted(records: list[Record]) -> dict[str, dict]:
    """Accepted trajectories by session id."""
    return {r.trajectory["session_id"]: r.trajectory for r in records if r.trajectory is not None}


def rejected(records: list[Record]) -> list[Record]:
    """The rejected records, in order (a reader's warnings are no records)."""
    return [r for r in records if not r.accepted and r.warning is None]


def warnings_of(records: list[Record]) -> list[str]:
    """A reader's warnings, in order."""
    return [r.warning for r in records if r.warning is not None]


@pytest.fixture
def logs() -> Path:
    """The directory of reader fixtures (``tests/fixtures/logs``)."""
    return LOGS
