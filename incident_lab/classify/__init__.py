"""Phase 3: rank failure modes for each session, with evidence and a severity suggestion.

Detectors are plugins (``register_detectors``); see :mod:`incident_lab.classify.base`
for the protocol and :mod:`incident_lab.classify.engine` for how signals combine.
The analysis underneath is :mod:`incident_lab.provenance` (one view per session).

Names are resolved on first use, so importing one detector module does not load the
engine. The shared word lists are :mod:`incident_lab.text.lexicon`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incident_lab.lazy import lazy_exports

if TYPE_CHECKING:
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

_LAZY = {
    "CrossSessionDetector": "incident_lab.classify.base",
    "Detector": "incident_lab.classify.base",
    "Signal": "incident_lab.classify.base",
    "cross_session_detector": "incident_lab.classify.base",
    "detector": "incident_lab.classify.base",
    "THRESHOLD": "incident_lab.classify.engine",
    "Classification": "incident_lab.classify.engine",
    "RankedMode": "incident_lab.classify.engine",
    "classify_many": "incident_lab.classify.engine",
    "classify_trajectory": "incident_lab.classify.engine",
    "get_detectors": "incident_lab.classify.engine",
    "SeveritySuggestion": "incident_lab.classify.severity",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
