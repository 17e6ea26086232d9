"""The compiled scenario cache: scenario files parsed and validated once, not on every run.

Loading a 10,000-scenario library costs more than running it (YAML and the schema check,
about 1.5 s); a scenario file rarely changes between two gate runs. The cache keeps each
file's checked document (as JSON: data only, never pickled objects) with what identifies
the file's content, so a later run serves an unchanged file without parsing it again.

Where: one file per library, ``<cache dir>/scenarios/<digest of the library's real
path>.jsonl``, the cache dir being ``$INCIDENT_LAB_CACHE_DIR``, else
``$XDG_CACHE_HOME/incident_lab``, else ``~/.cache/incident_lab``: never inside the
library, so nothing is written into a repository and a cache file cannot arrive with a
pull request. ``$INCIDENT_LAB_SCENARIO_CACHE`` (or ``regression_suite run
--scenario-cache``) is ``on`` (default), ``off`` (neither read nor written) or
``verify`` (every cached file's content digest is checked; nothing is trusted on stat
data alone).

When an entry is served (never stale):

- the file's ``stat`` matches the entry exactly: device, inode, size, modification
  *and change* time in nanoseconds (an edit that keeps size and mtime, ``touch -d``
  or ``os.utime`` included, changes the change time; a rename or replace changes the
  inode or the change time), and both times were already older than the moment the
  entry was read by :data:`RACY_NS` (a file written within the filesystem's timestamp
  granularity of that moment could change again without a new timestamp);
- otherwise (stat differs or is ambiguous, or ``verify``) the file is read and its
  SHA-256 compared with the entry's: equal serves the entry (and restamps it),
  different parses the file afresh;
- the entry's own checksum holds (a damaged cache line is a miss, never served), and
  the cache was written by this tool version with these schemas (a cache of another
  version is ignored whole).

A file that fails to load is never cached: its error is reported on every run, as
without the cache. A document JSON cannot carry exactly (a YAML timestamp, a
non-string key, a non-finite float) is not cached either. Writes go to a temporary
file renamed over the cache (concurrent runs: the last complete one wins); a cache
that cannot be written (read-only home) is reported once on stderr and the run goes on.

Housekeeping (:func:`sweep`, after each new cache file is written): nothing modified in
the last :data:`STALE_S` seconds is ever removed (a live writer's temporary file is
younger). Older than that, a temporary file (a writer killed before its rename, named
exactly as :func:`tempfile.mkstemp` names this module's) is removed. A cache file goes
only when it has not been used for :data:`UNUSED_S` (a run served whole from the cache
refreshes its modification time, once per run) and either names no library (an older
format) or names one that does not exist here (``os.stat`` says *not found*; a library
that cannot be stat'ed for another reason is kept, and a shared cache directory's file
used from another machine stays fresh). Only regular files named as this module names
them are considered; an error (another sweeper was first) is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import stat
import sys
import tempfile
import time
from array import array
from importlib import resources
from pathlib import Path
from typing import IO, Any

import orjson

from incident_lab.errors import InputError
from incident_lab.readers.base import read_bounded, read_text
from incident_lab.scenarios.io import materialise_variant, parse_scenario

MODES = ("on", "off", "verify")
MODE_ENV = "INCIDENT_LAB_SCENARIO_CACHE"
DIR_ENV = "INCIDENT_LAB_CACHE_DIR"
#: Bumped when the cache's layout or what a cached document means changes (2: the
#: header names the library, for :func:`sweep`).
FORMAT = 2
#: A file whose modification or change time is this close to (or after) the moment its
#: entry was made is checked by content: 2 s covers the coarsest timestamps (FAT, some
#: network filesystems) and the kernel's coarse clock on the others.
RACY_NS = 2_000_000_000
#: Files modified this recently are never swept (a live writer's temporary file is
#: seconds old; an hour leaves room for slow disks and paused processes).
STALE_S = 3600
#: A cache file unused this long (30 days: not rewritten, nor served by a run that
#: refreshes its modification time) is swept when it names no library (an older format)
#: or a library that does not exist here.
UNUSED_S = 30 * 24 * 3600
#: The temporary file :meth:`ScenarioCache._start` writes: ``.<cache file name>.`` +
#: mkstemp's 8 random characters + ``.tmp`` (fixed length: linear on any name).
_TEMPORARY = re.compile(r"\.[0-9a-f]{32}\.jsonl\.[a-z0-9_]{8}\.tmp")

Scenario = dict[str, Any]


def cache_dir() -> Path:
    """``$INCIDENT_LAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/incident_lab``, else
    ``~/.cache/incident_lab``."""
    explicit = os.environ.get(DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "incident_lab"


def cache_mode(given: str | None = None) -> str:
    """The cache mode: ``given``, else ``$INCIDENT_LAB_SCENARIO_CACHE``, else ``on``.

    Raises:
        UsageError: not one of ``on``, ``off``, ``verify``.
    """
    from incident_lab.errors import UsageError

    mode = (given or os.environ.get(MODE_ENV) or "on").strip().lower()
    if mode not in MODES:
        raise UsageError(
            f"scenario cache mode {mode!r} is not one of: {', '.join(MODES)}",
            hint=f"set {MODE_ENV} (or --scenario-cache) to on, off or verify",
        )
    return mode


def _digest(real: str) -> str:
    """The cache file name's stem for a library's real path."""
    return hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def cache_path(library: str | Path) -> Path:
    """The cache file of the library at ``library``."""
    return cache_dir() / "scenarios" / f"{_digest(os.path.realpath(library))}.jsonl"


def _header(fingerprint: str, library: Path) -> dict[str, Any]:
    """A cache file's first line: format, fingerprint, and the library's real path
    (``library_hex``, its bytes in hex, when the path is not UTF-8)."""
    header: dict[str, Any] = {"format": FORMAT, "fingerprint": fingerprint}
    real = os.path.realpath(library)
    try:
        real.encode("utf-8")
    except UnicodeEncodeError:
        header["library_hex"] = os.fsencode(real).hex()
        return header
    header["library"] = real
    return header


def sweep(directory: Path, *, now: float | None = None) -> list[Path]:
    """Remove the leftovers in a cache directory; return what was removed.

    Never a file modified in the last :data:`STALE_S` seconds. Older: temporary files
    (exactly ``.<digest>.jsonl.<8 random>.tmp``, a writer killed before its rename).
    Unused for :data:`UNUSED_S`: cache files (``<digest>.jsonl``) whose header names a
    library that does not exist here (the name must be that library's digest) or no
    library. Anything else is left alone.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        temporary = _TEMPORARY.fullmatch(name) is not None
        if not (temporary or _is_cache_name(name)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        age = now - st.st_mtime
        if not stat.S_ISREG(st.st_mode) or age < STALE_S:
            continue
        if not temporary and not _orphaned(Path(entry.path), name, age):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _is_cache_name(name: str) -> bool:
    stem, _, ext = name.partition(".")
    return ext == "jsonl" and len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)


def _orphaned(path: Path, name: str, age: float) -> bool:
    """True when the cache file at ``path`` belongs to no library that still exists."""
    try:
        with open(path, "rb") as fh:
            header = orjson.loads(fh.readline(4096))
    except (OSError, orjson.JSONDecodeError):
        header = None
    if age < UNUSED_S:
        return False  # used this month (maybe on another machine sharing the directory)
    library = _library(header)
    if library is None:
        return True
    if _digest(library) != name.partition(".")[0]:
        return False  # not the file its header says: not ours to judge
    try:
        os.stat(library)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # permission denied, a stale mount...: not known to be gone
    return False


def _library(header: Any) -> str | None:
    """The library a cache header names, or None (an older format)."""
    if not isinstance(header, dict):
        return None
    library = header.get("library")
    if isinstance(library, str):
        return library
    encoded = header.get("library_hex")
    if isinstance(encoded, str):
        with contextlib.suppress(ValueError):
            return os.fsdecode(bytes.fromhex(encoded))
    return None


def _fingerprint() -> str:
    """What the cached documents' checks depend on: this format, the tool's version and
    every shipped schema (a schema change re-checks every file)."""
    from incident_lab import __version__

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    schemas = resources.files("incident_lab.schemas")
    for entry in sorted(schemas.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def _json_exact(value: Any) -> bool:
    """True when JSON gives ``value`` back exactly: plain strings, 64-bit integers, finite
    floats, booleans, None, lists, string-keyed dicts (checked in place: no copy)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -(2**63) <= value < 2**64
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_json_exact(item) for item in value)
    if kind is dict:
        return all(type(k) is str and _json_exact(v) for k, v in value.items())
    return False


def _key(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _racy(key: list[int], stamp: int) -> bool:
    """True when the file's times are too close to ``stamp`` to trust them."""
    return max(key[3], key[4]) >= stamp - RACY_NS


class ScenarioCache:
    """Scenario files of one library, served from the cache while unchanged.

    Use as a context manager (the new cache is written on a clean exit)::

        with ScenarioCache.open(library) as cache:
            scenario = cache.load(path)   # == io.load_scenario(path)

    A cache line is ``<name>\\t<checksum>\\t<JSON entry>``: ``name`` is the file's path
    relative to the library, ``checksum`` a BLAKE2b of the JSON, and the entry
    ``[stat key, stamp ns, SHA-256 of the file, document]``.
    """

    def __init__(self, library: Path, mode: str, path: Path | None) -> None:
        self.library = library
        self._prefix = os.path.join(os.fspath(library), "")
        self.mode = mode
        self.path = path
        self.fingerprint = _fingerprint() if path is not None else ""
        self.hits = 0
        self.misses = 0
        self._old: IO[bytes] | None = None
        self._old_mtime = 0.0
        self._index: dict[str, tuple[int, int]] = {}
        self._kept = array("q")  # offset, length of each old line served as it is
        self._new: IO[bytes] | None = None
        self._new_name = ""
        self._warned = False
        if path is not None:
            self._read_index(path)

    @classmethod
    def open(cls, library: str | Path, mode: str | None = None) -> ScenarioCache:
        """The cache of ``library`` in ``mode`` (see :func:`cache_mode`); ``off`` loads
        every file as :func:`incident_lab.scenarios.io.load_scenario` does."""
        mode = cache_mode(mode)
        lib = Path(library)
        return cls(lib, mode, None if mode == "off" else cache_path(lib))

    def __enter__(self) -> ScenarioCache:
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        if kind is None:
            self.save()
        else:
            self.close()

    # -- reading ---------------------------------------------------------------------

    def _read_index(self, path: Path) -> None:
        """Index the existing cache file (name -> line position); a missing, foreign or
        damaged file is an empty cache."""
        try:
            fh = open(path, "rb")  # noqa: SIM115 (kept open: entries are read from it)
        except OSError:
            return
        header = fh.readline()
        try:
            ok = orjson.loads(header) == _header(self.fingerprint, self.library)
        except orjson.JSONDecodeError:
            ok = False
        if not ok:
            fh.close()
            return
        self._old_mtime = os.fstat(fh.fileno()).st_mtime
        index: dict[str, tuple[int, int]] = {}
        offset = len(header)
        for line in fh:
            name, sep, _ = line.partition(b"\t")
            if sep and line.endswith(b"\n"):
                index[name.decode("utf-8", "surrogateescape")] = (offset, len(line))
            offset += len(line)
        self._old, self._index = fh, index

    def _entry(self, found: tuple[int, int]) -> list[Any] | None:
        """The cached entry at ``found`` (offset, length), or None (damaged)."""
        if self._old is None:
            return None
        line = os.pread(self._old.fileno(), found[1], found[0])
        try:
            _, checksum, body = line.rstrip(b"\n").split(b"\t", 2)
            if hashlib.blake2b(body, digest_size=16).hexdigest().encode() != checksum:
                return None
            entry = orjson.loads(body)
        except (ValueError, orjson.JSONDecodeError):
            return None
        return entry if isinstance(entry, list) and len(entry) == 4 else None

    def _name(self, path: str | Path) -> str:
        """``path`` relative to the library (string operations: pathlib's cost ~40 us)."""
        text = os.fspath(path)
        return text[len(self._prefix) :] if text.startswith(self._prefix) else text

    def load(self, path: str | Path) -> Scenario:
        """The scenario of ``path``: exactly :func:`~incident_lab.scenarios.io.load_scenario`.

        Raises:
            InputError / SchemaError: as ``load_scenario`` (a failing file is never cached).
        """
        # a string stays one (stat, reads and errors take either): no Path per file
        doc = self._cached(path) if self.path is not None else None
        if doc is None:
            doc = self._parse(path)
        return materialise_variant(doc, path, validate=True)

    def _cached(self, path: str | Path) -> Scenario | None:
        # taken out of the index as it is looked up: a library's index and its stubs are
        # never both whole in memory (the lines served unchanged are kept by position)
        position = self._index.pop(self._name(path), None)
        if position is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        found = self._entry(position)
        if found is None:
            return None
        key, stamp, sha, doc = found
        now = _key(st)
        if self.mode != "verify" and now == key and not _racy(key, stamp):
            self.hits += 1
            self._kept.extend(position)
            return doc
        # changed stat data, racy timestamps or --verify: decide by content
        restamp = time.time_ns()
        try:
            data = read_bounded(path)
        except InputError:
            return None  # loaded afresh: the same error, from the same gate
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            return None
        self.hits += 1
        if now != key or (_racy(key, stamp) and not _racy(now, restamp)):
            self._put(self._name(path), now, restamp, sha, doc)  # trusted on stat data next time
        else:
            self._kept.extend(position)
        return doc

    def _parse(self, path: str | Path) -> Scenario:
        """Load the file as ``load_scenario`` does (unmaterialised) and cache it."""
        stamp = time.time_ns()
        try:
            st = os.stat(path)
        except OSError:
            st = None
        text = read_text(path, "a YAML document")
        doc = parse_scenario(text, path)
        self.misses += 1
        if self.path is not None and st is not None and stat.S_ISREG(st.st_mode):
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            self._put(self._name(path), _key(st), stamp, sha, doc)
        return doc

    # -- writing ---------------------------------------------------------------------

    def _put(self, name: str, key: list[int], stamp: int, sha: str, doc: Scenario) -> None:
        """Append an entry to the new cache file (when JSON carries ``doc`` exactly)."""
        try:
            body = orjson.dumps([key, stamp, sha, doc])  # at most 255 levels deep
        except (TypeError, orjson.JSONEncodeError):
            return  # a non-string key, a big integer, a lone surrogate...
        if not _json_exact(doc):
            return  # a YAML timestamp (would come back a string), NaN (null)...
        if "\t" in name or "\n" in name:
            return
        out = self._start()
        if out is None:
            return
        checksum = hashlib.blake2b(body, digest_size=16).hexdigest().encode()
        try:
            out.write(name.encode("utf-8", "surrogateescape") + b"\t" + checksum + b"\t")
            out.write(body + b"\n")
        except OSError as exc:
            self._give_up(exc)

    def _start(self) -> IO[bytes] | None:
        """The new cache file being written (a temporary file beside the cache)."""
        if self._new is not None or self._warned or self.path is None:
            return self._new
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            self._new, self._new_name = os.fdopen(fd, "wb"), tmp
            self._new.write(orjson.dumps(_header(self.fingerprint, self.library)) + b"\n")
        except OSError as exc:
            self._give_up(exc)
        return self._new

    def _give_up(self, exc: OSError) -> None:
        """Stop writing the cache (the run goes on): one line on stderr."""
        if not self._warned:
            self._warned = True
            sys.stderr.write(
                f"scenario cache not written ({self.path}: {exc.strerror or exc}); "
                f"set {DIR_ENV} to a writable directory or {MODE_ENV}=off\n"
            )
        self._discard()

    def _discard(self) -> None:
        if self._new is not None:
            self._new.close()
            with contextlib.suppress(OSError):
                os.unlink(self._new_name)
            self._new = None

    def save(self) -> None:
        """Write the new cache if anything changed: the entries made or restamped by this
        run, plus the old entries of files that still exist. Then close."""
        try:
            out = self._new
            if out is not None and self.path is not None:
                try:
                    self._keep_old(out)
                    out.close()
                    os.replace(self._new_name, self.path)
                    self._new = None
                except OSError as exc:
                    self._give_up(exc)
                else:
                    sweep(self.path.parent)  # a cache was written: tidy the directory
            elif self._old is not None and self.path is not None and self.hits:
                self._mark_used(self.path)
        finally:
            self.close()

    def _mark_used(self, path: Path) -> None:
        """Refresh the modification time of a cache served whole (at most hourly), so
        that :func:`sweep` sees it used; a read-only cache is left as it is."""
        if time.time() - self._old_mtime >= STALE_S:
            with contextlib.suppress(OSError):
                os.utime(path)

    def _keep_old(self, out: IO[bytes]) -> None:
        """Copy the old lines still true: those served as they are, and those of files not
        looked up that still exist (a run that loads part of the library)."""
        if self._old is None:
            return
        fd, kept = self._old.fileno(), self._kept
        for i in range(0, len(kept), 2):
            out.write(os.pread(fd, kept[i + 1], kept[i]))
        for name, (offset, length) in self._index.items():
            if os.path.exists(self.library / name):
                out.write(os.pread(fd, length, offset))

    def close(self) -> None:
        """Close the files (an unsaved new cache is discarded)."""
        self._discard()
        if self._old is not None:
            self._old.close()
            self._old = None
