"""The judge's fast validity check: it never accepts a trajectory validation rejects."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regression_suite.runner import build_cases, judge
from regression_suite.testing import TrajectoryBuilder
from tests.doc_paths import doc_paths as _paths
from tests.regression_suite._library import scenario


class _Float(float):
    """A float subclass (numpy's float64 is one): not plain JSON data."""


_EDITS = st.one_of(
    st.integers(-3, 10),
    st.floats(),  # NaN and the infinities too
    st.floats().map(_Float),
    st.text(max_size=4),
    st.sampled_from(["message", "tool_call", "safeguard", "assistant", "block", "trajectory/v1"]),
    st.lists(st.integers(-1, 8), max_size=3).map(tuple),
    st.lists(st.floats(), max_size=2).map(tuple),  # NaN inside a tuple
    st.lists(st.integers(-1, 8), max_size=3),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 40),
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), _EDITS, st.booleans(), st.booleans()), max_size=3
    ),
)
def test_judges_fast_validity_check_never_accepts_what_validation_rejects(
    seed: int, edits: list[tuple[int, Any, bool, bool]]
) -> None:
    """Random edits of a session (wrong types, NaN and Infinity, float subclasses, tuples,
    unknown fields, shared sub-objects): whenever the judge's fast check says valid, validate_trajectory
    finds no problem, and the judged outcome is what validation alone gives."""
    from incident_lab.trajectory import validate_trajectory
    from regression_suite.runner import _certainly_valid
    from tests.incident_lab.evidence.conftest import make_session

    doc = copy.deepcopy(make_session(seed))
    for index, value, share, extra in edits:
        paths = _paths(doc)
        path = paths[index % len(paths)]
        if not path:
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if extra and isinstance(parent, dict):  # an unknown field: kept, never checked
            parent["x_extra"] = value
        else:
            parent[path[-1]] = value
        steps = doc.get("steps")
        if share and isinstance(steps, list) and steps:  # one sub-object in two places
            doc["extra"] = steps[-1]
    problems = validate_trajectory(doc)
    if _certainly_valid(doc):
        assert problems == []
    case = build_cases([scenario("inc-x")])[0]
    run = judge(case, doc, target="t", duration_s=0.0)
    assert (run.item["outcome"] == "error") == bool(problems)


def test_judges_fast_validity_check_leaves_cycles_and_shared_objects_to_validation() -> None:
    """A trajectory that contains itself, or one sub-object twice, is not certainly
    valid (the check ends, and the full validation decides)."""
    from regression_suite.runner import _certainly_valid

    traj = TrajectoryBuilder("s").user("hi").assistant("no").build()
    assert _certainly_valid(traj)
    shared = copy.deepcopy(traj)
    shared["extra"] = shared["steps"][0]
    assert not _certainly_valid(shared)
    loop = copy.deepcopy(traj)
    loop["steps"][0]["self"] = loop
    assert not _certainly_valid(loop)
