"""Every taxonomy reference stored in the scenario library exists in the taxonomy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from incident_lab.taxonomy import load_taxonomy

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("*.yml"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_scenario_taxonomy_references_exist(path: Path) -> None:
    """failure_mode, severity and every external id of the scenario are in the taxonomy."""
    doc = yaml.safe_load(path.read_text("utf-8"))
    taxonomy = (doc or {}).get("taxonomy") or {}
    tax = load_taxonomy()
    problems = tax.check_ids(taxonomy.get("external_ids") or {})
    if taxonomy.get("failure_mode") not in tax.failure_modes:
        problems.append(f"unknown failure mode {taxonomy.get('failure_mode')!r}")
    if taxonomy.get("severity") not in tax.severities:
        problems.append(f"unknown severity {taxonomy.get('severity')!r}")
    assert not problems, f"{path.name}: {problems}"


def test_library_scan_sees_every_scenario_file() -> None:
    """The parametrised check above covers all scenario files in the library (none skipped)."""
    on_disk = (
        {p.name for p in SCENARIOS.iterdir() if p.suffix in (".yaml", ".yml")}
        if SCENARIOS.is_dir()
        else set()
    )
    assert {p.name for p in FILES} == on_disk
