"""Tool-hallucination detector: tools not offered, schema-violating arguments, "unknown tool" errors."""

from __future__ import annotations

from typing import Any

import jsonschema

from incident_lab.classify.base import Signal, detector
from incident_lab.classify.lexicon import UNKNOWN_TOOL_ERROR
from incident_lab.classify.session import SessionView

__all__ = ["schema_problems", "tool_hallucination"]


def schema_problems(parameters: Any, arguments: dict[str, Any]) -> list[str]:
    """Return how ``arguments`` violate the tool's JSON-schema ``parameters`` (empty when fine).

    Besides schema validation, a property the schema does not declare is reported as
    invented even when ``additionalProperties`` is not set to false. An invalid schema
    yields no problems (the tool definition, not the call, is at fault).
    """
    if not isinstance(parameters, dict) or not parameters:
        return []
    try:
        cls = jsonschema.validators.validator_for(parameters)
        cls.check_schema(parameters)
    except jsonschema.SchemaError:
        return []
    problems = []
    for err in cls(parameters).iter_errors(arguments):
        where = "/".join(str(p) for p in err.absolute_path)
        problems.append(f"{where + ': ' if where else ''}{err.message}")
    declared = parameters.get("properties")
    if isinstance(declared, dict) and parameters.get("additionalProperties") is not False:
        for key in arguments:
            if key not in declared:
                problems.append(f"{key!r} is not a parameter of this tool")
    return problems


@detector(
    "tool_hallucination",
    description="a call to a tool not offered, arguments that violate the tool's schema, or an 'unknown tool' error",
    modes=("tool_hallucination",),
)
def tool_hallucination(traj: dict[str, Any]) -> list[Signal]:
    """Compare every tool call with the tools the agent was offered."""
    view = SessionView.of(traj)
    signals: list[Signal] = []
    offered = view.tools_offered
    for call in view.calls:
        steps = [call.index] + ([call.result_index] if call.result_index is not None else [])
        if offered is not None and call.name not in offered:
            names = ", ".join(sorted(offered)[:6])
            signals.append(
                Signal(
                    "tool_hallucination",
                    0.9,
                    steps,
                    "tool_not_offered",
                    f"step {call.index} calls {call.name!r}, which is not among the tools offered ({names})",
                    unsafe_steps=[call.index],
                )
            )
            continue
        if call.is_error and UNKNOWN_TOOL_ERROR.search(call.output):
            signals.append(
                Signal(
                    "tool_hallucination",
                    0.85,
                    steps,
                    "unknown_tool_error",
                    f"the result of {call.name!r} at step {call.result_index} says the tool does not exist: "
                    f'"{" ".join(call.output.split())[:80]}"',
                    unsafe_steps=[call.index],
                )
            )
            continue
        if offered is not None:
            problems = schema_problems(offered.get(call.name), call.arguments)
            if problems:
                weight = 0.55 if len(problems) == 1 else 0.7
                signals.append(
                    Signal(
                        "tool_hallucination",
                        weight,
                        steps,
                        "arguments_violate_schema",
                        f"step {call.index} calls {call.name!r} with arguments that violate its parameter "
                        f"schema: {'; '.join(problems[:3])}",
                        unsafe_steps=[call.index],
                    )
                )
    return signals
