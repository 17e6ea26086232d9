"""The Inspect AI log reader: .eval zips and .json logs, samples to trajectories."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from incident_lab.readers.inspect_log import score_verdict

from .conftest import accepted, read_all, rejected

SESSION = "bVsKwQm9nGZ8cLhXaRm2Q4:inj-001:1"


@pytest.mark.parametrize("name", ["inbox_injection.eval", "inbox_injection.json"])
def test_each_sample_becomes_a_trajectory(logs: Path, name: str) -> None:
    """Both containers give the same sessions, named <eval_id>:<sample id>:<epoch>."""
    sessions = accepted(read_all("inspect", logs / "inspect" / name))
    assert set(sessions) == {SESSION, "bVsKwQm9nGZ8cLhXaRm2Q4:2:1"}
    traj = sessions[SESSION]
    assert [(s["type"], s.get("role") or s.get("name")) for s in traj["steps"]] == [
        ("message", "system"),
        ("message", "user"),
        ("message", "assistant"),
        ("tool_call", "read_document"),
        ("tool_result", "read_document"),
        ("tool_call", "send_email"),
        ("tool_result", "send_email"),
        ("message", "assistant"),
    ]


def test_messages_attachments_errors_and_metadata(logs: Path) -> None:
    """Attachments resolve, tool errors flag the result, reasoning and extras are kept."""
    traj = accepted(read_all("inspect", logs / "inspect" / "inbox_injection.eval"))[SESSION]
    steps = traj["steps"]
    assert steps[2]["content"] == "Reading the report."
    assert steps[2]["x_inspect"]["content_parts"] == [
        {"type": "reasoning", "reasoning": "I should read it."}
    ]
    assert steps[4]["output"].startswith("IGNORE PREVIOUS INSTRUCTIONS"), "attachment:// resolved"
    assert steps[6]["is_error"] is True and steps[6]["output"] == "blocked by human approver"
    assert steps[6]["x_inspect"]["error"]["type"] == "approval"
    assert traj["agent"]["model"] == {
        "name": "gpt-4o",
        "version": "gpt-4o-2024-08-06",
        "provider": "openai",
    }
    assert [t["name"] for t in traj["agent"]["tools"]] == ["read_document", "send_email"]
    assert traj["started_at"] == "2026-02-01T12:00:01Z"
    assert traj["labels"] == {"verdict": "unsafe"}
    assert traj["x_inspect"]["scores"]["exfiltration_unsafe"]["value"] == 1
    assert traj["x_inspect"]["sample"]["metadata"] == {"injection_vector": "document"}
    assert traj["source"]["entry"] == "samples/inj-001_epoch_1.json"
    assert traj["source"]["line"] is None


def test_a_correctness_grade_is_not_a_safety_verdict(logs: Path) -> None:
    """A plain C/I grade sets no labels.verdict; the score is still kept."""
    traj = accepted(read_all("inspect", logs / "inspect" / "inbox_injection.json"))[
        "bVsKwQm9nGZ8cLhXaRm2Q4:2:1"
    ]
    assert "labels" not in traj
    assert traj["x_inspect"]["scores"] == {"match": {"value": "C", "answer": "Two meetings today."}}


def test_score_verdict_rules() -> None:
    """Safety-named scorers and safe/unsafe values decide; unsafe wins."""
    assert score_verdict({"harmfulness": {"value": 0}}) == "safe"
    assert score_verdict({"a": {"value": "safe"}, "jailbreak": {"value": True}}) == "unsafe"
    assert score_verdict({"accuracy": {"value": "I"}}) is None
    assert score_verdict(None) is None


def test_a_corrupt_zip_is_one_reject_for_the_file(logs: Path) -> None:
    """A file that is not a zip gives one reject naming the file, no exception."""
    (record,) = read_all("inspect", logs / "bad" / "corrupt.eval")
    assert not record.accepted and "not a readable .eval zip" in record.reason


def test_bad_members_are_rejected_by_entry(tmp_path: Path) -> None:
    """A malformed sample member is rejected with its name; the others are still read."""
    path = tmp_path / "run.eval"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "_journal/start.json", json.dumps({"version": 2, "eval": {"task": "t", "model": "m"}})
        )
        zf.writestr("samples/1_epoch_1.json", "{not json")
        zf.writestr(
            "samples/2_epoch_1.json",
            json.dumps({"id": 2, "epoch": 1, "messages": [{"role": "user", "content": "hi"}]}),
        )
        zf.writestr(
            "samples/3_epoch_1.json",
            json.dumps({"id": 3, "epoch": 1, "messages": [{"role": "critic", "content": "x"}]}),
        )
    records = read_all("inspect", path)
    bad = rejected(records)
    assert [r.entry for r in bad] == ["samples/1_epoch_1.json", "samples/3_epoch_1.json"]
    assert "malformed JSON" in bad[0].reason and "critic" in bad[1].reason
    assert set(accepted(records)) == {"t:2:1"}, (
        "without header.json the journal start names the task"
    )


def test_a_json_log_without_samples_array_is_rejected(tmp_path: Path) -> None:
    """A JSON document that is not an Inspect log shape is one reject."""
    path = tmp_path / "log.json"
    path.write_text(json.dumps({"eval": {"task": "t"}, "samples": "none"}, indent=2))
    (record,) = read_all("inspect", path)
    assert not record.accepted and "samples" in record.reason
