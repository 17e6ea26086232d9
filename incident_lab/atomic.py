"""Atomic file writes: a reader never sees a half-written scenario, report or ticket."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_text_atomic"]


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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; reports are shared
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target
