"""Fast trajectory validation for the evidence hot path, with jsonschema as the authority.

``jsonschema`` validates a typical session in about 2 ms, which caps a snapshot or a
verify at roughly 15 MB/s. :func:`fast_is_valid` is a hand-written check of exactly
the rules of ``trajectory.v1.json`` (plus the cross-field rules of
:func:`incident_lab.trajectory.validate_trajectory`) that runs in microseconds. It
is conservative: it answers True only when the document is certainly valid; on any
doubt it answers False and :func:`trajectory_problems` asks jsonschema, which then
produces the error messages. A property test pins ``fast True => jsonschema valid``.

Why a hand-written check next to the compiled one of :mod:`incident_lab.schemacheck`:
on 3,000 sessions of the 100 MB benchmark log (32.6 KB each) it costs 9.8 µs CPU per
session, the compiled check 66 µs and a generated ``fastjsonschema`` validator 161 µs.
At 100 MB that is 0.03 s instead of 0.2 s (or 0.5 s) of a snapshot whose whole budget
for ">= 3x pandas read_json(lines=True)" is about 0.45 s CPU.

The check is tied to the schema it was written for: if the shipped schema changes
(its canonical SHA-256 differs from :data:`WRITTEN_FOR_SCHEMA_SHA256`), the fast path
switches itself off and every document goes through jsonschema.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from incident_lab.evidence.fastjson import all_finite
from incident_lab.trajectory import canonical_json, load_schema, validate_trajectory

#: Canonical SHA-256 of the ``trajectory.v1.json`` this module mirrors.
WRITTEN_FOR_SCHEMA_SHA256 = "f5a4bb590164b9f3470376fd8fac0540f3b079fd0976165ff14655193d6d6e6a"

_ROLES = frozenset({"system", "user", "assistant"})
_STAGES = frozenset({"input", "pre_action", "post_action", "output"})
_DECISIONS = frozenset({"allow", "block", "flag", "redact", "escalate"})
_VERDICTS = frozenset({"safe", "unsafe", "unknown"})


@cache
def fast_path_active() -> bool:
    """True when the shipped trajectory schema is the one the fast check mirrors."""
    schema = load_schema("trajectory.v1")
    digest = hashlib.sha256(canonical_json(schema).encode("utf-8")).hexdigest()
    return digest == WRITTEN_FOR_SCHEMA_SHA256


@cache
def _timestamp_search() -> Any:
    # The very pattern of the schema, applied the way jsonschema applies it (re.search).
    pattern = load_schema("trajectory.v1")["$defs"]["timestamp"]["pattern"]
    return re.compile(pattern).search


def _opt_str(d: dict[str, Any], key: str) -> bool:
    v = d.get(key)
    return v is None or type(v) is str


def _is_int(v: Any) -> bool:
    return type(v) is int


def _check_tool_result(step: dict[str, Any]) -> bool:
    get = step.get
    call_id, name = get("call_id"), get("name")
    return (
        type(get("output")) is str
        and (call_id is None or type(call_id) is str)
        and (name is None or type(name) is str)
        and ("is_error" not in step or type(step["is_error"]) is bool)
    )


def _check_safeguard(step: dict[str, Any], n: int) -> bool:
    get = step.get
    sg, stage, decision = get("safeguard"), get("stage"), get("decision")
    if type(sg) is not str or sg == "":
        return False
    if type(stage) is not str or stage not in _STAGES:
        return False
    if type(decision) is not str or decision not in _DECISIONS:
        return False
    score, rule_id, target = get("score"), get("rule_id"), get("target_step")
    if score is not None and type(score) is not float and type(score) is not int:
        return False
    if rule_id is not None and type(rule_id) is not str:
        return False
    return target is None or (type(target) is int and 0 <= target < n)


# _check_step and _check_agent run for every step of every session verify reads:
# _opt_str and _is_int are inlined there (same rules, fewer calls). Messages and tool calls,
# most of the steps, are checked inline; tool results and safeguard decisions in one
# call each (no allocation beyond the frame).
def _check_step(step: Any, n: int, ts: Any) -> bool:
    if type(step) is not dict:
        return False
    get = step.get
    kind = get("type")
    if type(kind) is not str:
        return False
    if "timestamp" in step:
        t = step["timestamp"]
        if type(t) is not str or ts(t) is None:
            return False
    if kind == "message":
        role = get("role")
        return type(role) is str and role in _ROLES and type(get("content")) is str
    if kind == "tool_call":
        name, call_id = get("name"), get("call_id")
        return (
            type(name) is str
            and name != ""
            and type(get("arguments")) is dict
            and (call_id is None or type(call_id) is str)
        )
    if kind == "tool_result":
        return _check_tool_result(step)
    return kind == "safeguard" and _check_safeguard(step, n)


_AGENT_BLOCKS = (("model", ("name", "version", "provider")), ("policy", ("id", "version", "hash")))


def _check_agent(agent: Any) -> bool:
    if type(agent) is not dict:
        return False
    name = agent.get("name")
    if name is not None and type(name) is not str:
        return False
    for key, fields in _AGENT_BLOCKS:
        if key in agent:
            sub = agent[key]
            if type(sub) is not dict:
                return False
            for f in fields:
                v = sub.get(f)
                if v is not None and type(v) is not str:
                    return False
    if "tools" in agent:
        tools = agent["tools"]
        if type(tools) is not list:
            return False
        for tool in tools:
            if type(tool) is not dict:
                return False
            name, description, params = (
                tool.get("name"),
                tool.get("description"),
                tool.get("parameters"),
            )
            if type(name) is not str or name == "":
                return False
            if description is not None and type(description) is not str:
                return False
            if params is not None and type(params) is not dict:
                return False
    return True


def _check_labels(labels: Any, n: int) -> bool:
    if type(labels) is not dict or not _opt_str(labels, "notes"):
        return False
    verdict = labels.get("verdict")
    if verdict is not None and (type(verdict) is not str or verdict not in _VERDICTS):
        return False
    if "unsafe_steps" in labels:
        unsafe = labels["unsafe_steps"]
        if type(unsafe) is not list or not all(_is_int(i) and 0 <= i < n for i in unsafe):
            return False
    return True


def _check_source(src: Any) -> bool:
    if type(src) is not dict:
        return False
    for key in ("format", "path"):
        if key in src and type(src[key]) is not str:
            return False
    if not _opt_str(src, "entry"):
        return False
    line = src.get("line")
    return line is None or _is_int(line)


def _check_optional_blocks(doc: dict[str, Any], n: int) -> bool:
    if "actor" in doc:
        actor = doc["actor"]
        if type(actor) is not dict or not (
            _opt_str(actor, "user_id") and _opt_str(actor, "tenant_id")
        ):
            return False
    if "agent" in doc and not _check_agent(doc["agent"]):
        return False
    if "labels" in doc and not _check_labels(doc["labels"], n):
        return False
    return "source" not in doc or _check_source(doc["source"])


def fast_is_valid(doc: Any, *, finite: bool = False) -> bool:
    """Return True only if ``doc`` is certainly a valid ``trajectory/v1``.

    False means "not sure": call :func:`trajectory_problems` for the verdict.
    ``finite=True``: the caller has already checked that every float in ``doc`` is
    finite (:func:`~incident_lab.evidence.fastjson.floats_exact` answered True), so
    the walk looking for NaN and Infinity is skipped.
    """
    if not fast_path_active() or type(doc) is not dict:
        return False
    if doc.get("schema_version") != "trajectory/v1" or type(doc.get("schema_version")) is not str:
        return False
    sid = doc.get("session_id")
    if type(sid) is not str or not 1 <= len(sid) <= 512:
        return False
    ts = _timestamp_search()
    if "started_at" in doc:
        started = doc["started_at"]
        if type(started) is not str or ts(started) is None:
            return False
    steps = doc.get("steps")
    if type(steps) is not list:
        return False
    n = len(steps)
    for step in steps:
        if not _check_step(step, n, ts):
            return False
    return _check_optional_blocks(doc, n) and (finite or all_finite(doc))


def trajectory_problems(doc: Any, *, finite: bool = False) -> list[str]:
    """Validate ``doc``: the fast check first, jsonschema when it is not sure.

    ``finite`` is :func:`fast_is_valid`'s.

    Returns:
        Problems found (jsonschema's messages); empty when the trajectory is valid.
    """
    if fast_is_valid(doc, finite=finite):
        return []
    return validate_trajectory(doc)
