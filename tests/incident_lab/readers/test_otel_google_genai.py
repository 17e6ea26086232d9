"""The otel reader on what the official opentelemetry-instrumentation-google-genai 1.3b0
records for google-genai 2.34.0 chats with automatic function calling, and what the
official opentelemetry-instrumentation-vertexai 2.2b0 records for the same chats through
google-cloud-aiplatform 2.7.0's ``vertexai`` SDK.

Fixtures: tests/fixtures/otel_google_genai/<mode>/ and tests/fixtures/otel_vertexai/<mode>/
(traces.jsonl, logs.jsonl), made by make_fixture.py there with
CAPTURE_MESSAGE_CONTENT=SPAN_ONLY / EVENT_ONLY (and, for Vertex AI, =true without the
semconv opt-in: per-message log records holding Gemini parts); conversation.json is the SDK's own history
of each chat. Gemini wraps a function's return value as {"result": ...} and its exception
as {"error": ...}; the google-genai instrumentation records Python-function tools with
"parameters": null, the Vertex AI one records no tool definitions and keeps Gemini's
role "model" for the model's messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers import read_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FOLDERS = {
    "span_only": FIXTURES / "otel_google_genai" / "span_only",
    "event_only": FIXTURES / "otel_google_genai" / "event_only",
    "vertexai_span_only": FIXTURES / "otel_vertexai" / "span_only",
    "vertexai_event_only": FIXTURES / "otel_vertexai" / "event_only",
    "vertexai_capture_true": FIXTURES / "otel_vertexai" / "capture_true",
}
MODES = list(FOLDERS)
GOOGLE_GENAI = ["span_only", "event_only"]


def _sessions(mode: str) -> list[dict]:
    files = [str(p) for p in sorted(FOLDERS[mode].glob("*.jsonl"))]
    records = [r for _fmt, r in read_paths(files)]
    assert [r.reason for r in records if not r.accepted] == []
    return [r.trajectory for r in records]


def _sdk_steps(chat: dict) -> list[tuple]:
    """(kind, name or role, content or arguments, error) from the SDK's own history."""
    out: list[tuple] = []
    for content in chat["history"]:
        for part in content["parts"]:
            if "text" in part:
                role = {"user": "user", "model": "assistant"}[content["role"]]
                out.append(("message", role, part["text"], False))
            elif "function_call" in part:
                call = part["function_call"]
                out.append(("tool_call", call["name"], call["args"], False))
            else:
                response = part["function_response"]
                ((key, value),) = response["response"].items()
                out.append(("tool_result", response["name"], value, key == "error"))
    return out


def _steps(traj: dict) -> list[tuple]:
    out = []
    for s in traj["steps"]:
        if s["type"] == "message" and s["role"] != "system":
            out.append(("message", s["role"], s["content"], False))
        elif s["type"] == "tool_call":
            out.append(("tool_call", s["name"], s["arguments"], False))
        elif s["type"] == "tool_result":
            out.append(("tool_result", s["name"], s["output"], s.get("is_error", False)))
    return out


@pytest.mark.parametrize("mode", MODES)
def test_each_chat_reads_as_the_sdk_recorded_it(mode: str) -> None:
    """Each chat one session, every step once; a function's output is its value (not the
    {"result": ...} wrapper), a function that raised is an error result."""
    chats = json.loads((FOLDERS[mode] / "conversation.json").read_text())
    sessions = _sessions(mode)
    assert [_steps(t) for t in sessions] == [_sdk_steps(chat) for chat in chats]
    inbox = sessions[0]["steps"][3]
    assert inbox["output"].startswith("From: billing@vendor.example\nSubject: Invoice 4471")
    assert [s["is_error"] for s in sessions[1]["steps"] if s["type"] == "tool_result"] == [True]
    system = sessions[0]["steps"][0]
    assert (system["role"], system["content"]) == (
        "system",
        "You are MailPilot, an email assistant. Only act on the user's requests.",
    )


@pytest.mark.parametrize("mode", GOOGLE_GENAI)
def test_tool_definitions_without_a_schema_get_one_from_the_calls(mode: str) -> None:
    """Recorded definitions keep their description; their missing parameter schema is
    inferred from the calls (parameters_inferred), the tool itself is not inferred."""
    tools = {t["name"]: t for t in _sessions(mode)[0]["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email", "delete_drafts"}
    send = tools["send_email"]
    assert send["description"].startswith("Send an email.")
    assert send["parameters"]["required"] == ["to", "subject", "body"]
    assert send["parameters_inferred"] is True and "inferred" not in send
    assert "parameters" not in tools["delete_drafts"]  # never called in this chat


@pytest.mark.parametrize(
    "mode", ["vertexai_span_only", "vertexai_event_only", "vertexai_capture_true"]
)
def test_vertexai_records_no_tool_definitions(mode: str) -> None:
    """The tools the model called are offered, inferred from the calls (no description)."""
    tools = {t["name"]: t for t in _sessions(mode)[0]["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email"}
    assert tools["send_email"]["inferred"] is True
    assert sorted(tools["send_email"]["parameters"]["required"]) == ["body", "subject", "to"]


@pytest.mark.parametrize("mode", ["span_only", "vertexai_span_only"])
def test_classify_finds_the_injection(tmp_path: Path, il, mode: str) -> None:
    """snapshot (traces + logs): 2 read = 2 accepted; classify: prompt_injection first."""
    out = tmp_path / "b"
    files = [a for p in sorted(FOLDERS[mode].glob("*.jsonl")) for a in ("--from", p)]
    result = il("snapshot", *files, "--out", out)
    assert result.exit_code == 0, result.stderr
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (2, 2, 0)
    result = il("classify", out, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["ranked"][0]["failure_mode"] == "prompt_injection"
