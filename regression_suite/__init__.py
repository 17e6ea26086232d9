"""regression_suite: replay incident scenarios against a system under test and gate releases.

The public surface is small and pinned by ``tests/regression_suite/test_exported_members.py``;
names are resolved on first use so importing the package stays light.
"""

from __future__ import annotations

from incident_lab.lazy import lazy_exports

__all__ = [
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

_LAZY = {
    "ExpectationKind": "incident_lab.expectations",
    "Result": "incident_lab.expectations",
    "evaluate_all": "incident_lab.expectations",
    "ReplaySession": "regression_suite.testing",
    "ScriptedTarget": "regression_suite.testing",
    "TrajectoryBuilder": "regression_suite.testing",
    "build_scenario": "regression_suite.testing",
    "build_trajectory": "regression_suite.testing",
    "resolve_target": "regression_suite.targets",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
