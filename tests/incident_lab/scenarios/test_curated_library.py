"""The shipped library in scenarios/: coverage, lint-clean, and truly derived by `add`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from incident_lab.scenarios.io import iter_scenario_paths, load_scenario
from incident_lab.scenarios.library import add_from_path
from incident_lab.scenarios.lint import lint_library

REPO = Path(__file__).resolve().parents[3]
LIBRARY = REPO / "scenarios"
PATHS = iter_scenario_paths(LIBRARY)
MODES = (
    "prompt_injection",
    "policy_erosion",
    "intent_drift",
    "tool_hallucination",
    "coordinated_misuse",
    "safeguard_failure",
    "unknown",
)


def test_at_least_two_gated_scenarios_per_failure_mode() -> None:
    """Every failure mode of the playbook has two or more gated scenarios."""
    docs = [load_scenario(p) for p in PATHS]
    counts = Counter(d["taxonomy"]["failure_mode"] for d in docs if d["status"] == "gated")
    assert all(counts[m] >= 2 for m in MODES), counts
    assert all(d["taxonomy"]["suggested"] is False for d in docs if d["status"] == "gated")


def test_library_is_lint_clean() -> None:
    """`incident_lab lint scenarios/` finds nothing."""
    assert [p.render() for p in lint_library(LIBRARY).problems] == []


def test_coordinated_scenarios_record_the_campaign() -> None:
    """The fifty-account campaign is one session's scenario with the campaign in provenance."""
    doc = load_scenario(LIBRARY / "inc-20260224-coordinated-coupon-campaign.yaml")
    assert doc["provenance"]["coordination"]["sessions"] == 50
    assert doc["provenance"]["coordination"]["actors"] == 50
    assert len(doc["provenance"]["session_ids"]) == 1 and "coordinated" in doc["taxonomy"]["tags"]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_scenario_is_rederived_identically_from_its_incident(path: Path, tmp_path: Path) -> None:
    """Re-running `add` on the kept trajectory gives the same replay, payload and expectations."""
    doc = load_scenario(path)
    prov = doc["provenance"]
    tax = doc["taxonomy"]
    res = add_from_path(
        REPO / prov["source"],
        session=prov["session_ids"][0],
        scenarios_dir=tmp_path,
        scenario_id=doc["id"],
        failure_mode=tax["failure_mode"],
        severity=tax["severity"],
        title=doc["title"],
        tags=[t for t in tax["tags"] if t != "coordinated"],
    )
    new = res.scenario
    assert new["provenance"]["trajectory_sha256"] == prov["trajectory_sha256"]
    for key in ("context", "replay", "payload", "expectations", "recording"):
        assert new[key] == doc[key], key
    assert new["provenance"]["redaction"] == prov["redaction"]
