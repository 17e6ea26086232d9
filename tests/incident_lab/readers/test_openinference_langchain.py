"""The openinference reader on a LangChain tool loop traced by
openinference-instrumentation-langchain 0.1.80 (langchain-core 1.8.3, langchain-openai 1.8.1,
langchain 1.5.2 / langgraph 1.2.24 for create_agent).

Fixture: tests/fixtures/openinference_langchain/spans.jsonl (made by make_fixture.py
there); conversation.json is LangChain's own message list of each run. Its TOOL spans
record the tool's input as LangChain received it ("inbox" for a one-argument tool) and
its output as a serialised ToolMessage.
"""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.readers import get_readers

from .test_otel_real import observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "openinference_langchain"
RUNS = json.loads((REAL / "conversation.json").read_text())
ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _langchain_steps(messages: list[dict]) -> list[tuple]:
    """The steps LangChain's own message list says happened."""
    out: list[tuple] = []
    for msg in messages:
        if msg["type"] == "tool":
            out.append(("tool_result", msg["name"], msg["tool_call_id"], msg["content"]))
            continue
        if msg["content"]:
            out.append(("message", ROLES[msg["type"]], None, msg["content"]))
        for call in msg.get("tool_calls") or []:
            out.append(("tool_call", call["name"], call["id"], call["args"]))
    return out


def _sessions() -> list[dict]:
    records = list(get_readers()["openinference"].read(str(REAL / "spans.jsonl")))
    assert [r.reason for r in records if not r.accepted] == []
    return [r.trajectory for r in records]


def test_each_run_reads_as_langchain_recorded_it() -> None:
    """Two runs, two sessions; every step once, tool outputs are the ToolMessage's
    content (not its JSON), arguments are the model's (not the tool's raw input)."""
    sessions = _sessions()
    assert [observed_steps(t) for t in sessions] == [_langchain_steps(run) for run in RUNS]
    inbox = sessions[0]["steps"][3]
    assert inbox["output"].startswith("From: billing@vendor.example\nSubject: Invoice 4471")
    assert "ignore previous instructions" in inbox["output"]


def test_a_tool_error_is_an_error_result() -> None:
    """handle_tool_error: the ToolMessage's status "error" makes the result is_error."""
    steps = _sessions()[1]["steps"]
    results = [s for s in steps if s["type"] == "tool_result"]
    assert [(r["name"], r["is_error"], r["output"]) for r in results] == [
        ("delete_drafts", True, "permission denied: drafts are read-only")
    ]
    assert [r["is_error"] for r in _sessions()[0]["steps"] if r["type"] == "tool_result"] == [
        False,
        False,
    ]


def test_langchain_create_agent_reads_whole() -> None:
    """The same incident through langchain 1.5's create_agent (LangGraph 1.2 graph: model
    and tools nodes as CHAIN spans, ToolNode's TOOL spans): one session, every step once."""
    records = list(get_readers()["openinference"].read(str(REAL / "spans_create_agent.jsonl")))
    assert [r.reason for r in records if not r.accepted] == []
    (traj,) = [r.trajectory for r in records]
    (run,) = json.loads((REAL / "conversation_create_agent.json").read_text())
    assert observed_steps(traj) == _langchain_steps(run)
    assert "ignore previous instructions" in traj["steps"][3]["output"]


def test_tools_come_from_the_tool_spans() -> None:
    """Every tool LangChain ran is offered, with its description (not inferred)."""
    tools = {t["name"]: t for t in _sessions()[0]["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email", "delete_drafts"}
    assert tools["send_email"]["description"] == "Send an email."
    assert not any(t.get("inferred") for t in tools.values())
