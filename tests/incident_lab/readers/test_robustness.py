"""Property tests: no reader raises on arbitrary input; bad records become rejects."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.readers import get_readers
from incident_lab.readers.mapping import MAPPING_BUG
from incident_lab.trajectory import validate_trajectory

READERS = [
    "native",
    "events",
    "openai_chat",
    "openai_responses",
    "otel",
    "inspect",
    "seed_incident",
]
_scalar = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
_keys = st.sampled_from(
    [
        "session_id",
        "type",
        "role",
        "content",
        "steps",
        "messages",
        "choices",
        "message",
        "tool_calls",
        "function",
        "arguments",
        "name",
        "id",
        "request",
        "response",
        "resourceSpans",
        "scopeSpans",
        "spans",
        "attributes",
        "traceId",
        "key",
        "value",
        "stringValue",
        "incident_id",
        "conversation",
        "sessions",
        "action",
        "tool",
        "params",
        "status",
        "eval",
        "samples",
        "epoch",
        "parts",
        "timestamp",
        "call_id",
        "input",
        "output",
        "object",
    ]
) | st.text(max_size=6)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=25,
)


def _check(fmt: str, data: bytes, suffix: str = ".jsonl") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        for record in get_readers()[fmt].read(str(path)):
            if record.accepted:
                assert validate_trajectory(record.trajectory) == []
                assert record.trajectory["source"]["format"] == fmt
            else:
                assert record.reason
                assert not record.reason.startswith(MAPPING_BUG), record.reason


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    """Random bytes (also posing as .eval/.gz) give records or nothing, never an exception."""
    for fmt in READERS:
        _check(fmt, data)
    _check("inspect", b"PK\x03\x04" + data, suffix=".eval")
    _check("native", b"\x1f\x8b" + data, suffix=".gz")


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(_json, min_size=1, max_size=4))
def test_arbitrary_json_lines_are_mapped_or_rejected_explicitly(lines: list[Any]) -> None:
    """Any JSON, shaped loosely like each format, is handled without the safety net firing."""
    data = "".join(json.dumps(v) + "\n" for v in lines).encode()
    for fmt in READERS:
        _check(fmt, data)
    pretty = json.dumps(lines[0], indent=2).encode()
    for fmt in ("otel", "inspect", "seed_incident", "openai_responses"):
        _check(fmt, pretty, suffix=".json")


_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "x"]) | _scalar},
    optional={
        "content": _json,
        "tool_calls": _json,
        "tool_call_id": _json,
        "function": _json,
        "parts": _json,
        "error": _json,
    },
)


@settings(max_examples=80, deadline=None)
@given(messages=st.lists(_message, max_size=4), extra=st.dictionaries(_keys, _json, max_size=3))
def test_near_valid_records_of_each_format_never_raise(
    messages: list[Any], extra: dict[str, Any]
) -> None:
    """Records that are almost right (odd messages, odd fields) map or reject cleanly."""
    _check(
        "openai_chat",
        (
            json.dumps(
                {
                    "messages": messages,
                    "choices": [{"message": messages[-1] if messages else {}}],
                    **extra,
                }
            )
            + "\n"
        ).encode(),
    )
    spans = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "t",
                                "spanId": "s",
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {
                                        "key": "gen_ai.input.messages",
                                        "value": {"stringValue": json.dumps(messages)},
                                    },
                                    {
                                        "key": "gen_ai.output.messages",
                                        "value": {"stringValue": json.dumps(messages[:1])},
                                    },
                                    {
                                        "key": "gen_ai.tool.definitions",
                                        "value": {"stringValue": json.dumps(extra)},
                                    },
                                ],
                                "events": [
                                    {
                                        "name": "gen_ai.choice",
                                        "attributes": [
                                            {
                                                "key": "message",
                                                "value": {"stringValue": json.dumps(extra)},
                                            }
                                        ],
                                    }
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    _check("otel", (json.dumps(spans) + "\n").encode())
    sample = {
        "eval": {"task": "t"},
        "samples": [{"id": 1, "epoch": 1, "messages": messages, "scores": extra, **extra}],
    }
    _check("inspect", json.dumps(sample, indent=2).encode(), suffix=".json")
    turns = [
        {
            "speaker": m.get("role"),
            "content": m.get("content"),
            "action": m.get("function"),
            **extra,
        }
        for m in messages
    ]
    _check(
        "seed_incident",
        (
            json.dumps({"incident_id": "i", "environment": extra, "conversation": turns}) + "\n"
        ).encode(),
    )
    events = [{"session_id": "s", **m, **extra, "type": "message"} for m in messages]
    _check("events", "".join(json.dumps(e) + "\n" for e in events).encode())


def test_deeply_nested_lines_are_rejects_not_crashes(tmp_path, il) -> None:
    """A line nested far beyond the parser's depth is a reject naming its line, in any path."""
    from incident_lab.readers import read_paths

    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.jsonl"
    ok = '{"schema_version": "trajectory/v1", "session_id": "s1", "steps": []}'
    path.write_text(deep + "\n" + ok + "\n")
    records = [r for _, r in read_paths([str(path)], "native")]
    assert [(r.line, r.accepted) for r in records] == [(1, False), (2, True)]
    auto = [r for _, r in read_paths([str(path)])]
    assert [(r.line, r.accepted) for r in auto] == [(1, False), (2, True)]
    res = il("snapshot", "--from", path, "--out", tmp_path / "b")
    assert res.exit_code == 5, res.stderr
