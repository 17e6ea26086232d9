"""Importing the packages stays light (the public names are pinned in tests/test_public_api.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import incident_lab


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
