"""The public surface of both packages is exactly what we promise, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import incident_lab
import regression_suite


def test_incident_lab_public_surface() -> None:
    """incident_lab.__all__ is pinned; every name resolves."""
    assert incident_lab.__all__ == [
        "IncidentLabError",
        "__version__",
        "classify_many",
        "classify_trajectory",
        "hookimpl",
        "load_taxonomy",
        "read_paths",
        "take_snapshot",
        "trajectory_sha256",
        "validate_trajectory",
    ]
    for name in incident_lab.__all__:
        assert getattr(incident_lab, name) is not None


def test_regression_suite_public_surface() -> None:
    """regression_suite.__all__ is pinned; every name resolves."""
    assert regression_suite.__all__ == [
        "ExpectationKind",
        "ReplaySession",
        "Result",
        "ScriptedTarget",
        "TrajectoryBuilder",
        "build_scenario",
        "build_trajectory",
        "evaluate_all",
        "resolve_target",
    ]
    for name in regression_suite.__all__:
        assert getattr(regression_suite, name) is not None


def test_unknown_attribute_raises() -> None:
    """A name outside the surface is an AttributeError, not a silent None."""
    with pytest.raises(AttributeError):
        _ = incident_lab.not_a_thing  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", ["incident_lab", "regression_suite"])
def test_import_is_light(module: str) -> None:
    """Importing a package does not import pandas, numpy or HTTP clients."""
    code = (
        f"import sys, {module}; heavy = [m for m in ('pandas', 'numpy', 'urllib.request', 'http.client', "
        "'requests', 'httpx', 'aiohttp', 'deepdiff', 'jsonschema') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cli_help_is_fast_and_light() -> None:
    """`incident_lab --help` lists commands without importing their modules (no pandas)."""
    code = (
        "import sys; from incident_lab.cli.app import run; from incident_lab.cli.main import cli; "
        "run(cli, 'incident_lab', ['--help']); print('pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("False")
