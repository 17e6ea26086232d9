"""What a trajectory reader is, and the line-level I/O every reader shares.

A reader turns one source file into :class:`Record` objects: each is either an
accepted trajectory (``trajectory`` set) or a rejected input record (``reason``
set) with its file and line, so nothing is silently lost.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from incident_lab.errors import InputError

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "Reader",
    "Record",
    "head_object",
    "iter_json_documents",
    "iter_json_lines",
    "iter_lines",
    "iter_stream_lines",
    "open_binary",
    "parse_json_line",
    "read_head",
]

#: Lines longer than this are rejected without being loaded whole.
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
_EXCERPT = 200


@dataclass(slots=True)
class Record:
    """One input record: an accepted trajectory or a rejection.

    Attributes:
        path: Source file.
        line: 1-based line number where the record starts, if line-oriented.
        trajectory: The normalised trajectory when accepted.
        reason: Why the record was rejected, when rejected.
        entry: A sub-location (zip member, sample id) when the file is not line-based.
        excerpt: The first characters of the raw record, for rejects.
    """

    path: str
    line: int | None
    trajectory: dict[str, Any] | None = None
    reason: str | None = None
    entry: str | None = None
    excerpt: str | None = None

    @property
    def accepted(self) -> bool:
        """True when the record carries a trajectory."""
        return self.trajectory is not None

    def reject_row(self, fmt: str) -> dict[str, Any]:
        """Return the ``rejects.jsonl`` row describing this rejected record."""
        return {
            "source": self.path,
            "line": self.line,
            "entry": self.entry,
            "format": fmt,
            "reason": self.reason,
            "excerpt": self.excerpt,
        }


@runtime_checkable
class Reader(Protocol):
    """A trajectory reader plugin.

    Attributes:
        name: The ``--format`` value, e.g. ``"native"``.
        description: One line for ``incident_lab plugins`` and the docs.
    """

    name: str
    description: str

    def sniff(self, path: str, head: bytes) -> float:
        """Return 0..1: how sure the reader is that it can read this file."""
        ...

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield every record of ``path``, accepted or rejected, in file order."""
        ...


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` read-only in binary mode, transparently un-gzipping ``.gz``.

    Raises:
        InputError: missing, a directory, or unreadable.
    """
    p = Path(path)
    try:
        fh: BinaryIO = open(p, "rb")  # noqa: SIM115 - returned to the caller
    except FileNotFoundError:
        raise InputError("no such file", path=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=str(path)) from None
    except PermissionError:
        raise InputError(
            "permission denied", path=str(path), hint="check file permissions"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path=str(path)) from None
    magic = fh.peek(2)[:2] if hasattr(fh, "peek") else b""
    if magic == b"\x1f\x8b":
        fh.close()
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return fh


def read_head(path: str | Path, size: int = 65536) -> bytes:
    """Return up to ``size`` (decompressed) bytes from the start of ``path``.

    Returns ``b""`` for a file whose compressed stream is corrupt at the start.
    """
    with open_binary(path) as fh:
        try:
            return fh.read(size)
        except (OSError, EOFError, zlib.error):
            return b""


def iter_stream_lines(
    stream: BinaryIO,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    first_line: int = 1,
    stop_after: int | None = None,
    keep_ends: bool = False,
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(line_no, raw_line, problem)`` for each line read from an open binary stream.

    The line loop every line-oriented reader shares (:func:`iter_lines`, the evidence
    scan and the Dask engine's byte ranges). A line over ``max_line_bytes`` is skipped
    in chunks (never held in memory) and yielded with ``raw_line=None`` and a
    ``problem``. A corrupt or truncated gzip stream yields one final problem record
    naming the line where decompression failed.

    Args:
        stream: Open for reading at the first line to yield.
        max_line_bytes: Longer lines are problems.
        first_line: The number of the first line read.
        stop_after: Start no line once this many bytes were read (None: read to the end).
        keep_ends: Yield lines with their line ending (else it is stripped).
    """
    line_no = first_line - 1
    limit = max_line_bytes + 1
    readline = stream.readline
    consumed = 0
    while stop_after is None or consumed < stop_after:
        try:
            raw = readline(limit)
        except (OSError, EOFError, zlib.error) as exc:
            yield line_no + 1, None, f"compressed stream is corrupt or truncated: {exc}"
            return
        if not raw:
            return
        line_no += 1
        consumed += len(raw)
        if len(raw) >= limit and raw[-1:] != b"\n":
            total = len(raw)
            try:
                while True:
                    chunk = readline(1 << 20)
                    total += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
            except (OSError, EOFError, zlib.error) as exc:
                yield line_no, None, f"compressed stream is corrupt or truncated: {exc}"
                return
            consumed += total - len(raw)
            yield (
                line_no,
                None,
                f"line is {total:,} bytes, over the {max_line_bytes:,}-byte limit "
                "(raise --max-line-bytes to accept it)",
            )
            continue
        yield line_no, raw if keep_ends else raw.rstrip(b"\r\n"), None


def iter_lines(
    path: str | Path, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(line_no, raw_line, problem)`` for each line of a (gzipped) text file.

    ``raw_line`` has its line ending stripped; see :func:`iter_stream_lines`.
    """
    with open_binary(path) as reader:
        yield from iter_stream_lines(reader, max_line_bytes=max_line_bytes)


def _excerpt(raw: bytes) -> str:
    return raw[:_EXCERPT].decode("utf-8", errors="replace")


def parse_json_line(raw: bytes) -> tuple[Any, str | None]:
    """Parse one JSONL line (ending stripped) with the stdlib: ``(value, None)`` or ``(None, reason)``.

    ``reason`` is the reject wording every line reader shares: invalid UTF-8 or
    malformed JSON, with the byte or column. ``RecursionError`` (nesting too deep)
    propagates: each caller words it.
    """
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON at column {exc.colno}: {exc.msg}"


def iter_json_lines(
    path: str | Path, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, Any, Record | None]]:
    """Yield ``(line_no, obj, reject)`` for each non-blank line of a JSONL file.

    Exactly one of ``obj`` and ``reject`` is set. Blank lines are skipped (they
    are not records). Rejects cover invalid UTF-8, malformed JSON and huge lines.
    """
    spath = str(path)
    for line_no, raw, problem in iter_lines(path, max_line_bytes=max_line_bytes):
        if raw is None:
            yield line_no, None, Record(spath, line_no, reason=problem)
            continue
        if not raw.strip():
            continue
        try:
            obj, reason = parse_json_line(raw)
        except RecursionError:
            reason = "JSON nested too deeply"
        if reason is not None:
            yield line_no, None, Record(spath, line_no, reason=reason, excerpt=_excerpt(raw))
            continue
        yield line_no, obj, None


def head_object(head: bytes) -> Any:
    """Parse the first non-blank line of ``head`` as JSON; None when it is not JSON.

    Sniffers use this on :func:`read_head` output to look at a JSONL file's first record.
    """
    for raw in head.splitlines():
        if raw.strip():
            try:
                return json.loads(raw)
            except (ValueError, RecursionError):
                return None
    return None


def _looks_like_one_document(path: str | Path, max_line_bytes: int) -> bool:
    """Tell a whole-file JSON document (pretty-printed object or array) from JSONL.

    A file is one document when its first non-blank line opens an array, or opens an
    object that does not close on that line while the next non-blank line is not
    another object. Everything else is read line by line, so a damaged first line of
    a JSONL file costs that line only.
    """
    firsts: list[bytes] = []
    for _line_no, raw, _problem in iter_lines(path, max_line_bytes=max_line_bytes):
        if raw is None:
            return False
        if raw.strip():
            firsts.append(raw.strip())
            if len(firsts) == 2:
                break
    if not firsts:
        return False
    first = firsts[0]
    if first.startswith(b"["):
        return True
    if not first.startswith(b"{"):
        return False
    try:
        json.loads(first)
        return False
    except (ValueError, RecursionError):
        pass
    return len(firsts) < 2 or not firsts[1].startswith(b"{")


def iter_json_documents(
    path: str | Path, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, Any, Record | None]]:
    """Yield ``(line_no, obj, reject)`` for a file that is either JSONL or one JSON document.

    JSONL files behave exactly like :func:`iter_json_lines`. A whole-file document
    (pretty-printed object, or an array) is loaded in one piece and yielded once with
    ``line_no`` 1; if it cannot be decoded or parsed, one reject names the line of the
    problem. Exactly one of ``obj`` and ``reject`` is set.
    """
    if not _looks_like_one_document(path, max_line_bytes):
        yield from iter_json_lines(path, max_line_bytes=max_line_bytes)
        return
    spath = str(path)
    with open_binary(path) as fh:
        try:
            data = fh.read()
        except (OSError, EOFError, zlib.error) as exc:
            yield (
                1,
                None,
                Record(spath, 1, reason=f"compressed stream is corrupt or truncated: {exc}"),
            )
            return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield line, None, Record(spath, line, reason=f"invalid UTF-8 at byte {exc.start}")
        return
    try:
        obj = json.loads(text)
    except RecursionError:
        yield 1, None, Record(spath, 1, reason="JSON nested too deeply", excerpt=text[:_EXCERPT])
        return
    except json.JSONDecodeError as exc:
        yield (
            exc.lineno,
            None,
            Record(
                spath,
                exc.lineno,
                reason=f"malformed JSON document at line {exc.lineno} column {exc.colno}: {exc.msg}",
                excerpt=text[:_EXCERPT],
            ),
        )
        return
    yield 1, obj, None
