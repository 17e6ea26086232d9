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
    code, _, err = _run(capsys, "add", "--from", str(src), "--scenarios-dir", str(tmp_path / "lib"))
    assert code == 0 and "detector error" not in err


@pytest.mark.usefixtures("fresh_plugins")
def test_snapshot_edge_check_warns_when_a_detector_failed(tmp_path: Path) -> None:
    """snapshot --last asks the classifier about the oldest kept sessions: a detector that
    raised there is a warning (the edge check may have missed an incident), not silence."""
    from incident_lab.evidence import take_snapshot
    from incident_lab.example.traffic import generate_log

    generate_log(tmp_path / "raw.jsonl", sessions=12, incidents=0, seed=3)
    rows = [json.loads(x) for x in (tmp_path / "raw.jsonl").read_text().splitlines()]
    for r in rows:
        r.pop("labels", None)
    rows.sort(key=lambda r: r["started_at"])
    log = _write_jsonl(tmp_path / "log.jsonl", rows)
    assert take_snapshot([log], last=10, out=tmp_path / "a").summary["warnings"] == []
    get_plugin_manager().register(_Crashing(), name="crashing")
    warnings = take_snapshot([log], last=10, out=tmp_path / "b").summary["warnings"]
    oldest = rows[2]["session_id"]
    assert warnings == [
        "the classifier's detectors failed on 1 of the 1 oldest sessions kept by --last "
        f"(e.g. {oldest}: crashing_rule: RuntimeError: kaput on {oldest}): the edge check "
        "may have missed an incident there"
    ]


@pytest.mark.usefixtures("fresh_plugins")
def test_demo_does_not_hold_when_a_detector_failed() -> None:
    from incident_lab.classify import classify_many
    from incident_lab.demo import _pick_incident
    from incident_lab.errors import CheckFailed

    found = classify_many(_sessions())
    assert _pick_incident(found).session_id == "attack"
    get_plugin_manager().register(_Crashing(), name="crashing")
    with pytest.raises(
        CheckFailed, match=r"2 detector error.*first: attack: crashing_rule: RuntimeError"
    ):
        _pick_incident(classify_many(_sessions()))


@pytest.mark.usefixtures("fresh_plugins")
def test_respond_says_which_detectors_failed(tmp_path: Path) -> None:
    from incident_lab.adapters.config import load_config
    from incident_lab.adapters.respond import Prompter, respond
    from incident_lab.example.traffic import generate_log

    log = tmp_path / "prod.jsonl"
    generate_log(log, sessions=12, incidents=1, seed=11)
    get_plugin_manager().register(_Crashing(), name="crashing")
    lines: list[str] = []
    prompt = Prompter(
        say=lines.append, confirm=lambda q, d: True, choose=lambda q, o, d: d, assume_yes=True
    )
    respond(
        [str(log)],
        config=load_config(None),
        prompt=prompt,
        out=tmp_path / "inc",
        scenarios_dir=tmp_path / "sc",
    )
    said = [line for line in lines if "detector error" in line]
    assert said[0].startswith("   detector error(s) in 12 of 12 session(s)")
    assert "crashing_rule: RuntimeError: kaput on" in said[1]
