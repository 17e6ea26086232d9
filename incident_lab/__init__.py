"""incident-lab: turn AI-agent safety incidents into evidence bundles and regression tests.

The public surface is small and pinned by ``tests/incident_lab/test_exported_members.py``;
everything else may change. Importing this package stays light: names are resolved on
first use, so ``import incident_lab`` does not import pandas or any HTTP client.
"""

from __future__ import annotations

from incident_lab.lazy import lazy_exports

__version__ = "0.1.0"

__all__ = [
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

_LAZY = {
    "IncidentLabError": "incident_lab.errors",
    "classify_many": "incident_lab.classify",
    "classify_trajectory": "incident_lab.classify",
    "hookimpl": "incident_lab.hookspecs",
    "load_taxonomy": "incident_lab.taxonomy",
    "read_paths": "incident_lab.readers",
    "take_snapshot": "incident_lab.evidence.snapshot",
    "trajectory_sha256": "incident_lab.trajectory",
    "validate_trajectory": "incident_lab.trajectory",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
