"""Importable callables and guardrails used by the python: and safeguard: target tests."""

from __future__ import annotations

import asyncio
from typing import Any


def echo_turns(replay: dict[str, Any]) -> dict[str, Any]:
    """A one-argument agent: answers each turn with its upper-cased text (partial trajectory)."""
    return {
        "steps": [
            {"type": "message", "role": "assistant", "content": t["content"].upper()}
            for t in replay["turns"]
        ]
    }


def with_scenario(replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
    """A two-argument agent: reports the scenario's title."""
    return {
        "schema_version": "trajectory/v1",
        "session_id": "own-id",
        "steps": [{"type": "message", "role": "assistant", "content": scenario["title"]}],
    }


async def async_agent(replay: dict[str, Any]) -> dict[str, Any]:
    """An async agent."""
    await asyncio.sleep(0)
    return {
        "steps": [
            {"type": "message", "role": "assistant", "content": f"async {replay['scenario_id']}"}
        ]
    }


def returns_string(replay: dict[str, Any]) -> str:
    """Not a trajectory."""
    return "hello"


def crashes(replay: dict[str, Any]) -> dict[str, Any]:
    """An agent with a bug."""
    raise KeyError("model")


NOT_CALLABLE = 42


def block_send_email(step: dict[str, Any], context: dict[str, Any]) -> Any:
    """A guardrail: block send_email calls; flag user messages mentioning 'ignore'."""
    if step["type"] == "tool_call" and step["name"] == "send_email":
        return {"decision": "block", "score": 0.97, "rule_id": "no-email"}
    if context["stage"] == "input" and "ignore" in step["content"].lower():
        return "flag"
    return "allow"


def block_injected_input(step: dict[str, Any], context: dict[str, Any]) -> str:
    """A guardrail that blocks user messages containing 'ignore previous'."""
    if context["stage"] == "input" and "ignore previous" in step["content"].lower():
        return "block"
    return "allow"


def block_answers(step: dict[str, Any], context: dict[str, Any]) -> str:
    """A guardrail that blocks every assistant answer."""
    return "block" if context["stage"] == "output" else "allow"


def says_maybe(step: dict[str, Any], context: dict[str, Any]) -> str:
    """A broken guardrail."""
    return "maybe"


def returns_none(step: dict[str, Any], context: dict[str, Any]) -> None:
    """A guardrail that forgot to return."""


SEEN: list[dict[str, Any]] = []


def records_context(step: dict[str, Any], context: dict[str, Any]) -> str:
    """Keep what the guardrail was given."""
    SEEN.append(
        {
            "step": step,
            **{k: v for k, v in context.items() if k != "history"},
            "history_len": len(context["history"]),
        }
    )
    return "allow"
