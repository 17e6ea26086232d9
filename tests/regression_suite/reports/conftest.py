"""Builders of gate reports for the reporter tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from regression_suite.gate import finalize


def make_item(sid: str, outcome: str = "passed", **fields: Any) -> dict[str, Any]:
    """One runner item with sensible defaults."""
    base: dict[str, Any] = {
        "id": f"{sid}[{fields.get('repeat', 0)}]",
        "scenario_id": sid,
        "parent_id": None,
        "variant": None,
        "repeat": 0,
        "failure_mode": "prompt_injection",
        "severity": "SEV-1",
        "tags": [],
        "outcome": outcome,
        "results": [],
        "message": None
        if outcome == "passed"
        else f"{sid}: send_email(to=x@attacker.example) at step 3",
        "diff": None,
        "duration_s": 0.002,
        "target": "example:patched",
    }
    base.update(fields)
    return base


@pytest.fixture
def item() -> Callable[..., dict[str, Any]]:
    """The item builder."""
    return make_item


@pytest.fixture
def make_report() -> Callable[..., dict[str, Any]]:
    """Build a report from items: ``make_report(items, suite=..., target=..., **options)``."""

    def build(
        items: list[dict[str, Any]],
        suite: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        return finalize(
            items,
            suite=suite or {"name": "release_gate", "path": "scenarios/suites/release_gate.yaml"},
            target=target or {"spec": "example:patched"},
            options=options,
        )

    return build
