"""Tiny builders for hand-written trajectories in the classify tests."""

from __future__ import annotations

from typing import Any

TOOLS = [
    {
        "name": "read_document",
        "parameters": {
            "type": "object",
            "properties": {"doc_id": {"type": "string"}},
            "required": ["doc_id"],
        },
    },
    {
        "name": "send_email",
        "parameters": {
            "type": "object",
            "properties": {"to": {"type": "string"}, "body": {"type": "string"}},
            "required": ["to", "body"],
        },
    },
    {
        "name": "get_balance",
        "parameters": {"type": "object", "properties": {"account": {"type": "string"}}},
    },
    {
        "name": "transfer_funds",
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "required": ["to_iban", "amount"],
            "properties": {"to_iban": {"type": "string"}, "amount": {"type": "number"}},
        },
    },
    {
        "name": "get_order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
    },
    {
        "name": "issue_refund",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        },
    },
]


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


def say(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": text}


def call(name: str, cid: str = "c", **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "name": name, "arguments": args, "call_id": cid}


def result(output: str, cid: str = "c", error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "call_id": cid, "output": output, "is_error": error}


def guard(
    decision: str,
    target: int,
    stage: str = "pre_action",
    score: float | None = None,
    name: str = "egress",
) -> dict[str, Any]:
    return {
        "type": "safeguard",
        "safeguard": name,
        "stage": stage,
        "decision": decision,
        "score": score,
        "target_step": target,
    }


def traj(
    *steps: dict[str, Any],
    sid: str = "s1",
    actor: str = "u1",
    unsafe: list[int] | None = None,
    tools: list[dict[str, Any]] | None = TOOLS,
) -> dict[str, Any]:
    t: dict[str, Any] = {
        "schema_version": "trajectory/v1",
        "session_id": sid,
        "actor": {"user_id": actor},
        "agent": {"name": "test-agent", "tools": tools}
        if tools is not None
        else {"name": "test-agent"},
        "steps": [
            {"type": "message", "role": "system", "content": "You are a careful assistant."},
            *steps,
        ],
    }
    if unsafe is not None:
        t["labels"] = {"unsafe_steps": unsafe}
    return t


def tool_spec(name: str, **props: str) -> dict[str, Any]:
    """A tool offered to the agent: ``name`` with one parameter per keyword, typed by its
    value (``tool_spec("post_tweet", content="string")``)."""
    return {
        "name": name,
        "parameters": {
            "type": "object",
            "properties": {k: {"type": v} for k, v in props.items()},
        },
    }


def one_call(
    tools: list[dict[str, Any]], ask: str, name: str, arguments: dict[str, Any]
) -> dict[str, Any]:
    """A session that offers ``tools``: the user's ``ask``, one call of ``name`` with
    ``arguments`` answered "{}", and "Done."."""
    return traj(
        user(ask), call(name, "1", **arguments), result("{}", "1"), say("Done."), tools=tools
    )


def tool_session(
    user_text: str,
    calls: list[tuple[str, dict[str, Any], str]],
    system: str = "You are a workspace agent.",
) -> dict[str, Any]:
    """A one-turn session: the system prompt, the user's turn, then each ``(tool, arguments,
    output)`` as a call and its result, and a closing "Done."; each tool is listed with its
    name as its description."""
    steps: list[dict[str, Any]] = [
        {"type": "message", "role": "system", "content": system},
        {"type": "message", "role": "user", "content": user_text},
    ]
    for i, (name, args, output) in enumerate(calls):
        steps.append({"type": "tool_call", "name": name, "arguments": args, "call_id": f"c{i}"})
        steps.append({"type": "tool_result", "name": name, "call_id": f"c{i}", "output": output})
    steps.append({"type": "message", "role": "assistant", "content": "Done."})
    tools = [
        {"name": n, "description": n.replace("_", " "), "parameters": {"type": "object"}}
        for n, _, _ in calls
    ]
    return {"session_id": "s", "steps": steps, "tools": tools}


def incident(t: dict[str, Any]) -> tuple[str | None, str | None]:
    """What classify says of ``t``: the top failure mode and the severity level."""
    from incident_lab.classify import classify_trajectory

    c = classify_trajectory(t)
    return c.top, c.severity.level if c.severity else None
