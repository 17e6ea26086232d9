"""`regression_suite add`, `remove` and `list`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from regression_suite.suites import load_suite
from tests.conftest import CliResult
from tests.regression_suite._library import scenario, variant, write, write_suite

Rs = Callable[..., CliResult]


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library in ./scenarios (the default directory), with the seed's incident_42."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    return write(
        tmp_path / "scenarios",
        scenario("incident_42", severity="SEV-1"),
        scenario("inc-b", severity="SEV-3"),
        variant("incident_42.v1", "incident_42", ["base64"]),
    )


def test_the_seed_spelling_adds_to_release_gate(lib: Path, rs: Rs) -> None:
    """`regression_suite add --scenario incident_42` works exactly, creating the default suite."""
    result = rs("add", "--scenario", "incident_42")
    assert result.exit_code == 0, result.stderr
    assert "created suite release_gate with incident_42" in result.stdout
    assert load_suite("release_gate", lib)["scenarios"] == ["incident_42"]
    again = rs("add", "--scenario", "incident_42", "--json")
    assert json.loads(again.stdout)["status"] == "unchanged"


def test_adding_an_unknown_or_unsafe_id_is_refused_with_exit_3(lib: Path, rs: Rs) -> None:
    result = rs("add", "--scenario", "incident_43")
    assert result.exit_code == 3
    assert "no scenario 'incident_43'" in result.stderr and result.stderr[-1:] == "\n"
    assert rs("add", "--scenario", "../../etc/passwd").exit_code == 3
    assert not (lib / "suites").exists()


def test_a_scenario_that_does_not_reproduce_is_refused(lib: Path, rs: Rs) -> None:
    """Expectations that all pass on the recording would never catch the incident again."""
    write(lib, scenario("inc-weak", expectations=[{"kind": "max_steps", "n": 50}]))
    result = rs("add", "--scenario", "inc-weak")
    assert result.exit_code == 3
    assert "does not lint" in result.stderr and "reproduce" in result.stderr
    assert not (lib / "suites" / "release_gate.yaml").exists()


def test_a_scenario_with_an_unredacted_secret_is_refused(lib: Path, rs: Rs) -> None:
    write(lib, scenario("inc-leaky", title="mail to alice.smith@acme-corp.com"))
    result = rs("add", "--scenario", "inc-leaky")
    assert result.exit_code == 3 and "does not lint" in result.stderr


def test_variants_can_be_added_and_remove_round_trips(lib: Path, rs: Rs) -> None:
    assert rs("add", "--scenario", "incident_42.v1", "--suite", "nightly").exit_code == 0
    result = rs("remove", "--scenario", "incident_42.v1", "--suite", "nightly", "--json")
    assert json.loads(result.stdout)["status"] == "removed"
    assert load_suite("nightly", lib)["scenarios"] == []
    result = rs("remove", "--scenario", "incident_42", "--suite", "nope")
    assert result.exit_code == 3 and "no suite 'nope'" in result.stderr


def test_list_shows_suites_and_a_suites_scenarios_with_variant_counts(lib: Path, rs: Rs) -> None:
    write_suite(
        lib,
        "release_gate",
        "name: release_gate\nselect: {status: [gated]}\nvariants: all\nrepeats: 2\n",
    )
    write_suite(lib, "broken", "name: broken\nscenarios: [gone]\n")
    rows = {r["name"]: r for r in json.loads(rs("list", "--json").stdout)}
    assert rows["release_gate"]["scenarios"] == 2 and rows["release_gate"]["variants"] == 1
    assert rows["release_gate"]["cases"] == 6
    assert "gone" in rows["broken"]["error"]
    text = rs("list").stdout
    assert (
        "broken  INVALID" in text and "release_gate  2 scenarios, 1 variants, x2 = 6 cases" in text
    )
    listing = json.loads(rs("list", "--suite", "release_gate", "--json").stdout)
    assert [(r["id"], r["variants"]) for r in listing["scenarios"]] == [
        ("inc-b", 0),
        ("incident_42", 1),
        ("incident_42.v1", None),
    ]
    assert rs("list", "--suite", "broken").exit_code == 3


@pytest.mark.parametrize("suite_args", [[], ["--suite", "release_gate"]])
def test_list_with_a_missing_library_is_exit_3(
    lib: Path, rs: Rs, tmp_path: Path, suite_args: list[str]
) -> None:
    """A mistyped --scenarios-dir is exit 3 naming it, not "no suites" with exit 0."""
    missing = tmp_path / "scenarioz"
    result = rs("list", "--scenarios-dir", missing, *suite_args)
    assert result.exit_code == 3 and f"{missing}: no such scenarios directory" in result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["add", "remove", "list"])
def test_scenarios_dir_that_is_a_file_is_refused(
    lib: Path, rs: Rs, tmp_path: Path, command: str
) -> None:
    """--scenarios-dir naming a file is a usage error (exit 3), as in every incident_lab command."""
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    args = ["--scenario", "incident_42"] if command != "list" else []
    result = rs(command, *args, "--scenarios-dir", afile)
    assert result.exit_code == 3 and "is a file" in result.stderr


def test_list_suite_keeps_a_multi_line_title_on_one_row(lib: Path, rs: Rs) -> None:
    """A scenario title with a newline does not break `list --suite`'s one row per scenario."""
    import yaml

    path = lib / "incident_42.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["title"] = "Exfiltration\nthrough   a document"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    write_suite(lib, "release_gate", "name: release_gate\nscenarios: [incident_42]\n")
    result = rs("list", "--suite", "release_gate")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert len(rows) == 2 and rows[1].endswith("Exfiltration through a document")
