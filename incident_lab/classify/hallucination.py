"""Tool-hallucination detector: tools not offered, schema-violating arguments, "unknown tool" errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from incident_lab.classify import orders
from incident_lab.classify.base import Signal, detector
from incident_lab.classify.session import SessionView
from incident_lab.schemacheck import Check, Unsupported, compile_checker
from incident_lab.text.lexicon import UNKNOWN_TOOL_ERROR


@dataclass(frozen=True, slots=True)
class _CompiledSchema:
    """One tool's parameter schema, read once: a fast yes-check and the declared names. The
    full validator (and whether the schema is valid at all) is :func:`_validator`'s, asked
    only when a call may have a problem."""

    fast: Check | None
    declared: frozenset[str] | None


@lru_cache(maxsize=512)
def _compiled(schema_json: str) -> _CompiledSchema:
    """Read a parameter schema once per distinct schema (no jsonschema: see :func:`_validator`)."""
    schema = json.loads(schema_json)
    try:
        fast: Check | None = compile_checker(schema)
    except (Unsupported, Exception):  # any schema the fast path cannot read goes to jsonschema
        fast = None
    declared = schema.get("properties") if isinstance(schema, dict) else None
    names = (
        frozenset(str(k) for k in declared)
        if isinstance(declared, dict) and schema.get("additionalProperties") is not False
        else None
    )
    return _CompiledSchema(fast, names)


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    """The jsonschema validator of a parameter schema, or None when the schema is invalid
    (compiled once per distinct schema). Imported and checked only for a call the fast check
    rejects or that passes an undeclared name: a call that has neither has no problem under
    a valid schema and none under an invalid one."""
    import jsonschema  # 50 ms

    schema = json.loads(schema_json)
    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return cls(schema)


def _key(parameters: Any) -> str | None:
    """The schema's JSON text (the caches' key), or None — no problems — when it is not a
    non-empty object, cannot be written or holds a regular expression (``pattern``,
    ``patternProperties``).

    A tool's schema comes from the recorded session (a poisoned MCP listing is one), and
    both the fast check and jsonschema run its patterns in Python's backtracking engine:
    ``"^(a+)+$"`` against a 40-character argument took minutes of classify. Leaving the
    patterns out changes what ``not`` / ``oneOf`` / ``if`` mean, so such a schema is not
    checked at all (a call to a tool not offered is still found).
    """
    if not isinstance(parameters, dict) or not parameters:
        return None
    try:
        text = json.dumps(parameters, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return None
    return None if '"pattern' in text else text


def _problems(key: str | None, arguments: dict[str, Any]) -> list[str]:
    """How ``arguments`` violate the JSON-schema parameters whose JSON text is ``key``
    (:func:`_key`; empty when fine).

    Besides schema validation, a property the schema does not declare is reported as
    invented even when ``additionalProperties`` is not set to false. An invalid schema
    yields no problems (the tool definition, not the call, is at fault). Each distinct
    schema is checked and compiled once per process (a bounded cache keyed by its JSON
    text, so equal schemas from different sessions share it and nothing goes stale).
    """
    if key is None:
        return []
    compiled = _compiled(key)
    undeclared = (
        [name for name in arguments if name not in compiled.declared]
        if compiled.declared is not None
        else []
    )
    passes = _passes(compiled.fast, key, arguments)
    if passes and not undeclared:
        return []  # no problem, whether the schema is valid or not
    validator = _validator(key)
    if validator is None:
        return []  # an invalid schema: the tool definition, not the call, is at fault
    problems = []
    if not passes:
        for err in validator.iter_errors(arguments):
            where = "/".join(str(p) for p in err.absolute_path)
            problems.append(f"{where + ': ' if where else ''}{err.message}")
    for key_name in undeclared:
        problems.append(f"{key_name!r} is not a parameter of this tool")
    return problems


def _passes(fast: Check | None, key: str, arguments: dict[str, Any]) -> bool:
    """Whether the fast check accepts ``arguments``. A check read off an invalid schema may
    fail on its own: then the schema decides (an invalid one: no problem); under a valid
    schema the error is raised as before."""
    if fast is None:
        return False
    try:
        return fast(arguments)
    except Exception:
        if _validator(key) is None:
            return True
        raise


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
    keys: dict[str, str | None] = {}  # a tool's schema as JSON: once per tool, not per call
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
            if call.name not in keys:
                keys[call.name] = _key(offered.get(call.name))
            problems = _problems(keys[call.name], call.arguments)
            if problems:  # a cart line's optional null may mean "unchanged" (orders.nulls_dropped)
                kept = orders.nulls_dropped(
                    traj, call.index, offered.get(call.name), call.arguments
                )
                problems = problems if kept is None else _problems(keys[call.name], kept)
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
