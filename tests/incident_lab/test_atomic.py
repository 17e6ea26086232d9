"""Atomic writes: all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.atomic import write_bytes_atomic, write_text_atomic


def test_writes_text_and_pieces(tmp_path: Path) -> None:
    """A string or an iterable of pieces lands whole; parents are created."""
    target = tmp_path / "a" / "b.txt"
    assert write_text_atomic(target, "héllo\n") == target
    assert target.read_text("utf-8") == "héllo\n"
    write_text_atomic(target, (p for p in ["x", "y", "z"]))
    assert target.read_text() == "xyz"


def test_bytes_land_as_given_and_keep_the_files_mode(tmp_path: Path) -> None:
    """write_bytes_atomic (a signed manifest): the exact bytes, no newline translation or
    re-encoding, the existing file's mode kept, no temp file left."""
    target = tmp_path / "manifest.json"
    data = b'{"a":"\xc3\xa9"}\r\n\x00'
    assert write_bytes_atomic(target, data) == target
    assert target.read_bytes() == data
    target.chmod(0o600)
    write_bytes_atomic(target, b"two")
    assert target.read_bytes() == b"two" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


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


def test_batch_write_syncs_once_not_per_file(tmp_path: Path, monkeypatch) -> None:
    """write_texts_atomic: every file lands whole, with one filesystem sync before any
    rename and one fsync per directory after, never one fsync per file."""
    import incident_lab.atomic as atomic

    events: list[str] = []
    real_replace = atomic.os.replace
    monkeypatch.setattr(atomic, "_sync_filesystem", lambda d: events.append("sync"))
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append("fsync"))
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b))
    )
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "f0.yaml").write_text("old")
    files = [(tmp_path / "v" / f"f{i}.yaml", f"text {i}\n") for i in range(300)]
    files.append((tmp_path / "w" / "other.yaml", "other\n"))
    assert atomic.write_texts_atomic(files) == [p for p, _ in files]
    assert all(p.read_text() == t for p, t in files)
    assert events.count("sync") == 1 and events.index("sync") < events.index("rename")
    assert events.count("rename") == 301
    assert events[-2:] == ["fsync", "fsync"]  # the two directories, after every rename
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == sorted(
        f"f{i}.yaml" for i in range(300)
    )


def test_batch_write_failure_renames_nothing(tmp_path: Path) -> None:
    """An error while staging leaves every destination as it was and no temp file."""
    from incident_lab.atomic import write_texts_atomic

    (tmp_path / "a.txt").write_text("old")

    def files():
        yield tmp_path / "a.txt", "new"
        yield tmp_path / "b.txt", "new"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_texts_atomic(files())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old"
