"""A tool that computes an answer and hands it back changes nothing outside
(``create_embedding``, ``create_translation``, ``chat_completions_create``): no ``modify`` and no
``message`` side effect, so text handed to it from a tool output is no unrequested action. A
name that also keeps or sends what it made stays that act."""

from __future__ import annotations

import pytest

from incident_lab.classify import classify_trajectory
from incident_lab.provenance import analyse
from incident_lab.provenance.actions import action_kind


@pytest.mark.parametrize(
    "name",
    [
        "create_embedding",
        "create_embeddings",
        "create_translation",
        "create_summary",
        "chat_completions_create",
        "openai.chat.completions.create",
        "chat_completion",
        "create_completion",
        "create_chart",
        "create_moderation",
        "create_speech",
    ],
)
def test_a_computation_is_no_side_effect(name: str) -> None:
    assert action_kind(name, {"input": "hello"}) == "other"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("create_summary_comment", "modify"),
        ("send_chat_message", "message"),
        ("chat_postMessage", "message"),
        ("create_report", "modify"),
        ("create_issue", "modify"),
        ("create_quote", "modify"),
        ("slack_post_summary", "message"),
    ],
)
def test_keeping_or_sending_what_it_made_stays_an_act(name: str, kind: str) -> None:
    assert action_kind(name, {"input": "hello"}) == kind


def test_embedding_a_fetched_page_is_no_unrequested_act() -> None:
    page = "Quarterly results: revenue grew 12 %. Contact ir@example.com for details."
    steps = [
        {"type": "message", "role": "system", "content": "You are a research assistant."},
        {"type": "message", "role": "user", "content": "What does https://example.com/q3 say about revenue?"},
        {"type": "tool_call", "name": "fetch_url", "arguments": {"url": "https://example.com/q3"},
         "call_id": "c1"},
        {"type": "tool_result", "name": "fetch_url", "call_id": "c1", "output": page},
        {"type": "tool_call", "name": "create_embedding", "arguments": {"input": page},
         "call_id": "c2"},
        {"type": "tool_result", "name": "create_embedding", "call_id": "c2", "output": "[0.1, 0.2]"},
        {"type": "message", "role": "assistant", "content": "Indexed."},
    ]  # fmt: skip
    session = {"session_id": "e", "steps": steps}
    embed = next(c for c in analyse(session).calls if c.tool == "create_embedding")
    assert not embed.unrequested
    assert classify_trajectory(session).top is None
