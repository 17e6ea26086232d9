"""Streaming scan of production logs: one pass, flat memory, the same per-line work for both engines.

Native ``trajectory/v1`` JSONL (plain or gzip) takes the fast path: each line is
parsed (by orjson when its value is provably the stdlib's, see
:mod:`incident_lab.evidence.fastjson`; otherwise, and for every reject message, by
``json``) and scored on its own and then dropped, so memory holds only the matches
and counters, whatever the size of the logs. A line that is not JSON, not UTF-8,
too long, or not a trajectory object is a reject (counted, with the first
:data:`MAX_REJECT_SAMPLES` kept with file, line and reason); nothing is silently
skipped. Full schema validation is left to ``incident_lab snapshot``: the search
only needs ``steps`` and reads what it finds. Other formats (OpenAI chat logs, OTel
spans, ...) go through :func:`incident_lab.readers.read_paths`.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from incident_lab.blast.match import Match, Matcher
from incident_lab.evidence.fastjson import MISSING, exact_loads
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, MAX_WARNINGS_KEPT, parse_json_line

#: Rejects kept in full in the result (all are counted).
MAX_REJECT_SAMPLES = MAX_WARNINGS_KEPT
#: Sessions scored together (memory: this many parsed sessions at a time). Large enough
#: for the vectorised prefilter, small enough that the parsed objects of a batch reuse
#: the allocator's memory: at 256, freeing each batch returned its arenas to the system
#: and the next batch faulted them in again (10x the page faults, ~10 % more CPU).
BATCH = 64
_EXCERPT = 200


@dataclass
class Partial:
    """What one file or block contributed: matches, counters, sample rejects, and a
    reader's warnings (no records: ``records == sessions + rejected``; ``warned`` of
    them, the first :data:`MAX_REJECT_SAMPLES` kept as ``path:line: warning``)."""

    matches: list[Match] = field(default_factory=list)
    records: int = 0
    sessions: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)
    warned: int = 0
    warnings: list[str] = field(default_factory=list)

    def reject(self, path: str, line: int | None, reason: str, excerpt: str | None = None) -> None:
        """Count a reject and keep it if there is room."""
        self.records += 1
        self.rejected += 1
        if len(self.rejects) < MAX_REJECT_SAMPLES:
            self.rejects.append(
                {"source": path, "line": line, "reason": reason, "excerpt": excerpt}
            )

    def warn(self, told: str) -> None:
        """Count a reader's warning (no record) and keep it if there is room."""
        self.warned += 1
        if len(self.warnings) < MAX_REJECT_SAMPLES:
            self.warnings.append(told)

    def merge(self, other: Partial) -> Partial:
        """Add ``other`` into this one (rejects and warnings stay capped) and return self."""
        self.matches.extend(other.matches)
        self.records += other.records
        self.sessions += other.sessions
        self.rejected += other.rejected
        room = MAX_REJECT_SAMPLES - len(self.rejects)
        self.rejects.extend(other.rejects[: max(0, room)])
        self.warned += other.warned
        room = MAX_REJECT_SAMPLES - len(self.warnings)
        self.warnings.extend(other.warnings[: max(0, room)])
        return self


def check_trajectory(obj: Any) -> str | None:
    """Return why ``obj`` cannot be scanned as a session, or None when it can."""
    if not isinstance(obj, dict):
        return f"not a trajectory: a JSON {type(obj).__name__}, expected an object"
    if not isinstance(obj.get("steps"), list):
        return "not a trajectory: no 'steps' list"
    if not isinstance(obj.get("session_id"), str | int):
        return "not a trajectory: no 'session_id'"
    return None


def _excerpt(raw: bytes) -> str:
    """A reject's excerpt: the line's first characters (its first bytes when not UTF-8)."""
    try:
        return raw.decode("utf-8")[:_EXCERPT]
    except UnicodeDecodeError:
        return raw[:_EXCERPT].decode("utf-8", "replace")


def _score(
    matcher: Matcher, obj: dict[str, Any], path: str, line: int | None, out: Partial
) -> None:
    out.records += 1
    out.sessions += 1
    found = matcher.score(obj)
    if found is not None:
        found.source = {"path": path, "line": line}
        out.matches.append(found)


_GC_LOCK = threading.Lock()
_GC_STATE = {"depth": 0, "was_enabled": True}


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while sessions are scanned (threads nest safely).

    Parsed JSON holds no reference cycles, so reference counting frees every session as
    soon as it is scored and memory stays flat; the collector would only re-traverse the
    batch of live sessions again and again (a fifth of the scan's time).
    """
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["was_enabled"] = gc.isenabled()
            gc.disable()
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0 and _GC_STATE["was_enabled"]:
                gc.enable()


def scan_lines(
    matcher: Matcher,
    lines: Iterable[tuple[int, bytes | None, str | None]],
    path: str,
) -> Partial:
    """Score each line of native JSONL: ``(line_no, raw, problem)`` as ``iter_lines`` yields.

    Both engines call this, so they agree line for line.
    """
    with _no_cyclic_gc():
        return _scan_lines(matcher, lines, path)


def _scan_lines(
    matcher: Matcher,
    lines: Iterable[tuple[int, bytes | None, str | None]],
    path: str,
) -> Partial:
    out = Partial()
    batch: list[tuple[dict[str, Any], int]] = []
    for line_no, raw, problem in lines:
        if raw is None:
            out.reject(path, line_no, problem or "unreadable line")
            continue
        if not raw or raw.isspace():  # blank (no stripped copy of every line)
            continue
        obj = exact_loads(raw)
        if obj is not MISSING and check_trajectory(obj) is None:
            batch.append((obj, line_no))
            if len(batch) >= BATCH:
                _score_batch(matcher, batch, path, out)
                batch = []
            continue
        # The stdlib gives the verdict and the reject's wording.
        try:
            obj, problem = parse_json_line(raw)
        except RecursionError:
            obj, problem = None, "JSON nested too deeply"
        if problem is None:
            problem = check_trajectory(obj)
        if problem is not None:
            out.reject(path, line_no, problem, _excerpt(raw))
            continue
        batch.append((obj, line_no))
    _score_batch(matcher, batch, path, out)
    return out


def _score_batch(
    matcher: Matcher, batch: list[tuple[dict[str, Any], int]], path: str, out: Partial
) -> None:
    """Score a batch of sessions (the payload prefilter runs on all of them at once)."""
    if not batch:
        return
    out.records += len(batch)
    out.sessions += len(batch)
    for (_obj, line_no), found in zip(
        batch, matcher.score_many([obj for obj, _ in batch]), strict=True
    ):
        if found is not None:
            found.source = {"path": path, "line": line_no}
            out.matches.append(found)


def plan_files(paths: list[str], fmt: str | None = None) -> list[tuple[str, str, str | None]]:
    """Expand ``paths`` and tell each file's format, as both engines read them.

    Returns:
        ``(path, format, problem)`` per file in reading order: ``format`` is a reader's
        name, or ``"unknown"`` with the ``problem`` for a file inside a directory that
        no reader recognises (a reject, not a crash).

    Raises:
        InputError: a path is missing or unreadable, or an explicit file's format
            cannot be told.
        UsageError: ``fmt`` names no reader.
    """
    from incident_lab.errors import InputError, UsageError
    from incident_lab.readers import detect_format, expand_paths, get_readers

    if fmt is not None and fmt not in get_readers():
        raise UsageError(
            f"unknown format {fmt!r}", hint="one of: " + ", ".join(sorted(get_readers()))
        )
    explicit = {str(p) for p in paths}
    out: list[tuple[str, str, str | None]] = []
    for path in expand_paths(paths):
        try:
            out.append((path, fmt or detect_format(path), None))
        except InputError as exc:
            if path in explicit:
                raise
            out.append((path, "unknown", exc.message))
    return out


def scan_records(
    matcher: Matcher, path: str, fmt: str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Partial:
    """Score one file of a non-native format, read through its reader (both engines)."""
    from incident_lab.readers import read_paths

    part = Partial()
    for _fmt, record in read_paths([path], fmt, max_line_bytes=max_line_bytes):
        if record.warning is not None:
            part.warn(record.told)  # a reader's warning is no record: told, counted apart
        elif record.trajectory is None:
            part.reject(record.path, record.line, record.reason or "rejected", record.excerpt)
        else:
            _score(matcher, record.trajectory, record.path, record.line, part)
    return part


def scan_local(
    matcher: Matcher,
    paths: list[str],
    *,
    fmt: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    progress: Callable[[str], None] | None = None,
) -> tuple[Partial, list[dict[str, Any]]]:
    """Scan files and directories on this machine, one line at a time.

    Returns:
        The merged :class:`Partial` and one ``{path, format}`` per file read.

    Raises:
        InputError: a path is missing or unreadable, or a format cannot be told.
        UsageError: ``fmt`` names no reader.
    """
    from incident_lab.readers.base import iter_lines

    total = Partial()
    sources: list[dict[str, Any]] = []
    for path, name, problem in plan_files(paths, fmt):
        sources.append({"path": path, "format": name})
        if problem is not None:
            total.reject(path, None, problem)
            continue
        if progress is not None:
            progress(f"scanning {path} ({name})")
        if name == "native":
            total.merge(scan_lines(matcher, iter_lines(path, max_line_bytes=max_line_bytes), path))
        else:
            total.merge(scan_records(matcher, path, name, max_line_bytes))
    return total, sources


def iter_matches(partial: Partial) -> Iterator[Match]:
    """Matches in the canonical order both engines report: best score first."""
    yield from sorted(
        partial.matches,
        key=lambda m: (
            -m.score,
            m.session_id,
            str(m.source.get("path")),
            m.source.get("line") or 0,
        ),
    )
