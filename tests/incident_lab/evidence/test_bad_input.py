"""Bad input through ``incident_lab snapshot``: exact exit code, one stderr line, rejects kept.

Exit 5 = bundle written and complete, with rejected records listed in rejects.jsonl;
exit 3 = no bundle written. Never a traceback.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from incident_lab.evidence import take_snapshot
from tests.incident_lab.evidence.conftest import make_session, read_jsonl, write_jsonl


def _one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _snapshot_partial(invoke, source: Path, out: Path) -> list[dict]:
    """Run snapshot expecting exit 5; return the reject rows."""
    code, stdout, err = invoke("snapshot", "--from", source, "--out", out)
    assert code == 5, (stdout, err)
    line = _one_line(err)
    rejects = read_jsonl(out / "rejects.jsonl")
    assert f"{len(rejects)} input record(s) were rejected" in line
    assert str(out / "rejects.jsonl") in line
    assert stdout.startswith(f"bundle: {out}")
    return rejects


def test_malformed_json_is_rejected_with_line(tmp_path: Path, invoke) -> None:
    """A malformed line lands in rejects.jsonl with its file, line and JSON error."""
    src = write_jsonl(
        tmp_path / "s.jsonl", [make_session(1), b'{"session_id": "x", steps: []}', make_session(2)]
    )
    [row] = _snapshot_partial(invoke, src, tmp_path / "b")
    assert row["source"] == str(src) and row["line"] == 2 and row["format"] == "native"
    assert row["reason"].startswith("malformed JSON at column 21")
    assert row["excerpt"] == '{"session_id": "x", steps: []}'


def test_truncated_last_line_is_rejected(tmp_path: Path, invoke) -> None:
    """A line cut mid-record (log rotated mid-write) is a reject, the rest is kept."""
    whole = json.dumps(make_session(3)).encode()
    src = write_jsonl(tmp_path / "s.jsonl", [make_session(1)], extra=whole[: len(whole) // 2])
    [row] = _snapshot_partial(invoke, src, tmp_path / "b")
    assert row["line"] == 2 and "malformed JSON" in row["reason"]
    assert len(read_jsonl(tmp_path / "b" / "trajectories.jsonl")) == 1


def test_invalid_utf8_is_rejected(tmp_path: Path, invoke) -> None:
    """Invalid UTF-8 names the byte offset."""
    bad = json.dumps(make_session(2)).encode().replace(b"Summarise", b"Summ\xc3\x28rise")
    src = write_jsonl(tmp_path / "s.jsonl", [make_session(1), bad])
    [row] = _snapshot_partial(invoke, src, tmp_path / "b")
    assert row["line"] == 2 and row["reason"].startswith("invalid UTF-8 at byte ")


def test_wrong_types_are_schema_rejects(tmp_path: Path, invoke) -> None:
    """Wrong field types (steps a string, session_id a number, a bare array) are schema rejects."""
    src = write_jsonl(
        tmp_path / "s.jsonl",
        [make_session(1), make_session(2, steps="none"), make_session(3, session_id=7), [1, 2]],
    )
    rows = _snapshot_partial(invoke, src, tmp_path / "b")
    assert [r["line"] for r in rows] == [2, 3, 4]
    by_line = {r["line"]: r["reason"] for r in rows}
    assert "steps" in by_line[2] and "session_id" in by_line[3] and "object" in by_line[4]
    assert all(r.startswith("schema: ") for r in by_line.values())


def test_50mb_line_is_rejected_without_loading_it(tmp_path: Path, invoke) -> None:
    """A 50 MB single line is rejected (size named); memory stays far below the line's size."""
    src = tmp_path / "huge.jsonl"
    with open(src, "wb") as fh:
        fh.write(json.dumps(make_session(1)).encode() + b"\n")
        fh.write(b'{"session_id": "huge", "steps": [], "blob": "')
        chunk = b"A" * (1 << 20)
        for _ in range(50):
            fh.write(chunk)
        fh.write(b'"}\n')
        fh.write(json.dumps(make_session(2)).encode() + b"\n")
    tracemalloc.start()
    try:
        result = take_snapshot([src], out=tmp_path / "lib", max_line_bytes=4 << 20)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20, f"peak {peak / 1e6:.1f} MB while skipping a 50 MB line"
    assert result.manifest["counts"] == {"read": 3, "accepted": 2, "rejected": 1, "filtered_out": 0}
    [row] = _snapshot_partial(invoke, src, tmp_path / "b")  # default 16 MiB limit through the CLI
    assert row["line"] == 2 and "over the 16,777,216-byte limit" in row["reason"]
    assert "52,428,8" in row["reason"]


def test_empty_file_alone_writes_no_bundle(tmp_path: Path, invoke) -> None:
    """An empty source holds no records: exit 3, no bundle, message names the file."""
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"")
    code, out, err = invoke("snapshot", "--from", src, "--out", tmp_path / "b")
    assert code == 3 and out == ""
    assert "nothing to read" in _one_line(err) and str(src) in err
    assert not (tmp_path / "b").exists()


def test_missing_file_writes_no_bundle(tmp_path: Path, invoke) -> None:
    """A missing --from path: exit 3, its path in the one-line message."""
    code, _out, err = invoke("snapshot", "--from", tmp_path / "nope.jsonl", "--out", tmp_path / "b")
    assert code == 3
    assert f"{tmp_path / 'nope.jsonl'}: no such file or directory" in _one_line(err)
    assert not (tmp_path / "b").exists()


def test_corrupt_gzip_is_a_reject_naming_the_line(tmp_path: Path, invoke) -> None:
    """A gzip cut in the middle keeps the lines before the damage and rejects at the damage."""
    payload = b"".join(json.dumps(make_session(i)).encode() + b"\n" for i in range(50))
    data = gzip.compress(payload)
    src = tmp_path / "s.jsonl.gz"
    src.write_bytes(data[: len(data) * 2 // 3])
    rows = _snapshot_partial(invoke, src, tmp_path / "b")
    assert rows[-1]["reason"].startswith("compressed stream is corrupt or truncated")
    kept = read_jsonl(tmp_path / "b" / "trajectories.jsonl")
    assert 0 < len(kept) < 50 and rows[-1]["line"] == len(kept) + 1
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_bytes())
    assert manifest["sources"][0]["size"] == src.stat().st_size


def test_garbage_gzip_header_is_a_reject(tmp_path: Path, invoke) -> None:
    """A file with gzip magic but a broken stream is one reject at line 1."""
    src = tmp_path / "s.jsonl.gz"
    src.write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate" * 4)
    code, _out, err = invoke(
        "snapshot",
        "--from",
        src,
        "--from",
        write_jsonl(tmp_path / "ok.jsonl", [make_session(1)]),
        "--out",
        tmp_path / "b",
    )
    assert code == 5
    _one_line(err)
    [row] = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert row["source"] == str(src) and row["line"] == 1 and "compressed" in row["reason"]


def test_directory_of_mixed_formats(tmp_path: Path, invoke) -> None:
    """A directory with native, gzipped native, event-per-line, empty and unknown files:
    every readable record is kept, the unknown file is one reject, exit 5."""
    logs = tmp_path / "logs"
    logs.mkdir()
    write_jsonl(logs / "a.jsonl", [make_session(1), make_session(2)])
    (logs / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps(make_session(3)).encode() + b"\n"))
    write_jsonl(
        logs / "c-events.jsonl",
        [
            {
                "session_id": "ev-1",
                "timestamp": "2026-02-01T12:00:00Z",
                "type": "message",
                "role": "user",
                "content": "hi",
            },
            {
                "session_id": "ev-1",
                "timestamp": "2026-02-01T12:00:01Z",
                "type": "message",
                "role": "assistant",
                "content": "hello",
            },
        ],
    )
    (logs / "d-empty.jsonl").write_bytes(b"")
    (logs / "notes.txt").write_text("on-call notes, not a log\n")
    rows = _snapshot_partial(invoke, logs, tmp_path / "b")
    assert [(r["source"], r["format"]) for r in rows] == [(str(logs / "notes.txt"), "unknown")]
    kept = {t["session_id"] for t in read_jsonl(tmp_path / "b" / "trajectories.jsonl")}
    assert kept == {"sess-0001", "sess-0002", "sess-0003", "ev-1"}
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_bytes())
    formats = {Path(s["path"]).name: s["format"] for s in manifest["sources"]}
    assert formats == {
        "a.jsonl": "native",
        "b.jsonl.gz": "native",
        "c-events.jsonl": "events",
        "d-empty.jsonl": "native",
        "notes.txt": "unknown",
    }
    c = manifest["counts"]
    assert c["read"] == c["accepted"] + c["rejected"] + c["filtered_out"] == 5


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--last", "0"], "--last must be at least 1"),
        (["--since", "yesterday"], "--since 'yesterday'"),
        (["--format", "nope"], "unknown format 'nope'"),
        (["--max-line-bytes", "0"], "--max-line-bytes must be positive"),
        (["--policy", "/nonexistent/policy.yaml"], "policy file not found"),
        (["--sign-key", "/nonexistent/key.pem"], "signing key not found"),
        (["--last", "x"], "'x' is not a valid integer"),
    ],
)
def test_bad_options_exit_3_in_one_line(
    log: Path, tmp_path: Path, invoke, args: list[str], needle: str
) -> None:
    """Bad option values: exit 3, one line naming the problem, no bundle."""
    code, out, err = invoke("snapshot", "--from", log, "--out", tmp_path / "b", *args)
    assert code == 3 and out == ""
    assert needle in _one_line(err)
    assert not (tmp_path / "b").exists()


def test_not_a_key_exits_3(log: Path, tmp_path: Path, invoke) -> None:
    """A --sign-key that is not a PEM Ed25519 key is bad usage."""
    key = tmp_path / "k.pem"
    key.write_text("not a key")
    code, _out, err = invoke("snapshot", "--from", log, "--out", tmp_path / "b", "--sign-key", key)
    assert code == 3 and "not a PEM private key" in _one_line(err)
