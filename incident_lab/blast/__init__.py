"""Blast radius: which other sessions in production logs look like this incident (phase 6).

Public surface::

    load_signature(incident, sessions=None, scenarios_dir=None) -> Signature
    blast_radius(signature, paths, threshold=0.5, engine="local", ...) -> dict   # blast_radius/v1
    normalize(text) -> str

See :mod:`incident_lab.blast.match` for how a session is scored,
:mod:`incident_lab.blast.aggregate` for the risk bands, and
:mod:`incident_lab.blast.dask_engine` for the distributed path. numpy is imported
when a search runs (pandas only to read timestamps of unusual shapes), dask only with
``engine="dask"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_lab.blast.signature import Signature

SCHEMA_VERSION = "blast_radius/v1"
#: File name of the result, in ``--out`` or the bundle's ``followup/``.
RESULT_FILE = "blast_radius.json"
ENGINES = ("local", "dask")


def blast_radius(
    signature: Signature,
    paths: list[str],
    *,
    threshold: float = 0.5,
    engine: str = "local",
    fmt: str | None = None,
    scheduler: str | None = None,
    blocksize: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Search ``paths`` for sessions matching ``signature`` and summarise them.

    Args:
        signature: From :func:`load_signature`.
        paths: Log files or directories (fsspec URLs with the Dask engine).
        threshold: Jaccard threshold for a payload near-duplicate, in (0, 1].
        engine: ``local`` (streaming, this process) or ``dask``.
        fmt: Force a log format (every local file; auto-detected per file when None).
        scheduler: Dask scheduler (name or ``tcp://`` address); default the active client.
        blocksize: Bytes per Dask task (default: about four tasks per worker thread).
        progress: Called with progress messages (local engine).

    Returns:
        The ``blast_radius/v1`` document.

    Raises:
        UsageError: bad engine, threshold or format; dask missing.
        InputError: unreadable logs.
    """
    from incident_lab import __version__
    from incident_lab.blast.aggregate import aggregate
    from incident_lab.blast.match import Matcher
    from incident_lab.blast.scan import iter_matches, scan_local
    from incident_lab.errors import UsageError
    from incident_lab.trajectory import utc_now_iso

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint="one of: " + ", ".join(ENGINES))
    if not 0.0 < threshold <= 1.0:
        raise UsageError(
            f"--threshold {threshold} is out of range", hint="a similarity in (0, 1], e.g. 0.5"
        )
    matcher = Matcher(signature, threshold)
    if engine == "dask":
        from incident_lab.blast.dask_engine import scan_dask

        partial, sources = scan_dask(
            matcher, paths, blocksize=blocksize, scheduler=scheduler, fmt=fmt
        )
    else:
        partial, sources = scan_local(matcher, paths, fmt=fmt, progress=progress)
    matches = list(iter_matches(partial))
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "incident": signature.incident,
        "generated_at": utc_now_iso(),
        "tool_version": __version__,
        "engine": engine,
        "threshold": threshold,
        "signature": signature.to_dict(),
        "sources": sources,
        "scanned": {
            "files": len(sources),
            "records": partial.records,
            "sessions": partial.sessions,
            "rejected": partial.rejected,
            "warnings": partial.warned,
        },
    }
    result.update(aggregate(matches, signature.session_ids))
    result["matches"] = [
        {**m.to_dict(), "incident_session": m.session_id in signature.session_ids} for m in matches
    ]
    result["rejects"] = partial.rejects
    result["warnings"] = partial.warnings
    return result


def write_result(result: dict[str, Any], out_dir: str | Path) -> Path:
    """Write ``blast_radius.json`` into ``out_dir`` atomically and return its path.

    Raises:
        InputError: the directory cannot be created or written.
    """
    from incident_lab.errors import InputError
    from incident_lab.scenarios.io import write_text_atomic

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / RESULT_FILE
        write_text_atomic(path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write the result: {exc.strerror}", path=str(out)) from None
    return path
