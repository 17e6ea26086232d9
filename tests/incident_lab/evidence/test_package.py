"""Importing the evidence package stays light."""

from __future__ import annotations

import subprocess
import sys


def test_importing_evidence_does_not_import_pandas() -> None:
    """pandas is imported only when metrics are computed."""
    code = "import sys, incident_lab.evidence, incident_lab.cli.evidence; print('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
