"""Shared fixtures for the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from incident_lab.plugins import reset_plugin_manager

REPO = Path(__file__).resolve().parent.parent


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
