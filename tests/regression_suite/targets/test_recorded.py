"""The recorded target returns the scenario's recording unchanged (the reproduction check)."""

from __future__ import annotations

import pytest

from incident_lab.errors import UsageError
from regression_suite.targets import TargetError, resolve_target
from regression_suite.testing import TrajectoryBuilder, build_scenario
from tests.regression_suite.targets.conftest import replay_of


def test_returns_the_recording_unchanged_and_as_a_copy() -> None:
    """The same trajectory comes back; mutating it does not touch the scenario."""
    recording = (
        TrajectoryBuilder("rec", agent={"model": {"name": "m1"}})
        .user("hi")
        .assistant("hello")
        .build()
    )
    scenario = build_scenario("rec-1", recording=recording)
    target = resolve_target("recorded")
    traj = target.run(replay_of(scenario), scenario)
    assert traj == recording
    traj["steps"].clear()
    assert scenario["recording"]["steps"]
    # the recording's model is the incident's, not a target's: unknown
    assert target.describe()["model"] is None and target.describe()["policy"] is None


def test_scenario_without_recording_is_a_target_error() -> None:
    """No recording, nothing to reproduce: the error names the scenario."""
    scenario = build_scenario("bare")
    with pytest.raises(TargetError, match="'bare' has no recording"):
        resolve_target("recorded").run(replay_of(scenario), scenario)


def test_recorded_takes_no_argument() -> None:
    """'recorded:x' is a usage error."""
    with pytest.raises(UsageError):
        resolve_target("recorded:x")
