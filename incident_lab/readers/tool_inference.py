"""Tools the model was offered, inferred from the calls it made when no definition was recorded.

Some producers record tool calls but not the tool definitions the model was given
(the OpenTelemetry GenAI instrumentation of ``openai`` emits no
``gen_ai.tool.definitions``). A scenario built from such a session would offer the
replayed model no tools at all, so its regression test could never fail. Here each
called tool that no definition describes gets one: its name, and an object schema
whose properties are the argument names seen with their JSON types. The entry says
``inferred: true`` so that nobody mistakes it for the real definition.
"""

from __future__ import annotations

from typing import Any

from incident_lab.readers.mapping import RAW_ARGUMENTS_KEY


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def infer_tools(steps: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    """Tool entries for every tool called in ``steps`` whose name is not in ``known``.

    Args:
        steps: The session's steps.
        known: Names that already have a recorded definition.

    Returns:
        One ``{"name", "parameters", "inferred": True}`` per tool, in first-call order.
        An argument seen with several types lists them all; an argument present in
        every call is required.
    """
    seen: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        name = step.get("name")
        if step.get("type") != "tool_call" or not isinstance(name, str) or name in known:
            continue
        arguments = step.get("arguments")
        if not isinstance(arguments, dict) or RAW_ARGUMENTS_KEY in arguments:
            arguments = {}
        seen.setdefault(name, []).append(arguments)
    tools = []
    for name, calls in seen.items():
        types: dict[str, list[str]] = {}
        for arguments in calls:
            for arg, value in arguments.items():
                kinds = types.setdefault(str(arg), [])
                if json_type(value) not in kinds:
                    kinds.append(json_type(value))
        properties = {
            arg: {"type": kinds[0] if len(kinds) == 1 else kinds} for arg, kinds in types.items()
        }
        required = [arg for arg in types if all(arg in c for c in calls)]
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = required
        tools.append({"name": name, "parameters": parameters, "inferred": True})
    return tools


def complete_tools(
    tools: list[dict[str, Any]], steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The recorded tool definitions, completed from the calls in ``steps``.

    A definition without a parameter schema (opentelemetry-instrumentation-google-genai
    records ``"parameters": null`` for Python-function tools) gets the schema inferred
    from its calls, marked ``parameters_inferred: true``; each called tool with no
    definition at all is appended as :func:`infer_tools` describes.
    """
    described = {t["name"] for t in tools if isinstance(t.get("parameters"), dict)}
    inferred = {t["name"]: t for t in infer_tools(steps, described)}
    completed = []
    for tool in tools:
        found = inferred.pop(tool["name"], None)
        if found is not None:
            tool = tool | {"parameters": found["parameters"], "parameters_inferred": True}
        completed.append(tool)
    return completed + list(inferred.values())
