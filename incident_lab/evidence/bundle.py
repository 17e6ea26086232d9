"""The evidence bundle on disk: reading it (:func:`load_bundle`) and writing it atomically.

A bundle is a directory ``incident_<UTC timestamp>/`` holding ``trajectories.jsonl``,
``metrics.json``, ``rejects.jsonl``, ``manifest.json`` (optionally ``manifest.sig``),
``timeline.jsonl`` and, for files later phases write, ``followup/``.

:class:`StagedBundle` writes into a hidden temporary directory beside the
destination, fsyncs every file and the directory, then renames it into place: an
interrupted run leaves no partial bundle, and an existing bundle is never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from incident_lab.errors import InputError, UsageError
from incident_lab.evidence.manifest import MANIFEST, TRAJECTORIES
from incident_lab.evidence.timeline import TIMELINE

__all__ = [
    "FOLLOWUP",
    "Bundle",
    "HashingWriter",
    "StagedBundle",
    "default_bundle_name",
    "load_bundle",
]

#: Sub-directory for artifacts written after collection (tickets, notices, ...).
FOLLOWUP = "followup"


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
        with open(self.trajectories_path, "rb") as fh:
            for no, line in enumerate(fh, start=1):
                try:
                    yield json.loads(line)
                except ValueError:
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
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        raise InputError(
            f"no {MANIFEST}: not an evidence bundle",
            path=str(path),
            hint="pass a directory written by 'incident_lab snapshot'",
        ) from None
    except ValueError:
        raise InputError(
            f"{MANIFEST} is not valid JSON",
            path=str(manifest_path),
            hint=f"run 'incident_lab verify {path}'",
        ) from None
    if not isinstance(manifest, dict):
        raise InputError(f"{MANIFEST} is not a JSON object", path=str(manifest_path))
    return Bundle(path, manifest)


class HashingWriter:
    """A write-only file that counts lines and hashes bytes as they are written.

    Args:
        path: The file to create (must not exist).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO = open(path, "xb")  # noqa: SIM115 - closed in close()
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
        """Close without syncing (the staged bundle is being thrown away)."""
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
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
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
        if not self.committed:
            for writer in self._writers:
                writer.abandon()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def writer(self, name: str) -> HashingWriter:
        """A hashing line writer for ``name`` inside the bundle."""
        writer = HashingWriter(self.tmp / name)
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
        _fsync_dir(self.tmp)
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
        _fsync_dir(self.dest.parent)
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
        _fsync_dir(self.dest.parent)
        return self.dest


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
