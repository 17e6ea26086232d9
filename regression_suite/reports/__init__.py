"""Gate reports: ``report.json``, ``report.html`` and friends, written by reporter plugins.

:func:`write_reports` is what ``regression_suite run`` and ``merge`` call; every
reporter registered through the ``register_reporters`` hook with ``default=True``
runs unless a list of names is given. ``junit.xml`` is pytest's own
(``--junitxml``) and lands in the same directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from incident_lab.errors import ExternalError, UsageError
from incident_lab.plugins import collect
from regression_suite.reports.base import Reporter


def report_write_error(exc: OSError, where: Path) -> ExternalError:
    """The error (exit 4) for a report file that could not be written."""
    return ExternalError(
        f"cannot write the report: {exc.strerror or exc}",
        path=str(exc.filename or where),
        hint="free space or make the directory writable, or pass another --report-dir",
    )


def get_reporters() -> dict[str, Reporter]:
    """Return every registered reporter by name (built-ins and plugins)."""
    return collect("register_reporters")


def write_reports(
    report: dict[str, Any],
    report_dir: Path,
    reporters: Iterable[str] | None = None,
    *,
    skip: Iterable[str] = (),
) -> list[Path]:
    """Write the report in every selected format into ``report_dir``.

    Args:
        report: The ``gate_report/v1`` dict from :func:`regression_suite.gate.finalize`.
        report_dir: Created if missing.
        reporters: Reporter names; ``None`` runs every default reporter
            (``json``, ``html``, ``markdown``, ``junit``, ``github``).
        skip: Default reporters not to run (``regression_suite run`` writes the
            GitHub step summary itself, see ``--summary-md``).

    Returns:
        The files written, in reporter order.

    Raises:
        UsageError: an unknown reporter name.
        ExternalError: ``report_dir`` cannot be created or written (read-only, full,
            a file in the way): exit 4 with the path, never a verdict code.
    """
    available = get_reporters()
    if reporters is None:
        skipped = set(skip)
        selected = [r for r in available.values() if r.default and r.name not in skipped]
    else:
        names = list(reporters)
        unknown = [n for n in names if n not in available]
        if unknown:
            raise UsageError(
                f"unknown reporter(s) {', '.join(unknown)}",
                hint=f"available: {', '.join(sorted(available))}",
            )
        selected = [available[n] for n in names]
    out = Path(report_dir)
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for reporter in selected:
            written.extend(reporter.write(report, out))
    except OSError as exc:
        raise report_write_error(exc, out) from None
    return written
