"""The normalised trajectory: one agent session as a plain ``dict``.

Trajectories stay plain JSON-compatible dicts (not classes) so that unknown fields
written by producers survive every round trip untouched. This module holds the
schema, validation, canonical hashing and small read helpers every other module uses.

Step indices are positions in ``steps`` (0-based); ``labels.unsafe_steps`` and a
safeguard's ``target_step`` refer to them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from incident_lab.schemacheck import Check, Unsupported, compile_checker

if TYPE_CHECKING:  # jsonschema is imported on first full validation (it costs ~45 ms)
    import jsonschema
    from referencing import Registry

__all__ = ["new_trajectory", "tool_calls"]

SCHEMA_VERSION = "trajectory/v1"
STEP_TYPES = ("message", "tool_call", "tool_result", "safeguard")
_INF = float("inf")
Trajectory = dict[str, Any]


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load a JSON Schema shipped in ``incident_lab/schemas``.

    Args:
        name: File stem, e.g. ``"trajectory.v1"``.

    Returns:
        The parsed schema.
    """
    text = resources.files("incident_lab.schemas").joinpath(f"{name}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> Registry[Any]:
    """All shipped schemas, addressable by their ``$id`` (so they can ``$ref`` each other)."""
    from referencing import Registry, Resource

    resources_ = []
    for entry in resources.files("incident_lab.schemas").iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text("utf-8"))
            resources_.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    # The shipped schemas are checked against their metaschema by the test suite
    # (tests/incident_lab/test_trajectory.py), not on every run.
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema, registry=_registry())
    return validator


@cache
def schemas_by_id() -> dict[str, dict[str, Any]]:
    """Every shipped schema by its ``$id`` (what a compiled check resolves ``$ref`` in)."""
    by_id = {}
    for entry in resources.files("incident_lab.schemas").iterdir():
        if entry.name.endswith(".json"):
            doc = load_schema(entry.name[: -len(".json")])
            by_id[doc["$id"]] = doc
    return by_id


@cache
def _fast_check(name: str) -> Check | None:
    """The compiled yes/no check of a shipped schema (``None``: use jsonschema alone)."""
    try:
        return compile_checker(load_schema(name), schemas_by_id())
    except Unsupported:
        return None


def validation_errors(document: Any, schema: str = "trajectory.v1") -> list[str]:
    """Return human-readable schema violations of ``document`` (empty when valid).

    Each message starts with the JSON path of the offending field, e.g.
    ``steps/3/decision: 'maybe' is not one of [...]``. A valid document is
    recognised by the compiled check of :mod:`incident_lab.schemacheck` (same
    verdict, about 50x faster); only a document it does not accept goes through
    ``jsonschema``, which decides and explains.
    """
    fast = _fast_check(schema)
    if fast is not None and fast(document):
        return []
    errors = []
    for err in sorted(_validator(schema).iter_errors(document), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        errors.append(f"{where}: {err.message}")
    return errors


def validate_trajectory(traj: Any) -> list[str]:
    """Validate one trajectory against ``trajectory.v1`` and its cross-field rules.

    Cross-field rules: ``labels.unsafe_steps`` and ``target_step`` must point at an
    existing step; no number may be NaN or Infinity (``json.loads`` reads them, JSON
    and the canonical form that is hashed have none).

    Returns:
        Problems found; an empty list means the trajectory is valid.
    """
    errors = validation_errors(traj, "trajectory.v1")
    if errors or not isinstance(traj, dict):
        return errors
    n = len(traj["steps"])
    for i in (traj.get("labels") or {}).get("unsafe_steps") or []:
        if i >= n:
            errors.append(f"labels/unsafe_steps: step {i} does not exist (session has {n} steps)")
    for pos, step in enumerate(traj["steps"]):
        target = step.get("target_step") if step.get("type") == "safeguard" else None
        if target is not None and target >= n:
            errors.append(f"steps/{pos}/target_step: step {target} does not exist")
    if not errors:
        where = non_finite_number(traj)
        if where is not None:
            errors.append(f"{where} is not JSON (NaN and Infinity have no canonical form)")
    return errors


def non_finite_number(obj: Any) -> str | None:
    """Where the first NaN or Infinity inside ``obj`` is (``steps/2/score: nan``), or None.

    JSON has no such numbers, yet ``json.loads`` reads ``NaN``, ``Infinity`` and
    ``1e400`` as floats: a value holding one has no canonical JSON form.
    """
    if plain_finite_tree(obj):  # the common answer, without building a path per value
        return None
    stack: list[tuple[Any, str]] = [(obj, "")]
    seen: set[int] = set()
    while stack:
        value, where = stack.pop()
        if isinstance(value, float):
            if value != value or value in (_INF, -_INF):
                return f"{where or '(root)'}: {value!r}"
            continue
        if id(value) in seen:  # a circular reference: json.dumps reports it
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack.extend((v, f"{where}/{k}" if where else str(k)) for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((v, f"{where}/{i}" if where else str(i)) for i, v in enumerate(value))
    return None


def plain_finite_tree(obj: Any) -> bool:
    """True when ``obj`` is a tree of plain JSON data with no NaN or Infinity.

    Plain: exact ``dict`` (string keys or not), ``list``, ``str``, ``int``, ``bool``,
    ``None`` and finite ``float``, each container reached once (what ``json.loads``
    gives). False for a non-finite float, any other type (a tuple, a subclass such
    as numpy's float64) and a container met twice (shared or circular): the caller's
    full check decides then. A gate checks every case's produced trajectory with it.
    """
    stack = [obj]
    seen: set[int] = set()
    pop, push, mark = stack.pop, stack.append, seen.add
    while stack:
        value = pop()
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is float:
            if value - value != 0.0:  # inf - inf and NaN - NaN are NaN
                return False
            continue
        if (kind is not dict and kind is not list) or id(value) in seen:
            return False
        mark(id(value))
        for item in value.values() if kind is dict else value:
            push(item)
    return True


def compact_json(obj: Any) -> str:
    """Compact JSON text of ``obj`` for messages, excerpts and keys (never hashed).

    The canonical form's layout, but NaN and Infinity are written as ``json.dumps``
    writes them, so describing a bad value never fails; what is hashed or signed goes
    through :func:`canonical_json`, which refuses them.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def value_text(value: Any) -> str:
    """A value as text to search or compare: a string as it is, anything else as JSON with
    sorted keys and non-ASCII kept (``{"a": 1}`` for ``{'a': 1}``)."""
    return (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` canonically: sorted keys, no whitespace, UTF-8 kept.

    Raises:
        ValueError: ``obj`` holds NaN or Infinity, which JSON cannot write (the
            message names where, e.g. ``steps/2/score: nan``); also for a value
            ``json.dumps`` refuses (a circular reference).
        TypeError: ``obj`` holds a value that is not JSON (a set, bytes, ...).
    """
    try:
        return json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        if not str(exc).startswith("Out of range float"):
            raise
        where = non_finite_number(obj)
        raise ValueError(
            f"{where or 'a number'} is not JSON (NaN and Infinity have no canonical form)"
        ) from None


def trajectory_sha256(traj: Trajectory) -> str:
    """SHA-256 (hex) of a trajectory's canonical JSON, ignoring its ``source`` block.

    The reader's provenance (path, line) does not change what happened, so the same
    session read from two files hashes the same.
    """
    body = {k: v for k, v in traj.items() if k != "source"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def new_trajectory(session_id: str, **fields: Any) -> Trajectory:
    """Build a minimal valid trajectory; ``fields`` are merged in as given."""
    traj: Trajectory = {"schema_version": SCHEMA_VERSION, "session_id": session_id, "steps": []}
    traj.update(fields)
    return traj


def steps_of_type(traj: Trajectory, step_type: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(index, step)`` for each step of ``step_type``."""
    for i, step in enumerate(traj.get("steps") or []):
        if step.get("type") == step_type:
            yield i, step


def tool_calls(traj: Trajectory) -> list[tuple[int, dict[str, Any]]]:
    """Return ``(index, step)`` for every tool call in order."""
    return list(steps_of_type(traj, "tool_call"))


#: The extension objects of the readers that mark what the harness loaded: any non-empty
#: ``attachment`` there is the mark (``x_harness`` is for any other reader).
HARNESS_READERS = frozenset(["x_harness", "x_replay", "x_claude_code"])

#: The documented kinds of what a harness loads: under any other ``x_<reader>``, only one
#: of these is the mark (an e-mail tool's own ``x_mail.attachment: invoice.pdf`` is not).
HARNESS_KINDS = frozenset(
    [
        "instructions",
        "nested_memory",
        "memory",
        "rules",
        "hook_success",
        "hook_additional_context",
        "document",
    ]
)


def harness_mark(step: dict[str, Any]) -> str | None:
    """The mark a reader sets on a step the harness made by itself, no model having asked
    for it: ``attachment`` in the step's extension object, the kind of thing loaded
    (``instructions``, ``memory``, ``hook_success``, ``file``...): any non-empty string
    under a harness reader's object (:data:`HARNESS_READERS`), one of the documented kinds
    (:data:`HARNESS_KINDS`) under any other ``x_<reader>`` (see docs/formats.md,
    "Documents the harness loaded"), or None."""
    for key, extra in step.items():
        kind = extra.get("attachment") if isinstance(extra, dict) else None
        if not isinstance(kind, str) or not kind or not key.startswith("x_"):
            continue
        if key in HARNESS_READERS or kind in HARNESS_KINDS:
            return kind
    return None


def harness_loaded(steps: list[dict[str, Any]]) -> set[int]:
    """The indices of the ``tool_result`` steps the harness loaded by itself, no call of the
    model having asked for them: a result its reader marked (:func:`harness_mark`) whose
    ``call_id`` no ``tool_call`` of the trajectory has (a CLAUDE.md, a memory, a hook's
    output, a document put before the question; see docs/formats.md, "Documents the harness
    loaded"). A result of no mark whose call is missing (a log that lost its first lines)
    is a tool's output of unknown origin, never a document."""
    asked = {s.get("call_id") for s in steps if s.get("type") == "tool_call"}
    return {
        i
        for i, s in enumerate(steps)
        if s.get("type") == "tool_result"
        and harness_mark(s) is not None
        and (not s.get("call_id") or s.get("call_id") not in asked)
    }


def inherited_steps(traj: Trajectory) -> dict[int, str]:
    """Step index -> the session a step was copied from, for a session that starts as a
    copy of another (a fork: Claude Code's ``--fork-session`` copies the forked session's
    lines). A reader marks such a step with ``inherited_from`` (that session's id) in its
    extension object (``x_<format>``); the step stays (it is the context the session's
    own steps were taken in), but what it shows is the other session's doing."""
    out: dict[int, str] = {}
    steps = traj.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict):
            continue
        for key, extra in step.items():
            source = extra.get("inherited_from") if isinstance(extra, dict) else None
            if key.startswith("x_") and isinstance(source, str) and source:
                out[i] = source
                break
    return out


def appended_starts(step: dict[str, Any]) -> list[int]:
    """Where text someone else wrote was appended to a tool result's output: a harness
    sends a hook's added context to the model inside the tool's result (Claude Code's
    ``PostToolUse`` ``additionalContext``). A reader notes each under ``appended`` in the
    step's extension object (``x_<format>``), with ``start``, its offset in the output;
    the output before it is the tool's, the text from it on the hook's (another author)."""
    out: list[int] = []
    for key, extra in step.items():
        notes = extra.get("appended") if key.startswith("x_") and isinstance(extra, dict) else None
        for note in notes if isinstance(notes, list) else ():
            start = note.get("start") if isinstance(note, dict) else None
            if isinstance(start, int) and not isinstance(start, bool) and start > 0:
                out.append(start)
    return sorted(set(out))


def final_output(traj: Trajectory) -> str:
    """Return the content of the last assistant message, or ``""``."""
    for step in reversed(traj.get("steps") or []):
        if step.get("type") == "message" and step.get("role") == "assistant":
            return str(step.get("content", ""))
    return ""


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware UTC ``datetime``.

    Raises:
        ValueError: the text is not RFC 3339.
    """
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return dt.astimezone(UTC)


def to_rfc3339(dt: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a ``Z`` suffix."""
    dt = dt.astimezone(UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now_iso() -> str:
    """Return the current time as RFC 3339 UTC."""
    return to_rfc3339(datetime.now(UTC))
