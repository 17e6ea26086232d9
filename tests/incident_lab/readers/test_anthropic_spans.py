"""The otel and openinference readers on an Anthropic Messages tool loop (tool_use /
tool_result blocks) traced by OpenLLMetry's opentelemetry-instrumentation-anthropic
0.62.4 and by openinference-instrumentation-anthropic 3.1.0 (anthropic 2.17.0).

Fixtures: tests/fixtures/anthropic_spans/<instrumentation>/traces.jsonl, made by
make_fixture.py there; conversation.json is the client's own message list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers import read_paths

from .test_otel_real import observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "anthropic_spans"
READER = {"traceloop": "otel", "openinference": "openinference"}


def _client_steps(record: dict) -> list[tuple]:
    """The steps the client's own message list holds (system prompt first)."""
    names: dict[str, str] = {}
    out: list[tuple] = [("message", "system", None, record["system"])]
    for msg in record["messages"]:
        blocks = msg["content"]
        if isinstance(blocks, str):
            out.append(("message", msg["role"], None, blocks))
            continue
        for block in blocks:
            if block["type"] == "text":
                out.append(("message", msg["role"], None, block["text"]))
            elif block["type"] == "tool_use":
                names[block["id"]] = block["name"]
                out.append(("tool_call", block["name"], block["id"], block["input"]))
            else:
                name = names[block["tool_use_id"]]
                out.append(("tool_result", name, block["tool_use_id"], block["content"]))
    return out


@pytest.mark.parametrize("kind", sorted(READER))
def test_the_tool_loop_reads_as_the_client_recorded_it(kind: str) -> None:
    """Detected as its own format; one session, every step once, tools with schemas."""
    records = list(read_paths([str(REAL / kind / "traces.jsonl")]))
    assert [fmt for fmt, _r in records] == [READER[kind]]
    (record,) = [r for _fmt, r in records]
    assert record.accepted, record.reason
    traj = record.trajectory
    conversation = json.loads((REAL / kind / "conversation.json").read_text())
    assert observed_steps(traj) == _client_steps(conversation)
    assert "ignore previous instructions" in traj["steps"][3]["output"]
    tools = {t["name"]: t for t in traj["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email"}
    assert tools["send_email"]["parameters"]["required"] == ["to", "subject", "body"]
    assert traj["agent"]["model"]["provider"] == "anthropic"
