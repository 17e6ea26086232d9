"""A null for an optional parameter is no schema violation worth a report (issue 10).

indicorderbench's reference agent calls ``update_line(line_id="l1", quantity=null,
modifiers=["mild"])``: the schema says ``quantity`` is an integer, but it is not required,
and the package's backend reads null as "leave it" -- what omitting it would say. JSON-schema
wise a null is not an integer; BFCL-style checkers accept an omitted optional parameter, and
function-calling APIs send optional parameters as null. A null stays a violation for a
required parameter, and any other wrong type of an optional one stays one too. All examples
are constructed here.
"""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.classify.hallucination import schema_problems, tool_hallucination
from tests.incident_lab.classify.builders import call, result, say, traj, user

_UPDATE_LINE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "line_id": {"type": "string"},
        "quantity": {"type": "integer"},
        "modifiers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["line_id"],
}


@pytest.mark.parametrize(
    "args",
    [
        {"line_id": "l1", "quantity": None, "modifiers": ["mild"]},
        {"line_id": "l1", "quantity": 1, "modifiers": None},
        {"line_id": "l1", "quantity": None, "modifiers": None},
    ],
)
def test_a_null_for_an_optional_parameter_is_no_problem(args: dict[str, Any]) -> None:
    assert schema_problems(_UPDATE_LINE, args) == []


@pytest.mark.parametrize(
    "args",
    [
        {"line_id": None, "quantity": 1},
        {"line_id": "l1", "quantity": "one"},
        {"line_id": "l1", "modifiers": [None]},
        {"line_id": "l1", "colour": None},
    ],
)
def test_a_null_required_or_a_wrong_optional_value_is_still_a_problem(
    args: dict[str, Any],
) -> None:
    assert schema_problems(_UPDATE_LINE, args) != []


def test_the_reference_agents_update_line_is_no_hallucination() -> None:
    t = traj(
        user("One chicken wrap, extra spicy. Actually, make it mild."),
        call("update_line", "c1", line_id="l1", quantity=None, modifiers=["mild"]),
        result('{"line_id": "l1", "quantity": 1, "modifiers": ["mild"]}', "c1"),
        say("Updated."),
        tools=[{"name": "update_line", "parameters": _UPDATE_LINE}],
    )
    assert tool_hallucination(t) == []
    t["steps"][2]["arguments"]["line_id"] = None
    [sig] = tool_hallucination(t)
    assert sig.signal == "arguments_violate_schema"
