"""The OpenAI chat-completions reader: messages, tool calls, tools, grouping and rejects."""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.readers.mapping import RAW_ARGUMENTS_KEY

from .conftest import accepted, read_all, rejected


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_exchanges_sharing_a_session_merge_into_one_history(logs: Path) -> None:
    """Three exchanges of one agent loop (written out of order) give each step once."""
    traj = accepted(read_all("openai_chat", logs / "openai_chat" / "chat_completions.jsonl"))[
        "sess-8c1f"
    ]
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
    assert traj["steps"][3]["call_id"] == "call_Q3doc"
    assert [ex["line"] for ex in traj["x_openai_chat"]["exchanges"]] == [2, 1, 4]
    assert "history_rewrites" not in traj["x_openai_chat"]
    assert traj["source"]["line"] == 1


def test_developer_role_tools_model_and_actor_are_mapped(logs: Path) -> None:
    """developer -> system (flagged), tools -> agent.tools, models and user are kept."""
    traj = accepted(read_all("openai_chat", logs / "openai_chat" / "chat_completions.jsonl"))[
        "sess-8c1f"
    ]
    assert traj["steps"][0]["role"] == "system"
    assert traj["steps"][0]["x_openai_chat"] == {"role": "developer"}
    assert [t["name"] for t in traj["agent"]["tools"]] == ["read_document", "send_email"]
    assert traj["agent"]["tools"][1]["parameters"]["required"] == ["to", "body"]
    assert traj["agent"]["model"] == {"name": "gpt-4o", "version": "gpt-4o-2024-08-06"}
    assert traj["actor"]["user_id"] == "u_5d41"
    assert traj["started_at"] == "2026-02-01T12:00:04Z"
    first = traj["x_openai_chat"]["exchanges"][0]
    assert first["request_params"] == {"temperature": 0.2}
    assert first["extra"] == {"latency_ms": 801}, "unknown wrapper fields are preserved"


def test_unparsable_arguments_are_kept_raw_and_flagged(logs: Path) -> None:
    """A tool call whose arguments are broken JSON is kept, with the raw text and a flag."""
    traj = accepted(read_all("openai_chat", logs / "openai_chat" / "chat_completions.jsonl"))[
        "chatcmpl-ZZ9"
    ]
    call = traj["steps"][-1]
    assert call["name"] == "shell"
    assert call["arguments"] == {RAW_ARGUMENTS_KEY: '{"cmd": "rm -rf /tmp/*"'}
    assert call["arguments_error"].startswith("arguments are not valid JSON")


def test_an_exchange_without_session_is_its_own_trajectory(tmp_path: Path) -> None:
    """Without a session id, each line is one trajectory named by the response id or the line."""
    rows = [
        {
            "messages": [{"role": "user", "content": "hi"}],
            "choices": [{"message": {"role": "assistant", "content": "yo"}}],
        },
        {
            "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            "response": {
                "id": "chatcmpl-1",
                "choices": [{"message": {"role": "assistant", "content": "yo"}}],
            },
        },
    ]
    sessions = accepted(read_all("openai_chat", _write(tmp_path, rows)))
    assert set(sessions) == {"chat.jsonl:1", "chatcmpl-1"}
    assert sessions["chatcmpl-1"]["steps"][-1] == {
        "type": "message",
        "role": "assistant",
        "content": "yo",
    }


def test_batch_api_body_wrappers_and_conversation_ids(tmp_path: Path) -> None:
    """Batch-style ``body`` wrappers are unwrapped; conversation_id groups like session_id."""
    rows = [
        {
            "conversation_id": "conv-1",
            "request": {"body": {"model": "m", "messages": [{"role": "user", "content": "a"}]}},
            "response": {
                "status_code": 200,
                "body": {
                    "created": 1000,
                    "choices": [{"message": {"role": "assistant", "content": "b"}}],
                },
            },
        },
        {
            "conversation_id": "conv-1",
            "request": {
                "body": {
                    "model": "m",
                    "messages": [
                        {"role": "user", "content": "a"},
                        {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"},
                    ],
                }
            },
            "response": {
                "body": {
                    "created": 1001,
                    "choices": [{"message": {"role": "assistant", "content": "d"}}],
                }
            },
        },
    ]
    traj = accepted(read_all("openai_chat", _write(tmp_path, rows)))["conv-1"]
    assert [s["content"] for s in traj["steps"]] == ["a", "b", "c", "d"]


def test_rewritten_history_is_kept_and_reported(tmp_path: Path) -> None:
    """When a later exchange does not extend the history, nothing is dropped and it is noted."""
    rows = [
        {
            "session_id": "s",
            "messages": [{"role": "user", "content": "a"}],
            "created": 1,
            "choices": [{"message": {"role": "assistant", "content": "b"}}],
        },
        {
            "session_id": "s",
            "messages": [
                {"role": "user", "content": "summary of a/b"},
                {"role": "user", "content": "c"},
            ],
            "created": 2,
            "choices": [{"message": {"role": "assistant", "content": "d"}}],
        },
    ]
    traj = accepted(read_all("openai_chat", _write(tmp_path, rows)))["s"]
    assert [s["content"] for s in traj["steps"]] == ["a", "b", "summary of a/b", "c", "d"]
    assert traj["x_openai_chat"]["history_rewrites"] == [{"line": 2, "diverges_at_message": 0}]


def test_tool_messages_content_parts_and_refusals(tmp_path: Path) -> None:
    """tool -> tool_result named after its call; image parts preserved; refusals become text."""
    rows = [
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look"},
                        {"type": "image_url", "image_url": {"url": "https://x/i.png"}},
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "[1]"},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "c1",
                    "content": [{"type": "text", "text": "out"}],
                },
            ],
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "refusal": "I can't help with that.",
                    }
                }
            ],
        }
    ]
    steps = accepted(read_all("openai_chat", _write(tmp_path, rows)))["chat.jsonl:1"]["steps"]
    assert steps[0]["x_openai_chat"]["content_parts"][0]["type"] == "image_url"
    assert steps[1]["arguments_error"] == "arguments are JSON list, not an object"
    assert steps[2] == {"type": "tool_result", "call_id": "c1", "name": "f", "output": "out"}
    assert steps[3]["content"] == "I can't help with that."
    assert steps[3]["x_openai_chat"]["refusal"] == "I can't help with that."


def test_malformed_exchanges_are_rejected_with_their_line(tmp_path: Path) -> None:
    """Missing messages, unknown roles and nameless tool calls reject only their line."""
    rows = [
        {"request": {"model": "m"}},
        {"messages": [{"role": "narrator", "content": "x"}]},
        {
            "messages": [
                {"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}
            ]
        },
        {"messages": [{"role": "user", "content": "fine"}]},
    ]
    records = read_all("openai_chat", _write(tmp_path, rows))
    bad = rejected(records)
    assert [r.line for r in bad] == [1, 2, 3]
    assert "no request messages" in bad[0].reason
    assert "narrator" in bad[1].reason
    assert "function.name" in bad[2].reason
    assert len(accepted(records)) == 1
