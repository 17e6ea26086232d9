"""Mutation-driven tests for ``evidence/snapshot.py`` (issue 14): option errors with their
exact messages, sources read together or refused, the snapshot event, rejects' mode."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from incident_lab.errors import EXIT_USAGE, InputError, UsageError
from incident_lab.evidence import take_snapshot
from incident_lab.readers import get_readers

from .conftest import make_session, read_jsonl, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, tzinfo=UTC)
OTEL = Path(__file__).resolve().parents[2] / "fixtures" / "otel_genai" / "v2.1b0_capture_true"


def _usage(tmp_path: Path, sources: list[Path], **kw: object) -> str:
    with pytest.raises(UsageError) as info:
        take_snapshot(sources, out=tmp_path / "b", now=NOW, **kw)  # type: ignore[arg-type]
    assert info.value.exit_code == EXIT_USAGE
    assert not (tmp_path / "b").exists()
    return info.value.render()


def test_option_errors_say_exactly_what_is_wrong(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    assert _usage(tmp_path, []) == (
        "no sources given (hint: pass --from PATH (a log file or a directory))"
    )
    assert _usage(tmp_path, [log], max_line_bytes=0) == ("--max-line-bytes must be positive, got 0")
    assert _usage(tmp_path, [log], fmt="nope") == (
        "unknown format 'nope' (hint: one of: " + ", ".join(sorted(get_readers())) + ")"
    )
    assert _usage(tmp_path, [log], incident_id="a\nb") == (
        "--incident-id must be 1-200 printable characters"
    )


def test_a_one_byte_line_limit_is_allowed(tmp_path: Path) -> None:
    """--max-line-bytes 1 is positive: every longer line becomes a reject (exit 5)."""
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    result = take_snapshot([log], max_line_bytes=1, out=tmp_path / "b", now=NOW)
    assert result.exit_code == 5
    assert result.summary["counts"] == {"read": 1, "accepted": 0, "rejected": 1, "filtered_out": 0}


def test_an_empty_directory_has_nothing_to_read(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as info:
        take_snapshot([tmp_path / "empty"], out=tmp_path / "b", now=NOW)
    assert info.value.exit_code == EXIT_USAGE
    assert info.value.render() == f"nothing to read: no files under {tmp_path / 'empty'}"


def test_an_explicit_file_no_reader_knows_is_an_error_not_a_reject(tmp_path: Path) -> None:
    """Named on the command line it stops the run; found in a directory it is a reject."""
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    with pytest.raises(InputError):
        take_snapshot([log, notes], out=tmp_path / "b", now=NOW)
    assert not (tmp_path / "b").exists()


def test_two_refused_links_and_a_file_after_an_unknown_one(tmp_path: Path) -> None:
    """Each refused link is one record read; a file after one of unknown format is read."""
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(tmp_path / "outside.jsonl", [make_session(9)])
    (src / "a-link.jsonl").symlink_to(tmp_path / "outside.jsonl")
    (src / "b-link.jsonl").symlink_to(tmp_path / "outside.jsonl")
    (src / "c-notes.txt").write_text("hello\n")
    write_jsonl(src / "d-log.jsonl", [make_session(0), make_session(1)])
    result = take_snapshot([src], out=tmp_path / "b", now=NOW)
    assert result.summary["counts"] == {"read": 5, "accepted": 2, "rejected": 3, "filtered_out": 0}
    assert [r["format"] for r in read_jsonl(result.bundle / "rejects.jsonl")] == [
        "refused",
        "refused",
        "unknown",
    ]
    followed = take_snapshot([src], out=tmp_path / "c", now=NOW, follow_symlinks=True)
    assert followed.summary["counts"] == {
        "read": 5,
        "accepted": 4,
        "rejected": 1,
        "filtered_out": 0,
    }


def test_a_bad_line_is_rejected_under_its_reader_name(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0), b"not json"])
    result = take_snapshot([log], out=tmp_path / "b", now=NOW)
    (row,) = read_jsonl(result.bundle / "rejects.jsonl")
    assert (row["format"], row["line"], row["source"]) == ("native", 2, str(log))


def test_rejects_are_private_trajectories_are_not(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0), b"not json"])
    old = os.umask(0o022)
    try:
        bundle = take_snapshot([log], out=tmp_path / "b", now=NOW).bundle
    finally:
        os.umask(old)
    assert stat.S_IMODE((bundle / "rejects.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((bundle / "trajectories.jsonl").stat().st_mode) == 0o644


def test_the_snapshot_event_whole(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0), make_session(1)])
    result = take_snapshot([log], last=1, incident_id="INC-7", out=tmp_path / "b", now=NOW)
    (event,) = read_jsonl(result.bundle / "timeline.jsonl")
    assert {k: event[k] for k in ("action", "time", "incident_id", "bundle", "details")} == {
        "action": "snapshot",
        "time": "2026-02-01T13:00:00Z",
        "incident_id": "INC-7",
        "bundle": "b",
        "details": {
            "counts": {"read": 2, "accepted": 1, "rejected": 0, "filtered_out": 1},
            "sources": 1,
            "filters": result.manifest["filters"],
        },
    }
    assert result.manifest["filters"]["last"] == 1
    assert event["actor"] == result.manifest["collector"]


def test_a_time_in_another_zone_is_recorded_in_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``now`` at +02:00 on a host whose local zone is not UTC: collected_at is in UTC."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
        now = datetime(2026, 2, 1, 15, 0, 30, 999, tzinfo=timezone(timedelta(hours=2)))
        result = take_snapshot([log], out=tmp_path / "b", now=now)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert result.manifest["collected_at"] == "2026-02-01T13:00:30Z"


def test_fifty_duplicate_ids_at_most_are_listed(tmp_path: Path) -> None:
    sessions = [make_session(i) for i in range(51)] * 2
    log = write_jsonl(tmp_path / "log.jsonl", sessions)
    result = take_snapshot([log], out=tmp_path / "b", now=NOW)
    dups = result.summary["duplicate_session_ids"]
    assert dups == {f"sess-{i:04d}": 2 for i in range(50)}


def test_traces_and_logs_are_read_together_then_the_next_file(tmp_path: Path) -> None:
    """The logs file is read with its group's first file (0 records, its own size and
    hash); a native file after it is still read."""
    traces, logs = OTEL / "traces.jsonl", OTEL / "logs.jsonl"
    native = write_jsonl(tmp_path / "z.jsonl", [make_session(0)])
    result = take_snapshot([traces, logs, native], out=tmp_path / "b", now=NOW)
    assert result.summary["counts"] == {"read": 2, "accepted": 2, "rejected": 0, "filtered_out": 0}
    rows = result.manifest["sources"]
    assert [(r["path"], r["format"], r["records"]) for r in rows] == [
        (str(traces), "otel", 1),
        (str(logs), "otel", 0),
        (str(native.resolve()), "native", 1),
    ]
    assert (rows[1]["size"], rows[1]["sha256"]) == (
        logs.stat().st_size,
        hashlib.sha256(logs.read_bytes()).hexdigest(),
    )
    first = json.loads((result.bundle / "trajectories.jsonl").read_text().splitlines()[0])
    assert len(first["steps"]) == 7


def test_two_empty_directories_are_both_named(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    with pytest.raises(InputError) as info:
        take_snapshot([tmp_path / "a", tmp_path / "b"], out=tmp_path / "o", now=NOW)
    assert info.value.render() == (
        f"nothing to read: no files under {tmp_path / 'a'}, {tmp_path / 'b'}"
    )


def test_progress_counts_the_bytes_of_files_read_together(tmp_path: Path) -> None:
    traces, logs = OTEL / "traces.jsonl", OTEL / "logs.jsonl"
    calls: list[tuple[int, int]] = []
    take_snapshot(
        [traces, logs], out=tmp_path / "b", now=NOW, progress=lambda a, b: calls.append((a, b))
    )
    total = traces.stat().st_size + logs.stat().st_size
    assert calls[-1] == (total, total)


def test_an_event_signed_before_the_snapshot_keeps_its_signature(tmp_path: Path) -> None:
    """Adopted events already signed (here with another key) are kept as they are; only
    unsigned ones are signed with the snapshot's key."""
    from incident_lab.evidence.signing import generate_keypair, load_private_key
    from incident_lab.evidence.timeline import encode_event, record_event, sign_event

    generate_keypair(tmp_path / "a.pem", tmp_path / "a.pub")
    generate_keypair(tmp_path / "b.pem", tmp_path / "b.pub")
    inc = tmp_path / "inc"
    first = record_event(inc, {"action": "contain", "time": "2026-02-01T12:30:00Z"})
    signed = sign_event(first, load_private_key(tmp_path / "a.pem"))
    (inc / "timeline.jsonl").write_bytes(encode_event(signed))
    record_event(inc, {"action": "notify", "time": "2026-02-01T12:31:00Z"})
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    bundle = take_snapshot([log], out=inc, now=NOW, sign_key=tmp_path / "b.pem").bundle
    events = read_jsonl(bundle / "timeline.jsonl")
    assert events[0] == signed
    second = sign_event(
        {k: v for k, v in events[1].items() if k != "signature"},
        load_private_key(tmp_path / "b.pem"),
    )
    assert events[1]["signature"] == second["signature"]


def test_groups_are_per_reader(tmp_path: Path) -> None:
    """OTel files and an OpenInference file (both read in groups) form two groups: each
    reader reads its own files."""
    spans = Path(__file__).resolve().parents[2] / "fixtures" / "openinference" / "spans.jsonl"
    traces, logs = OTEL / "traces.jsonl", OTEL / "logs.jsonl"
    result = take_snapshot([traces, logs, spans], out=tmp_path / "b", now=NOW)
    assert result.summary["counts"] == {"read": 2, "accepted": 2, "rejected": 0, "filtered_out": 0}
    assert [(r["format"], r["records"]) for r in result.manifest["sources"]] == [
        ("otel", 1),
        ("otel", 0),
        ("openinference", 1),
    ]
