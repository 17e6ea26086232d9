"""Atomic writes: all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.atomic import write_text_atomic


def test_writes_text_and_pieces(tmp_path: Path) -> None:
    """A string or an iterable of pieces lands whole; parents are created."""
    target = tmp_path / "a" / "b.txt"
    assert write_text_atomic(target, "héllo\n") == target
    assert target.read_text("utf-8") == "héllo\n"
    write_text_atomic(target, (p for p in ["x", "y", "z"]))
    assert target.read_text() == "xyz"


def test_failure_midway_leaves_old_content_and_no_temp(tmp_path: Path) -> None:
    """If producing the content fails, the old file is untouched and no temp file remains."""
    target = tmp_path / "r.json"
    target.write_text("old")

    def pieces():
        yield "new-part"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_text_atomic(target, pieces())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_new_files_get_the_umask_mode_not_0600(tmp_path: Path) -> None:
    """A new report is readable by teammates (0644 under umask 022), an existing mode is kept."""
    import os

    old = os.umask(0o022)
    try:
        target = write_text_atomic(tmp_path / "report.html", "x")
        assert target.stat().st_mode & 0o777 == 0o644
        target.chmod(0o640)
        write_text_atomic(target, "y")
        assert target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
