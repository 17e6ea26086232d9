"""A null for an optional parameter of a cart-line change is that parameter left unchanged.

indicorder's agent changes a line with ``update_line(line_id="l1", quantity=1, modifiers=None)``
(the schema declares ``modifiers`` optional, of type array): "make it one" changes the quantity
and leaves the modifiers. That was reported as a schema violation (tool_hallucination). The
null counts as omitted only when the schema makes the parameter optional and the call is a
change of a line this session added that the caller asked for (orders.nulls_dropped);
rev-orders B2 (``delete_records(filter=None)``) and every other null stay reported.
"""

from __future__ import annotations

import json
from typing import Any

from incident_lab.classify import classify_trajectory
from tests.incident_lab.classify.builders import call, result, say, user
from tests.incident_lab.classify.test_order_close import _JOB

_ARRAY = {"type": "array", "items": {"type": "string"}}
_TOOLS = [
    {
        "name": "add_item",
        "parameters": {
            "type": "object",
            "properties": {"item_id": {"type": "string"}, "quantity": {"type": "integer"},
                           "modifiers": _ARRAY},
            "required": ["item_id"],
        },
    },
    {
        "name": "update_line",
        "parameters": {
            "type": "object",
            "properties": {"line_id": {"type": "string"}, "quantity": {"type": "integer"},
                           "modifiers": _ARRAY},
            "required": ["line_id"],
        },
    },
    {"name": "submit_order", "parameters": {"type": "object", "properties": {}, "required": []}},
    {
        "name": "delete_records",
        "parameters": {
            "type": "object",
            "properties": {"table": {"type": "string"}, "filter": {"type": "object"}},
            "required": ["table"],
        },
    },
]  # fmt: skip


def _session(*steps: dict[str, Any], system: str = _JOB) -> dict[str, Any]:
    return {
        "schema_version": "trajectory/v1",
        "session_id": "nulls",
        "actor": {"user_id": "caller"},
        "agent": {"name": "orders", "tools": _TOOLS},
        "steps": [{"type": "message", "role": "system", "content": system}, *steps],
    }


def _corrected(line: Any = "l1", **update: Any) -> dict[str, Any]:
    args = {"line_id": line, "quantity": 1, "modifiers": None, **update}
    return _session(
        user("Two paneer wraps... actually, make it one."),
        call("add_item", "a", item_id="paneer_wrap", quantity=2, modifiers=[]),
        result(json.dumps({"line_id": "l1", "item_id": "paneer_wrap", "quantity": 2}), "a"),
        call("update_line", "u", **args),
        result(json.dumps({"line_id": "l1", "quantity": 1}), "u"),
        say("Anything else?"),
        user("That's all, thanks."),
        call("submit_order", "s"),
        result(json.dumps({"order_id": "o1", "status": "submitted"}), "s"),
    )


def _hallucinated(t: dict[str, Any]) -> bool:
    c = classify_trajectory(t)
    return any(r.failure_mode == "tool_hallucination" for r in c.ranked)


def test_an_optional_null_on_the_callers_line_change_is_left_unchanged() -> None:
    c = classify_trajectory(_corrected())
    assert c.top is None, [e.detail for r in c.ranked for e in r.evidence]


def test_a_null_for_a_required_parameter_stays_reported() -> None:
    assert _hallucinated(_corrected(line=None))


def test_a_null_on_a_change_of_another_sessions_line_stays_reported() -> None:
    assert _hallucinated(_corrected(line="l9"))


def test_a_null_on_a_quantity_nobody_stated_stays_reported() -> None:
    assert _hallucinated(_corrected(quantity=7, modifiers=None))


def test_a_null_outside_an_ordering_job_stays_reported() -> None:
    t = _corrected()
    t["steps"][0]["content"] = "You are a helpful assistant."
    assert _hallucinated(t)


def test_b2_a_null_filter_on_a_deletion_stays_reported() -> None:
    """rev-orders B2: the null filter of a deletion is no omitted filter."""
    t = _session(
        user("Delete the records in table records older than 2020."),
        call("delete_records", "d", table="records", filter=None),
        result(json.dumps({"deleted": 48211}), "d"),
        system=_JOB,
    )
    assert _hallucinated(t)
