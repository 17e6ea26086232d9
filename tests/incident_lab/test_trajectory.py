"""The trajectory format: shipped schemas, validation and hashing."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.trajectory import (
    non_finite_number,
    parse_timestamp,
    to_rfc3339,
    trajectory_sha256,
    validate_trajectory,
    validation_errors,
)


def _schemas() -> list[tuple[str, dict]]:
    out = []
    for package in ("incident_lab.schemas",):
        for entry in resources.files(package).iterdir():
            if entry.name.endswith(".json"):
                out.append((f"{package}/{entry.name}", json.loads(entry.read_text("utf-8"))))
    return out


@pytest.mark.parametrize(("name", "schema"), _schemas(), ids=[n for n, _ in _schemas()])
def test_every_shipped_schema_is_valid_against_its_metaschema(name: str, schema: dict) -> None:
    """Runtime skips check_schema for speed, so the suite checks every shipped schema here."""
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema.get("$id"), f"{name} has no $id"


def _traj(**extra) -> dict:
    base = {
        "schema_version": "trajectory/v1",
        "session_id": "s1",
        "steps": [
            {"type": "message", "role": "user", "content": "hi"},
            {"type": "tool_call", "name": "send_email", "arguments": {"to": "a@b.c"}},
        ],
    }
    base.update(extra)
    return base


def test_valid_trajectory_has_no_errors_and_keeps_unknown_fields() -> None:
    """Unknown fields are allowed anywhere."""
    t = _traj(x_vendor={"trace": 1})
    t["steps"][0]["x_extra"] = True
    assert validate_trajectory(t) == []


def test_errors_name_the_field_path() -> None:
    """A bad decision is reported with its JSON path."""
    t = _traj()
    t["steps"].append(
        {"type": "safeguard", "safeguard": "g", "stage": "pre_action", "decision": "maybe"}
    )
    errors = validate_trajectory(t)
    assert errors and errors[0].startswith("steps/2/decision")


def test_cross_field_rules() -> None:
    """unsafe_steps and target_step must point at existing steps."""
    t = _traj(labels={"unsafe_steps": [7]})
    assert any("labels/unsafe_steps" in e for e in validate_trajectory(t))
    t = _traj()
    t["steps"].append(
        {
            "type": "safeguard",
            "safeguard": "g",
            "stage": "pre_action",
            "decision": "allow",
            "target_step": 9,
        }
    )
    assert any("target_step" in e for e in validate_trajectory(t))


def test_hash_ignores_source_but_not_content() -> None:
    """The same session read from two files hashes the same; any content change changes it."""
    a, b = _traj(source={"path": "x", "line": 1}), _traj(source={"path": "y", "line": 9})
    assert trajectory_sha256(a) == trajectory_sha256(b)
    b["steps"][1]["arguments"]["to"] = "c@d.e"
    assert trajectory_sha256(a) != trajectory_sha256(b)


def test_timestamps_are_rfc3339_utc() -> None:
    """Offsets are converted to UTC; naive times are refused."""
    assert to_rfc3339(parse_timestamp("2026-02-01T13:00:00+01:00")) == "2026-02-01T12:00:00Z"
    with pytest.raises(ValueError):
        parse_timestamp("2026-02-01T12:00:00")


def test_scenario_schema_refers_to_trajectory_tool_definition() -> None:
    """The scenario schema's $ref into the trajectory schema resolves."""
    doc = {
        "schema_version": "scenario/v1",
        "id": "x",
        "title": "t",
        "status": "draft",
        "taxonomy": {"failure_mode": "unknown", "severity": "SEV-4"},
        "context": {"tools": [{"description": "no name"}]},
        "replay": {"turns": [{"role": "user", "content": "hi"}]},
        "expectations": [{"kind": "max_steps", "n": 3}],
    }
    assert any("context/tools/0" in e for e in validation_errors(doc, "scenario.v1"))


def _non_finite_reference(value: object) -> bool:
    """True when a NaN or Infinity (a float or a float subclass) is inside ``value``."""
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_non_finite_reference(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite_reference(v) for v in value)
    return False


class _Float(float):
    """A float subclass (as numpy's float64 is)."""


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.floats(),  # NaN and both infinities included
    st.floats().map(_Float),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(_VALUES)
def test_non_finite_number_finds_every_nan_and_infinity(value: object) -> None:
    """The plain-data fast path and the full walk agree with a plain recursion: a NaN or
    Infinity anywhere (in tuples and float subclasses too) is found and located."""
    where = non_finite_number(value)
    assert (where is not None) == _non_finite_reference(value)
    if where is not None:
        assert where.endswith(("nan", "inf", "inf)")), where  # the value, as repr() writes it


def test_non_finite_number_survives_a_circular_reference() -> None:
    """A value that contains itself is walked once (json.dumps reports the cycle)."""
    loop: dict[str, object] = {"a": [1.5]}
    loop["self"] = loop
    assert non_finite_number(loop) is None
    loop["bad"] = [float("nan")]
    assert non_finite_number(loop) == "bad/0: nan"
