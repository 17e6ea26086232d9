"""Mutation-driven tests for ``evidence/snapshot.py`` (issue 14): what a snapshot returns
and writes, pinned whole (the summary dict, the bytes of metrics.json, the adopted timeline).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence import take_snapshot
from incident_lab.evidence.manifest import collector
from incident_lab.evidence.signing import generate_keypair, load_public_key
from incident_lab.evidence.timeline import check_timeline, event_digest, record_event
from incident_lab.evidence.verify import verify_bundle

from .conftest import make_session, read_jsonl, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, tzinfo=UTC)


def test_the_summary_whole(tmp_path: Path) -> None:
    sessions = [make_session(i) for i in range(3)]
    sessions.append(make_session(1))  # a duplicate session id
    sessions[2]["agent"]["model"]["name"] = "modèle"
    log = write_jsonl(tmp_path / "log.jsonl", [*sessions, b"not json"])
    result = take_snapshot([log], out=tmp_path / "b", incident_id="INC-1", now=NOW)
    assert result.exit_code == 5
    assert result.summary == {
        "bundle": str(tmp_path / "b"),
        "incident_id": "INC-1",
        "collected_at": "2026-02-01T13:00:00Z",
        "counts": {"read": 5, "accepted": 4, "rejected": 1, "filtered_out": 0},
        "sources": 1,
        "bytes_read": log.stat().st_size,
        "sessions": 4,
        "time_range": {
            "first_started_at": "2026-02-01T12:00:00Z",
            "last_started_at": "2026-02-01T12:00:02Z",
            "sessions_without_started_at": 0,
        },
        "model_versions_seen": result.manifest["model_versions_seen"],
        "rejects": str(tmp_path / "b" / "rejects.jsonl"),
        "signed": False,
        "duplicate_session_ids": {"sess-0001": 2},
        "exit_code": 5,
        "warnings": [],
    }
    assert {"name": "modèle", "version": "2024-11-20", "sessions": 1} in (
        result.summary["model_versions_seen"]
    )
    clean = take_snapshot([write_jsonl(tmp_path / "c.jsonl", sessions[:1])], out=tmp_path / "c")
    assert (clean.summary["rejects"], clean.summary["exit_code"], clean.exit_code) == (None, 0, 0)
    assert clean.summary["duplicate_session_ids"] == {}


def test_json_files_are_indented_sorted_utf8_with_a_final_newline(tmp_path: Path) -> None:
    session = make_session(0)
    session["agent"]["model"]["name"] = "modèle"
    log = write_jsonl(tmp_path / "log.jsonl", [session])
    bundle = take_snapshot([log], out=tmp_path / "b", now=NOW).bundle
    for name in ("metrics.json", "manifest.json"):
        data = (bundle / name).read_bytes()
        doc = json.loads(data)
        assert data == (
            json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        ).encode("utf-8"), name
    assert "modèle".encode() in (bundle / "metrics.json").read_bytes()


def test_a_pre_snapshot_timeline_is_adopted_and_continued(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    first = record_event(inc, {"action": "contain", "time": "2026-02-01T12:30:00Z"})
    second = record_event(inc, {"action": "notify", "time": "2026-02-01T12:31:00Z"})
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    bundle = take_snapshot([log], out=inc, now=NOW).bundle
    events = read_jsonl(bundle / "timeline.jsonl")
    assert events[:2] == [first, second]
    snap = events[2]
    assert (snap["seq"], snap["prev_sha256"], snap["action"]) == (2, second["sha256"], "snapshot")
    # who collected, when, into which bundle: the event answers it on its own, in these fields
    fields = "action actor bundle details incident_id prev_sha256 seq sha256 time"
    assert sorted(snap) == fields.split()
    assert (snap["actor"], snap["time"], snap["bundle"]) == (
        collector(),
        "2026-02-01T13:00:00Z",
        "inc",
    )
    assert snap["sha256"] == event_digest(snap)
    assert check_timeline((bundle / "timeline.jsonl").read_bytes(), first["sha256"])[1] == []
    assert verify_bundle(bundle).ok


def test_a_signed_snapshot_signs_the_events_it_adopts(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    inc = tmp_path / "inc"
    first = record_event(inc, {"action": "contain", "time": "2026-02-01T12:30:00Z"})
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    bundle = take_snapshot([log], out=inc, now=NOW, sign_key=tmp_path / "k.pem").bundle
    data = (bundle / "timeline.jsonl").read_bytes()
    events, problems = check_timeline(
        data, first["sha256"], public_key=load_public_key(tmp_path / "k.pub")
    )
    assert problems == [] and len(events) == 2
    assert all("signature" in e for e in events)
    assert verify_bundle(bundle, pubkey=tmp_path / "k.pub").ok


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (b"not json\n", "changed: timeline.jsonl:1: not a valid JSON event"),
        (b"[1]\n", "changed: timeline.jsonl:1: not a valid JSON event"),
    ],
)
def test_a_damaged_pre_snapshot_timeline_stops_the_snapshot(
    tmp_path: Path, damage: bytes, problem: str
) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "timeline.jsonl").write_bytes(damage)
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    with pytest.raises(CheckFailed) as info:
        take_snapshot([log], out=inc, now=NOW)
    assert info.value.render() == (
        f"the incident's pre-snapshot timeline is damaged: {problem} "
        "(hint: inspect timeline.jsonl; the snapshot was not taken)"
    )
    assert (inc / "timeline.jsonl").read_bytes() == damage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inc", "log.jsonl"]


def test_a_pre_snapshot_chain_edited_in_the_middle_stops_the_snapshot(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    record_event(inc, {"action": "contain", "time": "2026-02-01T12:30:00Z"})
    record_event(inc, {"action": "notify", "time": "2026-02-01T12:31:00Z"})
    lines = (inc / "timeline.jsonl").read_bytes().splitlines(keepends=True)
    edited = json.loads(lines[1])
    edited["action"] = "nothing"
    (inc / "timeline.jsonl").write_bytes(lines[0] + json.dumps(edited).encode() + b"\n")
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    with pytest.raises(CheckFailed, match=r"timeline\.jsonl:2: event content does not match"):
        take_snapshot([log], out=inc, now=NOW)


def test_last_keeps_rejects_and_counts_in_order(tmp_path: Path) -> None:
    """--last N: the N most recent are validated (one of them invalid: a reject with its
    line), the evicted ones are filtered out, and the kept ones are written oldest first."""
    sessions = [make_session(i) for i in (1, 5, 9, 3)]
    sessions[1]["steps"][0]["role"] = "robot"
    log = write_jsonl(tmp_path / "log.jsonl", sessions)
    result = take_snapshot([log], last=2, out=tmp_path / "b", now=NOW)
    assert result.summary["counts"] == {
        "read": 4,
        "accepted": 1,
        "rejected": 1,
        "filtered_out": 2,
    }
    (row,) = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert (row["source"], row["line"], row["format"], row["entry"]) == (
        str(log),
        2,
        "native",
        None,
    )
    assert row["reason"].startswith("schema: steps/0/role: 'robot' is not one of")
    kept = read_jsonl(tmp_path / "b" / "trajectories.jsonl")
    assert [t["session_id"] for t in kept] == ["sess-0009"]
    assert kept[0]["source"] == {"format": "native", "path": str(log), "line": 3}


def test_sources_policy_progress_and_an_unknown_format(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.txt").write_text("hello world\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules: []\n")
    digest = hashlib.sha256(policy.read_bytes()).hexdigest()
    sessions = [make_session(i) for i in range(3)]
    sessions[0]["agent"]["policy"]["hash"] = "sha256:" + digest.upper()
    sessions[1]["agent"]["policy"]["hash"] = digest
    log = write_jsonl(src / "log.jsonl", sessions)
    calls: list[tuple[int, int]] = []
    result = take_snapshot(
        [src], out=tmp_path / "b", policy=policy, progress=lambda a, b: calls.append((a, b))
    )
    size_log, size_txt = log.stat().st_size, (src / "notes.txt").stat().st_size
    assert calls == [(size_log, size_log + size_txt), (size_log + size_txt, size_log + size_txt)]
    assert result.summary["counts"] == {"read": 4, "accepted": 3, "rejected": 1, "filtered_out": 0}
    assert read_jsonl(tmp_path / "b" / "rejects.jsonl") == [
        {
            "entry": None,
            "excerpt": None,
            "format": "unknown",
            "line": None,
            "reason": "cannot tell the log format (pass --format)",
            "source": str(src / "notes.txt"),
        }
    ]
    assert result.manifest["sources"] == [
        {
            "path": str(log.resolve()),
            "format": "native",
            "size": size_log,
            "sha256": hashlib.sha256(log.read_bytes()).hexdigest(),
            "records": 3,
        },
        {
            "path": str((src / "notes.txt").resolve()),
            "format": "unknown",
            "size": size_txt,
            "sha256": hashlib.sha256(b"hello world\n").hexdigest(),
            "records": 1,
        },
    ]
    assert result.manifest["declared"]["policy"] == {
        "path": str(policy.resolve()),
        "size": policy.stat().st_size,
        "sha256": digest,
        "sessions_matching": 2,
    }


def test_a_missing_policy_file(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    with pytest.raises(InputError) as info:
        take_snapshot([log], out=tmp_path / "b", policy=tmp_path / "nope.yaml")
    assert info.value.render() == (
        f"{tmp_path / 'nope.yaml'}: policy file not found (hint: check the --policy path)"
    )


def test_nothing_to_read_and_everything_filtered_out(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    other = write_jsonl(tmp_path / "other.jsonl", [])
    with pytest.raises(InputError) as info:
        take_snapshot([empty, other], out=tmp_path / "b")
    assert info.value.render() == (
        f"{empty}, {other}: nothing to read: the sources hold no records "
        "(hint: check that --from points at the agent's session logs)"
    )
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(i) for i in range(3)])
    with pytest.raises(UsageError) as uinfo:
        take_snapshot([log], out=tmp_path / "c", sessions=["nobody"])
    assert uinfo.value.render() == (
        "no session matched the filters (3 records read, all filtered out) "
        "(hint: widen --last/--since/--session/--user/--model-version)"
    )
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_a_refused_source_is_a_reject_and_a_source_row(tmp_path: Path) -> None:
    """A symlink out of the --from directory is never opened: one reject, one row naming
    the link itself (not its target), no bytes read."""
    src = tmp_path / "src"
    src.mkdir()
    log = write_jsonl(src / "log.jsonl", [make_session(0)])
    write_jsonl(tmp_path / "outside.jsonl", [make_session(1)])
    (src / "link.jsonl").symlink_to(tmp_path / "outside.jsonl")
    result = take_snapshot([src], out=tmp_path / "b", now=NOW)
    assert result.summary["counts"] == {"read": 2, "accepted": 1, "rejected": 1, "filtered_out": 0}
    assert read_jsonl(tmp_path / "b" / "rejects.jsonl") == [
        {
            "entry": None,
            "excerpt": None,
            "format": "refused",
            "line": None,
            "reason": "not read: a symlink leading outside the given directory "
            "(pass --follow-symlinks)",
            "source": str(src / "link.jsonl"),
        }
    ]
    assert result.manifest["sources"][0] == {
        "path": str(src / "link.jsonl"),
        "format": "refused",
        "size": 0,
        "sha256": hashlib.sha256(b"").hexdigest(),
        "records": 1,
    }
    assert result.manifest["sources"][1]["path"] == str(log.resolve())
    assert result.summary["bytes_read"] == log.stat().st_size
