"""The otel reader on what the official OTel GenAI instrumentation of openai really writes.

Fixtures: tests/fixtures/otel_genai/<version>_<mode>/ (traces.jsonl, logs.jsonl as the
collector's file exporter writes them), made by its make_fixture.py; conversation.json
is the openai client's own record of the conversation, which every mode must recover.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from incident_lab.readers import get_readers, read_paths

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "otel_genai"
WITH_CONTENT = ["v2.1b0_capture_true", "v2.4b0_event_only", "v2.4b0_span_only"]


def _files(mode: str) -> list[str]:
    return [str(p) for p in sorted((REAL / mode).glob("*.jsonl"))]


def expected_steps(conversation: dict) -> list[tuple]:
    """The steps a reader must produce, from the client's own message list."""
    names: dict[str, str] = {}
    out: list[tuple] = []
    for msg in conversation["messages"]:
        if msg["role"] == "tool":
            out.append(
                ("tool_result", names[msg["tool_call_id"]], msg["tool_call_id"], msg["content"])
            )
            continue
        if msg.get("content"):
            out.append(("message", msg["role"], None, msg["content"]))
        for call in msg.get("tool_calls") or []:
            names[call["id"]] = call["function"]["name"]
            args = json.loads(call["function"]["arguments"])
            out.append(("tool_call", call["function"]["name"], call["id"], args))
    return out


def observed_steps(traj: dict) -> list[tuple]:
    """The same view of a trajectory's steps."""
    out: list[tuple] = []
    for s in traj["steps"]:
        if s["type"] == "message":
            out.append(("message", s["role"], None, s["content"]))
        elif s["type"] == "tool_call":
            out.append(("tool_call", s["name"], s["call_id"], s["arguments"]))
        else:
            out.append(("tool_result", s["name"], s["call_id"], s["output"]))
    return out


def _read(files: list[str]) -> tuple[list[dict], list]:
    records = [r for _fmt, r in read_paths(files)]
    return [r.trajectory for r in records if r.accepted], [r for r in records if not r.accepted]


@pytest.mark.parametrize("mode", WITH_CONTENT)
def test_every_content_mode_recovers_the_clients_conversation_as_one_session(mode: str) -> None:
    """Three model calls without a parent span are one session holding every step once."""
    conversation = json.loads((REAL / mode / "conversation.json").read_text())
    sessions, rejects = _read(_files(mode))
    assert not rejects
    (traj,) = sessions
    assert observed_steps(traj) == expected_steps(conversation)
    assert traj["x_otel"]["grouped_by"] == "history"
    assert len(traj["x_otel"]["trace_ids"]) == 3
    assert traj["agent"]["model"]["name"] == "fake-gpt-4o-mini"
    assert traj["agent"]["model"]["version"] == conversation["response_model"]
    assert traj["agent"]["model"]["provider"] == "openai"


@pytest.mark.parametrize("mode", WITH_CONTENT)
def test_tools_the_instrumentation_did_not_record_are_inferred(mode: str) -> None:
    """No gen_ai.tool.definitions: send_email is still offered, marked inferred, typed."""
    (traj,) = _read(_files(mode))[0]
    tools = {t["name"]: t for t in traj["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email"}
    assert all(t["inferred"] is True for t in tools.values())
    assert tools["send_email"]["parameters"] == {
        "type": "object",
        "properties": {
            "to": {"type": "string"},
            "subject": {"type": "string"},
            "body": {"type": "string"},
        },
        "required": ["to", "subject", "body"],
    }


def test_content_capture_off_is_a_reject_naming_the_setting() -> None:
    """The default (no content) is not a clean session: each call is a reject saying why."""
    sessions, rejects = _read(_files("v2.4b0_no_content"))
    assert not sessions
    assert len(rejects) == 3
    for record in rejects:
        assert "no message content" in record.reason
        assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true" in record.reason
        assert "gen_ai_latest_experimental" in record.reason
        assert "span_only" in record.reason and "event_only" in record.reason


def test_legacy_traces_without_their_logs_name_the_missing_logs() -> None:
    """2.1b0 puts content only in log records: the traces file alone is content-off."""
    sessions, rejects = _read([str(REAL / "v2.1b0_capture_true" / "traces.jsonl")])
    assert not sessions and len(rejects) == 3
    assert all("pass the logs file too" in r.reason for r in rejects)


@pytest.mark.parametrize("mode", ["v2.1b0_capture_true", "v2.4b0_event_only"])
def test_logs_whose_spans_are_missing_are_still_read(mode: str) -> None:
    """The logs file alone: each record makes its own span; the conversation is whole."""
    conversation = json.loads((REAL / mode / "conversation.json").read_text())
    sessions, rejects = _read([str(REAL / mode / "logs.jsonl")])
    assert not rejects
    (traj,) = sessions
    assert observed_steps(traj) == expected_steps(conversation)
    assert all(span["from_logs_only"] for span in traj["x_otel"]["spans"])


def test_a_conversation_split_over_several_files_is_one_session(tmp_path: Path) -> None:
    """Rotated trace files (one call each) and the logs, read as a directory: one session."""
    mode = "v2.1b0_capture_true"
    lines = (REAL / mode / "traces.jsonl").read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        (tmp_path / f"traces-{2 - i}.jsonl").write_text(line)  # newest call in the first file
    shutil.copy(REAL / mode / "logs.jsonl", tmp_path / "logs.jsonl")
    conversation = json.loads((REAL / mode / "conversation.json").read_text())
    records = [(fmt, r) for fmt, r in read_paths([str(tmp_path)])]
    assert {fmt for fmt, _r in records} == {"otel"}
    [traj] = [r.trajectory for _f, r in records if r.accepted]
    assert len(records) == 1
    assert observed_steps(traj) == expected_steps(conversation)
    assert len(traj["x_otel"]["files"]) == 4
    # Read one file at a time, the same data cannot be whole: why files are read together.
    alone = [r for r in get_readers()["otel"].read(str(tmp_path / "traces-0.jsonl"))]
    assert [r.accepted for r in alone] == [False]


@pytest.mark.parametrize("output", ['{"error": null}', '{"result": "none"}', '[{"json": 1}]'])
def test_a_tool_output_that_reads_as_json_is_kept_as_recorded(tmp_path: Path, output: str) -> None:
    """openai-v2 records the application's tool message text: one that happens to be
    JSON shaped like a Gemini function response is that text (compact), not unwrapped,
    and ``{"error": null}`` is no failed call."""
    mode = "v2.1b0_capture_true"
    shutil.copy(REAL / mode / "traces.jsonl", tmp_path / "traces.jsonl")
    lines = []
    for line in (REAL / mode / "logs.jsonl").read_text().splitlines():
        export = json.loads(line)
        for resource in export["resourceLogs"]:
            for scope in resource["scopeLogs"]:
                for record in scope["logRecords"]:
                    names = [a["value"] for a in record["attributes"] if a["key"] == "event.name"]
                    if names == [{"stringValue": "gen_ai.tool.message"}]:
                        _set_body(record, "content", output)
        lines.append(json.dumps(export))
    (tmp_path / "logs.jsonl").write_text("\n".join(lines) + "\n")
    sessions, rejects = _read([str(tmp_path)])
    assert not rejects
    results = [s for s in sessions[0]["steps"] if s["type"] == "tool_result"]
    compact = json.dumps(json.loads(output), separators=(",", ":"))
    assert [(r["output"], r.get("is_error", False)) for r in results] == [(compact, False)] * 2


def _set_body(record: dict, key: str, text: str) -> None:
    """Set ``key`` of a log record's map body to the string ``text``."""
    for pair in record["body"]["kvlistValue"]["values"]:
        if pair["key"] == key:
            pair["value"] = {"stringValue": text}


def test_log_records_that_are_not_genai_and_have_no_span_are_rejected(tmp_path: Path) -> None:
    """An application log line in the logs file is a reject; a GenAI one without span is read."""
    log = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {"timeUnixNano": "1", "body": {"stringValue": "GET /health 200"}},
                            {
                                "timeUnixNano": "2",
                                "traceId": "aa",
                                "spanId": "bb",
                                "eventName": "gen_ai.user.message",
                                "body": {
                                    "kvlistValue": {
                                        "values": [
                                            {"key": "content", "value": {"stringValue": "hi"}}
                                        ]
                                    }
                                },
                            },
                        ]
                    }
                ]
            }
        ]
    }
    path = tmp_path / "logs.jsonl"
    path.write_text(json.dumps(log) + "\n")
    records = list(get_readers()["otel"].read(str(path)))
    bad = [r for r in records if not r.accepted]
    good = [r.trajectory for r in records if r.accepted]
    assert [r.entry for r in bad] == ["resourceLogs[0].scopeLogs[0].logRecords[0]"]
    assert "not a GenAI event" in bad[0].reason
    assert [s["content"] for s in good[0]["steps"]] == ["hi"]
    assert good[0]["session_id"] == "aa"


def test_snapshot_of_real_spans_counts_reconcile(tmp_path: Path, il) -> None:
    """snapshot on the span_only export: one session, read = accepted + rejected."""
    src = _files("v2.4b0_span_only")[0]
    result = il("snapshot", "--from", src, "--out", tmp_path / "b")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["accepted"] == 1 and counts["rejected"] == 0
    assert counts["read"] == counts["accepted"] + counts["rejected"] + counts["filtered_out"]


def test_snapshot_of_content_off_spans_exits_5(tmp_path: Path, il) -> None:
    """Content capture off is not a clean snapshot: rejects, exit 5."""
    src = _files("v2.4b0_no_content")[0]
    assert il("snapshot", "--from", src, "--out", tmp_path / "b").exit_code == 5
    rejects = (tmp_path / "b" / "rejects.jsonl").read_text().splitlines()
    assert len(rejects) == 3
    assert "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" in rejects[0]


def _copy_mode(mode: str, dest: Path) -> Path:
    dest.mkdir()
    for name in _files(mode):
        shutil.copy(name, dest)
    return dest


def test_classify_finds_the_injection_in_traces_plus_logs(tmp_path: Path, il) -> None:
    """The 2.1b0 case that used to be a silent "no incident signals": now prompt_injection."""
    folder = _copy_mode("v2.1b0_capture_true", tmp_path / "otel")
    result = il("classify", folder, "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["ranked"][0]["failure_mode"] == "prompt_injection"


def test_add_says_when_the_scenarios_tools_were_inferred(tmp_path: Path, il) -> None:
    """add writes the inferred tools into context.tools and prints a one-line note."""
    folder = _copy_mode("v2.4b0_span_only", tmp_path / "otel")
    result = il("add", "--from", folder, "--scenarios-dir", tmp_path / "scenarios")
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "inferred" in line]
    assert notes == [
        "note: tools inferred from the recorded calls: read_inbox, send_email (inferred: true)"
    ]
    (path,) = (tmp_path / "scenarios").glob("*.yaml")
    assert "inferred: true" in path.read_text()


def test_snapshot_reads_traces_and_logs_files_together(tmp_path: Path, il) -> None:
    """snapshot --from traces --from logs (2.1b0): one whole session, exit 0, verify passes."""
    traces, logs = (str(REAL / "v2.1b0_capture_true" / n) for n in ("traces.jsonl", "logs.jsonl"))
    result = il("snapshot", "--from", traces, "--from", logs, "--out", tmp_path / "b")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] == 1 and manifest["counts"]["rejected"] == 0
    assert [(Path(s["path"]).name, s["records"]) for s in manifest["sources"]] == [
        ("traces.jsonl", 1),
        ("logs.jsonl", 0),
    ]
    (line,) = (tmp_path / "b" / "trajectories.jsonl").read_text().splitlines()
    assert len(json.loads(line)["steps"]) == 7
    assert il("verify", tmp_path / "b").exit_code == 0
