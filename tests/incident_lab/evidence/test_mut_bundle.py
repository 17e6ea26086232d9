"""Mutation-driven tests for ``evidence/bundle.py`` (issue 14): opening, reading and staging.

Each test pins one decision of the bundle code through its public functions: the exact
error (message, path, line, hint, exit code), the bytes and modes on disk, what the
staging leaves behind, which staging directories are stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.evidence import load_bundle, take_snapshot
from incident_lab.evidence.bundle import (
    FOLLOWUP,
    STAGING_MARK,
    HashingWriter,
    StagedBundle,
    default_bundle_name,
    read_manifest,
    remove_stale_staging,
)

from .conftest import make_session, write_jsonl

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(i) for i in range(3)])
    return take_snapshot([log], out=tmp_path / "b", incident_id="INC-7", now=NOW).bundle


def test_default_bundle_name_is_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """UTC whatever the zone of ``now`` and of the machine."""
    plus2 = timezone(timedelta(hours=2))
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert default_bundle_name(datetime(2026, 2, 1, 14, 5, 9, tzinfo=plus2)) == (
            "incident_2026-02-01T12-05-09Z"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


def test_bundle_properties(bundle: Path) -> None:
    b = load_bundle(bundle)
    assert b.path == bundle and b.incident_id == "INC-7"
    assert b.trajectories_path == bundle / "trajectories.jsonl"
    assert b.timeline_path == bundle / "timeline.jsonl"
    assert not (bundle / FOLLOWUP).exists()
    assert b.followup_dir == bundle / "followup" and (bundle / "followup").is_dir()
    assert b.followup_dir == bundle / "followup"  # a second use finds it
    assert [t["session_id"] for t in b.iter_trajectories()] == [
        "sess-0000",
        "sess-0001",
        "sess-0002",
    ]
    del b.manifest["incident_id"]
    assert b.incident_id == "b"


@pytest.mark.parametrize("name", ["trajectories.jsonl", "manifest.json"])
def test_a_bundle_file_path_opens_its_bundle(bundle: Path, name: str) -> None:
    assert load_bundle(bundle / name).path == bundle
    assert load_bundle(str(bundle / name)).manifest["incident_id"] == "INC-7"


def test_other_file_paths_are_not_bundles(bundle: Path) -> None:
    with pytest.raises(InputError) as err:
        load_bundle(bundle / "metrics.json")
    assert err.value.render() == (
        f"{bundle / 'metrics.json'}: no such bundle directory (hint: check the path)"
    )


def test_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_bundle(tmp_path / "nope")
    assert (err.value.message, err.value.path) == (
        "no such bundle directory",
        str(tmp_path / "nope"),
    )
    assert err.value.exit_code == 3


def test_a_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_bundle(tmp_path)
    assert err.value.render() == (
        f"{tmp_path}: no manifest.json: not an evidence bundle "
        "(hint: pass a directory written by 'incident_lab snapshot')"
    )


@pytest.mark.parametrize("data", [b"[1, 2]", b"not json", b"[" * 100_000, b'"x"'])
def test_a_manifest_that_is_not_an_object(bundle: Path, data: bytes) -> None:
    (bundle / "manifest.json").write_bytes(data)
    with pytest.raises(InputError) as err:
        load_bundle(bundle)
    assert err.value.render() == (
        f"{bundle / 'manifest.json'}: manifest.json is not a JSON object "
        f"(hint: run 'incident_lab verify {bundle}')"
    )


def test_a_manifest_over_the_document_limit(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from incident_lab.readers import base

    size = (bundle / "manifest.json").stat().st_size
    monkeypatch.setattr(base, "MAX_DOCUMENT_BYTES", size)
    assert load_bundle(bundle).manifest["incident_id"] == "INC-7"  # exactly at the limit
    monkeypatch.setattr(base, "MAX_DOCUMENT_BYTES", size - 1)
    with pytest.raises(InputError) as err:
        load_bundle(bundle)
    assert err.value.render() == (
        f"{bundle / 'manifest.json'}: manifest.json is larger than {size - 1:,} bytes "
        f"(hint: run 'incident_lab verify {bundle}')"
    )
    with pytest.raises(InputError) as err:
        read_manifest(bundle / "manifest.json")
    assert err.value.message == f"manifest.json is larger than {size - 1:,} bytes"
    assert err.value.path == str(bundle / "manifest.json")


def test_a_damaged_trajectory_line_names_its_line(bundle: Path) -> None:
    path = bundle / "trajectories.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1][:-5] + b"\n" + lines[2])
    it = load_bundle(bundle).iter_trajectories()
    assert next(it)["session_id"] == "sess-0000"
    with pytest.raises(InputError) as err:
        next(it)
    assert err.value.render() == (
        f"{path}:2: trajectory line is not valid JSON (hint: run 'incident_lab verify {bundle}')"
    )
    path.write_bytes(lines[0] + b"[" * 100_000 + b"\n")
    with pytest.raises(InputError, match="trajectory line is not valid JSON"):
        list(load_bundle(bundle).iter_trajectories())


def test_read_manifest_accepts_a_sealed_manifest(bundle: Path) -> None:
    manifest = read_manifest(bundle / "manifest.json")
    assert manifest == json.loads((bundle / "manifest.json").read_bytes())


def test_read_manifest_names_the_first_problem(bundle: Path) -> None:
    path = bundle / "manifest.json"
    doc = json.loads(path.read_bytes())
    doc["incident_id"] = "INC-8"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(InputError) as err:
        read_manifest(path)
    assert err.value.message.startswith("damaged manifest: ")
    assert not err.value.message.startswith("damaged manifest: manifest edited: ")
    assert err.value.hint == f"run 'incident_lab verify {bundle}'"
    assert err.value.path == str(path)
    path.write_bytes(b"[1]")
    with pytest.raises(InputError) as err:
        read_manifest(path)
    assert err.value.message == "damaged manifest: manifest.json is not a JSON object"


def test_hashing_writer_counts_and_hashes(tmp_path: Path) -> None:
    w = HashingWriter(tmp_path / "f")
    w.write_line(b"ab\n")
    w.write_line(b"\n")
    assert (w.size, w.lines) == (4, 2)
    entry = w.close()
    assert entry == {"size": 4, "sha256": hashlib.sha256(b"ab\n\n").hexdigest(), "lines": 2}
    assert w.close() == entry  # closing twice is harmless
    assert (tmp_path / "f").read_bytes() == b"ab\n\n"
    with pytest.raises(FileExistsError):
        HashingWriter(tmp_path / "f")


def test_a_private_writer_is_0600(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        HashingWriter(tmp_path / "p", private=True).close()
        HashingWriter(tmp_path / "s").close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o666


def test_staged_bundle_commits_with_the_umask_mode(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "deeper" / "b"
    old = os.umask(0)
    try:
        with StagedBundle(dest) as stage:
            assert stage.committed is False
            assert stat.S_IMODE((stage.tmp / ".owner").stat().st_mode) == 0o600
            os.umask(0o027)
            w = stage.writer("trajectories.jsonl")
            assert w.path == stage.tmp / "trajectories.jsonl"
            w.write_line(b"{}\n")
            assert w.close()["lines"] == 1
            stage.writer("rejects.jsonl", private=True).close()
            assert stage.write_bytes("metrics.json", b"{}") == {
                "size": 2,
                "sha256": hashlib.sha256(b"{}").hexdigest(),
            }
            staging = stage.tmp
            assert staging.parent == dest.parent and staging.name.startswith(f".b{STAGING_MARK}")
            assert (staging / ".owner").read_text() == str(os.getpid())
            assert stage.commit() == dest
        assert stage.committed is True
    finally:
        os.umask(old)
    names = ["metrics.json", "rejects.jsonl", "trajectories.jsonl"]
    assert sorted(p.name for p in dest.iterdir()) == names
    assert stat.S_IMODE(dest.stat().st_mode) == 0o750
    assert stat.S_IMODE((dest / "trajectories.jsonl").stat().st_mode) == 0o640
    assert stat.S_IMODE((dest / "rejects.jsonl").stat().st_mode) == 0o600
    assert not staging.exists() and os.listdir(dest.parent) == ["b"]


def test_staged_bundle_refuses_an_existing_destination(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    with pytest.raises(UsageError) as err:
        StagedBundle(tmp_path / "b")
    assert err.value.render() == (
        f"{tmp_path / 'b'}: bundle already exists; an evidence bundle is never overwritten "
        "(hint: pass --out with a new directory name)"
    )
    (tmp_path / "link").symlink_to(tmp_path / "missing")
    with pytest.raises(UsageError, match="never overwritten"):
        StagedBundle(tmp_path / "link")


def test_a_destination_appearing_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    dest = tmp_path / "b"
    with StagedBundle(dest) as stage:
        stage.write_bytes("metrics.json", b"{}")
        dest.mkdir()
        (dest / "theirs").write_text("keep")
        with pytest.raises(UsageError, match="never overwritten"):
            stage.commit()
    assert os.listdir(dest) == ["theirs"]
    assert sorted(os.listdir(tmp_path)) == ["b"]


def test_leaving_without_commit_removes_the_staging(tmp_path: Path) -> None:
    with pytest.raises(KeyError), StagedBundle(tmp_path / "b") as stage:
        stage.writer("rejects.jsonl").write_line(b"x\n")
        raise KeyError("boom")
    assert os.listdir(tmp_path) == []


def test_the_bundle_directory_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as err:
        StagedBundle(tmp_path / "file" / "b")
    assert err.value.message.startswith("cannot create the bundle: ")
    assert err.value.path == str(tmp_path / "file")


def _staging(parent: Path, name: str, *, owner: bool, age_s: float = 0.0) -> Path:
    path = parent / f".{name}{STAGING_MARK}x"
    path.mkdir()
    (path / "trajectories.jsonl").write_text("{}\n")
    if owner:
        (path / ".owner").write_text("1")
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def test_which_staging_directories_are_stale(tmp_path: Path) -> None:
    unlocked_old = _staging(tmp_path, "a", owner=True)
    no_owner_new = _staging(tmp_path, "b", owner=False, age_s=5)
    no_owner_old = _staging(tmp_path, "c", owner=False, age_s=61)
    not_staging = tmp_path / ".d.partial"
    not_staging.mkdir()
    visible = tmp_path / f"e{STAGING_MARK}x"
    visible.mkdir()
    old = time.time() - 3600
    for path in (not_staging, visible):
        os.utime(path, (old, old))
    a_file = tmp_path / f".f{STAGING_MARK}x"
    a_file.write_text("x")
    link = tmp_path / f".g{STAGING_MARK}x"
    target = tmp_path / "old-target"
    target.mkdir()
    os.utime(target, (old, old))
    link.symlink_to(target)
    removed = remove_stale_staging(tmp_path)
    assert sorted(removed) == sorted([unlocked_old, no_owner_old])
    assert not unlocked_old.exists() and not no_owner_old.exists()
    for kept in (no_owner_new, not_staging, visible, a_file, link, target):
        assert kept.exists() or kept.is_symlink()
    assert remove_stale_staging(tmp_path / "missing") == []


def _record_renames(
    monkeypatch: pytest.MonkeyPatch, fail_at: int = 0, error: OSError | None = None
) -> list[tuple[str, str]]:
    """Record the renames; make the ``fail_at``-th (1-based) fail (EXDEV unless ``error``)."""
    from incident_lab.evidence import bundle as bundle_mod

    calls: list[tuple[str, str]] = []
    real = os.rename

    def rename(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) == fail_at:
            raise error or OSError(18, "Invalid cross-device link")
        real(src, dst)

    monkeypatch.setattr(bundle_mod.os, "rename", rename)
    return calls


def test_adopting_a_pre_snapshot_incident_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "inc"
    dest.mkdir()
    (dest / "timeline.jsonl").write_bytes(b"T\n")
    (dest / "followup").mkdir()
    (dest / "followup" / "note.txt").write_text("n")
    renames = _record_renames(monkeypatch)
    with StagedBundle(dest) as stage:
        assert stage.prior_timeline == b"T\n"
        stage.write_bytes("timeline.jsonl", b"T\nU\n")
        assert stage.commit() == dest
        assert stage.committed is True
    # The old directory goes aside as a hidden sibling (same filesystem: renames are atomic).
    (src, aside), (staged, final), (old_followup, new_followup) = renames
    assert (old_followup, new_followup) == (f"{aside}/followup", f"{dest}/followup")
    assert (Path(src), Path(staged), Path(final)) == (dest, stage.tmp, dest)
    assert Path(aside).parent == tmp_path and Path(aside).name.startswith(".inc.pre-snapshot-")
    assert (dest / "timeline.jsonl").read_bytes() == b"T\nU\n"
    assert (dest / "followup" / "note.txt").read_text() == "n"
    assert sorted(os.listdir(tmp_path)) == ["inc"]


def test_adopting_refuses_a_timeline_that_grew(tmp_path: Path) -> None:
    dest = tmp_path / "inc"
    dest.mkdir()
    (dest / "timeline.jsonl").write_bytes(b"T\n")
    with StagedBundle(dest) as stage:
        (dest / "timeline.jsonl").write_bytes(b"T\nV\n")
        with pytest.raises(UsageError) as err:
            stage.commit()
    assert err.value.render() == (
        f"{dest}: the incident's timeline changed while the snapshot was being taken "
        "(hint: run the snapshot again)"
    )
    assert os.listdir(dest) == ["timeline.jsonl"]
    assert sorted(os.listdir(tmp_path)) == ["inc"]


@pytest.mark.parametrize("extra", ["manifest.json", "other.txt"])
def test_a_directory_with_more_than_a_timeline_is_not_adopted(tmp_path: Path, extra: str) -> None:
    dest = tmp_path / "inc"
    dest.mkdir()
    (dest / "timeline.jsonl").write_bytes(b"T\n")
    (dest / extra).write_text("x")
    with pytest.raises(UsageError, match="never overwritten"):
        StagedBundle(dest)


def test_adopting_puts_the_old_directory_back_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "inc"
    dest.mkdir()
    (dest / "timeline.jsonl").write_bytes(b"T\n")
    (dest / "followup").mkdir()
    (dest / "followup" / "note.txt").write_text("n")
    renames = _record_renames(monkeypatch, fail_at=2)
    with pytest.raises(OSError, match="cross-device"), StagedBundle(dest) as stage:
        stage.write_bytes("timeline.jsonl", b"T\nU\n")
        stage.commit()
    assert len(renames) == 3 and renames[2] == (renames[0][1], str(dest))
    assert stage.committed is False
    assert (dest / "timeline.jsonl").read_bytes() == b"T\n"
    assert (dest / "followup" / "note.txt").read_text() == "n"
    assert sorted(os.listdir(tmp_path)) == ["inc"]


def test_a_rename_refused_at_the_last_moment_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle created between the check and rename(2) makes it fail: never replaced."""
    dest = tmp_path / "b"
    _record_renames(monkeypatch, fail_at=1, error=OSError(39, "Directory not empty"))
    with pytest.raises(UsageError) as err, StagedBundle(dest) as stage:
        stage.write_bytes("metrics.json", b"{}")
        stage.commit()
    assert err.value.render() == (
        f"{dest}: bundle already exists, not overwriting (Directory not empty)"
    )
    assert stage.committed is False
    assert os.listdir(tmp_path) == []


def test_commit_does_not_need_the_lock_file(tmp_path: Path) -> None:
    with StagedBundle(tmp_path / "b") as stage:
        (stage.tmp / ".owner").unlink()
        assert stage.commit() == tmp_path / "b"
    assert os.listdir(tmp_path / "b") == []


def _fd_of(path: Path) -> int:
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}") == str(path):
                return int(name)
    raise AssertionError(f"{path} is not open")


def test_abandon_never_raises_even_when_the_flush_fails(tmp_path: Path) -> None:
    """A full disk makes the final flush fail: abandoning must still succeed."""
    w = HashingWriter(tmp_path / "t.jsonl")
    w.write_line(b"buffered\n")
    os.close(_fd_of(tmp_path / "t.jsonl"))  # the flush on close now fails (EBADF)
    w.abandon()
    assert (tmp_path / "t.jsonl").read_bytes() == b""


def test_leaving_copes_with_a_staging_already_gone(tmp_path: Path) -> None:
    """Another snapshot's cleanup, or an operator, removed the staging: leaving still works."""
    import shutil

    with pytest.raises(KeyError), StagedBundle(tmp_path / "b") as stage:
        os.close(_fd_of(stage.tmp / ".owner"))  # the lock descriptor is gone too
        shutil.rmtree(stage.tmp)
        raise KeyError("boom")
    assert os.listdir(tmp_path) == []


def test_the_grace_period_is_sixty_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from incident_lab.evidence import bundle as bundle_mod

    now = 2_000_000_000.0
    monkeypatch.setattr(bundle_mod.time, "time", lambda: now)
    young = _staging(tmp_path, "young", owner=False)
    os.utime(young, (now - 59.5, now - 59.5))
    due = _staging(tmp_path, "due", owner=False)
    os.utime(due, (now - 60, now - 60))
    assert remove_stale_staging(tmp_path) == [due]
    assert young.exists()


@pytest.mark.parametrize("kind", ["young", "locked", "unopenable"])
def test_one_entry_to_skip_does_not_stop_the_cleanup(tmp_path: Path, kind: str) -> None:
    """Whatever the directory order, every other stale staging directory is still removed."""
    import fcntl

    stale = [_staging(tmp_path, f"s{i:02d}", owner=True) for i in range(20)]
    skip = _staging(tmp_path, "skip", owner=kind == "locked")
    fd = None
    if kind == "locked":
        fd = os.open(skip / ".owner", os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
    elif kind == "unopenable":
        (skip / ".owner").mkdir()  # opening it for writing fails (EISDIR)
        old = time.time() - 3600
        os.utime(skip, (old, old))
    try:
        assert sorted(remove_stale_staging(tmp_path)) == sorted(stale)
    finally:
        if fd is not None:
            os.close(fd)
    assert os.listdir(tmp_path) == [skip.name]
