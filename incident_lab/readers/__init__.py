"""Trajectory readers: auto-detected, plugin-provided, all producing ``trajectory/v1``.

Use :func:`read_paths` to read files and directories of any supported format.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from incident_lab.errors import InputError, UsageError
from incident_lab.plugins import collect
from incident_lab.readers.base import (
    DEFAULT_MAX_LINE_BYTES,
    LINK_OUT,
    Reader,
    Record,
    gate_path,
    leads_outside,
    read_head,
)

__all__ = ["read_paths"]


def get_readers(fmt: str | None = None) -> dict[str, Reader]:
    """Return every registered reader by name (plugins may override built-ins).

    Raises:
        UsageError: ``fmt`` is given and names no registered reader (``--format``).
    """
    readers: dict[str, Reader] = collect("register_readers")
    if fmt is not None and fmt not in readers:
        raise UsageError(f"unknown format {fmt!r}", hint="one of: " + ", ".join(sorted(readers)))
    return readers


def expand_sources(
    paths: list[str], *, follow_symlinks: bool = False
) -> tuple[list[str], list[Record]]:
    """Expand directories into their files, through the input gate.

    Returns:
        ``(files, refused)``: the regular files to read (recursively, sorted, hidden
        files skipped), and one reject :class:`Record` per entry the gate refused
        (a FIFO, device or socket, or a symlink, to a file or a directory, leading
        outside the directory given unless ``follow_symlinks``). A refused entry is
        never opened.

    Raises:
        InputError: a path does not exist, or a path given explicitly is not a
            regular file or directory.
    """
    out: list[str] = []
    refused: list[Record] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=follow_symlinks):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                refused += _links_out(path, root, dirs, follow_symlinks)
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    full = str(Path(root) / f)
                    reason = gate_path(full, path, follow_symlinks=follow_symlinks)
                    if reason is None:
                        out.append(full)
                    else:
                        refused.append(Record(full, None, reason=f"not read: {reason}"))
        elif path.exists():
            reason = gate_path(path)
            if reason is not None:
                raise InputError(f"{reason}; refusing to read it", path=p)
            out.append(str(path))
        else:
            raise InputError("no such file or directory", path=p, hint="check the --from path")
    return out, refused


def _links_out(top: Path, root: str, dirs: list[str], follow_symlinks: bool) -> list[Record]:
    """The symlinked directories the walk does not enter that lead outside ``top`` (or
    cannot be resolved): each a refused entry, never silently left out (one inside
    ``top`` is walked as itself)."""
    refused: list[Record] = []
    for name in [] if follow_symlinks else dirs:
        link = Path(root) / name
        try:
            reason = LINK_OUT if leads_outside(link, top) else None
        except (OSError, RuntimeError) as exc:
            reason = f"cannot resolve: {getattr(exc, 'strerror', None) or exc}"
        if reason is not None:
            refused.append(Record(str(link), None, reason=f"not read: {reason}"))
    return refused


def expand_paths(paths: list[str], *, follow_symlinks: bool = False) -> list[str]:
    """The readable files under ``paths`` (see :func:`expand_sources`; refused ones left out).

    Raises:
        InputError: a path does not exist or is not a regular file or directory.
    """
    return expand_sources(paths, follow_symlinks=follow_symlinks)[0]


def detect_format(path: str) -> str:
    """Return the name of the reader most confident it can read ``path``.

    A reader may claim files by where they lie (an optional ``owns(path)``, asked first:
    a Claude Code session's stored tool outputs); else every reader sniffs the head.

    Raises:
        InputError: no reader recognises the file.
    """
    readers = get_readers()
    for name, reader in readers.items():
        owns = getattr(reader, "owns", None)
        if callable(owns) and owns(path):
            return name  # a file a reader's layout places (whatever its bytes look like)
    head = read_head(path)
    if not head.strip():
        return "native"  # an empty file reads as zero records in any format
    best, best_score = None, 0.0
    for name, reader in readers.items():
        score = reader.sniff(path, head)
        if score > best_score:
            best, best_score = name, score
    if best is None and _first_line_unparseable(head) and _looks_like_jsonl(path):
        # A JSONL log whose first record is damaged: read it as native so every bad
        # line becomes a reject with its line number, instead of refusing the file.
        return "native"
    if best is None:
        raise InputError(
            "cannot tell the log format",
            path=path,
            hint="pass --format (one of: " + ", ".join(sorted(readers)) + ")",
        )
    return best


_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".log", ".log.gz")


def _looks_like_jsonl(path: str) -> bool:
    return path.lower().endswith(_JSONL_SUFFIXES)


def _first_line_unparseable(head: bytes) -> bool:
    import json

    for raw in head.splitlines():
        if raw.strip():
            try:
                json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                return True
            return False
    return False


def read_paths(
    paths: list[str],
    fmt: str | None = None,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    follow_symlinks: bool = False,
) -> Iterator[tuple[str, Record]]:
    """Yield ``(format, record)`` for every record of every file under ``paths``.

    A record is accepted (``trajectory``) or rejected (``reason``), or is a reader's
    warning (``warning``: no input record, counted as neither; tell the user
    :attr:`~incident_lab.readers.base.Record.told`).

    Files of a format whose reader has ``read_group(paths, *, max_line_bytes)`` (the
    OTLP readers: a collector writes spans and logs to separate files, rotation
    splits them further) are read together, so that sessions spanning files are whole.

    Args:
        paths: Files or directories.
        fmt: Force one reader for every file; auto-detect per file when None.
        max_line_bytes: Lines longer than this are rejected.
        follow_symlinks: Read symlinks leading outside a directory given (else rejects).

    Raises:
        UsageError: ``fmt`` names no registered reader.
        InputError: a path is missing or unreadable, or a format cannot be detected.
    """
    readers = get_readers(fmt)
    grouped = _groups(paths, fmt, readers)
    explicit = {str(Path(p)) for p in paths}
    files, refused = expand_sources(paths, follow_symlinks=follow_symlinks)
    for record in refused:
        yield "unknown", record
    for path in files:
        if fmt is None and str(Path(path)) not in explicit:
            # Inside a directory, an unrecognised file is a rejected record, not a crash.
            try:
                name = detect_format(path)
            except InputError as exc:
                yield "unknown", Record(path, None, reason=exc.message)
                continue
        else:
            name = fmt or detect_format(path)
        if path in grouped.get(name, ()):
            if grouped[name][0] != path:
                continue  # read with its group, at the group's first file
            records = readers[name].read_group(grouped[name], max_line_bytes=max_line_bytes)  # type: ignore[attr-defined]
        else:
            records = readers[name].read(path, max_line_bytes=max_line_bytes)
        for record in records:
            yield name, record


def _groups(paths: list[str], fmt: str | None, readers: dict[str, Reader]) -> dict[str, list[str]]:
    """The files of each format whose reader reads several files at once (``read_group``)."""
    grouped: dict[str, list[str]] = {}
    if not any(callable(getattr(r, "read_group", None)) for r in readers.values()):
        return grouped
    for path in expand_paths(paths):
        try:
            name = fmt or detect_format(path)
        except InputError:
            continue
        if callable(getattr(readers[name], "read_group", None)):
            grouped.setdefault(name, []).append(path)
    return grouped
