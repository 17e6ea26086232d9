"""Expectations live in :mod:`incident_lab.expectations`; this name is kept for imports.

``regression_suite`` uses incident_lab's model, evaluation and reproduction check; the
names below are re-exported so ``from incident_lab.expectations import evaluate_all``
keeps working.
"""

from __future__ import annotations

from incident_lab.expectations import (
    BUILTIN_KINDS,
    DEFAULT_REFUSAL_PATTERNS,
    ExpectationKind,
    Result,
    blocked_steps,
    evaluate,
    evaluate_all,
    get_expectation_kinds,
)

__all__ = [
    "BUILTIN_KINDS",
    "DEFAULT_REFUSAL_PATTERNS",
    "ExpectationKind",
    "Result",
    "blocked_steps",
    "evaluate",
    "evaluate_all",
    "get_expectation_kinds",
]
