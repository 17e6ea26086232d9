"""The OpenInference reader on spans written by openinference-instrumentation-openai.

Fixture: tests/fixtures/openinference/spans.jsonl (made by make_fixture.py there);
conversation.json is the openai client's own record of the conversation.
"""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.readers import get_readers
from incident_lab.readers.openinference import unflatten

from .test_otel_real import expected_steps, observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "openinference"


def _read(path: Path) -> list:
    return list(get_readers()["openinference"].read(str(path)))


def test_the_real_export_is_one_session_with_every_step() -> None:
    """AGENT + 3 LLM + 2 TOOL spans give the client's conversation, each step once."""
    conversation = json.loads((REAL / "conversation.json").read_text())
    records = _read(REAL / "spans.jsonl")
    assert all(r.accepted for r in records)
    (traj,) = [r.trajectory for r in records]
    assert traj["session_id"] == "sess-oi-1"
    assert observed_steps(traj) == expected_steps(conversation)
    assert traj["x_openinference"]["grouped_by"] == "session"
    assert traj["agent"]["model"] == {
        "name": "fake-gpt-4o-mini",
        "version": conversation["response_model"],
        "provider": "openai",
    }


def test_offered_tools_come_from_llm_tools_json_schema() -> None:
    """llm.tools.N.tool.json_schema gives the real definitions: nothing is inferred."""
    (traj,) = [r.trajectory for r in _read(REAL / "spans.jsonl")]
    tools = {t["name"]: t for t in traj["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email"}
    assert not any(t.get("inferred") for t in tools.values())
    assert tools["send_email"]["description"] == "Send an email."
    assert tools["send_email"]["parameters"]["required"] == ["to", "subject", "body"]


def _span(span_id: str, attrs: dict, parent: str = "", start: int = 1) -> dict:
    return {
        "traceId": "t1",
        "spanId": span_id,
        "parentSpanId": parent,
        "name": "x",
        "startTimeUnixNano": str(start * 10**9),
        "endTimeUnixNano": str((start + 1) * 10**9),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def _write(path: Path, spans: list[dict]) -> Path:
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}) + "\n")
    return path


def test_spans_without_tool_definitions_get_inferred_tools(tmp_path: Path) -> None:
    """An LLM span with a call but no llm.tools: the tool is inferred from the call."""
    path = _write(
        tmp_path / "s.jsonl",
        [
            _span(
                "a",
                {
                    "openinference.span.kind": "LLM",
                    "llm.input_messages.0.message.role": "user",
                    "llm.input_messages.0.message.content": "pay Bob",
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "pay",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": (
                        '{"to": "bob", "amount": 5, "urgent": true}'
                    ),
                },
            )
        ],
    )
    (record,) = _read(path)
    assert record.trajectory["agent"]["tools"] == [
        {
            "name": "pay",
            "parameters": {
                "type": "object",
                "properties": {
                    "to": {"type": "string"},
                    "amount": {"type": "integer"},
                    "urgent": {"type": "boolean"},
                },
                "required": ["to", "amount", "urgent"],
            },
            "inferred": True,
        }
    ]


def test_hidden_content_is_a_reject_naming_the_setting(tmp_path: Path) -> None:
    """An LLM span whose inputs/outputs were hidden is not a clean, empty session."""
    path = _write(
        tmp_path / "s.jsonl",
        [_span("a", {"openinference.span.kind": "LLM", "llm.model_name": "m"})],
    )
    (record,) = _read(path)
    assert not record.accepted
    assert "no message content" in record.reason
    assert "OPENINFERENCE_HIDE_INPUTS" in record.reason


def test_a_trace_without_openinference_spans_and_log_records_are_rejected(tmp_path: Path) -> None:
    """Plain spans are one reject per trace; OTLP log records are rejects of their own."""
    path = tmp_path / "s.jsonl"
    path.write_text(
        json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [_span("a", {"http.x": "1"})]}]}]})
        + "\n"
        + json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "1"}]}]}]})
        + "\n"
    )
    records = _read(path)
    assert [(r.accepted, r.line) for r in records] == [(False, 2), (False, 1)]
    assert "spans only" in records[0].reason and "openinference.span.kind" in records[1].reason


def test_session_id_is_inherited_from_the_agent_span(tmp_path: Path) -> None:
    """Child spans without session.id join their ancestor's session."""
    path = _write(
        tmp_path / "s.jsonl",
        [
            _span("root", {"openinference.span.kind": "AGENT", "session.id": "S"}),
            _span(
                "llm",
                {
                    "openinference.span.kind": "LLM",
                    "llm.input_messages.0.message.role": "user",
                    "llm.input_messages.0.message.content": "hi",
                },
                parent="root",
            ),
        ],
    )
    (record,) = _read(path)
    assert record.trajectory["session_id"] == "S"


def test_unflatten_rebuilds_indexed_lists() -> None:
    """Dotted, indexed attribute names become nested lists in index order (10 after 9)."""
    attrs = {f"m.{i}.message.role": str(i) for i in (10, 9, 0)} | {"other": 1}
    assert [m["message"]["role"] for m in unflatten(attrs, "m")] == ["0", "9", "10"]
    assert unflatten({"m.x": 1}, "m") == []


def test_openinference_spans_forced_through_otel_say_which_format_reads_them() -> None:
    """--format otel on an OpenInference export: rejects whose reason names the right reader."""
    records = list(get_readers()["otel"].read(str(REAL / "spans.jsonl")))
    assert records and not any(r.accepted for r in records)
    assert all("--format openinference" in r.reason for r in records)


def test_absurdly_deep_attribute_names_are_bounded(tmp_path: Path) -> None:
    """A 50,000-level dotted name neither recurses nor crashes: the rest stays one name."""
    deep = "llm.input_messages.0." + ".".join(["a"] * 50_000)
    path = _write(
        tmp_path / "s.jsonl",
        [
            _span(
                "a",
                {
                    "openinference.span.kind": "LLM",
                    "llm.input_messages.0.message.role": "user",
                    "llm.input_messages.0.message.content": "hi",
                    deep: "x",
                },
            )
        ],
    )
    (record,) = _read(path)
    assert record.accepted and record.trajectory["steps"][0]["content"] == "hi"
