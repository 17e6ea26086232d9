"""Gate reports (``report.json``, schema ``gate_report/v1``): the schema and loading one back.

``regression_suite run`` writes them (:mod:`regression_suite.reports.json_report`);
``incident_lab report --gate-report`` and ``regression_suite compare`` read them with
:func:`load_report`. The schema ships in ``incident_lab/schemas/gate_report.v1.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError, SchemaError
from incident_lab.readers.base import read_text

FILENAME = "report.json"


def validation_errors(report: Any) -> list[str]:
    """Return the schema problems of ``report`` as ``field.path: problem`` strings."""
    from incident_lab.trajectory import _validator

    problems = []
    errors = _validator("gate_report.v1").iter_errors(report)
    for err in sorted(errors, key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        problems.append(f"{where}: {err.message[:200]}")
    return problems


def load_report(path: str | Path) -> dict[str, Any]:
    """Load and validate a ``report.json`` (a directory means the ``report.json`` in it).

    Args:
        path: The report file, or the report directory.

    Returns:
        The report dict.

    Raises:
        InputError: missing, unreadable, not UTF-8 or not JSON (with the line).
        SchemaError: not a ``gate_report/v1`` document (the first problem named).
    """
    p = Path(path)
    if p.is_dir():
        p = p / FILENAME
    if not p.exists():
        raise InputError(
            "no such report", path=str(p), hint="pass a report.json written by regression_suite run"
        )
    text = read_text(p, "a report")  # the input gate: a FIFO or device is refused
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=str(p), line=exc.lineno) from None
    if not isinstance(report, dict) or report.get("schema_version") != "gate_report/v1":
        found = report.get("schema_version") if isinstance(report, dict) else type(report).__name__
        raise SchemaError(
            f"not a gate report (schema_version {found!r}, expected 'gate_report/v1')",
            path=str(p),
        )
    problems = validation_errors(report)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SchemaError(f"invalid gate report: {problems[0]}{more}", path=str(p))
    return report
