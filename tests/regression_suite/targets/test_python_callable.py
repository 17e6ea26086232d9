"""The python: target calls a function with the replay input (and the scenario if it takes two)."""

from __future__ import annotations

import asyncio

import pytest

from incident_lab.errors import UsageError
from regression_suite.targets import TargetError, resolve_target

MOD = "tests.regression_suite.targets.sample_targets"
REPLAY = {"scenario_id": "sc-1", "turns": [{"role": "user", "content": "hi there"}]}
SCENARIO = {"id": "sc-1", "title": "A title"}


def test_one_argument_function_gets_the_replay_and_partial_result_is_completed() -> None:
    """A function returning only steps gets schema_version and a session id."""
    target = resolve_target(f"python:{MOD}:echo_turns")
    traj = target.run(REPLAY, SCENARIO)
    assert traj == {
        "steps": [{"type": "message", "role": "assistant", "content": "HI THERE"}],
        "schema_version": "trajectory/v1",
        "session_id": "sc-1-replay",
    }
    assert target.io_bound is False and target.describe()["kind"] == "python"


def test_two_argument_function_also_gets_the_scenario() -> None:
    """A function taking two positional parameters receives the scenario dict."""
    traj = resolve_target(f"python:{MOD}:with_scenario").run(REPLAY, SCENARIO)
    assert traj["steps"][0]["content"] == "A title" and traj["session_id"] == "own-id"


def test_async_function_runs_in_run_and_arun() -> None:
    """Coroutine functions work from sync run() and natively from arun(); they count as I/O-bound."""
    target = resolve_target(f"python:{MOD}:async_agent")
    assert target.io_bound is True
    assert target.run(REPLAY, SCENARIO)["steps"][0]["content"] == "async sc-1"
    assert asyncio.run(target.arun(REPLAY, SCENARIO))["steps"][0]["content"] == "async sc-1"


def test_sync_function_through_arun() -> None:
    """The default arun runs a sync function in a thread."""
    traj = asyncio.run(resolve_target(f"python:{MOD}:echo_turns").arun(REPLAY, SCENARIO))
    assert traj["steps"][0]["content"] == "HI THERE"


def test_non_trajectory_result_is_a_target_error() -> None:
    """Returning a string names the type."""
    with pytest.raises(TargetError, match="returned str, not a trajectory"):
        resolve_target(f"python:{MOD}:returns_string").run(REPLAY, SCENARIO)


def test_exception_in_the_function_is_a_target_error() -> None:
    """A crash becomes TargetError naming the exception type and message."""
    with pytest.raises(TargetError, match=r"raised KeyError: 'model'"):
        resolve_target(f"python:{MOD}:crashes").run(REPLAY, SCENARIO)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("python:no_such_pkg.agent:run", "cannot import module 'no_such_pkg.agent'"),
        (f"python:{MOD}:missing", f"module '{MOD}' has no attribute 'missing'"),
        (f"python:{MOD}:NOT_CALLABLE", "is not callable"),
        ("python:just_a_module", "must look like python:package.module:function"),
    ],
)
def test_import_problems_are_usage_errors_naming_module_and_attribute(
    spec: str, message: str
) -> None:
    """Import failures are exit-3 usage errors that name what could not be found."""
    with pytest.raises(UsageError, match=message) as info:
        resolve_target(spec)
    assert info.value.exit_code == 3
