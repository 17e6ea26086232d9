"""incident-lab: turn AI-agent safety incidents into evidence bundles and regression tests.

The public surface is small and pinned by ``tests/incident_lab/test_exported_members.py``.
Importing this package stays light: it does not import pandas or any HTTP client.
"""

from __future__ import annotations

__version__ = "0.1.0"

from incident_lab.errors import IncidentLabError

__all__ = ["IncidentLabError", "__version__"]
