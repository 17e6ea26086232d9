"""Tools inferred from recorded calls when a log holds no tool definitions."""

from __future__ import annotations

from incident_lab.readers.tool_inference import infer_tools, json_type


def _call(name: str, arguments: dict) -> dict:
    return {"type": "tool_call", "name": name, "arguments": arguments, "call_id": None}


def test_argument_names_types_and_required_come_from_every_call() -> None:
    """An argument in every call is required; one with several types lists them all."""
    steps = [
        _call("search", {"q": "a", "limit": 5}),
        {"type": "message", "role": "user", "content": "x"},
        _call("search", {"q": "b", "limit": 2.5, "lang": None}),
    ]
    assert infer_tools(steps, set()) == [
        {
            "name": "search",
            "parameters": {
                "type": "object",
                "properties": {
                    "q": {"type": "string"},
                    "limit": {"type": ["integer", "number"]},
                    "lang": {"type": "null"},
                },
                "required": ["q", "limit"],
            },
            "inferred": True,
        }
    ]


def test_known_tools_and_unparsable_arguments() -> None:
    """A defined tool is left alone; a call whose arguments did not parse adds no properties."""
    steps = [_call("send", {"_raw": "not json"}), _call("defined", {"a": 1})]
    assert infer_tools(steps, {"defined"}) == [
        {"name": "send", "parameters": {"type": "object", "properties": {}}, "inferred": True}
    ]


def test_json_type_names() -> None:
    """JSON Schema type names for every JSON value kind (bool is not integer)."""
    assert [json_type(v) for v in (True, 1, 1.5, "s", [], {}, None)] == [
        "boolean",
        "integer",
        "number",
        "string",
        "array",
        "object",
        "null",
    ]
