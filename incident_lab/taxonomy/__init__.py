"""The incident taxonomy: failure modes, severities and versioned external-id catalogues.

The data lives in ``taxonomy.yaml`` beside this module; teams extend it with their own
YAML (``load_taxonomy(extra=...)`` or ``INCIDENT_LAB_TAXONOMY``). See docs/formats.md.
"""

from __future__ import annotations

from incident_lab.taxonomy.load import TAXONOMY_ENV, load_taxonomy
from incident_lab.taxonomy.model import (
    FRAMEWORKS,
    PRIORITIES,
    Catalogue,
    FailureMode,
    Severity,
    Taxonomy,
)

__all__ = [
    "FRAMEWORKS",
    "PRIORITIES",
    "TAXONOMY_ENV",
    "Catalogue",
    "FailureMode",
    "Severity",
    "Taxonomy",
    "load_taxonomy",
]
