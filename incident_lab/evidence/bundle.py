"""The evidence bundle on disk: reading it (:func:`load_bundle`) and writing it atomically.

A bundle is a directory ``incident_<UTC timestamp>/`` holding ``trajectories.jsonl``,
``metrics.json``, ``rejects.jsonl``, ``manifest.json`` (optionally ``manifest.sig``),
``timeline.jsonl`` and, for files later phases write, ``followup/``.

:class:`StagedBundle` writes into a hidden temporary directory beside the
destination, fsyncs every file and the directory, then renames it into place: an
interrupted run leaves no partial bundle, and an existing bundle is never replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from incident_lab.atomic import fsync_directory
from incident_lab.errors import InputError, UsageError
from incident_lab.evidence.manifest import MANIFEST, TRAJECTORIES
from incident_lab.evidence.timeline import TIMELINE

#: Sub-directory for artifacts written after collection (tickets, notices, ...).
FOLLOWUP = "followup"
#: In the name of a staging directory: ``.<bundle name>.partial-<random>``.
STAGING_MARK = ".partial-"
_LOCK = ".owner"
#: A staging directory without its lock file is left alone this long (it may be new).
_UNLOCKED_GRACE_S = 60.0


def default_bundle_name(now: datetime) -> str:
    """``incident_2026-02-01T12-00-00Z`` for ``now`` (UTC, colons replaced for portability)."""
    return "incident_" + now.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


@dataclass
class Bundle:
    """A bundle on disk, as other phases (classify, ticket, add) use it.

    Attributes:
        path: The bundle directory.
        manifest: The parsed ``manifest.json``.
    """

    path: Path
    manifest: dict[str, Any]

    @property
    def incident_id(self) -> str:
        """The incident id recorded at collection."""
        return str(self.manifest.get("incident_id", self.path.name))

    @property
    def trajectories_path(self) -> Path:
        """Path of ``trajectories.jsonl``."""
        return self.path / TRAJECTORIES

    @property
    def timeline_path(self) -> Path:
        """Path of ``timeline.jsonl`` (append with :func:`incident_lab.evidence.timeline.append_event`)."""
        return self.path / TIMELINE

    @property
    def followup_dir(self) -> Path:
        """Where later phases write their files (created on first use)."""
        path = self.path / FOLLOWUP
        path.mkdir(exist_ok=True)
        return path

    def iter_trajectories(self) -> Iterator[dict[str, Any]]:
        """Yield each preserved trajectory, in file order.

        Raises:
            InputError: a line is not valid JSON (run ``incident_lab verify``).
        """
        from incident_lab.readers.base import open_regular

        with open_regular(self.trajectories_path) as fh:
            for no, line in enumerate(fh, start=1):
                try:
                    yield json.loads(line)
                except (ValueError, RecursionError):
                    raise InputError(
                        "trajectory line is not valid JSON",
                        path=str(self.trajectories_path),
                        line=no,
                        hint=f"run 'incident_lab verify {self.path}'",
                    ) from None


def load_bundle(directory: str | Path) -> Bundle:
    """Open an evidence bundle written by ``incident_lab snapshot``.

    Args:
        directory: The ``incident_<timestamp>/`` directory (a path to its
            ``trajectories.jsonl`` or ``manifest.json`` is accepted too).

    Raises:
        InputError: not a directory, or no readable ``manifest.json``.
    """
    path = Path(directory)
    if path.is_file() and path.name in (TRAJECTORIES, MANIFEST):
        path = path.parent
    if not path.is_dir():
        raise InputError("no such bundle directory", path=str(directory), hint="check the path")
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise InputError(
            f"no {MANIFEST}: not an evidence bundle",
            path=str(path),
            hint="pass a directory written by 'incident_lab snapshot'",
        )
    from incident_lab.readers.base import MAX_DOCUMENT_BYTES, read_bounded

    data = read_bounded(manifest_path, MAX_DOCUMENT_BYTES)  # a FIFO never blocks
    if data is None:
        raise InputError(
            f"{MANIFEST} is larger than {MAX_DOCUMENT_BYTES:,} bytes",
            path=str(manifest_path),
            hint=f"run 'incident_lab verify {path}'",
        )
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError):
        manifest = None
    if not isinstance(manifest, dict):
        raise InputError(
            f"{MANIFEST} is not a JSON object",
            path=str(manifest_path),
            hint=f"run 'incident_lab verify {path}'",
        )
    return Bundle(path, manifest)


def read_manifest(manifest_path: Path) -> dict[str, Any]:
    """Read and check a bundle's ``manifest.json`` through the input gate, strictly.

    For commands that report what the manifest says (ticket, notify): it must be a
    valid, sealed ``manifest/v1``. :func:`load_bundle` only needs a JSON object (the
    phases that read the trajectories do not depend on the rest).

    Raises:
        InputError: not a regular file, too large, not valid JSON, or not a valid
            ``manifest/v1`` (the first problem named; ``incident_lab verify`` lists all).
    """
    from incident_lab.evidence.manifest import manifest_problems
    from incident_lab.readers.base import MAX_DOCUMENT_BYTES, read_bounded

    data = read_bounded(manifest_path, MAX_DOCUMENT_BYTES)
    if data is None:
        raise InputError(
            f"{MANIFEST} is larger than {MAX_DOCUMENT_BYTES:,} bytes", path=str(manifest_path)
        )
    manifest, problems = manifest_problems(data)
    if manifest is None or problems:
        first = problems[0].removeprefix("manifest edited: ") if problems else "unreadable"
        raise InputError(
            f"damaged manifest: {first}",
            path=str(manifest_path),
            hint=f"run 'incident_lab verify {manifest_path.parent}'",
        )
    return manifest


class HashingWriter:
    """A write-only file that counts lines and hashes bytes as they are written.

    Args:
        path: The file to create (must not exist).
    """

    def __init__(self, path: Path, *, private: bool = False) -> None:
        self.path = path
        mode = 0o600 if private else 0o666
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        if private:
            os.fchmod(fd, 0o600)
        self._fh: BinaryIO = os.fdopen(fd, "wb")
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def write_line(self, data: bytes) -> None:
        """Write one line (``data`` must end with a newline)."""
        self._fh.write(data)
        self.sha256.update(data)
        self.size += len(data)
        self.lines += 1

    def abandon(self) -> None:
        """Close without syncing (the staged bundle is being thrown away); never raises.

        Closing flushes buffered bytes, which fails on a full disk (ENOSPC): the
        staging directory must still be removed, so the error is dropped here.
        """
        with contextlib.suppress(OSError):
            self._fh.close()

    def close(self) -> dict[str, Any]:
        """Flush, fsync, close; return the manifest entry ``{size, sha256, lines}``."""
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        return {"size": self.size, "sha256": self.sha256.hexdigest(), "lines": self.lines}


class StagedBundle:
    """Build a bundle in a temporary directory; :meth:`commit` renames it into place.

    Leaving the ``with`` block without committing (an exception, Ctrl-C) removes the
    temporary directory, so no partial bundle is ever visible.

    Args:
        dest: The bundle directory to create. It must not exist.

    Raises:
        UsageError: ``dest`` already exists.
    """

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        #: Timeline bytes of an incident directory that containment opened before the
        #: snapshot (it holds only ``timeline.jsonl`` and maybe ``followup/``); the
        #: snapshot adopts that directory and continues its timeline.
        self.prior_timeline: bytes | None = _adoptable_timeline(dest)
        if self.prior_timeline is None:
            _refuse_existing(dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(dest.parent)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}{STAGING_MARK}", dir=dest.parent))
            self._lock = _hold_lock(self.tmp)
        except OSError as exc:
            raise InputError(
                f"cannot create the bundle: {exc.strerror}", path=str(dest.parent)
            ) from None
        self.committed = False
        self._writers: list[HashingWriter] = []

    def __enter__(self) -> StagedBundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                try:
                    for writer in self._writers:
                        writer.abandon()
                finally:
                    shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            with contextlib.suppress(OSError):
                os.close(self._lock)

    def writer(self, name: str, *, private: bool = False) -> HashingWriter:
        """A hashing line writer for ``name`` inside the bundle (mode 0600 when ``private``)."""
        writer = HashingWriter(self.tmp / name, private=private)
        self._writers.append(writer)
        return writer

    def write_bytes(self, name: str, data: bytes) -> dict[str, Any]:
        """Write a whole file, fsync it, and return ``{size, sha256}``."""
        with open(self.tmp / name, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def commit(self) -> Path:
        """fsync the directory and rename it into place.

        Raises:
            UsageError: the destination appeared meanwhile (it is left untouched).
        """
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)  # mkdtemp made it 0700; a bundle is shared evidence
        # The lock file goes before the rename; the descriptor keeps the lock until then.
        (self.tmp / _LOCK).unlink(missing_ok=True)
        fsync_directory(self.tmp)
        if self.prior_timeline is not None:
            return self._commit_adopting()
        _refuse_existing(self.dest)
        try:
            # rename(2) onto an existing non-empty directory fails (ENOTEMPTY), so a
            # bundle that appeared since the check above is never replaced.
            os.rename(self.tmp, self.dest)
        except OSError as exc:
            raise UsageError(
                f"bundle already exists, not overwriting ({exc.strerror})", path=str(self.dest)
            ) from None
        self.committed = True
        fsync_directory(self.dest.parent)
        return self.dest

    def _commit_adopting(self) -> Path:
        """Replace an adopted pre-snapshot incident directory with the finished bundle.

        The old directory is renamed aside, the bundle renamed into place, and any
        ``followup/`` files moved across; the timeline must not have grown meanwhile.
        """
        current = _adoptable_timeline(self.dest)
        if current != self.prior_timeline:
            raise UsageError(
                "the incident's timeline changed while the snapshot was being taken",
                path=str(self.dest),
                hint="run the snapshot again",
            )
        aside = Path(
            tempfile.mkdtemp(prefix=f".{self.dest.name}.pre-snapshot-", dir=self.dest.parent)
        )
        aside.rmdir()
        os.rename(self.dest, aside)
        try:
            os.rename(self.tmp, self.dest)
        except OSError:
            os.rename(aside, self.dest)
            raise
        self.committed = True
        if (aside / "followup").is_dir():
            shutil.move(str(aside / "followup"), str(self.dest / "followup"))
        shutil.rmtree(aside, ignore_errors=True)
        fsync_directory(self.dest.parent)
        return self.dest


def _hold_lock(staging: Path) -> int:
    """Create and lock ``staging/.owner``: a live snapshot holds it, a dead one does not."""
    fd = os.open(staging / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, str(os.getpid()).encode())
    return fd


def remove_stale_staging(parent: Path) -> list[Path]:
    """Remove staging directories of snapshots that died (kill -9, power loss, full disk).

    A staging directory is stale when no process holds the lock on its ``.owner``
    file (the kernel drops the lock when its holder dies); one still locked belongs
    to a snapshot running now and is left alone. Best effort: an entry that cannot
    be inspected or removed is skipped.

    Returns:
        The directories removed.
    """
    removed: list[Path] = []
    try:
        entries = [p for p in parent.iterdir() if p.name.startswith(".") and STAGING_MARK in p.name]
    except OSError:
        return removed
    for path in entries:
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            fd = os.open(path / _LOCK, os.O_RDWR)
        except FileNotFoundError:
            fd = None  # died before the lock existed, or being committed: age decides
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime < _UNLOCKED_GRACE_S:
                    continue
        except OSError:
            continue
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live snapshot holds it
        finally:
            if fd is not None:
                os.close(fd)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _adoptable_timeline(dest: Path) -> bytes | None:
    """Return the timeline of a pre-snapshot incident directory, else None.

    Such a directory (written by ``incident_lab contain`` before evidence was
    preserved) holds ``timeline.jsonl`` and at most a ``followup/`` directory, and no
    manifest: it is not a bundle yet, so the snapshot may complete it.
    """
    if not dest.is_dir() or dest.is_symlink():
        return None
    names = {p.name for p in dest.iterdir()}
    if TIMELINE not in names or not names <= {TIMELINE, "followup"}:
        return None
    return (dest / TIMELINE).read_bytes()


def _refuse_existing(dest: Path) -> None:
    if dest.exists() or dest.is_symlink():
        raise UsageError(
            "bundle already exists; an evidence bundle is never overwritten",
            path=str(dest),
            hint="pass --out with a new directory name",
        )
