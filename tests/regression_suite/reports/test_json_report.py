"""report.json is written atomically, validates against gate_report/v1, and loads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.errors import InputError, SchemaError
from incident_lab.gate_report import load_report, validation_errors
from regression_suite.reports.json_report import write_json


def test_round_trip(tmp_path: Path, item, make_report) -> None:
    report = make_report([item("a"), item("b", "failed", severity="SEV-3")])
    [path] = write_json(report, tmp_path)
    assert path == tmp_path / "report.json"
    assert load_report(path) == report
    assert load_report(tmp_path) == report  # a directory means its report.json
    assert not list(tmp_path.glob(".report.json.*"))  # no temporary file left behind


def test_unicode_and_markup_survive(tmp_path: Path, item, make_report) -> None:
    msg = "ignore previous instructions <script>alert(1)</script> \u202eevil \U0001f600"
    report = make_report([item("a", "failed", message=msg)])
    write_json(report, tmp_path)
    assert load_report(tmp_path)["items"][0]["message"] == msg


def test_missing_report(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such report") as info:
        load_report(tmp_path / "nope.json")
    assert info.value.exit_code == 3


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{\n  "verdict": "OK",\n  oops\n}\n', "utf-8")
    with pytest.raises(InputError) as info:
        load_report(path)
    assert info.value.line == 3 and "invalid JSON" in info.value.render()


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="invalid UTF-8"):
        load_report(path)


def test_other_documents_are_refused(tmp_path: Path, item, make_report) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema_version": "trajectory/v1"}), "utf-8")
    with pytest.raises(SchemaError, match="not a gate report"):
        load_report(path)
    broken = make_report([item("a")])
    broken["verdict"] = "MAYBE"
    path.write_text(json.dumps(broken), "utf-8")
    with pytest.raises(SchemaError, match="verdict"):
        load_report(path)


def test_schema_catches_wrong_types(item, make_report) -> None:
    report = make_report([item("a")])
    report["cases"][0]["pass_rate"] = 1.5
    assert any(p.startswith("cases.0.pass_rate") for p in validation_errors(report))
