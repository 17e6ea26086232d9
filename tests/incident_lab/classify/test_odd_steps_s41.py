"""A session whose ``steps`` is no list (a number, NaN, null, true) gives a classification,
not a TypeError out of ``classify_trajectory`` (issue 10's bad-input rule)."""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.classify import classify_many, classify_trajectory


@pytest.mark.parametrize("steps", [3, 1e308, float("nan"), True])
def test_steps_that_are_not_a_list_give_no_finding(steps: Any) -> None:
    t = {"schema_version": "trajectory/v1", "session_id": "odd", "steps": steps}
    c = classify_trajectory(t)
    assert c.top is None
    (b,) = classify_many([t])
    assert b.top is None
