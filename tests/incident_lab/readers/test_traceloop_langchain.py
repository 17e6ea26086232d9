"""The otel reader on a LangChain tool loop traced by OpenLLMetry's
opentelemetry-instrumentation-langchain 0.62.4 (langchain-core 1.8.3, langchain-openai 1.8.1).

Fixture: tests/fixtures/traceloop_langchain/spans.jsonl, made by
``python make_fixture.py --traceloop ../traceloop_langchain`` in
tests/fixtures/openinference_langchain/ (the same two runs as that folder's
spans.jsonl); conversation.json is LangChain's own message list of each run. The
instrumentation writes GenAI ``chat`` spans (``gen_ai.input.messages`` and so on) and an
``execute_tool`` span per tool, whose ``gen_ai.tool.call.arguments`` / ``.result`` are
LangChain's callback payloads: ``{"input_str", "inputs", "kwargs": {"tool_call_id"}}``
and ``{"output": <the ToolMessage, serialised>}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from incident_lab.readers import read_paths

from .test_openinference_langchain import _langchain_steps
from .test_otel_real import observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "traceloop_langchain"
RUNS = json.loads((REAL / "conversation.json").read_text())


def _sessions() -> list[dict]:
    records = [r for _fmt, r in read_paths([str(REAL / "spans.jsonl")])]
    assert [r.reason for r in records if not r.accepted] == []
    return [r.trajectory for r in records if r.trajectory is not None]


def test_each_run_reads_as_langchain_recorded_it() -> None:
    """Two runs, two sessions (one trace each); every step once: a tool span's call is
    the model's call (its id from the payload's tool_call_id, its arguments the tool's
    inputs), its result the ToolMessage's content, not the payload's JSON."""
    sessions = _sessions()
    assert [observed_steps(t) for t in sessions] == [_langchain_steps(run) for run in RUNS]
    assert {t["x_otel"]["grouped_by"] for t in sessions} == {"trace"}
    inbox = sessions[0]["steps"][3]
    assert inbox["output"].startswith("From: billing@vendor.example\nSubject: Invoice 4471")
    assert "ignore previous instructions" in inbox["output"]
    tools = {t["name"]: t for t in sessions[0]["agent"]["tools"]}  # gen_ai.tool.definitions
    assert set(tools) == {"read_inbox", "send_email", "delete_drafts"}
    assert tools["send_email"]["parameters"]["required"] == ["to", "subject", "body"]
    assert not any(t.get("inferred") for t in tools.values())


def test_a_tool_error_is_an_error_result() -> None:
    """handle_tool_error: the span says the tool succeeded, its ToolMessage's status
    "error" makes the result is_error; the other results are not errors."""
    sessions = _sessions()
    results = [s for s in sessions[1]["steps"] if s["type"] == "tool_result"]
    assert [(r["name"], r["is_error"], r["output"]) for r in results] == [
        ("delete_drafts", True, "permission denied: drafts are read-only")
    ]
    ok = [s.get("is_error", False) for s in sessions[0]["steps"] if s["type"] == "tool_result"]
    assert ok == [False, False]


def _span(span_id: str, start: int, attrs: dict[str, str]) -> dict:
    return {
        "traceId": "7" * 32,
        "spanId": span_id,
        "name": attrs["gen_ai.operation.name"],
        "startTimeUnixNano": str(start * 10**9),
        "endTimeUnixNano": str((start + 1) * 10**9),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def test_a_tool_run_on_its_own_input_keeps_that_input_and_its_plain_output(
    tmp_path: Path,
) -> None:
    """``read_inbox.invoke("inbox")`` (no model call): the payloads as this instrumentation
    writes them (``inputs`` null, no ``tool_call_id``, ``output`` the return value). The
    call's arguments are the input LangChain received, the result the value itself."""
    question = [{"role": "user", "parts": [{"type": "text", "content": "Check my inbox."}]}]
    chat = {
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": json.dumps(question),
    }
    payload: dict[str, Any] = {"input_str": "inbox", "tags": [], "metadata": {}, "inputs": None}
    payload["kwargs"] = {"color": "green", "name": None, "tool_call_id": None}
    result = {"output": "From: a\n\nhello", "kwargs": {"tags": [], "name": "read_inbox"}}
    tool = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "read_inbox",
        "gen_ai.tool.call.arguments": json.dumps(payload),
        "gen_ai.tool.call.result": json.dumps(result),
    }
    scope = {"name": "opentelemetry.instrumentation.langchain", "version": "0.62.4"}
    spans = [_span("1" * 16, 1, chat), _span("2" * 16, 3, tool)]
    export = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": scope, "spans": spans}]}]}
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(export) + "\n")
    (traj,) = [r.trajectory for _fmt, r in read_paths([str(path)])]
    assert traj is not None
    steps = traj["steps"]
    call, output = steps[-2:]
    assert (call["name"], call["arguments"], call["call_id"]) == (
        "read_inbox",
        {"_raw": "inbox"},
        None,
    )
    assert (output["output"], output["is_error"]) == ("From: a\n\nhello", False)
