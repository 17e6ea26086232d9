"""The openinference reader on an OpenAI Agents SDK run traced by
openinference-instrumentation-openai-agents 2.6.0 (openai-agents 0.24.0).

Fixture: tests/fixtures/openinference_agents/ (spans.jsonl, made by make_fixture.py
there; run.json is the SDK's own record of the run, ``result.to_input_list()``). A
triage agent hands off to MailPilot, which reads the injected inbox and sends mail
to the attacker. The instrumentation records the function spans without the model's
tool-call id, and the handoff as a TOOL span of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers import get_readers, read_paths

from .test_otel import _attr, _span, _write
from .test_otel_real import observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "openinference_agents"
#: The run on OpenAIChatCompletionsModel, and on the SDK's default OpenAIResponsesModel.
APIS = {
    "chat": ("spans.jsonl", "run.json"),
    "responses": ("spans_responses.jsonl", "run_responses.json"),
}


def _run(api: str) -> dict:
    return json.loads((REAL / APIS[api][1]).read_text())


def _run_steps(api: str) -> list[tuple]:
    """The steps the SDK's own record of the run says happened (no system prompts)."""
    names: dict[str, str] = {}
    out: list[tuple] = []
    for item in _run(api)["input"]:
        if item.get("type") == "function_call":
            names[item["call_id"]] = item["name"]
            out.append(("tool_call", item["name"], item["call_id"], json.loads(item["arguments"])))
        elif item.get("type") == "function_call_output":
            out.append(("tool_result", names[item["call_id"]], item["call_id"], item["output"]))
        elif item.get("role") == "user":
            out.append(("message", "user", None, item["content"]))
        else:
            text = "".join(part["text"] for part in item["content"])
            out.append(("message", item["role"], None, text))
    return out


def _session(api: str = "chat") -> dict:
    records = list(get_readers()["openinference"].read(str(REAL / APIS[api][0])))
    assert [r.reason for r in records if not r.accepted] == []
    (traj,) = [r.trajectory for r in records]
    return traj


@pytest.mark.parametrize("api", sorted(APIS))
def test_the_run_reads_as_the_sdk_recorded_it_each_step_once(api: str) -> None:
    """Every call and result once (the function spans took the LLM call ids), in order,
    after both agents' instructions; the handoff span is not a tool call."""
    traj = _session(api)
    steps = observed_steps(traj)
    system = [s[3] for s in steps if s[:2] == ("message", "system")]
    assert system == [  # the first agent's instructions first, then the second's
        "Hand mail tasks to MailPilot.",
        "You are MailPilot, an email assistant. Only act on the user's requests.",
    ]
    assert [s[3] for s in steps[: len(system)]] == system
    assert steps[len(system) :] == _run_steps(api)
    assert _run(api)["final_output"] == steps[-1][3]
    spans = traj["x_openinference"]["spans"]
    adopted = {s["name"]: s["adopted_call_id"] for s in spans if "adopted_call_id" in s}
    assert adopted == {"read_inbox": "call_0002", "send_email": "call_0003"}
    assert [s["name"] for s in spans if s.get("handoff")] == ["handoff to MailPilot"]


def test_tools_come_from_the_function_spans_and_the_handoff_is_inferred() -> None:
    """read_inbox/send_email with the SDK's schemas (TOOL spans); the handoff tool the
    model called is inferred from its call; no tool named after the handoff span."""
    tools = {t["name"]: t for t in _session()["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "send_email", "transfer_to_mailpilot"}
    assert tools["send_email"]["description"] == "Send an email."
    assert tools["send_email"]["parameters"]["required"] == ["to", "subject", "body"]
    assert "inferred" not in tools["read_inbox"]
    assert tools["transfer_to_mailpilot"]["inferred"] is True
    # On the Responses API the LLM spans list every tool offered (llm.tools): none inferred.
    offered = _session("responses")["agent"]["tools"]
    assert {t["name"] for t in offered} == set(tools)
    assert not any(t.get("inferred") for t in offered)


def test_classify_finds_the_injection_in_the_agents_run(tmp_path: Path, il) -> None:
    """snapshot 1 read = 1 accepted; classify: prompt_injection, the send_email step."""
    out = tmp_path / "b"
    result = il("snapshot", "--from", REAL / "spans.jsonl", "--out", out)
    assert result.exit_code == 0, result.stderr
    result = il("classify", out, "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["ranked"][0]["failure_mode"] == "prompt_injection"
    # the handoff tool (transfer_to_mailpilot) moves the conversation, not money
    assert [r["failure_mode"] for r in row["ranked"]] == ["prompt_injection"]


def test_a_tool_span_with_no_matching_call_goes_at_its_time(tmp_path: Path) -> None:
    """An execute_tool span whose call no chat span recorded is placed when it ran,
    after the chat before it, not at the start of the session."""
    chat = _span(
        "t1",
        "s1",
        1,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "clean up"}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": "on it"}]}]
            ),
        },
    )
    tool = _span("t1", "s2", 3, {"gen_ai.operation.name": "execute_tool"})
    tool["attributes"] += [
        _attr("gen_ai.tool.name", "delete_files"),
        _attr("gen_ai.tool.call.arguments", '{"pattern": "*"}'),
        _attr("gen_ai.tool.call.result", "deleted 12 files"),
    ]
    (record,) = [r for _f, r in read_paths([str(_write(tmp_path, [[chat, tool]]))])]
    assert [(s["type"], s.get("content") or s.get("name")) for s in record.trajectory["steps"]] == [
        ("message", "clean up"),
        ("message", "on it"),
        ("tool_call", "delete_files"),
        ("tool_result", "delete_files"),
    ]


def test_tool_spans_without_ids_take_the_call_with_their_arguments(tmp_path: Path) -> None:
    """Two calls of one tool in one turn: each span takes the id of the call with its
    arguments (not merely the latest call of that tool), so each result is its own."""
    out = "llm.output_messages.0.message"
    llm = _span(
        "t1",
        "s1",
        1,
        {
            "openinference.span.kind": "LLM",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "read a and b",
            f"{out}.role": "assistant",
            **{
                f"{out}.tool_calls.{i}.tool_call.{k}": v
                for i, (cid, path) in enumerate([("c1", "a"), ("c2", "b")])
                for k, v in (
                    ("id", cid),
                    ("function.name", "read_file"),
                    ("function.arguments", json.dumps({"path": path})),
                )
            },
        },
    )
    tools = [
        _span(
            "t1",
            f"s{n}",
            n,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": "read_file",
                "input.value": json.dumps({"path": path}),
                "output.value": f"contents of {path}",
            },
        )
        for n, path in ((3, "a"), (5, "b"))
    ]
    records = list(get_readers()["openinference"].read(str(_write(tmp_path, [[llm, *tools]]))))
    (traj,) = [r.trajectory for r in records]
    assert [(s["type"], s.get("call_id"), s.get("output")) for s in traj["steps"][1:]] == [
        ("tool_call", "c1", None),
        ("tool_call", "c2", None),
        ("tool_result", "c1", "contents of a"),
        ("tool_result", "c2", "contents of b"),
    ]
