"""`incident_lab variants`: writes variant scenarios, reports them, fails cleanly on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.app import run
from incident_lab.cli.main import cli
from incident_lab.scenarios.io import load_scenario, write_scenario

from .conftest import make_scenario


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(cli, "incident_lab", list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def library(tmp_path: Path) -> Path:
    write_scenario(tmp_path, make_scenario())
    return tmp_path


def test_writes_variants_and_prints_them_as_json(
    capsys: pytest.CaptureFixture[str], library: Path
) -> None:
    """--json lists id, chain, seed, path, status; files are valid variant scenarios."""
    code, out, err = invoke(
        capsys, "variants", "--scenario", "inc-demo", "--converters", "base64,homoglyph,decompose",
        "--depth", "2", "--n", "7", "--seed", "5", "--scenarios-dir", str(library), "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["parent"] == "inc-demo" and doc["generated"] == 7 and doc["counts"] == {"created": 7}
    for row in doc["variants"]:
        scenario = load_scenario(row["path"])
        assert scenario["id"] == row["id"]
        assert scenario["variant"]["converters"] == row["converters"]
        assert scenario["variant"]["seed"] == row["seed"]
    assert len(list((library / "variants").glob("*.yaml"))) == 7


def test_human_output_lists_variants_and_summarises_on_stderr(
    capsys: pytest.CaptureFixture[str], library: Path
) -> None:
    """One line per variant on stdout; the summary goes to stderr."""
    args = (
        "variants",
        "--scenario",
        "inc-demo",
        "--converters",
        "rot13,url",
        "--scenarios-dir",
        str(library),
    )
    code, out, err = invoke(capsys, *args)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["created", "created"]
    assert "2 variants of inc-demo (created 2)" in err
    code, out, _ = invoke(capsys, *args)
    assert [line.split()[0] for line in out.splitlines()] == ["unchanged", "unchanged"]


def test_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str], library: Path) -> None:
    """--dry-run generates and lists but leaves the library as it was."""
    code, out, _err = invoke(
        capsys,
        "variants",
        "--scenario",
        "inc-demo",
        "--dry-run",
        "--scenarios-dir",
        str(library),
        "--json",
    )
    assert code == 0
    assert {r["status"] for r in json.loads(out)["variants"]} == {"dry-run"}
    assert not (library / "variants").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scenario", "inc-demo", "--converters", "base64,nope"), "unknown converter 'nope'"),
        (("--scenario", "inc-nope"), "unknown scenario id 'inc-nope'"),
        (("--scenario", "../etc"), "invalid scenario id"),
        (("--scenario", "inc-demo", "--depth", "9"), "--depth"),
        (("--converters", "base64"), "--scenario is required"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_3(
    capsys: pytest.CaptureFixture[str], library: Path, args: tuple[str, ...], message: str
) -> None:
    """Unknown converter/scenario, path tricks and bad options: exit 3, one line, no traceback."""
    code, out, err = invoke(capsys, "variants", *args, "--scenarios-dir", str(library))
    assert code == 3
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_unknown_converter_error_lists_the_valid_ones(
    capsys: pytest.CaptureFixture[str], library: Path
) -> None:
    """The hint names every valid converter."""
    _, _, err = invoke(
        capsys,
        "variants",
        "--scenario",
        "inc-demo",
        "--converters",
        "b64",
        "--scenarios-dir",
        str(library),
    )
    assert "valid converters:" in err and "base64" in err and "emoji_smuggling" in err


def test_scenario_without_payload_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A scenario with no payload: exit 3 and the message says what to add."""
    scenario: dict[str, Any] = make_scenario(scenario_id="inc-nopayload")
    scenario["payload"] = None
    write_scenario(tmp_path, scenario)
    code, _, err = invoke(
        capsys, "variants", "--scenario", "inc-nopayload", "--scenarios-dir", str(tmp_path)
    )
    assert code == 3 and "has no payload" in err and "payload.location" in err


def test_a_variant_id_is_refused_as_parent(
    capsys: pytest.CaptureFixture[str], library: Path
) -> None:
    """Asking for variants of a variant explains to use the parent with --depth."""
    _, out, _ = invoke(
        capsys,
        "variants",
        "--scenario",
        "inc-demo",
        "--converters",
        "rot13",
        "--scenarios-dir",
        str(library),
        "--json",
    )
    variant_id = json.loads(out)["variants"][0]["id"]
    code, _, err = invoke(
        capsys, "variants", "--scenario", variant_id, "--scenarios-dir", str(library)
    )
    assert code == 3 and "is itself a variant of 'inc-demo'" in err


def test_list_converters_json_names_family_and_reversibility(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--list-converters --json describes every registered converter."""
    code, out, _ = invoke(capsys, "variants", "--list-converters", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["base64"]["reversible"] and rows["base64"]["family"] == "encoding"
    assert rows["decompose"]["structural"] and not rows["leetspeak"]["reversible"]


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    """--help shows an Example block."""
    code, out, _ = invoke(capsys, "variants", "--help")
    assert code == 0 and "Example:" in out and "incident_lab variants --scenario" in out
