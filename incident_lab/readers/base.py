"""What a trajectory reader is, and the line-level I/O every reader shares.

A reader turns one source file into :class:`Record` objects: each is either an
accepted trajectory (``trajectory`` set) or a rejected input record (``reason``
set) with its file and line, so nothing is silently lost; or a warning for the user
(``warning`` set), which is no input record.

This module is also the one input gate for every file the tool opens
(:func:`open_regular`, :func:`open_binary`, :func:`read_bounded`,
:func:`gate_path`): regular files only (a FIFO, device or socket is refused
without blocking), symlinks may not leave the root the user gave unless
``follow_symlinks``, gzip is decompressed as a stream with a ratio and size cap
(:data:`MAX_GZIP_RATIO`, :data:`MAX_DECOMPRESSED_BYTES`), and whole-file reads are
bounded (:data:`MAX_DOCUMENT_BYTES`).
"""

from __future__ import annotations

import fcntl
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from incident_lab.errors import InputError

__all__ = ["Reader", "Record", "head_object", "iter_json_documents", "iter_json_lines"]

#: Lines longer than this are rejected without being loaded whole.
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
#: A gzip stream may expand to at most this many times its compressed size ...
MAX_GZIP_RATIO = 100
#: ... but small files may always expand to this much (a 10 KB log is never refused) ...
GZIP_FLOOR_BYTES = 32 * 1024 * 1024
#: ... and no stream beyond this, whatever its size.
MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024 * 1024
#: Files read whole (one JSON document, an .eval header, a config) are at most this big.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_EXCERPT = 200
#: How many of the readers' warnings, or of the records they reject, a command keeps to
#: list and report (all of them are counted: a file may give one a line).
MAX_WARNINGS_KEPT = 100


def keep_sample(kept: list[str], told: str) -> None:
    """Keep a reader's warning or a reject's ``path:line: reason`` in ``kept`` while it
    holds fewer than :data:`MAX_WARNINGS_KEPT`; the caller counts every one."""
    if len(kept) < MAX_WARNINGS_KEPT:
        kept.append(told)


class DecompressionLimit(OSError):
    """A compressed stream expanded beyond its cap (a decompression bomb, or just too big)."""


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


#: Why a symlink is not followed.
LINK_OUT = "a symlink leading outside the given directory (pass --follow-symlinks)"


def leads_outside(path: Path, root: str | Path) -> bool:
    """True when ``path`` is a symlink whose target lies outside ``root``."""
    if not path.is_symlink():
        return False
    target, base = path.resolve(), Path(root).resolve()
    return target != base and base not in target.parents


def gate_path(
    path: str | Path, root: str | Path | None = None, *, follow_symlinks: bool = False
) -> str | None:
    """Why ``path`` may not be read (None: it may).

    Refused: anything but a regular file (checked with ``lstat``/``stat``, never by
    opening it, so a FIFO cannot block), and a symlink whose target lies outside
    ``root`` (the directory the user gave) unless ``follow_symlinks``.
    """
    p = Path(path)
    try:
        if root is not None and not follow_symlinks and leads_outside(p, root):
            return LINK_OUT
        st = p.stat()
    except FileNotFoundError:
        return "no such file (a dangling symlink?)"
    except (OSError, RuntimeError) as exc:
        return f"cannot stat: {getattr(exc, 'strerror', None) or exc}"
    if not stat.S_ISREG(st.st_mode):
        return f"{_kind(st.st_mode)}, not a regular file"
    return None


def confine(path: str | Path, root: str | Path, *, what: str = "file") -> Path:
    """Return ``path`` if it stays inside ``root``: no symlink on the way out of it.

    For library files (suites, scenarios): ``path`` and every directory between
    ``root`` and it must not be a symlink, and ``path`` must resolve inside ``root``,
    so nothing outside the library is read (and printed in an error) or written
    through a link. ``path`` need not exist.

    Raises:
        InputError: the path leaves ``root`` (exit 3); nothing was read.
    """
    p, base = Path(path), Path(root)
    try:
        rel = p.relative_to(base)
    except ValueError:
        rel = None
    if rel is None or ".." in rel.parts:
        raise InputError(f"{what} is outside {base}; refusing it", path=str(p))
    current = base
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise InputError(
                f"{what} path goes through a symlink ({current}); refusing to read or "
                "write through it",
                path=str(p),
                hint="replace the link by the real file or directory",
            )
    return p


def open_regular(path: str | Path) -> io.BufferedReader:
    """Open a regular file read-only; anything else is refused without blocking.

    The file is opened with ``O_NONBLOCK`` (so a FIFO with no writer does not hang)
    and checked with ``fstat`` on the open descriptor (no race with a swap).

    Raises:
        InputError: missing, unreadable, or not a regular file.
    """
    spath = str(path)
    try:
        fd = os.open(spath, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError("no such file", path=spath, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=spath) from None
    except PermissionError:
        raise InputError("permission denied", path=spath, hint="check file permissions") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path=spath) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{_kind(mode)}, not a regular file; refusing to read it", path=spath)
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


class _CappedStream(io.RawIOBase):
    """The decompressed bytes of a gzip file, refusing to expand past ``limit``."""

    def __init__(
        self, inner: gzip.GzipFile, limit: int, path: str, owned: BinaryIO | None = None
    ) -> None:
        super().__init__()
        self._inner, self.limit, self.path, self.total = inner, limit, path, 0
        self._owned = owned

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._inner.readinto(buffer)
        self.total += n or 0
        if self.total > self.limit:
            raise DecompressionLimit(
                f"decompressed size over {self.limit:,} bytes "
                f"(more than {MAX_GZIP_RATIO}x the compressed file, or over the hard cap); "
                "refusing a possible decompression bomb"
            )
        return n or 0

    def close(self) -> None:
        self._inner.close()
        if self._owned is not None:
            self._owned.close()
        super().close()


def gzip_limit(compressed_size: int) -> int:
    """How many decompressed bytes a gzip file of ``compressed_size`` may expand to."""
    return min(MAX_DECOMPRESSED_BYTES, max(GZIP_FLOOR_BYTES, MAX_GZIP_RATIO * compressed_size))


def capped_gzip(
    fileobj: BinaryIO, compressed_size: int, path: str = "", *, close_file: bool = False
) -> io.BufferedReader:
    """A buffered reader over the decompressed stream of ``fileobj``, capped (see module doc).

    Closing it closes ``fileobj`` too when ``close_file``.
    """
    inner = gzip.GzipFile(fileobj=fileobj, mode="rb")
    owned = fileobj if close_file else None
    return io.BufferedReader(_CappedStream(inner, gzip_limit(compressed_size), path, owned))


@dataclass(slots=True)
class Record:
    """One input record: an accepted trajectory or a rejection, or a reader's warning.

    A warning (``warning`` set, no trajectory, no reason) is no input record: it tells
    the user something about records read (a reader kept lines together whose pairing
    is not sure). It is neither accepted nor rejected and counted nowhere; every
    command that reads logs (``classify``, ``snapshot``, ``blast-radius``, ``confirm``,
    ``add``) prints it as ``warning:`` on stderr (:attr:`told`) and lists it under
    ``warnings`` in its ``--json`` output, and none changes the exit code. A warning stands alone: one
    with a trajectory or a reason raises :class:`ValueError` (review revresp38b M1).

    Attributes:
        path: Source file.
        line: 1-based line number where the record starts, if line-oriented.
        trajectory: The normalised trajectory when accepted.
        reason: Why the record was rejected, when rejected.
        entry: A sub-location (zip member, sample id) when the file is not line-based.
        excerpt: The first characters of the raw record, for rejects.
        warning: What the reader tells the user at this line (a warning, not a record).
    """

    path: str
    line: int | None
    trajectory: dict[str, Any] | None = None
    reason: str | None = None
    entry: str | None = None
    excerpt: str | None = None
    warning: str | None = None

    def __post_init__(self) -> None:
        if self.warning is not None and (self.trajectory is not None or self.reason is not None):
            raise ValueError("a Record with a warning carries no trajectory and no reason")

    @property
    def where(self) -> str:
        """``path:line``, or the path alone when the record has no line."""
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def told(self) -> str:
        """A warning as every command lists it: ``path:line: warning`` (one line on
        stderr, and an item of a ``--json`` output's ``warnings``)."""
        return f"{self.where}: {self.warning}"

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

    Optional methods: ``read_group(paths, max_line_bytes=...)`` (files read together) and
    ``owns(path) -> bool`` (files the reader claims by where they lie, asked before any
    reader sniffs: :func:`incident_lab.readers.detect_format`).

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
    """Open a regular file read-only in binary mode, transparently un-gzipping ``.gz``.

    Decompression is streamed and capped (:func:`gzip_limit`); exceeding the cap
    raises :class:`DecompressionLimit` (an ``OSError``) from ``read``.

    Raises:
        InputError: missing, a directory or other non-regular file, or unreadable.
    """
    fh = open_regular(path)
    magic = fh.peek(2)[:2]
    if magic == b"\x1f\x8b":
        size = os.fstat(fh.fileno()).st_size
        return capped_gzip(fh, size, str(path), close_file=True)
    return fh


def read_bounded(
    path: str | Path, limit: int = MAX_DOCUMENT_BYTES, *, decompress: bool = False
) -> bytes | None:
    """The whole content of ``path``, or None when it exceeds ``limit`` bytes.

    Args:
        path: A regular file.
        limit: The most bytes accepted.
        decompress: Un-gzip a gzip file (capped) instead of returning its raw bytes.

    Raises:
        InputError: missing, unreadable, not a regular file, or a corrupt gzip stream.
    """
    if not decompress:
        with open_regular(path) as fh:
            data = _read_upto(fh, limit + 1)
        return None if len(data) > limit else data
    with open_binary(path) as fh:
        try:
            data = fh.read(limit + 1)
        except DecompressionLimit:
            return None
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"compressed stream is corrupt or truncated: {exc}", path=str(path)
            ) from None
    return None if len(data) > limit else data


def _read_upto(fh: io.BufferedReader, most: int) -> bytes:
    """At most ``most`` bytes of a regular file, read to its end.

    ``fh.read(most)`` allocates ``most`` bytes up front (64 MB for a scenario file,
    ~35 us of CPU each, 0.35 s for a 10,000-file library): read the size ``fstat``
    reports plus one byte, then on in 1 MB steps only if the file is longer than that
    (it grew, or reports no size, as ``/proc`` files do).
    """
    size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size + 1, most))
    if len(data) <= size or len(data) >= most:
        return data
    parts, total = [data], len(data)
    while total < most:
        chunk = fh.read(min(1 << 20, most - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def read_text(path: str | Path, what: str, hint: str | None = None) -> str:
    """The whole of a bounded UTF-8 document through the input gate (one error per problem).

    Raises:
        InputError: missing, unreadable, not a regular file, over
            :data:`MAX_DOCUMENT_BYTES` ("too large to be <what>"), or invalid UTF-8 (with
            the line of the first bad byte).
    """
    data = read_bounded(path, MAX_DOCUMENT_BYTES)
    if data is None:
        raise InputError(
            f"larger than {MAX_DOCUMENT_BYTES:,} bytes: too large to be {what}",
            path=str(path),
            hint=hint,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"invalid UTF-8 at byte {exc.start}", path=str(path), line=line, hint=hint
        ) from None


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
    peek = getattr(stream, "peek", None)
    consumed = 0
    while stop_after is None or consumed < stop_after:
        try:
            raw = readline(limit)
        except (OSError, EOFError, zlib.error) as exc:
            yield line_no + 1, None, _stream_problem(exc)
            return
        if not raw:
            return
        line_no += 1
        consumed += len(raw)
        if raw == b"\n" and peek is not None:
            # A run of blank lines (not records) is skipped a buffer at a time, so a
            # flood of newlines costs what reading it costs, not a loop turn per line.
            try:
                skipped = _skip_newlines(stream, peek, stop_after, consumed)
            except (OSError, EOFError, zlib.error) as exc:
                yield line_no + 1, None, _stream_problem(exc)
                return
            line_no += skipped
            consumed += skipped
            continue
        if len(raw) >= limit and raw[-1:] != b"\n":
            total = len(raw)
            try:
                while True:
                    chunk = readline(1 << 20)
                    total += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
            except (OSError, EOFError, zlib.error) as exc:
                yield line_no, None, _stream_problem(exc)
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


def _stream_problem(exc: BaseException) -> str:
    if isinstance(exc, DecompressionLimit):
        return str(exc)
    return f"compressed stream is corrupt or truncated: {exc}"


def _skip_newlines(stream: Any, peek: Any, stop_after: int | None, consumed: int) -> int:
    """Consume the ``\\n`` bytes at the stream's position; return how many."""
    skipped = 0
    while stop_after is None or consumed + skipped < stop_after:
        buf = peek(1 << 16)[: 1 << 16]
        if stop_after is not None:
            buf = buf[: stop_after - consumed - skipped]
        n = len(buf) - len(buf.lstrip(b"\n"))
        if n == 0:
            break
        stream.read(n)
        skipped += n
    return skipped


def iter_lines(
    path: str | Path, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(line_no, raw_line, problem)`` for each line of a (gzipped) text file.

    ``raw_line`` has its line ending stripped; see :func:`iter_stream_lines`.
    """
    with open_binary(path) as reader:
        yield from iter_stream_lines(reader, max_line_bytes=max_line_bytes)


def excerpt_of(raw: bytes) -> str:
    """The start of a rejected line, as ``rejects.jsonl`` shows it."""
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
            yield line_no, None, Record(spath, line_no, reason=reason, excerpt=excerpt_of(raw))
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

    A file is one document when its first non-blank line opens an array that does not
    close on that line, or opens an object that does not close on that line while the
    next non-blank line is not another object (JSONL of arrays, one per line, is
    JSONL). Everything else is read line by line, so a damaged first line of a JSONL
    file costs that line only.
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
    if not first.startswith((b"[", b"{")):
        return False
    try:
        json.loads(first)
        return False  # a whole value on the first line: JSONL (the same for a one-line file)
    except (ValueError, RecursionError):
        pass
    return first.startswith(b"[") or len(firsts) < 2 or not firsts[1].startswith(b"{")


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
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            yield 1, None, Record(spath, 1, reason=_stream_problem(exc))
            return
    if len(data) > MAX_DOCUMENT_BYTES:
        reason = f"JSON document over {MAX_DOCUMENT_BYTES:,} bytes; not loaded whole"
        yield 1, None, Record(spath, 1, reason=reason)
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
