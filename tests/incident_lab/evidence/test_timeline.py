"""``append_event``: the append-only, hash-chained timeline later phases write to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence import append_event, take_snapshot
from incident_lab.evidence.timeline import event_digest
from incident_lab.evidence.verify import verify_bundle
from tests.incident_lab.evidence.conftest import read_jsonl


@pytest.fixture
def bundle(log: Path, tmp_path: Path) -> Path:
    return take_snapshot([log], out=tmp_path / "b", now=datetime(2026, 2, 1, 13, tzinfo=UTC)).bundle


def test_snapshot_is_the_first_event(bundle: Path) -> None:
    """The timeline starts with the snapshot event, anchored by the manifest."""
    [event] = read_jsonl(bundle / "timeline.jsonl")
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    assert event["action"] == "snapshot" and event["seq"] == 0 and event["prev_sha256"] is None
    assert event["time"] == "2026-02-01T13:00:00Z"
    assert event["details"]["counts"] == manifest["counts"]
    assert event["sha256"] == event_digest(event) == manifest["timeline"]["genesis_sha256"]


def test_appended_events_chain_and_verify(bundle: Path) -> None:
    """Each appended event links to the previous one; the bundle still verifies."""
    first = append_event(
        bundle,
        {"action": "contain", "backend": "feature_flag", "time": "2026-02-01T14:00:00+01:00"},
    )
    second = append_event(bundle, {"action": "notify", "channel": "#incidents"})
    events = read_jsonl(bundle / "timeline.jsonl")
    assert events[1] == first and events[2] == second
    assert first["time"] == "2026-02-01T13:00:00Z"
    assert first["prev_sha256"] == events[0]["sha256"] and second["prev_sha256"] == first["sha256"]
    assert [e["seq"] for e in events] == [0, 1, 2]
    assert verify_bundle(bundle).ok


def test_append_reseals_the_manifest_with_the_new_head(bundle: Path) -> None:
    """Each append records the new head and length in the manifest; only that block changes."""
    before = json.loads((bundle / "manifest.json").read_bytes())
    stored = append_event(bundle, {"action": "ticket"})
    after = json.loads((bundle / "manifest.json").read_bytes())
    assert after["timeline"]["head_sha256"] == stored["sha256"] != before["timeline"]["head_sha256"]
    assert (before["timeline"]["events"], after["timeline"]["events"]) == (1, 2)
    assert after["timeline"]["genesis_sha256"] == before["timeline"]["genesis_sha256"]
    strip = lambda m: {k: v for k, v in m.items() if k not in ("timeline", "manifest_sha256")}  # noqa: E731
    assert strip(after) == strip(before)
    assert verify_bundle(bundle).ok


def test_cut_tail_is_detected(bundle: Path) -> None:
    """Dropping the last event (a state the chain alone cannot tell) fails against the sealed head."""
    append_event(bundle, {"action": "contain", "result": "failed"})
    path = bundle / "timeline.jsonl"
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    problems = verify_bundle(bundle).problems
    assert any("timeline.head_sha256" in p for p in problems)
    assert any("timeline.events says 2" in p for p in problems)


def test_refuses_to_extend_a_timeline_that_is_not_the_sealed_head(bundle: Path) -> None:
    """An append onto a cut timeline is refused instead of hiding the cut."""
    append_event(bundle, {"action": "contain"})
    path = bundle / "timeline.jsonl"
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    with pytest.raises(CheckFailed, match="head sealed in the manifest"):
        append_event(bundle, {"action": "notify"})


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"action": ""},
        {"action": "x", "seq": 3},
        {"action": "x", "time": "yesterday"},
        {"action": "x", "v": {1, 2}},
    ],
)
def test_malformed_events_are_refused(bundle: Path, event: dict) -> None:
    """Events without an action, with reserved keys, a bad time or non-JSON values are refused."""
    with pytest.raises(UsageError):
        append_event(bundle, event)
    assert len(read_jsonl(bundle / "timeline.jsonl")) == 1


def test_refuses_to_extend_a_damaged_chain(bundle: Path) -> None:
    """If the last event was edited, nothing is appended (CheckFailed names the line)."""
    path = bundle / "timeline.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"snapshot"', b'"snapshoT"'))
    with pytest.raises(CheckFailed) as info:
        append_event(bundle, {"action": "contain"})
    assert info.value.line == 1


def test_not_a_bundle(tmp_path: Path) -> None:
    """Appending to a directory that is not a bundle is an input error."""
    with pytest.raises(InputError):
        append_event(tmp_path, {"action": "contain"})


def test_signed_bundle_appends_are_signed_and_verify(
    log: Path, tmp_path: Path, monkeypatch
) -> None:
    """With the key (argument or INCIDENT_LAB_SIGN_KEY) each event is signed and the bundle verifies."""
    from incident_lab.evidence.signing import generate_keypair

    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    bundle = take_snapshot([log], out=tmp_path / "s", sign_key=tmp_path / "k.pem").bundle
    first = append_event(bundle, {"action": "contain"}, sign_key=tmp_path / "k.pem")
    monkeypatch.setenv("INCIDENT_LAB_SIGN_KEY", str(tmp_path / "k.pem"))
    second = append_event(bundle, {"action": "notify"})
    assert first["signature"] and second["signature"]
    report = verify_bundle(bundle, pubkey=tmp_path / "k.pub")
    assert report.ok, report.problems
    assert report.stats["signature"] == "valid" and report.stats["timeline_events"] == 3


def test_unsigned_append_to_a_signed_bundle_is_reported(
    log: Path, tmp_path: Path, monkeypatch
) -> None:
    """Without the key the action is still recorded; verify --pubkey names the unsigned event."""
    from incident_lab.evidence.signing import generate_keypair

    monkeypatch.delenv("INCIDENT_LAB_SIGN_KEY", raising=False)
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    bundle = take_snapshot([log], out=tmp_path / "s", sign_key=tmp_path / "k.pem").bundle
    event = append_event(bundle, {"action": "contain"})
    assert "signature" not in event
    problems = verify_bundle(bundle, pubkey=tmp_path / "k.pub").problems
    assert "signature: timeline.jsonl:2: event signature missing" in problems
    assert verify_bundle(bundle).ok  # internally consistent without the key


def test_wrong_key_is_refused_before_appending(log: Path, tmp_path: Path) -> None:
    from incident_lab.evidence.signing import generate_keypair

    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    generate_keypair(tmp_path / "o.pem", tmp_path / "o.pub")
    bundle = take_snapshot([log], out=tmp_path / "s", sign_key=tmp_path / "k.pem").bundle
    before = (bundle / "timeline.jsonl").read_bytes()
    with pytest.raises(UsageError, match="does not match"):
        append_event(bundle, {"action": "contain"}, sign_key=tmp_path / "o.pem")
    assert (bundle / "timeline.jsonl").read_bytes() == before
