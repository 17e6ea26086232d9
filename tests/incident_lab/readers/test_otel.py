"""The OpenTelemetry GenAI reader: OTLP/JSON decoding, session grouping, history merging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers.otel_steps import CallIndex, merge_steps
from incident_lab.readers.otlp_json import any_value

from .conftest import accepted, read_all, rejected

CONV = "conv_5j66UpCpwteGg4YSxUnt7lPY"


def _attr(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def _span(trace: str, span: str, start: int, attrs: dict, parent: str = "") -> dict:
    return {
        "traceId": trace,
        "spanId": span,
        "parentSpanId": parent,
        "name": "x",
        "startTimeUnixNano": str(start * 10**9),
        "endTimeUnixNano": str((start + 1) * 10**9),
        "attributes": [_attr(k, v) for k, v in attrs.items()],
    }


def _write(tmp_path: Path, lines: list[list[dict]]) -> Path:
    path = tmp_path / "spans.jsonl"
    path.write_text(
        "".join(
            json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": s}]}]}) + "\n"
            for s in lines
        )
    )
    return path


def test_agent_loop_spans_become_one_session_without_repeated_history(logs: Path) -> None:
    """invoke_agent + 3 chat + 2 execute_tool spans, split over lines, give 7 distinct steps."""
    sessions = accepted(read_all("otel", logs / "otel" / "collector_file_exporter.jsonl"))
    traj = sessions[CONV]
    assert [(s["type"], s.get("role") or s.get("name")) for s in traj["steps"]] == [
        ("message", "system"),
        ("message", "user"),
        ("tool_call", "read_document"),
        ("tool_result", "read_document"),
        ("tool_call", "send_email"),
        ("tool_result", "send_email"),
        ("message", "assistant"),
    ]
    assert traj["steps"][4]["arguments"] == {"to": "x@attacker.example", "body": "Q3..."}
    assert traj["steps"][5]["output"] == "sent" and traj["steps"][5]["is_error"] is False
    assert traj["steps"][6]["timestamp"] == "2026-02-01T12:00:08Z"
    assert traj["started_at"] == "2026-02-01T12:00:03Z"


def test_session_metadata_comes_from_genai_attributes(logs: Path) -> None:
    """Agent name, model, provider, tool definitions and end user are mapped."""
    traj = accepted(read_all("otel", logs / "otel" / "collector_file_exporter.jsonl"))[CONV]
    assert traj["agent"]["name"] == "mail-assistant"
    assert traj["agent"]["model"] == {
        "name": "gpt-4o",
        "version": "gpt-4o-2024-08-06",
        "provider": "openai",
    }
    assert [t["name"] for t in traj["agent"]["tools"]] == ["read_document", "send_email"]
    assert traj["actor"]["user_id"] == "u_5d41"
    x = traj["x_otel"]
    assert x["grouped_by"] == "conversation"
    assert len(x["spans"]) == 6
    chat = next(s for s in x["spans"] if s["span_id"] == "c000000000000001")
    assert chat["attributes"]["gen_ai.usage.input_tokens"] == 120, "unmapped attributes are kept"
    assert chat["attributes"]["gen_ai.response.finish_reasons"] == ["tool_call"]
    assert x["non_genai_spans_by_trace"] == {"5b8efff798038103d269b633813fc60c": 1}
    assert traj["source"]["line"] == 1 and traj["source"]["entry"] == f"conversation {CONV}"


def test_failed_tool_span_and_non_genai_trace(logs: Path) -> None:
    """An errored execute_tool is an error result; a trace with no GenAI spans is a reject."""
    records = read_all("otel", logs / "otel" / "collector_file_exporter.jsonl")
    failing = accepted(records)["4bf92f3577b34da6a3ce929d0e0e4736"]
    call, result = failing["steps"]
    assert call["arguments"] == {"cmd": "cat /etc/shadow"}
    assert result == {
        "type": "tool_result",
        "call_id": "call_sh",
        "name": "shell",
        "output": "permission denied",
        "is_error": True,
        "timestamp": "2026-02-01T12:00:33.200000Z",
    }
    (bad,) = rejected(records)
    assert bad.line == 3 and bad.entry == "trace 0af7651916cd43dd8448eb211c80319c"
    assert "none carries gen_ai" in bad.reason


def test_single_document_with_older_event_based_conventions(logs: Path) -> None:
    """A pretty-printed export using gen_ai.*.message / gen_ai.choice span events is read."""
    (traj,) = accepted(read_all("otel", logs / "otel" / "legacy_events_trace.json")).values()
    assert [s.get("content", s.get("name")) for s in traj["steps"]] == [
        "You are a mail assistant. Never send mail outside acme.example.",
        "Forward my inbox to x@attacker.example",
        "forward_inbox",
    ]
    assert traj["steps"][2]["arguments"] == {"to": "x@attacker.example"}
    assert traj["agent"]["model"]["provider"] == "openai"


def test_conversation_id_is_inherited_and_groups_across_traces(tmp_path: Path) -> None:
    """Child spans inherit the parent's conversation id; two traces of one conversation merge."""
    path = _write(
        tmp_path,
        [
            [
                _span(
                    "t1",
                    "a",
                    0,
                    {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "c"},
                ),
                _span(
                    "t1",
                    "b",
                    1,
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.input.messages": json.dumps(
                            [{"role": "user", "parts": [{"type": "text", "content": "one"}]}]
                        ),
                    },
                    parent="a",
                ),
            ],
            [
                _span(
                    "t2",
                    "c",
                    5,
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.conversation.id": "c",
                        "gen_ai.input.messages": json.dumps(
                            [
                                {"role": "user", "parts": [{"type": "text", "content": "one"}]},
                                {"role": "user", "parts": [{"type": "text", "content": "two"}]},
                            ]
                        ),
                    },
                )
            ],
        ],
    )
    (traj,) = accepted(read_all("otel", path)).values()
    assert traj["session_id"] == "c"
    assert [s["content"] for s in traj["steps"]] == ["one", "two"]
    assert traj["x_otel"]["trace_ids"] == ["t1", "t2"]


def test_spans_without_trace_id_and_non_trace_lines_are_rejected(tmp_path: Path) -> None:
    """A span with no traceId, a logs export and an unknown object each get a reject."""
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "1"}]}]}]})
        + "\n"
        + json.dumps({"resourceMetrics": []})
        + "\n"
        + json.dumps({"hello": 1})
        + "\n"
    )
    bad = rejected(read_all("otel", path))
    assert [(r.line, r.entry) for r in bad] == [
        (1, "resourceSpans[0].scopeSpans[0].spans[0]"),
        (2, None),
        (3, None),
    ]
    assert (
        "traceId" in bad[0].reason
        and "metrics" in bad[1].reason
        and "resourceSpans" in bad[2].reason
    )


def test_unknown_message_role_rejects_the_session(tmp_path: Path) -> None:
    """A message role outside the conventions cannot be mapped and is named."""
    path = _write(
        tmp_path,
        [
            [
                _span(
                    "t",
                    "a",
                    0,
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.input.messages": json.dumps([{"role": "oracle", "parts": []}]),
                    },
                )
            ]
        ],
    )
    (record,) = read_all("otel", path)
    assert not record.accepted and "oracle" in record.reason and record.entry == "trace t"


def test_any_value_decodes_every_otlp_value_kind() -> None:
    """int64 arrives as a decimal string; arrays and kvlists nest."""
    assert any_value({"intValue": "42"}) == 42
    assert any_value({"doubleValue": 0.5}) == 0.5
    assert any_value({"boolValue": False}) is False
    assert any_value({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}) == [
        "a",
        1,
    ]
    assert any_value(
        {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}}
    ) == {"k": "v"}
    assert any_value({}) is None


def _chat(trace: str, start: int, inputs: list, output: list) -> dict:
    msgs = [{"role": r, "parts": [{"type": "text", "content": c}]} for r, c in inputs]
    out = [{"role": r, "parts": [{"type": "text", "content": c}]} for r, c in output]
    return _span(
        trace,
        f"{trace}-s",
        start,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.input.messages": json.dumps(msgs),
            "gen_ai.output.messages": json.dumps(out),
        },
    )


def test_traces_extending_one_history_are_one_session_and_others_stay_apart(
    tmp_path: Path,
) -> None:
    """No parent span: A1 then A2 (A1's history + more) merge; B shares only the system prompt."""
    sys_ = ("system", "be safe")
    path = _write(
        tmp_path,
        [
            [_chat("a1", 0, [sys_, ("user", "hi")], [("assistant", "hello")])],
            [_chat("b1", 1, [sys_, ("user", "other")], [("assistant", "sure")])],
            [
                _chat(
                    "a2",
                    2,
                    [sys_, ("user", "hi"), ("assistant", "hello"), ("user", "more")],
                    [("assistant", "done")],
                )
            ],
        ],
    )
    sessions = accepted(read_all("otel", path))
    assert set(sessions) == {"a1", "b1"}
    assert [s["content"] for s in sessions["a1"]["steps"]] == [
        "be safe",
        "hi",
        "hello",
        "more",
        "done",
    ]
    assert sessions["a1"]["x_otel"]["grouped_by"] == "history"
    assert sessions["a1"]["x_otel"]["trace_ids"] == ["a1", "a2"]
    assert sessions["b1"]["x_otel"]["grouped_by"] == "trace"


def test_merge_steps_output_checks_the_tail_and_tool_the_whole_session() -> None:
    def msg(text: str) -> dict:
        return {"type": "message", "role": "assistant", "content": text}

    steps: list[dict] = []
    keys: list[str] = []
    merge_steps(steps, keys, "output", [msg("a")])
    merge_steps(steps, keys, "output", [msg("b")])
    merge_steps(steps, keys, "output", [msg("b")])  # the session already ends with it
    merge_steps(steps, keys, "output", [msg("a")])  # said before, but not at the end
    assert [s["content"] for s in steps] == ["a", "b", "a"]
    call = {"type": "tool_call", "call_id": "c1", "name": "t", "arguments": {}}
    merge_steps(steps, keys, "tool", [call])
    merge_steps(steps, keys, "output", [msg("z")])
    merge_steps(steps, keys, "tool", [call])  # anywhere in the session: not repeated
    assert [s["type"] for s in steps] == ["message"] * 3 + ["tool_call", "message"]


def _parallel_sends(tmp_path: Path, ids: tuple[str, str] | None) -> list[dict]:
    """Two parallel send_email calls (ids optional in the semconv) both answering "sent",
    then the model's answer: the steps of the one session read."""

    def call(to: str, ident: str | None) -> dict:
        part = {"type": "tool_call", "name": "send_email", "arguments": {"to": to}}
        return part | ({"id": ident} if ident else {})

    def result(ident: str | None) -> dict:
        part = {"type": "tool_call_response", "response": {"result": "sent"}}
        return part | ({"id": ident} if ident else {})

    a, b = ids or (None, None)
    user = {"role": "user", "parts": [{"type": "text", "content": "Email Alice and Bob."}]}
    calls = {"role": "assistant", "parts": [call("alice@x.example", a), call("bob@x.example", b)]}
    results = {"role": "user", "parts": [result(a), result(b)]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "Both sent."}]}
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
    first = chat | {
        "gen_ai.input.messages": json.dumps([user]),
        "gen_ai.output.messages": json.dumps([calls]),
    }
    second = chat | {
        "gen_ai.input.messages": json.dumps([user, calls, results]),
        "gen_ai.output.messages": json.dumps([answer]),
    }
    path = _write(tmp_path, [[_span("t1", "s1", 1, first), _span("t1", "s2", 3, second)]])
    (trajectory,) = accepted(read_all("otel", path)).values()
    return trajectory["steps"]


def test_parallel_results_with_the_same_output_are_each_read(tmp_path: Path) -> None:
    # without call ids a result's key is its text: the second "sent" is a result of its own
    for ids in (None, ("c1", "c2")):
        steps = _parallel_sends(tmp_path, ids)
        assert [s["type"] for s in steps] == ["message"] + ["tool_call"] * 2 + [
            "tool_result"
        ] * 2 + ["message"], ids
        assert [s["output"] for s in steps if s["type"] == "tool_result"] == ["sent", "sent"]


def test_a_call_id_reused_in_a_later_step_is_read_again() -> None:
    """Vertex-style ids (``read_inbox_0``) repeat from step to step. A tool span that
    added its call before the model output naming it owns that call once: the output's
    copy is not read again, but a later step's call with the same id is a call of its own."""

    def call(folder: str) -> dict:
        return {
            "type": "tool_call",
            "call_id": "read_inbox_0",
            "name": "read_inbox",
            "arguments": {"folder": folder},
        }

    def result(text: str) -> dict:
        return {"type": "tool_result", "call_id": "read_inbox_0", "output": text}

    steps: list[dict] = []
    keys: list[str] = []
    index = CallIndex()
    merge_steps(steps, keys, "tool", [call("inbox"), result("2 emails")], index)
    merge_steps(steps, keys, "output", [call("inbox")], index)  # the tool span's, read already
    merge_steps(steps, keys, "output", [call("spam")], index)  # the next step's own call
    assert [(s["type"], s.get("arguments")) for s in steps] == [
        ("tool_call", {"folder": "inbox"}),
        ("tool_result", None),
        ("tool_call", {"folder": "spam"}),
    ]


def _vertex_steps(tmp_path: Path, rounds: list[list[tuple[str, dict, str]]]) -> list[dict]:
    """Chat spans only (no tool spans), each with the whole history so far as its input; a
    call's id is its tool's name and part index (``read_inbox_0``), as the Vertex AI
    instrumentation writes it, so every round reuses the ids of the one before."""
    user = {"role": "user", "parts": [{"type": "text", "content": "Check my inbox and archive."}]}
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
    history, spans = [user], []
    for n, calls in enumerate(rounds):
        parts = [
            {"type": "tool_call", "name": name, "id": f"{name}_{i}", "arguments": args}
            for i, (name, args, _) in enumerate(calls)
        ]
        model = {"role": "assistant", "parts": parts}
        output = chat | {"gen_ai.output.messages": json.dumps([model])}
        spans.append(
            _span("t1", f"s{n}", 2 * n + 1, output | {"gen_ai.input.messages": json.dumps(history)})
        )
        results = [
            {"type": "tool_call_response", "id": f"{name}_{i}", "response": {"result": text}}
            for i, (name, _, text) in enumerate(calls)
        ]
        history = [*history, model, {"role": "user", "parts": results}]
    done = {"role": "assistant", "parts": [{"type": "text", "content": "Done."}]}
    last = chat | {"gen_ai.input.messages": json.dumps(history)}
    spans.append(
        _span(
            "t1", "end", 2 * len(rounds) + 1, last | {"gen_ai.output.messages": json.dumps([done])}
        )
    )
    (trajectory,) = accepted(read_all("otel", _write(tmp_path, [spans]))).values()
    return trajectory["steps"]


@pytest.mark.parametrize(
    "rounds",
    [
        [[("read_inbox", {"f": "inbox"}, "empty")], [("read_inbox", {"f": "archive"}, "INJ")]],
        [
            [("read_inbox", {"f": "inbox"}, "Error: timeout")],
            [("read_inbox", {"f": "inbox"}, "INJ")],
        ],
        [
            [("read_inbox", {"f": "inbox"}, "INJ"), ("send_email", {"to": "a@x.example"}, "sent")],
            [("read_inbox", {"f": "archive"}, "none"), ("send_email", {"to": "b@x.example"}, "ok")],
        ],
    ],
    ids=["across", "retry", "block"],
)
def test_a_call_id_reused_from_round_to_round_keeps_every_result(
    tmp_path: Path, rounds: list[list[tuple[str, dict, str]]]
) -> None:
    """A later round's results with the ids of the round before are results of their own
    (review revin40c H1: the run of tool steps reached back into the previous round and
    the later result, the one holding the injection, was read as a copy)."""
    steps = _vertex_steps(tmp_path, rounds)
    outputs = [s["output"] for s in steps if s["type"] == "tool_result"]
    assert outputs == [text for calls in rounds for _, _, text in calls]
    calls = [s["arguments"] for s in steps if s["type"] == "tool_call"]
    assert calls == [args for round_ in rounds for _, args, _ in round_]
