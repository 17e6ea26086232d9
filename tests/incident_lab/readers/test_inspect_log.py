"""The Inspect AI log reader: .eval zips and .json logs, samples to trajectories."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
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


# -- logs written by inspect-ai itself (tests/fixtures/inspect_ai, see its make_fixture.py) --

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "inspect_ai"
EXPECTED = json.loads((REAL / "expected.json").read_text())


@pytest.mark.parametrize("log", EXPECTED["logs"], ids=lambda log: log["file"])
def test_a_real_inspect_log_reads_as_inspects_own_reader_sees_it(log: dict) -> None:
    """Every message, tool call, tool result and the model name that read_eval_log reported."""
    records = read_all("inspect", REAL / log["file"])
    assert not rejected(records)
    sessions = accepted(records)
    assert len(sessions) == len(log["samples"])
    for sample in log["samples"]:
        traj = sessions[f"{log['eval_id']}:{sample['id']}:{sample['epoch']}"]
        steps = traj["steps"]
        calls = [s for s in steps if s["type"] == "tool_call"]
        results = [s for s in steps if s["type"] == "tool_result"]
        assert [(c["call_id"], c["name"], c["arguments"]) for c in calls] == [
            (c["id"], c["function"], c["arguments"]) for c in sample["tool_calls"]
        ]
        assert [(r["call_id"], r["name"], r["output"]) for r in results] == [
            (r["tool_call_id"], r["function"], r["text"]) for r in sample["tool_results"]
        ]
        texts = [s["content"] for s in steps if s["type"] == "message"]
        assert texts == [
            t
            for t, role in zip(sample["texts"], sample["roles"], strict=True)
            if role != "tool" and t
        ]
        provider, _, name = log["model"].partition("/")
        assert traj["agent"]["model"] == {
            "name": name,
            "version": sample["output_model"],
            "provider": provider,
        }
        assert [t["name"] for t in traj["agent"]["tools"]] == ["read_inbox", "send_email"]


def test_the_real_eval_log_is_zstd_compressed() -> None:
    """The fixture is what inspect-ai writes by default: every member uses method 93."""
    (log,) = [entry for entry in EXPECTED["logs"] if entry["file"].endswith(".eval")]
    assert set(log["zip_member_methods"].values()) == {93}
    with zipfile.ZipFile(REAL / log["file"]) as zf:
        assert {i.compress_type for i in zf.infolist()} == {93}


def _one_sample_zip(path: Path, method: int, sample: bytes | None = None) -> None:
    body = (
        sample
        or json.dumps(
            {"id": 1, "epoch": 1, "messages": [{"role": "user", "content": "hi"}]}
        ).encode()
    )
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr("header.json", json.dumps({"eval": {"task": "t", "model": "p/m"}}))
        zf.writestr("samples/1_epoch_1.json", body)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA])
def test_stored_and_deflated_members_are_read(tmp_path: Path, method: int) -> None:
    """The compression methods zipfile itself handles read the same sample."""
    path = tmp_path / "run.eval"
    _one_sample_zip(path, method)
    assert set(accepted(read_all("inspect", path))) == {"t:1:1"}


def test_an_unsupported_member_method_is_a_reject_with_the_right_hint(tmp_path: Path) -> None:
    """Method 98 (PPMd) is refused per member; the hint names `--to json`, not `--to eval`."""
    path = tmp_path / "run.eval"
    _one_sample_zip(path, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    # Patch the method field of every local header (offset 8) and central entry (offset 10).
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            data[at + offset : at + offset + 2] = (98).to_bytes(2, "little")
            start = at + 4
    path.write_bytes(bytes(data))
    records = read_all("inspect", path)
    assert [r.entry for r in records] == ["header.json", "samples/1_epoch_1.json"]
    for record in records:
        assert not record.accepted
        assert "method 98" in record.reason
        assert "inspect log convert --to json" in record.reason
        assert "--to eval" not in record.reason


def _zstd_zip(path: Path, members: dict[str, bytes], declared: int | None = None) -> None:
    """Write a zip whose members are zstd-compressed (method 93), as inspect-ai writes them.

    ``declared`` makes every member lie about its uncompressed size (a zip bomb does).
    """
    import zstandard

    local, central = bytearray(), bytearray()
    for name, data in members.items():
        packed = zstandard.ZstdCompressor().compress(data)
        crc, raw_name = zlib.crc32(data), name.encode()
        sizes = (crc, len(packed), len(data) if declared is None else declared, len(raw_name))
        central += struct.pack(
            "<4s6H3I5HII", b"PK\x01\x02", 63, 63, 0, 93, 0, 33, *sizes, 0, 0, 0, 0, 0, len(local)
        )
        central += raw_name
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 63, 0, 93, 0, 33, *sizes, 0)
        local += raw_name + packed
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))


def _sample(content: str) -> bytes:
    return json.dumps(
        {"id": 1, "epoch": 1, "messages": [{"role": "user", "content": content}]}
    ).encode()


def test_zstd_members_are_read_and_one_expanding_past_the_limit_is_refused(
    tmp_path: Path,
) -> None:
    """A zstd member over the cap is a reject (decompressed in chunks); under it, read."""
    from incident_lab.readers.inspect_log import InspectReader

    path = tmp_path / "run.eval"
    header = json.dumps({"eval": {"task": "t", "model": "p/m"}}).encode()
    _zstd_zip(path, {"header.json": header, "samples/1_epoch_1.json": _sample("x" * 200_000)})
    records = list(InspectReader(max_member_bytes=100_000).read(str(path)))
    assert [r.accepted for r in records] == [False]
    assert "expands past the 100,000-byte limit" in records[0].reason
    assert records[0].entry == "samples/1_epoch_1.json"
    (record,) = InspectReader(max_member_bytes=1_000_000).read(str(path))
    assert record.accepted and record.trajectory["steps"][0]["content"] == "x" * 200_000


def test_a_zstd_member_whose_data_does_not_match_its_crc_is_a_reject(tmp_path: Path) -> None:
    """Damaged zstd data (or a lying size/CRC) is named, never accepted."""
    path = tmp_path / "run.eval"
    _zstd_zip(path, {"samples/1_epoch_1.json": _sample("hello")})
    data = bytearray(path.read_bytes())
    data[14:18] = b"\0\0\0\0"  # the local header's CRC
    at = data.find(b"PK\x01\x02")
    data[at + 16 : at + 20] = b"\0\0\0\0"  # and the central directory's
    path.write_bytes(bytes(data))
    (record,) = read_all("inspect", path)
    assert not record.accepted and "does not match the size/CRC" in record.reason


def test_a_damaged_header_is_a_reject_and_samples_still_read(tmp_path: Path) -> None:
    """header.json that is not JSON: one reject for it; the journal start names the task."""
    path = tmp_path / "run.eval"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("header.json", "{broken")
        zf.writestr("_journal/start.json", json.dumps({"eval": {"task": "t", "model": "p/m"}}))
        zf.writestr(
            "samples/1_epoch_1.json",
            json.dumps({"id": 1, "epoch": 1, "messages": [{"role": "user", "content": "hi"}]}),
        )
    records = read_all("inspect", path)
    bad = rejected(records)
    assert [(r.entry, r.reason.split(":")[0]) for r in bad] == [("header.json", "header.json")]
    assert "malformed JSON" in bad[0].reason
    assert set(accepted(records)) == {"t:1:1"}


def test_a_truncated_gzip_is_one_reject(tmp_path: Path) -> None:
    """A file that is only a gzip magic number: a reject naming the problem, no exception."""
    path = tmp_path / "log.json.gz"
    path.write_bytes(b"\x1f\x8b")
    (record,) = read_all("inspect", path)
    assert not record.accepted and "corrupt or truncated" in record.reason


def test_a_zstd_member_lying_about_its_size_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    """The declared size says 10 bytes; decompression stops once past the cap, not at the end."""
    from incident_lab.readers.inspect_log import InspectReader

    path = tmp_path / "bomb.eval"
    _zstd_zip(path, {"samples/1_epoch_1.json": b"0" * 5_000_000}, declared=10)
    (record,) = InspectReader(max_member_bytes=1_000_000).read(str(path))
    assert not record.accepted
    assert "expands past the 1,000,000-byte limit (declared 10 bytes)" in record.reason
