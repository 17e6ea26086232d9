"""The public surface of the classify and taxonomy packages is pinned."""

from __future__ import annotations

import incident_lab.classify
import incident_lab.taxonomy


def test_classify_exports() -> None:
    assert sorted(incident_lab.classify.__all__) == sorted(
        [
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
    )


def test_taxonomy_exports() -> None:
    assert sorted(incident_lab.taxonomy.__all__) == sorted(
        [
            "FRAMEWORKS",
            "PRIORITIES",
            "TAXONOMY_ENV",
            "Catalogue",
            "FailureMode",
            "Severity",
            "Taxonomy",
            "load_taxonomy",
        ]
    )
