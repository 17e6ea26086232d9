"""Items grouped by a key in bounded memory: what lets the OTLP readers stream.

A session of OTLP spans is only known at the end of the input (a later trace may
continue an earlier one's chat history, a log file read after the span file adds
content to its spans), so the readers cannot emit sessions as they go. Instead of
holding every decoded span, they append each one to a :class:`KeyedSpool` under its
trace id (and later under its session's group key) and take one key's items back
at a time.

Items are kept ``marshal``-encoded, each after its length (plain JSON values: dicts, lists, strings, numbers,
booleans, None; written and read by this process only). Up to ``budget`` bytes are
held in memory; beyond that every key's pending bytes are appended to one
anonymous temporary file (unlinked when created: nothing is left behind after a
crash) as one chunk per key, and read back with ``os.pread``. Memory then holds
the budget, one small entry per key and the items of the key being worked on.
(:mod:`regression_suite.spool` is the gate's sequential JSON-lines spool; this one
is keyed and takes items back by key.)
"""

from __future__ import annotations

import marshal
import os
import struct
import tempfile
from typing import IO, Any

#: Bytes of encoded items held in memory before they are written to the temporary file.
BUDGET = 32 << 20
_SIZE = struct.Struct("<I")  # each item is its length, then its marshal bytes


class KeyedSpool:
    """Append items under a key; take a key's items back, in the order they were added.

    Keys are remembered in the order they were first added (:meth:`keys`).
    """

    def __init__(self, budget: int | None = None) -> None:
        self._budget = BUDGET if budget is None else budget
        self._pending: dict[str, bytearray] = {}
        # Per key, its chunks in the file (None until it has one: most keys never do).
        self._chunks: dict[str, list[tuple[int, int]] | None] = {}
        self._held = 0
        self._file: IO[bytes] | None = None
        self._end = 0

    def add(self, key: str, item: Any) -> None:
        """Append ``item`` (a plain JSON value) under ``key``."""
        data = marshal.dumps(item)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = bytearray()
            self._chunks.setdefault(key, None)
        pending += _SIZE.pack(len(data))
        pending += data
        self._held += len(data) + _SIZE.size
        if self._held > self._budget:
            self._spill()

    def keys(self) -> list[str]:
        """Every key not yet taken, in the order each was first added."""
        return list(self._chunks)

    def take(self, key: str) -> list[Any]:
        """The items added under ``key`` (in order); the key is forgotten."""
        chunks = self._chunks.pop(key, None)
        pending = self._pending.pop(key, b"")
        self._held -= len(pending)
        if chunks and self._file is not None:
            fd = self._file.fileno()
            data = b"".join(os.pread(fd, size, offset) for offset, size in chunks) + pending
        else:
            data = bytes(pending)
        view, items, at = memoryview(data), [], 0
        while at < len(data):
            (size,) = _SIZE.unpack_from(data, at)
            at += _SIZE.size
            items.append(marshal.loads(view[at : at + size]))
            at += size
        return items

    def close(self) -> None:
        """Drop everything (the temporary file is removed)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._pending.clear()
        self._chunks.clear()
        self._held = 0

    def _spill(self) -> None:
        if self._file is None:
            # Closed by close() (the readers call it in a finally), else when collected.
            self._file = tempfile.TemporaryFile(prefix="incident_lab-spans-")  # noqa: SIM115
        for key, pending in self._pending.items():
            if pending:
                self._file.write(pending)
                chunks = self._chunks[key]
                if chunks is None:
                    chunks = self._chunks[key] = []
                chunks.append((self._end, len(pending)))
                self._end += len(pending)
        self._file.flush()
        self._pending.clear()
        self._held = 0
