"""The shipped taxonomy, its API, and team extensions."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from incident_lab.errors import ConfigError, UsageError
from incident_lab.taxonomy import FRAMEWORKS, TAXONOMY_ENV, load_taxonomy

MODES = [
    "prompt_injection",
    "policy_erosion",
    "intent_drift",
    "tool_hallucination",
    "coordinated_misuse",
    "safeguard_failure",
    "unknown",
]


@pytest.fixture(autouse=True)
def _no_env_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TAXONOMY_ENV, raising=False)


def test_shipped_taxonomy_has_the_playbook_failure_modes_in_order() -> None:
    assert list(load_taxonomy().failure_modes) == MODES


def test_severities_have_playbook_meanings_and_priority_mapping() -> None:
    sev = load_taxonomy().severities
    assert {k: (v.meaning, v.priority) for k, v in sev.items()} == {
        "SEV-1": ("Active harm / legal risk", "critical"),
        "SEV-2": ("Clear policy violation", "high"),
        "SEV-3": ("Degraded safeguards", "medium"),
        "SEV-4": ("Near miss", "low"),
    }


def test_catalogues_are_versioned_and_complete() -> None:
    cats = load_taxonomy().catalogues
    assert (cats["owasp_llm"].version, cats["owasp_agentic"].version) == ("2025", "2026")
    assert list(cats["owasp_llm"].ids) == [f"LLM{i:02d}:2025" for i in range(1, 11)]
    assert list(cats["owasp_agentic"].ids) == [f"ASI{i:02d}" for i in range(1, 11)]
    assert cats["owasp_llm"].ids["LLM01:2025"] == "Prompt Injection"
    assert cats["owasp_agentic"].ids["ASI01"] == "Agent Goal Hijack"
    atlas = cats["mitre_atlas"]
    assert atlas.version == "2026.09"
    assert atlas.ids["AML.T0051.001"] == "LLM Prompt Injection: Indirect"
    assert atlas.ids["AML.T0053"] == "AI Agent Tool Invocation"
    assert atlas.ids["AML.T0086"] == "Exfiltration via AI Agent Tool Invocation"


def test_every_failure_mode_id_exists_in_its_catalogue() -> None:
    """The invariant the loader enforces, checked independently of the loader's code."""
    tax = load_taxonomy()
    for mode in tax.failure_modes.values():
        for framework, ids in mode.external_ids.items():
            for ident in ids:
                assert ident in tax.catalogues[framework].ids, (mode.name, framework, ident)


def test_every_known_mode_maps_to_each_catalogue() -> None:
    tax = load_taxonomy()
    for name in MODES[:-1]:
        for framework in FRAMEWORKS:
            assert tax.failure_modes[name].external_ids[framework], (name, framework)


def test_the_shipped_file_validates_against_the_shipped_schema() -> None:
    import yaml

    doc = yaml.safe_load(
        resources.files("incident_lab.taxonomy").joinpath("taxonomy.yaml").read_text("utf-8")
    )
    schema = json.loads(
        resources.files("incident_lab.schemas").joinpath("taxonomy.v1.json").read_text("utf-8")
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema)


def test_check_ids_names_unknown_frameworks_and_ids() -> None:
    tax = load_taxonomy()
    assert tax.check_ids({"owasp_llm": ["LLM01:2025"], "mitre_atlas": ["AML.T0086"]}) == []
    problems = tax.check_ids(
        {"owasp_llm": ["LLM11:2025", "LLM01"], "nist": ["X"], "owasp_agentic": "ASI01"}
    )
    assert any("LLM11:2025" in p and "2025" in p for p in problems)
    assert any("'LLM01'" in p for p in problems)
    assert any("unknown framework 'nist'" in p for p in problems)
    assert any("owasp_agentic: expected a list" in p for p in problems)
    assert tax.check_ids(["LLM01:2025"]) != []  # type: ignore[arg-type]


def test_check_failure_mode_lists_valid_names() -> None:
    tax = load_taxonomy()
    tax.check_failure_mode("intent_drift")
    with pytest.raises(UsageError) as err:
        tax.check_failure_mode("prompt-injection")
    assert "prompt-injection" in err.value.message
    assert "prompt_injection" in (err.value.hint or "")
    with pytest.raises(UsageError):
        tax.check_severity("SEV-9")


def test_external_ids_for_returns_a_copy() -> None:
    tax = load_taxonomy()
    ids = tax.external_ids_for("prompt_injection")
    assert "AML.T0051.001" in ids["mitre_atlas"]
    ids["mitre_atlas"].clear()
    assert tax.external_ids_for("prompt_injection")["mitre_atlas"]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "team.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_extension_adds_ids_modes_and_unions_lists(tmp_path: Path) -> None:
    ext = _write(
        tmp_path,
        """
catalogues:
  mitre_atlas:
    ids: {AML.T0099: "AI Agent Tool Data Poisoning"}
  team_risks:
    name: Acme risk register
    version: "7"
    ids: {ACME-12: Refund abuse}
failure_modes:
  prompt_injection:
    external_ids:
      mitre_atlas: [AML.T0099, AML.T0051]
  refund_abuse:
    title: Refund abuse
    description: Customers farming refunds.
    default_severity: SEV-2
    external_ids: {team_risks: [ACME-12]}
""",
    )
    tax = load_taxonomy(ext)
    pi = tax.failure_modes["prompt_injection"].external_ids["mitre_atlas"]
    assert pi.count("AML.T0051") == 1 and pi[-1] == "AML.T0099"
    assert "refund_abuse" in tax.failure_modes and list(tax.failure_modes)[-1] == "unknown"
    assert tax.catalogues["team_risks"].label == "Acme risk register 7"
    assert tax.sources[-1] == str(ext)
    assert tax.check_ids({"team_risks": ["ACME-12"]}) == []


def test_env_variable_extension_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ext = _write(
        tmp_path, "severities:\n  SEV-2: {meaning: Clear policy violation, priority: critical}\n"
    )
    monkeypatch.setenv(TAXONOMY_ENV, str(ext))
    assert load_taxonomy().severities["SEV-2"].priority == "critical"


def test_extension_referencing_unknown_id_names_file_line_and_id(tmp_path: Path) -> None:
    ext = _write(
        tmp_path,
        "failure_modes:\n  intent_drift:\n    external_ids:\n      owasp_llm: [LLM42:2025]\n",
    )
    with pytest.raises(ConfigError) as err:
        load_taxonomy(ext)
    assert err.value.path == str(ext)
    assert "LLM42:2025" in err.value.message
    assert err.value.line == 4


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("failure_modes: [unclosed\n", "not valid YAML"),
        ("!!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("owners: [me]\n", "unknown top-level key"),
        ("severities:\n  SEV-5: {meaning: x, priority: urgent}\n", "invalid taxonomy"),
        ("failure_modes:\n  x: {title: X}\n", "invalid taxonomy"),
        ("schema_version: taxonomy/v9\n", "schema_version"),
    ],
)
def test_bad_extensions_are_one_line_config_errors(tmp_path: Path, text: str, needle: str) -> None:
    ext = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_taxonomy(ext)
    assert needle in err.value.message
    assert err.value.path == str(ext)
    assert "\n" not in err.value.render()


def test_missing_extension_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")
