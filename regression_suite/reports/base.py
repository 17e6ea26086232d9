"""The reporter protocol: a named function that writes one view of a gate report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Reporter", "write_text_atomic"]


@dataclass(frozen=True, slots=True)
class Reporter:
    """A gate reporter, registered through the ``register_reporters`` hook.

    Attributes:
        name: The name used by ``write_reports(..., reporters=[...])``.
        write: ``(report, report_dir) -> list of files written`` (may be empty).
        description: One line for docs and ``incident_lab plugins``.
        default: Whether :func:`regression_suite.reports.write_reports` runs it
            when no reporter list is given.
    """

    name: str
    write: Callable[[dict[str, Any], Path], list[Path]]
    description: str
    default: bool = True


def write_text_atomic(path: Path, text: str | Iterable[str]) -> Path:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    A reader (or a CI artifact upload) never sees a half-written report.

    Args:
        path: The destination file; its directory must exist.
        text: The content, written as UTF-8; or an iterable of pieces, written one
            after the other (a large report never exists as one string).

    Returns:
        ``path``.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
