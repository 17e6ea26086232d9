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
def _fast_check(name: str) -> Check | None:
    """The compiled yes/no check of a shipped schema (``None``: use jsonschema alone)."""
    by_id = {}
    for entry in resources.files("incident_lab.schemas").iterdir():
        if entry.name.endswith(".json"):
            doc = load_schema(entry.name[: -len(".json")])
            by_id[doc["$id"]] = doc
    try:
        return compile_checker(load_schema(name), by_id)
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
    existing step.

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
    return errors


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` canonically: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
