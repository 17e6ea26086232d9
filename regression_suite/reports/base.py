"""The reporter protocol: a named function that writes one view of a gate report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Reporter"]


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
