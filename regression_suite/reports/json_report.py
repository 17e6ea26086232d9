"""``report.json``: the machine-readable gate report (``gate_report/v1``), and loading it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from incident_lab.atomic import write_text_atomic
from incident_lab.errors import InputError, SchemaError
from incident_lab.readers.base import MAX_DOCUMENT_BYTES, read_bounded
from regression_suite.spool import Spool

FILENAME = "report.json"


@lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``report.json`` shipped in ``regression_suite/schemas``."""
    text = (
        resources.files("regression_suite.schemas")
        .joinpath("gate_report.v1.json")
        .read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(report_schema())
    return cls(report_schema())


def validation_errors(report: Any) -> list[str]:
    """Return the schema problems of ``report`` as ``field.path: problem`` strings."""
    problems = []
    for err in sorted(_validator().iter_errors(report), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        problems.append(f"{where}: {err.message[:200]}")
    return problems


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)


def _pieces(report: dict[str, Any]) -> Iterator[str]:
    """A report as JSON with one top-level key per line and one list entry per line.

    Readable and diff-friendly, and fast: ``json.dumps(indent=...)`` falls back to
    the pure-Python encoder, 50x slower on a 10,000-item report.
    """
    sep = "{\n "
    for key, value in report.items():
        yield sep
        sep = ",\n "
        if isinstance(value, Spool) and value:  # on disk: its lines as they are
            yield f"{_dump(key)}: [\n  "
            entry_sep = ""
            for line in value.lines():
                yield entry_sep
                yield line[:-1].decode("utf-8")
                entry_sep = ",\n  "
            yield "\n ]"
        elif isinstance(value, list) and value:
            yield f"{_dump(key)}: [\n  "
            entry_sep = ""
            for entry in value:
                yield entry_sep
                yield _dump(entry)
                entry_sep = ",\n  "
            yield "\n ]"
        else:
            yield f"{_dump(key)}: {_dump([] if isinstance(value, Spool) else value)}"
    yield "\n}\n" if report else "{\n \n}\n"


def write_json(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write ``report_dir/report.json`` atomically (UTF-8, one entry per line).

    Streamed entry by entry: a 10,000-item report is never held as one string.
    """
    return [write_text_atomic(Path(report_dir) / FILENAME, _pieces(report))]


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
    data = read_bounded(p)  # the input gate: a FIFO or device is refused without blocking
    if data is None:
        raise InputError(f"larger than {MAX_DOCUMENT_BYTES} bytes; not a report", path=str(p))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"invalid UTF-8 at byte {exc.start}", path=str(p), line=line) from None
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
