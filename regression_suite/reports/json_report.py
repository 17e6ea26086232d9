"""``report.json``: the machine-readable gate report (``gate_report/v1``), and loading it back.

Writing lives here; the schema and :func:`load_report` live in
:mod:`incident_lab.gate_report` (``incident_lab report`` reads gate reports too) and are
re-exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_text_atomic
from incident_lab.gate_report import FILENAME
from regression_suite.spool import Spool


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
            yield from _entries(value)
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


#: Spooled entries joined into one piece: a piece each (decoded, encoded again and
#: written one by one) was a few percent of a 10,000-case gate run.
_BATCH = 256


def _entries(spool: Spool) -> Iterator[str]:
    """A spool's lines (UTF-8 JSON, one entry each) separated as :func:`_pieces` does,
    :data:`_BATCH` entries a piece (memory stays bounded whatever the spool's size)."""
    batch: list[bytes] = []
    sep = b""
    for line in spool.lines():
        batch.append(line[:-1])
        if len(batch) == _BATCH:
            yield (sep + _ENTRY_SEP.join(batch)).decode("utf-8")
            batch.clear()
            sep = _ENTRY_SEP
    if batch:
        yield (sep + _ENTRY_SEP.join(batch)).decode("utf-8")


_ENTRY_SEP = b",\n  "


def write_json(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write ``report_dir/report.json`` atomically (UTF-8, one entry per line).

    Streamed entry by entry: a 10,000-item report is never held as one string.
    """
    return [write_text_atomic(Path(report_dir) / FILENAME, _pieces(report))]
