"""``append_event``: the append-only, hash-chained timeline later phases write to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence import append_event, take_snapshot, verify_bundle
from incident_lab.evidence.timeline import event_digest
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


def test_manifest_does_not_change_when_events_are_appended(bundle: Path) -> None:
    """The timeline is outside the manifest's hashes: appending leaves manifest.json as it was."""
    before = (bundle / "manifest.json").read_bytes()
    append_event(bundle, {"action": "ticket"})
    assert (bundle / "manifest.json").read_bytes() == before


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
