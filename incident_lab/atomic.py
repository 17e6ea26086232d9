"""Atomic file writes: a reader never sees a half-written scenario, report or ticket."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _mode_for(target: Path) -> int:
    """The existing file's mode, or what a plain ``open()`` would create (0666 & ~umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: str | Path, text: str | Iterable[str]) -> Path:
    """Write ``text`` to ``path`` atomically: temp file in the same directory, fsync, rename.

    Args:
        path: The destination; missing parent directories are created.
        text: The content as UTF-8, or an iterable of pieces written one after the
            other (a large report never has to exist as one string).

    Returns:
        The destination path.
    """
    pieces = [text] if isinstance(text, str) else text
    return _write_atomic(Path(path), (piece.encode("utf-8") for piece in pieces))


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """:func:`write_text_atomic` for bytes (a manifest or signature written as signed)."""
    return _write_atomic(Path(path), [data])


def _write_atomic(target: Path, chunks: Iterable[bytes]) -> Path:
    """Temp file in the target's directory, the chunks, fsync, the target's mode, rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(chunks)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; reports are shared
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def _sync_filesystem(directory: Path) -> None:
    """Flush every dirty file of ``directory``'s filesystem to disk in one call.

    ``syncfs(2)`` on Linux (that filesystem only); elsewhere ``os.sync()`` (all of them).
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            syncfs = libc.syncfs
        except (OSError, AttributeError):
            os.sync()
            return
        if syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename or a new file in it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_texts_atomic(files: Iterable[tuple[str | Path, str]]) -> list[Path]:
    """Write many files atomically with two disk flushes in all, not one fsync per file.

    Each text goes to a temp file next to its destination (nothing renamed yet); then
    one filesystem sync makes all their data durable; then each temp file is renamed
    over its destination and each destination directory is fsynced once. A crash
    therefore leaves every destination either as it was or complete (never empty or
    half-written), the guarantee of :func:`write_text_atomic`, and once this returns
    every file and name is on disk. Writing 10,000 variants costs two flushes instead
    of 10,000. An error while writing renames nothing and removes the temp files.

    Args:
        files: ``(destination, text)`` pairs (missing directories are created).

    Returns:
        The destinations, in order.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, _mode_for(target))
        directories = list(dict.fromkeys(target.parent for _, target in staged))
        if directories:
            _sync_filesystem(directories[0])
            for other in directories[1:]:
                if other.stat().st_dev != directories[0].stat().st_dev:
                    _sync_filesystem(other)
        for tmp, target in staged:
            os.replace(tmp, target)
        for directory in directories:
            fsync_directory(directory)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return [target for _, target in staged]
