"""Shared builders of the gate tests: run items and a one-severity pass-rate threshold."""

from __future__ import annotations

from typing import Any


def items(sid: str, outcomes: str, **extra: Any) -> list[dict[str, Any]]:
    """Run items of scenario ``sid``, one per letter of ``outcomes`` (like ``"ppf e"``: p
    passed, f failed, e error, spaces ignored); ``case`` names the case (``sid`` when not
    given), ``message`` the failures' message, any other key is copied into each item."""
    names = {"p": "passed", "f": "failed", "e": "error"}
    return [
        {
            "id": f"{extra.get('case', sid)}#{k + 1}",
            "scenario_id": sid,
            "repeat": k + 1,
            "outcome": names[o],
            "message": extra.get("message", f"{sid} broke") if o != "p" else None,
            **{k2: v for k2, v in extra.items() if k2 not in ("case", "message")},
        }
        for k, o in enumerate(outcomes.replace(" ", ""))
    ]


def pass_rate(severity: str, on_failure: str, value: float) -> dict[str, Any]:
    """Thresholds with one rule: ``severity`` needs a pass rate of at least ``value``,
    else ``on_failure``."""
    require = {"metric": "pass_rate", "direction": "at_least", "value": value}
    return {"severities": {severity: {"on_failure": on_failure, "require": require}}}
