"""One streaming pass over the sources: hash every byte, yield records to select from.

Native JSONL (the format production logs are usually exported in) takes a fast path:
the file is read once through a hashing layer (SHA-256 of the on-disk bytes, gzip or
not, computed in the same pass as the lines are parsed, so the recorded hash is the
hash of exactly what was read), every line is decoded and parsed as JSON (a line that
cannot be parsed is a reject, never silently dropped), and schema validation is left
to the caller, which validates only the sessions it keeps. Rejects have the same
reasons the native reader gives.

Every other format goes through :func:`incident_lab.readers.read_paths`, with the
file hashed beforehand.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incident_lab.evidence.fastjson import MISSING, fast_loads
from incident_lab.readers import get_readers, read_paths
from incident_lab.readers.base import (
    Record,
    capped_gzip,
    excerpt_of,
    iter_stream_lines,
    open_regular,
    parse_json_line,
)
from incident_lab.readers.native import NativeReader

#: Read size for hashing and buffering: 1 MiB.
CHUNK = 1 << 20
#: Reject reason for JSON nested beyond what the stdlib parser (and writer) can recurse into.
TOO_DEEP = "malformed JSON: nested too deeply to process (about 1,000 levels or more)"

ByteCallback = Callable[[int], None]


@dataclass(slots=True)
class Candidate:
    """A parsed input record that may be selected (not yet schema-validated).

    Attributes:
        obj: The parsed JSON object (native) or normalised trajectory (other readers).
        raw: The line's bytes for native records (re-parsed if kept), else None.
        path: Source file.
        line: 1-based line number, if any.
        fmt: Reader name.
        fast: ``obj`` was parsed by orjson: equal to the stdlib's parse except that
            integers beyond 64 bits may be floats (see :mod:`.fastjson`).
    """

    obj: dict[str, Any]
    raw: bytes | None
    path: str
    line: int | None
    fmt: str
    fast: bool = False


class HashingFile(io.RawIOBase):
    """A read-only raw file that feeds every byte it reads to SHA-256.

    Args:
        path: The file, opened read-only (``O_RDONLY``); never written.
        on_bytes: Called with the number of bytes of each chunk read (progress).
    """

    def __init__(self, path: str, on_bytes: ByteCallback | None = None) -> None:
        super().__init__()
        self._fh = _open_readonly(path)
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        """A source is readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer`` and hash what was read."""
        n = self._fh.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
            self.size += n
            if self._on_bytes is not None:
                self._on_bytes(n)
        return n or 0

    def drain(self) -> None:
        """Hash the rest of the file (after a decoding error stopped the reader)."""
        buf = bytearray(CHUNK)
        while self.readinto(buf):
            pass

    def fileno(self) -> int:
        """The underlying descriptor."""
        return self._fh.fileno()

    def close(self) -> None:
        """Close the underlying file."""
        self._fh.close()
        super().close()


def _open_readonly(path: str) -> io.FileIO:
    """A regular file opened read-only through the input gate (a FIFO never blocks)."""
    raw = open_regular(path).detach()
    assert isinstance(raw, io.FileIO)
    return raw


def hash_file(path: str, on_bytes: ByteCallback | None = None) -> tuple[int, str]:
    """Return ``(size, sha256 hex)`` of a file, read in 1 MiB chunks."""
    hf = HashingFile(path, on_bytes)
    try:
        hf.drain()
    finally:
        hf.close()
    return hf.size, hf.sha256.hexdigest()


def _not_an_object(raw: bytes) -> str:
    """The reject reason for a line holding JSON that is not an object (stdlib's value shown)."""
    try:
        return f"schema: (root): {json.loads(raw.decode('utf-8'))!r:.80} is not of type 'object'"
    except RecursionError:
        return TOO_DEEP


class SourceScan:
    """Scan one source file; iterate for records, then read ``size`` and ``sha256``.

    Iterating yields :class:`Record` (a reject) or :class:`Candidate` objects in
    file order. After iteration, ``size``/``sha256`` describe the whole file and
    ``records`` counts what was yielded.

    Args:
        path: The source file.
        fmt: Its reader name (already detected or forced).
        max_line_bytes: Lines longer than this are rejected without being held.
        on_bytes: Progress callback, bytes read so far per chunk.
        together: More files read with this one (a reader's ``read_group``: OTLP spans
            and logs in separate files); their records count as this file's.
    """

    def __init__(
        self,
        path: str,
        fmt: str,
        *,
        max_line_bytes: int,
        on_bytes: ByteCallback | None = None,
        together: tuple[str, ...] = (),
    ) -> None:
        self.together = together
        self.path = path
        self.fmt = fmt
        self.max_line_bytes = max_line_bytes
        self.size = 0
        self.sha256 = ""
        self.records = 0
        self._on_bytes = on_bytes

    def __iter__(self) -> Iterator[Record | Candidate]:
        reader = get_readers().get(self.fmt)
        items = self._scan_native() if type(reader) is NativeReader else self._scan_generic()
        for item in items:
            if not isinstance(item, Record) or item.warning is None:
                self.records += 1  # a reader's warning is no record
            yield item

    # -- other formats: through read_paths ------------------------------------------
    def _scan_generic(self) -> Iterator[Record | Candidate]:
        self.size, self.sha256 = hash_file(self.path, self._on_bytes)
        paths = [self.path, *self.together]
        for fmt, record in read_paths(paths, self.fmt, max_line_bytes=self.max_line_bytes):
            if record.trajectory is not None:
                yield Candidate(record.trajectory, None, record.path, record.line, fmt)
            else:
                yield record

    # -- native JSONL: the hot path --------------------------------------------------
    def _scan_native(self) -> Iterator[Record | Candidate]:
        raw_file = HashingFile(self.path, self._on_bytes)
        try:
            buffered = io.BufferedReader(raw_file, buffer_size=CHUNK)
            stream: Any = buffered
            if buffered.peek(2)[:2] == b"\x1f\x8b":
                size = os.fstat(raw_file.fileno()).st_size
                stream = capped_gzip(buffered, size, self.path)
            try:
                yield from self._native_lines(stream)
            finally:
                if stream is not buffered:
                    stream.close()
            raw_file.drain()  # bytes after a corrupt gzip member still count in the hash
        finally:
            raw_file.close()
            self.size = raw_file.size
            self.sha256 = raw_file.sha256.hexdigest()

    def _native_lines(self, stream: Any) -> Iterator[Record | Candidate]:
        path, fmt = self.path, self.fmt
        loads = json.loads
        lines = iter_stream_lines(stream, max_line_bytes=self.max_line_bytes, keep_ends=True)
        for line_no, raw, problem in lines:
            if raw is None:
                yield Record(path, line_no, reason=problem)
                continue
            if raw.isspace():
                continue  # blank lines are not records
            # orjson when it can answer (the stdlib accepts exactly what it accepts; see
            # fastjson), else the stdlib, which gives the verdict and the message. Numbers
            # beyond 64 bits may be floats here: selection only looks at strings, and a
            # kept line is re-parsed exactly where numbers matter (snapshot's _Collection.keep).
            obj = fast_loads(raw)
            fast = obj is not MISSING
            if not fast:
                try:
                    # json.loads skips the trailing newline itself: no copy to strip it.
                    obj = loads(raw.decode("utf-8"))
                except ValueError:
                    yield self._unparseable(raw.rstrip(b"\r\n"), line_no)
                    continue
                except RecursionError:
                    yield Record(path, line_no, reason=TOO_DEEP, excerpt=excerpt_of(raw))
                    continue
            if type(obj) is not dict:
                yield Record(path, line_no, reason=_not_an_object(raw), excerpt=excerpt_of(raw))
                continue
            yield Candidate(obj, raw, path, line_no, fmt, fast)

    def _unparseable(self, line: bytes, line_no: int) -> Record:
        """The reject for a line that is not UTF-8 JSON, worded as the native reader words it."""
        _, reason = parse_json_line(line)
        # reason is None cannot happen: a line that fails to parse still fails once stripped.
        return Record(
            self.path, line_no, reason=reason or "malformed JSON", excerpt=excerpt_of(line)
        )


def source_path(path: str) -> str:
    """The absolute path recorded for a source in the manifest."""
    return str(Path(path).resolve())
