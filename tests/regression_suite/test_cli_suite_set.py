"""`regression_suite suite set --variants all|none|sample N`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from regression_suite.suites import load_suite, resolve
from tests.conftest import CliResult
from tests.regression_suite._library import scenario, variant, write

Rs = Callable[..., CliResult]


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    return write(
        tmp_path / "scenarios",
        scenario("incident_42", severity="SEV-1"),
        variant("incident_42.v1", "incident_42", ["base64"]),
        variant("incident_42.v2", "incident_42", ["rot13"]),
        variant("incident_42.v3", "incident_42", ["leet"]),
    )


def _ids(lib: Path) -> list[str]:
    return [s["id"] for s in resolve(load_suite("release_gate", lib), lib)]


def test_variants_all_sample_none(lib: Path, rs: Rs) -> None:
    """The setting changes what the suite resolves to; a comment header survives."""
    assert rs("add", "--scenario", "incident_42").exit_code == 0
    path = lib / "suites" / "release_gate.yaml"
    path.write_text("# keep me\n" + path.read_text().split("\n", 1)[1])
    assert _ids(lib) == ["incident_42"]
    r = rs("suite", "set", "--variants", "all")
    assert r.exit_code == 0, r.stderr
    assert "variants all (changed" in r.stdout
    assert _ids(lib) == ["incident_42", "incident_42.v1", "incident_42.v2", "incident_42.v3"]
    r = rs("suite", "set", "--variants", "sample", "2", "--json")
    assert json.loads(r.stdout) == {
        **json.loads(r.stdout),
        "variants": {"sample": 2},
        "previous": "all",
    }
    assert len(_ids(lib)) == 3 and load_suite("release_gate", lib)["variants"] == {"sample": 2}
    assert rs("suite", "set", "--variants", "none").exit_code == 0
    assert _ids(lib) == ["incident_42"]
    again = rs("suite", "set", "--variants", "none", "--json")
    assert json.loads(again.stdout)["status"] == "unchanged"
    assert path.read_text().startswith("# keep me\n")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--variants", "sample"], "needs a positive number"),
        (["--variants", "all", "3"], "only goes with --variants sample"),
        (["--variants", "all", "--suite", "nope"], "no suite 'nope'"),
        (["--variants", "some"], "Invalid value"),
    ],
)
def test_bad_input_exits_3(lib: Path, rs: Rs, args: list[str], needle: str) -> None:
    assert rs("add", "--scenario", "incident_42").exit_code == 0
    r = rs("suite", "set", *args)
    assert r.exit_code == 3
    assert needle in r.stderr
