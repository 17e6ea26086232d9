"""Mutation-driven tests for ``evidence/scan.py`` (issue 14): the one pass over a source.

Each test pins what a scan yields for a source (candidates, rejects and their exact
reasons, line numbers, the raw bytes kept) and what it records about the file (size,
SHA-256 of the bytes on disk, progress), through :class:`SourceScan` and its helpers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.evidence import fastjson
from incident_lab.evidence.scan import (
    CHUNK,
    TOO_DEEP,
    Candidate,
    SourceScan,
    excerpt_of,
    hash_file,
    source_path,
)
from incident_lab.readers.base import Record

from .conftest import make_session


def _scan(path: Path, fmt: str = "native", **kw: Any) -> tuple[SourceScan, list[Any]]:
    scan = SourceScan(str(path), fmt, max_line_bytes=kw.pop("max_line_bytes", 1 << 20), **kw)
    return scan, list(scan)


def test_hash_file_reads_in_chunks_and_reports_progress(tmp_path: Path) -> None:
    data = bytes(range(256)) * (CHUNK * 2 // 256) + b"tail"
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    seen: list[int] = []
    assert hash_file(str(path), seen.append) == (len(data), hashlib.sha256(data).hexdigest())
    assert seen == [CHUNK, CHUNK, 4]
    assert CHUNK == 1 << 20
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert hash_file(str(empty)) == (0, hashlib.sha256(b"").hexdigest())


def test_excerpt_of_keeps_200_bytes_and_replaces_bad_utf8() -> None:
    assert excerpt_of(b"x" * 300) == "x" * 200
    assert excerpt_of(b"ab\xffc") == "ab\ufffdc"
    assert excerpt_of(b"") == ""


def test_source_path_is_absolute_and_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "log.jsonl").write_text("")
    monkeypatch.chdir(tmp_path / "d")
    assert source_path("../d/./log.jsonl") == str((tmp_path / "d" / "log.jsonl").resolve())


def test_a_native_scan_yields_candidates_and_rejects_in_file_order(tmp_path: Path) -> None:
    good = json.dumps(make_session(1)).encode()
    lines = [
        good + b"\n",
        b"\n",  # blank: not a record, but it still counts as a line
        b"   \t\n",
        b'{"a": 1,}\n',
        b"[1, 2]\n",
        b"[" * 5000 + b"]" * 5000 + b"\n",
        b'{"nan": NaN}\r\n',
        b"\xff\xfe{}\n",
        b'"just a string"\n',
        good,  # the last line has no newline
    ]
    path = tmp_path / "log.jsonl"
    data = b"".join(lines)
    path.write_bytes(data)
    progress: list[int] = []
    scan, items = _scan(path, on_bytes=progress.append)
    assert scan.records == len(items) == 8
    assert (scan.size, scan.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert sum(progress) == len(data)
    first, bad, array, deep, nan, utf8, string, last = items

    assert isinstance(first, Candidate)
    assert (first.obj, first.raw, first.path, first.line, first.fmt) == (
        make_session(1),
        good + b"\n",
        str(path),
        1,
        "native",
    )
    assert first.fast is (fastjson._orjson is not None)

    assert isinstance(bad, Record) and bad.line == 4
    assert (
        bad.reason
        == "malformed JSON at column 9: Expecting property name enclosed in double quotes"
    )
    assert bad.excerpt == '{"a": 1,}'
    assert bad.path == str(path)

    assert isinstance(array, Record) and array.line == 5
    assert array.reason == "schema: (root): [1, 2] is not of type 'object'"
    assert array.excerpt == "[1, 2]\n"

    assert isinstance(deep, Record) and deep.line == 6
    assert deep.reason == TOO_DEEP
    assert deep.excerpt == "[" * 200

    assert isinstance(nan, Candidate) and nan.line == 7 and nan.fast is False
    assert nan.raw == b'{"nan": NaN}\r\n' and str(nan.obj["nan"]) == "nan"

    assert isinstance(utf8, Record) and utf8.line == 8
    assert utf8.reason == "invalid UTF-8 at byte 0"
    assert utf8.excerpt == "\ufffd\ufffd{}"

    assert isinstance(string, Record) and string.line == 9
    assert string.reason == "schema: (root): 'just a string' is not of type 'object'"

    assert isinstance(last, Candidate) and last.line == 10 and last.raw == good


def test_a_long_non_object_is_shown_cut_to_80_characters(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(json.dumps(list(range(100))).encode() + b"\n")
    _, (rec,) = _scan(path)
    shown = repr(list(range(100)))[:80]
    assert rec.reason == f"schema: (root): {shown} is not of type 'object'"


def test_a_deep_non_object_is_too_deep(tmp_path: Path) -> None:
    """orjson refuses it (depth), the stdlib too: the reason names the nesting."""
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"[" * 3000 + b"]" * 3000 + b"\n" + b"[" * 600 + b"]" * 600 + b"\n")
    _, items = _scan(path)
    assert [r.reason for r in items] == [
        TOO_DEEP,
        "schema: (root): " + ("[" * 80) + " is not of type 'object'",
    ]


def test_a_line_over_the_limit_is_rejected_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    good = json.dumps(make_session(2)).encode() + b"\n"
    path.write_bytes(b'{"x": "' + b"a" * 5000 + b'"}\n' + good)
    scan, (big, ok) = _scan(path, max_line_bytes=2000)
    assert isinstance(big, Record) and big.line == 1
    assert big.reason == (
        "line is 5,010 bytes, over the 2,000-byte limit (raise --max-line-bytes to accept it)"
    )
    assert isinstance(ok, Candidate) and ok.line == 2
    assert scan.size == path.stat().st_size


def test_a_gzip_source_is_hashed_as_stored_and_parsed_decompressed(tmp_path: Path) -> None:
    good = json.dumps(make_session(3)).encode() + b"\n"
    packed = gzip.compress(good + b"[1]\n")
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(packed)
    scan, (cand, rec) = _scan(path)
    assert isinstance(cand, Candidate) and cand.raw == good and cand.line == 1
    assert isinstance(rec, Record) and rec.line == 2
    assert (scan.size, scan.sha256) == (len(packed), hashlib.sha256(packed).hexdigest())


def test_a_corrupt_gzip_still_hashes_every_byte(tmp_path: Path) -> None:
    good = json.dumps(make_session(3)).encode() + b"\n"
    packed = gzip.compress(good * 50)
    data = packed[: len(packed) // 2] + b"garbage" * 1000
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(data)
    scan, items = _scan(path)
    assert [(i.path, i.line, i.reason) for i in items] == [
        (
            str(path),
            1,
            "compressed stream is corrupt or truncated: "
            "Compressed file ended before the end-of-stream marker was reached",
        )
    ]
    assert (scan.size, scan.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_a_native_source_is_read_in_1_mib_chunks(tmp_path: Path) -> None:
    line = json.dumps(make_session(3)).encode() + b"\n"
    data = line * (3 * CHUNK // len(line))
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    seen: list[int] = []
    scan, items = _scan(path, on_bytes=seen.append)
    assert len(items) == scan.records == data.count(b"\n")
    assert seen == [CHUNK, CHUNK, len(data) - 2 * CHUNK]


def test_other_formats_go_through_their_reader(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "robot", "content": "hi"}]},
    ]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(data)
    seen: list[int] = []
    scan, (cand, rec) = _scan(path, "openai_chat", on_bytes=seen.append)
    assert isinstance(cand, Candidate) and cand.raw is None and cand.fast is False
    assert (cand.path, cand.line, cand.fmt) == (str(path), 1, "openai_chat")
    assert [s["content"] for s in cand.obj["steps"]] == ["hi", "yo"]
    assert isinstance(rec, Record) and rec.line == 2 and "robot" in (rec.reason or "")
    assert scan.records == 2
    assert (scan.size, scan.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert seen == [len(data)]


def test_a_forced_format_is_not_detected_again(tmp_path: Path) -> None:
    """Chat logs forced through the events reader are that reader's rejects."""
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n", "utf-8")
    _, items = _scan(path, "events")
    assert [(type(i).__name__, i.reason) for i in items] == [
        ("Record", "event has no session_id (a non-empty string)")
    ]


def test_other_formats_keep_the_line_limit(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    msg = {"messages": [{"role": "user", "content": "x" * 3000}]}
    path.write_text(json.dumps(msg) + "\n", "utf-8")
    _, (rec,) = _scan(path, "openai_chat", max_line_bytes=2000)
    assert isinstance(rec, Record) and rec.line == 1
    assert rec.reason is not None and rec.reason.endswith(
        "over the 2,000-byte limit (raise --max-line-bytes to accept it)"
    )


def test_nothing_is_known_about_a_source_before_it_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(json.dumps(make_session(1)).encode() + b"\n")
    scan = SourceScan(str(path), "native", max_line_bytes=1 << 20)
    assert (scan.size, scan.sha256, scan.records) == (0, "", 0)
    assert (scan.path, scan.fmt, scan.max_line_bytes, scan.together) == (
        str(path),
        "native",
        1 << 20,
        (),
    )


def test_a_malformed_line_is_shown_without_its_line_ending_only(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1,}  \r\n{"a": 1}X\n')
    _, (spaces, extra) = _scan(path)
    assert spaces.excerpt == '{"a": 1,}  '
    assert extra.excerpt == '{"a": 1}X'
    assert extra.reason == "malformed JSON at column 9: Extra data"
