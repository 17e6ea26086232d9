"""Shared fixtures for the whole test suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from incident_lab.plugins import reset_plugin_manager
from tests.timing import pytest_pyfunc_call as pytest_pyfunc_call  # CPU bounds, run cold again

REPO = Path(__file__).resolve().parent.parent

# Property tests have no wall-clock deadline: CI machines are shared, and a test that takes
# 265 ms under load against Hypothesis's default 200 ms failed for no fault of the code
# (tests/regression_suite/test_stepdiff.py, seen at load average 7.5). Slowness is measured
# by the benchmarks in benchmarks/, not by a timed unit test.
settings.register_profile("incident-lab", deadline=None)
settings.load_profile("incident-lab")


@pytest.fixture
def repo_root() -> Path:
    """The checkout's root directory."""
    return REPO


@pytest.fixture
def runner() -> CliRunner:
    """A click runner (stderr kept separate from stdout)."""
    return CliRunner()


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    """Rebuild the plugin manager before and after a test that registers plugins."""
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@dataclass
class CliResult:
    """What a CLI invocation produced through the real entry point (error rendering included)."""

    exit_code: int
    stdout: str
    stderr: str


def invoke_cli(prog: str, args: list[str], *, input: str | None = None) -> CliResult:
    """Run ``incident_lab`` or ``regression_suite`` through :func:`incident_lab.cli.app.run`.

    Unlike ``CliRunner.invoke``, this goes through the one place errors are rendered,
    so exit codes and one-line error messages are exactly what a user sees.
    """
    from incident_lab.cli.app import run

    if prog == "incident_lab":
        from incident_lab.cli.main import cli as group
    else:
        from regression_suite.cli.main import cli as group
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        code = run(group, prog, [str(a) for a in args])
        return CliResult(
            code,
            out.getvalue().decode("utf-8", "replace"),
            err.getvalue().decode("utf-8", "replace"),
        )


@pytest.fixture
def il() -> Callable[..., CliResult]:
    """Invoke ``incident_lab ARGS...`` and return exit code, stdout and stderr."""
    return lambda *args, input=None: invoke_cli("incident_lab", list(args), input=input)


@pytest.fixture
def rs() -> Callable[..., CliResult]:
    """Invoke ``regression_suite ARGS...`` and return exit code, stdout and stderr."""
    return lambda *args, input=None: invoke_cli("regression_suite", list(args), input=input)


@pytest.fixture(autouse=True, scope="session")
def _scenario_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The compiled scenario cache of every test (and the processes it starts) lives in
    a temporary directory, never in the user's ``~/.cache``."""
    import os

    from incident_lab.scenarios.cache import DIR_ENV

    saved = os.environ.get(DIR_ENV)
    os.environ[DIR_ENV] = str(tmp_path_factory.mktemp("scenario-cache"))
    yield
    if saved is None:
        os.environ.pop(DIR_ENV, None)
    else:
        os.environ[DIR_ENV] = saved
