"""Phase 3: rank failure modes for each session, with evidence and a severity suggestion.

Detectors are plugins (``register_detectors``); see :mod:`incident_lab.classify.base`
for the protocol and :mod:`incident_lab.classify.engine` for how signals combine.
"""

from __future__ import annotations

from incident_lab.classify.base import (
    CrossSessionDetector,
    Detector,
    Signal,
    cross_session_detector,
    detector,
)
from incident_lab.classify.engine import (
    THRESHOLD,
    Classification,
    RankedMode,
    classify_many,
    classify_trajectory,
    get_detectors,
)
from incident_lab.classify.severity import SeveritySuggestion

__all__ = [
    "THRESHOLD",
    "Classification",
    "CrossSessionDetector",
    "Detector",
    "RankedMode",
    "SeveritySuggestion",
    "Signal",
    "classify_many",
    "classify_trajectory",
    "cross_session_detector",
    "detector",
    "get_detectors",
]
