"""Records on disk instead of in memory: what keeps a gate run's memory flat.

A gate run produces one report item per case; a million of them do not fit in
150 MB. Items, cases and reasons go to anonymous temporary files as JSON lines
(:class:`Spool`), and the items are put in report order by a bounded external
sort (:class:`SortedSpool`: sorted runs of at most ``chunk`` items, merged
lazily). Memory then holds one chunk, the counters of the verdict and bounded
samples, whatever the number of cases, repeats or variants.

The files are anonymous (unlinked when created): a run stopped by Ctrl-C or a
crash leaves nothing behind, and the report files are written from them with a
temporary file renamed into place (:mod:`incident_lab.atomic`), so a stopped run
never leaves a partial report either.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

from incident_lab.evidence.fastjson import MISSING, exact_loads

try:
    import orjson
except ImportError:  # orjson is optional at run time: the standard library does the same
    orjson = None  # type: ignore[assignment]


_BLOCK = 1 << 18  # read 256 KB at a time: the one transient buffer of a spool
_MERGE_BLOCK = 1 << 14  # at least 16 KB per run when merging sorted runs


def dump_line(record: Any) -> bytes:
    """``record`` as one JSON line (UTF-8, non-JSON values as their ``str``; integers
    beyond 64 bits, which orjson refuses, written exactly by the standard library)."""
    if orjson is not None:
        try:
            return orjson.dumps(record, default=str, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits
            pass
    text = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def load_line(line: bytes | memoryview) -> Any:
    """The record of a line written by :func:`dump_line` (integers of any size exact).

    orjson when its value is exactly the standard library's
    (:func:`incident_lab.evidence.fastjson.exact_loads`: a line holding a run of 19
    digits, maybe an integer beyond 64 bits, is read by ``json``).
    """
    data = line if isinstance(line, bytes) else bytes(line)
    value = MISSING if orjson is None else exact_loads(data)
    return json.loads(data) if value is MISSING else value


class Spool:
    """An append-only sequence of JSON records in an anonymous temporary file.

    Iterable any number of times (each iteration reads the file from the start
    with its own offset), sized, and sliceable from the front (``spool[:n]``), so
    the reporters treat it like the list it replaces. Nothing is held in memory
    but a write buffer.
    """

    def __init__(self, records: Iterable[Any] = ()) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="gate-spool-")  # noqa: SIM115 (closed by close() or the finalizer)
        weakref.finalize(self, self._file.close)
        self._count = 0
        self._dirty = False  # written since the last flush
        for record in records:
            self.append(record)

    def append(self, record: Any) -> None:
        """Append one record."""
        self.append_line(dump_line(record))

    def append_line(self, line: bytes | memoryview) -> None:
        """Append one record already encoded by :func:`dump_line`."""
        self._file.write(line)
        self._count += 1
        self._dirty = True

    def _sync(self) -> None:
        """Flush what is buffered (a flush with nothing buffered still costs a system
        call: a sorted run copies 10,000 lines one read each)."""
        if self._dirty:
            self._file.flush()
            self._dirty = False

    def read(self, offset: int, length: int) -> bytes:
        """The ``length`` bytes at ``offset`` (a line, given where :meth:`append_line` put it)."""
        self._sync()
        return os.pread(self._file.fileno(), length, offset)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def lines(self, block_size: int = _BLOCK) -> Iterator[bytes]:
        """Each record's JSON line (with its newline), in order, read ``block_size``
        bytes at a time."""
        self._sync()
        fd, offset, rest = self._file.fileno(), 0, b""
        while True:
            block = os.pread(fd, block_size, offset)
            if not block:
                break
            offset += len(block)
            *done, rest = (rest + block).split(b"\n")
            for line in done:
                yield line + b"\n"
        if rest:
            yield rest

    def __iter__(self) -> Iterator[Any]:
        return map(load_line, self.lines())

    def __getitem__(self, index: slice) -> list[Any]:
        if not isinstance(index, slice) or index.step not in (None, 1) or (index.start or 0) < 0:
            raise TypeError("a spool is read from the front: spool[:n] or spool[i:j]")
        return list(islice(self, index.start or 0, index.stop))

    def close(self) -> None:
        """Delete the file now (idempotent)."""
        self._file.close()


class SortedSpool:
    """Records added in any order, read back sorted by ``key``, in bounded memory.

    At most ``chunk`` records are held; a full chunk is sorted and written out as a
    run, and :meth:`sorted_lines` merges the runs (``heapq.merge``: one record of
    each run in memory). The sort is stable: equal keys keep their order of arrival.
    """

    def __init__(self, key: Callable[[Any], Any], chunk: int = 10_000) -> None:
        self._key = key
        self._chunk = chunk
        self._pending: Spool | None = None  # the chunk's lines, in arrival order, on disk
        self._index: list[tuple[Any, int, int, int]] = []  # (key, arrival, offset, length)
        self._end = 0
        self._runs: list[Spool] = []
        self._count = 0

    def add(self, record: Any) -> None:
        """Add one record."""
        line = dump_line(record)
        if self._pending is None:
            self._pending, self._end = Spool(), 0
        self._pending.append_line(line)
        self._index.append((self._key(record), self._count, self._end, len(line)))
        self._end += len(line)
        self._count += 1
        if len(self._index) >= self._chunk:
            self._flush()

    def _flush(self) -> None:
        pending = self._pending
        if pending is None or not self._index:
            return
        index = self._index
        first = index[0][1]
        index.sort(key=lambda entry: entry[:2])
        if all(entry[1] == first + n for n, entry in enumerate(index)):
            # arrived in key order (a gate run's items usually do): the chunk is a run
            self._runs.append(pending)
        else:
            run = Spool()
            for _, _, offset, length in index:  # copied line by line: no chunk in memory
                run.append_line(pending.read(offset, length))
            pending.close()
            self._runs.append(run)
        self._pending, self._index = None, []

    def __len__(self) -> int:
        return self._count

    def sorted_records(self) -> Iterator[tuple[Any, bytes]]:
        """``(record, its JSON line)`` in key order (repeatable)."""
        self._flush()
        if not self._runs:
            return
        if len(self._runs) == 1:
            yield from ((load_line(line), line) for line in self._runs[0].lines())
            return

        # a merge reads every run at once: small blocks keep runs x block bounded
        block = max(_MERGE_BLOCK, _BLOCK // len(self._runs))

        def keyed(run: Spool) -> Iterator[tuple[Any, int, Any, bytes]]:
            for n, line in enumerate(run.lines(block)):
                record = load_line(line)
                yield self._key(record), n, record, line

        streams = [keyed(run) for run in self._runs]
        for _, _, record, line in heapq.merge(*streams, key=lambda e: e[0]):
            yield record, line

    def __iter__(self) -> Iterator[Any]:
        return (record for record, _ in self.sorted_records())

    def close(self) -> None:
        """Delete the runs now."""
        for run in self._runs:
            run.close()
        if self._pending is not None:
            self._pending.close()
        self._runs, self._pending, self._index = [], None, []
