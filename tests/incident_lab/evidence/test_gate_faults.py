"""The input gate (FIFOs, symlinks, bombs, blank floods) and faults during a snapshot."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from incident_lab.evidence import take_snapshot
from incident_lab.evidence.bundle import STAGING_MARK, remove_stale_staging
from incident_lab.evidence.verify import verify_bundle
from tests.incident_lab.evidence.conftest import make_session, read_jsonl, write_jsonl


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging: anything blocking for 10 s raises."""

    def _boom(signum: int, frame: object) -> None:
        raise TimeoutError("hung (a FIFO was opened?)")

    old = signal.signal(signal.SIGALRM, _boom)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _logs(tmp_path: Path, n: int = 3) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_jsonl(logs / "a.jsonl", [make_session(i) for i in range(n)])
    return logs


def _staging(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if STAGING_MARK in p.name]


def test_fifo_in_a_log_folder_is_a_reject_not_a_hang(tmp_path: Path, alarm: None) -> None:
    logs = _logs(tmp_path)
    os.mkfifo(logs / "pipe.jsonl")
    result = take_snapshot([logs], out=tmp_path / "b")
    rows = read_jsonl(result.bundle / "rejects.jsonl")
    assert [r["source"].endswith("pipe.jsonl") for r in rows] == [True]
    assert "FIFO" in rows[0]["reason"] and rows[0]["excerpt"] is None
    assert result.summary["counts"] == {"read": 4, "accepted": 3, "rejected": 1, "filtered_out": 0}
    assert verify_bundle(result.bundle).ok


def test_fifo_given_as_from_is_exit_3(tmp_path: Path, invoke, alarm: None) -> None:
    os.mkfifo(tmp_path / "pipe")
    code, _out, err = invoke("snapshot", "--from", tmp_path / "pipe", "--out", tmp_path / "b")
    assert code == 3 and "FIFO" in err and str(tmp_path / "pipe") in err
    assert len(err.strip().splitlines()) == 1


def test_symlink_out_of_root_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    logs = _logs(tmp_path)
    (logs / "leak.jsonl").symlink_to(secret)
    (logs / "inside.jsonl").symlink_to(logs / "a.jsonl")  # inside the root: read
    result = take_snapshot([logs], out=tmp_path / "b")
    rows = read_jsonl(result.bundle / "rejects.jsonl")
    assert len(rows) == 1 and "outside the given directory" in rows[0]["reason"]
    for name in ("rejects.jsonl", "manifest.json", "trajectories.jsonl", "timeline.jsonl"):
        assert b"wJalrXUtnFEMI" not in (result.bundle / name).read_bytes()
    assert result.summary["counts"]["accepted"] == 6
    assert (result.bundle / "rejects.jsonl").stat().st_mode & 0o777 == 0o600
    assert verify_bundle(result.bundle).ok


def test_follow_symlinks_reads_them(tmp_path: Path, invoke) -> None:
    outside = write_jsonl(tmp_path / "other.jsonl", [make_session(9)])
    logs = _logs(tmp_path, 1)
    (logs / "x.jsonl").symlink_to(outside)
    code, _out, err = invoke(
        "snapshot", "--from", logs, "--out", tmp_path / "b", "--follow-symlinks"
    )
    assert code == 0, err
    assert len(read_jsonl(tmp_path / "b" / "trajectories.jsonl")) == 2


def test_a_symlink_loop_in_a_log_folder_is_a_refused_row(tmp_path: Path, invoke) -> None:
    """Two links pointing at each other cannot be resolved: each is a refused row naming
    the link (as any other symlink not read), the rest of the folder is read (revcc36b N6:
    an internal error, exit 4)."""
    logs = _logs(tmp_path, 1)
    (logs / "a.loop").symlink_to("b.loop")
    (logs / "b.loop").symlink_to("a.loop")
    code, _out, err = invoke("snapshot", "--from", logs, "--out", tmp_path / "b")
    assert code == 5, err
    rows = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert [(r["format"], Path(r["source"]).name) for r in rows] == [
        ("refused", "a.loop"),
        ("refused", "b.loop"),
    ]
    assert all("not read" in r["reason"] for r in rows)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    paths = {row["path"] for row in manifest["sources"]}
    assert {str(logs / "a.loop"), str(logs / "b.loop")} <= paths
    assert len(read_jsonl(tmp_path / "b" / "trajectories.jsonl")) == 1


def _gz(path: Path, chunk: bytes, times: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(times):
            fh.write(chunk)
    return path


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    """A whole-file document expanding 1000x stops at the cap: one reject, memory bounded."""
    logs = _logs(tmp_path)
    _gz(logs / "bomb.json.gz", b"[" + b" " * (1 << 20), 40)  # 40 MiB from ~40 KB
    start = time.process_time()
    result = take_snapshot([logs], out=tmp_path / "b", fmt="otel")
    elapsed = time.process_time() - start
    reasons = [r["reason"] for r in read_jsonl(result.bundle / "rejects.jsonl")]
    assert any("decompression bomb" in r for r in reasons), reasons
    assert elapsed < 10


def test_blank_line_flood_is_cheap(tmp_path: Path) -> None:
    """30 MiB of newlines (under the cap) then one session: skipped a buffer at a time."""
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "nl.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(30):
            fh.write(b"\n" * (1 << 20))
        fh.write(json.dumps(make_session(1)).encode() + b"\n")
    start = time.process_time()
    result = take_snapshot([logs], out=tmp_path / "b")
    elapsed = time.process_time() - start
    assert result.summary["counts"] == {"read": 1, "accepted": 1, "rejected": 0, "filtered_out": 0}
    assert elapsed < 5, f"{elapsed:.1f}s for a blank-line flood"


def test_newline_bomb_over_the_cap_is_a_reject(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _gz(logs / "nl.jsonl.gz", b"\n" * (1 << 20), 40)
    result = take_snapshot([logs], out=tmp_path / "b", fmt="native")
    [row] = read_jsonl(result.bundle / "rejects.jsonl")
    assert "decompressed size over 33,554,432 bytes" in row["reason"]


# -- cleanup after faults -----------------------------------------------------------------


def test_stale_staging_is_removed_and_live_one_kept(tmp_path: Path) -> None:
    import fcntl

    stale = tmp_path / f".incident_x{STAGING_MARK}dead"
    stale.mkdir()
    (stale / ".owner").write_text("12345")
    (stale / "trajectories.jsonl").write_bytes(b"x" * 1000)
    live = tmp_path / f".incident_y{STAGING_MARK}live"
    live.mkdir()
    fd = os.open(live / ".owner", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        take_snapshot([write_jsonl(tmp_path / "s.jsonl", [make_session(1)])], out=tmp_path / "b")
        assert not stale.exists() and live.exists()
    finally:
        os.close(fd)
    assert remove_stale_staging(tmp_path) == [live]


def test_enospc_during_snapshot_leaves_no_staging(tmp_path: Path, monkeypatch, invoke) -> None:
    """A full disk: the write fails, abandon cannot flush, the staging still goes."""
    out = tmp_path / "out"
    out.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(out)], capture_output=True
        ).returncode
        == 0
    )
    try:
        log = write_jsonl(tmp_path / "s.jsonl", [make_session(i) for i in range(2500)])
        if not mounted:  # no tmpfs here: fail the writes the way a full disk does
            from incident_lab.evidence import bundle as bundle_mod

            real = bundle_mod.HashingWriter.write_line

            def full(self, data: bytes) -> None:
                if self.size > 200_000:
                    raise OSError(errno.ENOSPC, "No space left on device")
                real(self, data)

            monkeypatch.setattr(bundle_mod.HashingWriter, "write_line", full)
        with pytest.raises(OSError) as info:
            take_snapshot([log], out=out / "b")
        assert info.value.errno == errno.ENOSPC
        assert os.listdir(out) == []
        code, _out, err = invoke("snapshot", "--from", log, "--out", out / "b")
        assert code == 3 and "No space left on device" in err and "internal" not in err
        assert os.listdir(out) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(out)], check=False)


def test_abandon_removes_staging_even_if_close_fails(tmp_path: Path) -> None:
    from incident_lab.evidence.bundle import StagedBundle

    with pytest.raises(RuntimeError), StagedBundle(tmp_path / "b") as stage:
        writer = stage.writer("trajectories.jsonl")
        writer.write_line(b"{}\n")

        real = writer._fh

        class Full:
            closed = False

            def close(self) -> None:  # what a buffered file does on a full disk
                real.close()
                raise OSError(errno.ENOSPC, "No space left on device")

        writer._fh = Full()  # type: ignore[assignment]
        raise RuntimeError("reader failed")
    assert _staging(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_signal_during_snapshot_leaves_no_staging(tmp_path: Path, sig: int) -> None:
    """SIGTERM/SIGINT unwind (staging removed, exit 130); after kill -9 the next run cleans up."""
    logs = tmp_path / "logs"
    logs.mkdir()
    row = json.dumps(make_session(1)).encode() + b"\n"
    with open(logs / "big.jsonl", "wb") as fh:
        fh.write(row * 60_000)  # ~60 MB: slow enough to be interrupted
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from incident_lab.cli.main import main; main()",
            "snapshot",
            "--from",
            str(logs),
            "--out",
            str(out / "b"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not _staging(out) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert _staging(out), "the snapshot never started staging"
    time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL and _staging(out)
        take_snapshot([write_jsonl(tmp_path / "s.jsonl", [make_session(2)])], out=out / "c")
    else:
        assert proc.returncode == 130, err
        assert b"interrupted" in err
    assert _staging(out) == []
    assert not (out / "b").exists()


def test_duplicate_session_ids_are_warned(tmp_path: Path, invoke) -> None:
    log = write_jsonl(tmp_path / "s.jsonl", [make_session(1), make_session(2), make_session(1)])
    code, out, err = invoke("snapshot", "--from", log, "--out", tmp_path / "b", "--json")
    assert code == 0
    assert json.loads(out)["duplicate_session_ids"] == {"sess-0001": 2}
    assert "warning: 1 session id(s) appear more than once" in err and "sess-0001 (2x)" in err
    assert len(read_jsonl(tmp_path / "b" / "trajectories.jsonl")) == 3  # nothing dropped
