"""Fixtures for the target tests: fast HTTP retry settings and a replay-input builder."""

from __future__ import annotations

import copy
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short timeouts and backoff so retry tests run in milliseconds; no ambient credentials."""
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_BACKOFF", "0.01")
    monkeypatch.delenv("REGRESSION_SUITE_HTTP_RETRIES", raising=False)
    monkeypatch.delenv("REGRESSION_SUITE_HTTP_TOKEN", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("REGRESSION_SUITE_OPENAI_KEY_ENV", raising=False)
    monkeypatch.delenv("REGRESSION_SUITE_OPENAI_SEED", raising=False)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)


def replay_of(scenario: dict[str, Any]) -> dict[str, Any]:
    """The replay input a runner builds from a scenario (docs/formats.md), as a deep copy."""
    scenario = copy.deepcopy(scenario)
    context = scenario.get("context") or {}
    replay = scenario["replay"]
    return {
        "scenario_id": scenario["id"],
        "system_prompt": context.get("system_prompt"),
        "tools": context.get("tools") or [],
        "turns": replay["turns"],
        "fixtures": replay.get("fixtures") or [],
        "max_steps": replay.get("max_steps", 20),
        "model": context.get("model"),
        "policy": context.get("policy"),
    }
