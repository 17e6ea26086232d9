"""A detector that crashes must never read as "no finding": every command that classifies
names the error on stderr and exits 5 (PartialResult), the classification itself unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.classify import Signal, detector
from incident_lab.cli.app import run
from incident_lab.cli.main import cli
from incident_lab.hookspecs import hookimpl
from incident_lab.plugins import get_plugin_manager
from tests.incident_lab.classify.test_cli import _bundle, _sessions, _write_jsonl


class _Crashing:
    """A plugin whose detector raises on every session."""

    @hookimpl
    def register_detectors(self) -> list[Any]:
        @detector("crashing_rule", description="always raises")
        def crashing(t: dict[str, Any]) -> list[Signal]:
            raise RuntimeError(f"kaput on {t.get('session_id')}")

        return [crashing]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(cli, "incident_lab", list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _clean_output(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    log = _write_jsonl(tmp_path / "clean.jsonl", _sessions())
    code, out, _ = _run(capsys, "classify", str(log), *args)
    assert code == 0
    return out


@pytest.mark.usefixtures("fresh_plugins")
def test_a_crashing_plugin_detector_is_named_on_stderr_and_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = json.loads(_clean_output(tmp_path, capsys, "--json"))
    get_plugin_manager().register(_Crashing(), name="crashing")
    log = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    code, out, err = _run(capsys, "classify", str(log), "--json")
    assert code == 5
    data = json.loads(out)  # stdout stays one clean JSON document
    assert [d["session_id"] for d in data] == ["attack", "calm"]
    for got, want in zip(data, clean, strict=True):  # the classification is unchanged
        assert got.pop("detector_errors") == [
            f"crashing_rule: RuntimeError: kaput on {want['session_id']}"
        ]
        assert got == want
    assert "detector error: attack: crashing_rule: RuntimeError: kaput on attack" in err
    assert "detector error: calm: crashing_rule: RuntimeError: kaput on calm" in err
    assert "detector error(s) in 2 of 2 session(s)" in err


@pytest.mark.usefixtures("fresh_plugins")
def test_text_mode_exits_5_too_even_when_the_session_is_not_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    log = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    code, out, err = _run(capsys, "classify", str(log), "--flagged")
    assert code == 5
    assert "session calm" not in out  # --flagged hides it; stderr still names its error
    assert "detector error: calm: crashing_rule: RuntimeError: kaput on calm" in err


@pytest.mark.usefixtures("fresh_plugins")
def test_the_bundle_still_gets_its_followup_file_with_the_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    bundle = _bundle(tmp_path)
    code, _, _ = _run(capsys, "classify", str(bundle), "--json")
    assert code == 5
    followup = json.loads((bundle / "followup" / "classification.json").read_text("utf-8"))
    assert all(s["detector_errors"] for s in followup["sessions"])


@pytest.mark.usefixtures("fresh_plugins")
def test_error_lines_are_capped_like_the_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    rows = [{**_sessions()[1], "session_id": f"s{i:02}"} for i in range(13)]
    code, _, err = _run(capsys, "classify", str(_write_jsonl(tmp_path / "l.jsonl", rows)))
    assert code == 5
    assert err.count("detector error: s") == 10
    assert "detector error: … and 3 more" in err


@pytest.mark.usefixtures("fresh_plugins")
def test_rejects_and_detector_errors_are_both_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    log = _write_jsonl(tmp_path / "log.jsonl", _sessions(), extra='{"broken json\n')
    code, _, err = _run(capsys, "classify", str(log), "--json")
    assert code == 5
    assert f"rejected: {log}:3: malformed JSON" in err
    assert "detector error: attack: crashing_rule" in err
    assert "1 input record(s) rejected" in err and "detector error(s) in 2 of 2" in err


def test_a_crash_inside_provenance_is_reported_not_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session-30 failure: a RecursionError in provenance turned an injection into
    "no incident signals" with exit 0."""
    import incident_lab.provenance.analysis as analysis

    def recursion(*_args: Any, **_kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(analysis, "_call", recursion)
    log = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    code, out, err = _run(capsys, "classify", str(log), "--json")
    assert code == 5
    attack = json.loads(out)[0]
    assert attack["top"] is None  # what the crash costs ...
    assert any("RecursionError" in e for e in attack["detector_errors"])  # ... is said
    assert "detector error: attack: " in err and "RecursionError" in err


@pytest.mark.usefixtures("fresh_plugins")
def test_add_writes_the_scenario_but_warns_and_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    src = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    library = tmp_path / "scenarios"
    code, out, err = _run(
        capsys, "add", "--from", str(src), "--scenarios-dir", str(library), "--json"
    )
    assert code == 5
    data = json.loads(out)
    assert data["status"] == "created" and Path(data["path"]).is_file()
    assert "attack: crashing_rule: RuntimeError: kaput on attack" in data["detector_errors"]
    assert "detector error: attack: crashing_rule: RuntimeError: kaput on attack" in err
    assert "scenario written, but the classifier's detectors failed" in err


def test_add_without_a_detector_error_still_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard against a blanket exit 5: a clean classification is no partial result."""
    src = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    code, _, err = _run(
        capsys, "add", "--from", str(src), "--scenarios-dir", str(tmp_path / "lib")
    )
    assert code == 0 and "detector error" not in err
