"""Shared reader I/O: whole-document JSON versus JSONL, and the mapping helpers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from incident_lab.readers.base import Record, head_object, iter_json_documents
from incident_lab.readers.mapping import (
    RAW_ARGUMENTS_KEY,
    guarded,
    nanos_to_rfc3339,
    normalise_timestamp,
    parse_arguments,
    text_of,
)


def _docs(path: Path) -> list[tuple]:
    return [(ln, obj, rej.reason if rej else None) for ln, obj, rej in iter_json_documents(path)]


def test_pretty_printed_object_and_array_are_one_document(tmp_path: Path) -> None:
    """An indented object or an array is parsed whole and yielded once."""
    obj = tmp_path / "o.json"
    obj.write_text(json.dumps({"a": [1, 2]}, indent=2))
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"a": 1}, {"b": 2}], indent=2))
    assert _docs(obj) == [(1, {"a": [1, 2]}, None)]
    assert _docs(arr) == [(1, [{"a": 1}, {"b": 2}], None)]


def test_jsonl_stays_line_by_line_even_with_a_broken_first_line(tmp_path: Path) -> None:
    """A damaged first line of JSONL costs that line only."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1\n{"b": 2}\n')
    docs = _docs(path)
    assert docs[0][0] == 1 and "malformed JSON" in docs[0][2]
    assert docs[1] == (2, {"b": 2}, None)


def test_broken_document_is_one_reject_naming_the_line(tmp_path: Path) -> None:
    """A pretty-printed document with an error reports the line of the error."""
    path = tmp_path / "x.json"
    path.write_text('{\n  "a": 1,\n  "b": ]\n}\n')
    ((line, obj, reason),) = _docs(path)
    assert line == 3 and obj is None and "line 3" in reason


def test_document_with_invalid_utf8_or_corrupt_gzip(tmp_path: Path) -> None:
    """Decoding problems in a whole document are rejects, not exceptions."""
    bad = tmp_path / "u.json"
    bad.write_bytes(b'{\n  "a": "\xff"\n}\n')
    assert _docs(bad)[0][0] == 2 and "invalid UTF-8" in _docs(bad)[0][2]
    gz = tmp_path / "g.json.gz"
    data = gzip.compress(json.dumps({"k": "v" * 5000}, indent=2).encode())
    gz.write_bytes(data[: len(data) // 2])
    assert "corrupt or truncated" in _docs(gz)[0][2]


def test_head_object_reads_only_the_first_line() -> None:
    """Sniffers see the first non-blank JSONL line, or None."""
    assert head_object(b'\n{"a": 1}\n{"b"') == {"a": 1}
    assert head_object(b"{\n") is None


@pytest.mark.parametrize(
    ("raw", "args", "flagged"),
    [
        ({"a": 1}, {"a": 1}, False),
        ('{"a": 1}', {"a": 1}, False),
        ("", {}, False),
        (None, {}, False),
        ('{"a": ', {RAW_ARGUMENTS_KEY: '{"a": '}, True),
        ("[1]", {RAW_ARGUMENTS_KEY: "[1]"}, True),
        (7, {RAW_ARGUMENTS_KEY: 7}, True),
    ],
)
def test_parse_arguments_never_drops_a_call(raw: object, args: dict, flagged: bool) -> None:
    """Objects pass, JSON strings parse, anything else is kept raw and flagged."""
    got, problem = parse_arguments(raw)
    assert got == args and (problem is not None) == flagged


def test_text_of_joins_text_parts_and_keeps_others() -> None:
    """OpenAI/OTel/Inspect text parts join; other parts are returned for preservation."""
    image = {"type": "image_url", "image_url": {"url": "u"}}
    assert text_of(
        [{"type": "text", "text": "a"}, image, {"type": "text", "content": "b"}, "c"]
    ) == ("a\nb\nc", [image])
    assert text_of(None) == ("", [])


def test_timestamps_normalise_to_rfc3339_utc() -> None:
    """Offsets, Unix seconds and OTLP nanoseconds become RFC 3339 UTC; junk is None."""
    assert normalise_timestamp("2026-02-01T13:00:00+01:00") == "2026-02-01T12:00:00Z"
    assert normalise_timestamp(0) == "1970-01-01T00:00:00Z"
    assert normalise_timestamp("2026-02-01 12:00") is None
    assert nanos_to_rfc3339("1769947203500000000") == "2026-02-01T12:00:03.500000Z"
    assert nanos_to_rfc3339("0") is None and nanos_to_rfc3339("x") is None


def test_guarded_turns_an_unforeseen_shape_into_a_reject() -> None:
    """The safety net returns a reject naming the exception instead of raising."""
    result, bug = guarded(lambda: {}["missing"], path="p", line=4, entry="e")
    assert result is None and bug is not None
    assert (bug.line, bug.entry) == (4, "e") and bug.reason.startswith("reader could not map")


def test_read_bounded_reads_small_files_without_allocating_the_limit(tmp_path: Path) -> None:
    """A 100-byte file under the 64 MB document limit: its bytes, and a peak allocation
    near its size (reading ``limit + 1`` at once allocated 64 MB per file)."""
    import tracemalloc

    from incident_lab.readers.base import MAX_DOCUMENT_BYTES, read_bounded

    path = tmp_path / "small.yaml"
    path.write_bytes(b"x" * 100)
    tracemalloc.start()
    try:
        data = read_bounded(path, MAX_DOCUMENT_BYTES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data == b"x" * 100
    assert peak < 1 << 20, peak


def test_read_bounded_limits_and_sizes(tmp_path: Path) -> None:
    """At the limit: the data; one byte over: None; empty: empty; a file whose size
    stat does not report (``/proc``) and one longer than 1 MB are read to their end."""
    from incident_lab.readers.base import read_bounded

    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert read_bounded(path, 3) == b"abc"
    assert read_bounded(path, 2) is None
    path.write_bytes(b"")
    assert read_bounded(path, 3) == b""
    big = bytes(range(256)) * 9000  # 2.3 MB: read past the 1 MB steps
    path.write_bytes(big)
    assert read_bounded(path, len(big)) == big
    assert read_bounded(path, len(big) - 1) is None
    status = Path("/proc/self/status")
    if status.is_file():  # a regular file that reports size 0
        assert status.stat().st_size == 0
        assert read_bounded(status, 1 << 20).startswith(b"Name:")


@pytest.mark.parametrize(
    "extra",
    [{"trajectory": {"session_id": "s"}}, {"reason": "bad"}],
    ids=["with_trajectory", "with_reason"],
)
def test_a_warning_stands_alone(extra: dict) -> None:
    """A warning with a trajectory or a reason would lose the record or the warning in
    classify and snapshot, so it is refused (review revresp38b M1)."""
    with pytest.raises(ValueError, match="warning"):
        Record("p.jsonl", 3, warning="clock skew", **extra)
    assert Record("p.jsonl", None, warning="file-level note").warning == "file-level note"
    assert Record("p.jsonl", 3, **extra).warning is None
