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
    # one provenance detector fails the same way on both sessions: one line says so
    assert "RecursionError: maximum recursion depth exceeded (all 2 sessions)" in err


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


def _production_log(tmp_path: Path) -> Path:
    """A 12-session production log with one incident (what respond reads)."""
    from incident_lab.example.traffic import generate_log

    log = tmp_path / "prod.jsonl"
    generate_log(log, sessions=12, incidents=1, seed=11)
    return log


def _respond_lines(tmp_path: Path, log: Path, plugin: object, name: str) -> list[str]:
    """What ``respond`` says over ``log`` with ``plugin`` registered, answering every
    question with its default."""
    from incident_lab.adapters.config import load_config
    from incident_lab.adapters.respond import Prompter, respond

    get_plugin_manager().register(plugin, name=name)
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
    return lines


@pytest.mark.usefixtures("fresh_plugins")
def test_respond_says_which_detectors_failed(tmp_path: Path) -> None:
    lines = _respond_lines(tmp_path, _production_log(tmp_path), _Crashing(), "crashing")
    said = [line for line in lines if "detector error" in line]
    assert said[0].startswith("   detector error(s) in 12 of 12 session(s)")
    assert "crashing_rule: RuntimeError: kaput on" in said[1]


# Review rev-crash31: a damaged follow-up file, terminal control characters, a batch
# error repeated per session, add's wording and report.


@pytest.mark.parametrize("bad", [5, True, "abc", {"k": 1}, [1, "x"]])
def test_a_damaged_detector_errors_field_is_one_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: Any
) -> None:
    """Exit 3 naming the file and the field, from the one reader: never an internal
    error (exit 4) and never characters or keys read as errors."""
    from incident_lab import __version__

    bundle = _bundle(tmp_path)
    assert _run(capsys, "classify", str(bundle))[0] == 0
    path = bundle / "followup" / "classification.json"
    doc = json.loads(path.read_text("utf-8"))
    assert doc["tool_version"] == __version__
    doc["sessions"][0]["detector_errors"] = bad
    path.write_text(json.dumps(doc), "utf-8")
    lib = tmp_path / "lib"
    code, _, err = _run(
        capsys, "add", "--from", str(bundle / "trajectories.jsonl"), "--scenarios-dir", str(lib)
    )
    assert code == 3, err
    assert "classification.json" in err and "detector_errors" in err
    assert "internal error" not in err and "attack: a" not in err
    code, _, err = _run(capsys, "report", str(bundle), "--out", str(tmp_path / "r"))
    assert code == 3 and "detector_errors" in err


class _Hostile:
    """A plugin whose error message carries terminal control sequences and line breaks."""

    @hookimpl
    def register_detectors(self) -> list[Any]:
        @detector("hostile_rule", description="raises with the tool output in the message")
        def hostile(t: dict[str, Any]) -> list[Signal]:
            raise ValueError(
                "cannot parse \x1b]0;owned\x1b\\\x1b[2K\x1b[1A\rclassified 2 session(s)\x07\x08"
                "\n   0 sessions flagged: no incident\u200b"
            )

        return [hostile]


def _no_control(text: str) -> None:
    for ch in "\x1b\x07\x08\r\u200b":
        assert ch not in text, repr(ch)


@pytest.mark.usefixtures("fresh_plugins")
@pytest.mark.parametrize("mode", [["--json"], []])
def test_detector_errors_reach_the_terminal_printable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    get_plugin_manager().register(_Hostile(), name="hostile")
    rows = _sessions()
    rows[1]["session_id"] = "calm\x1b[31mRED\x1b[0m"
    log = _write_jsonl(tmp_path / "log.jsonl", rows)
    code, out, err = _run(capsys, "classify", str(log), *mode)
    assert code == 5
    _no_control(err)
    assert "hostile_rule: ValueError: cannot parse" in err
    assert not any(ln.startswith("   0 sessions flagged") for ln in err.splitlines())
    if not mode:  # the human output's own 'detector error:' lines
        _no_control("\n".join(ln for ln in out.splitlines() if "detector error" in ln))
    code, _, err = _run(
        capsys, "add", "--from", str(log), "--scenarios-dir", str(tmp_path / f"lib{len(mode)}")
    )
    assert code == 5 and "hostile_rule" in err
    _no_control(err)


@pytest.mark.usefixtures("fresh_plugins")
def test_respond_snapshot_and_demo_print_detector_errors_on_one_printable_line(
    tmp_path: Path,
) -> None:
    from incident_lab.classify import classify_many
    from incident_lab.demo import _pick_incident
    from incident_lab.errors import CheckFailed

    lines = _respond_lines(tmp_path, _production_log(tmp_path), _Hostile(), "hostile")
    said = [line for line in lines if "hostile_rule" in line]
    assert said and all("\n" not in line for line in said)
    _no_control("".join(said))
    with pytest.raises(CheckFailed) as caught:
        _pick_incident(classify_many(_sessions()))
    _no_control(str(caught.value))
    assert "\n" not in str(caught.value)


class _Batch:
    """A batch detector that raises once (copied into every session) and a per-session
    detector that raises on one late session only."""

    def __init__(self, late: str = "s14") -> None:
        self.late = late

    @hookimpl
    def register_detectors(self) -> list[Any]:
        from incident_lab.classify import cross_session_detector

        @cross_session_detector("batch_rule", description="raises once per batch")
        def batch(ts: list[dict[str, Any]]) -> dict[str, list[Signal]]:
            raise RuntimeError("batch index out of range")

        @detector("only_s14", description="raises on s14 only")
        def one(t: dict[str, Any]) -> list[Signal]:
            if t.get("session_id") == self.late:
                raise RuntimeError("the error that matters")
            return []

        return [batch, one]


@pytest.mark.usefixtures("fresh_plugins")
def test_an_error_repeated_per_session_is_listed_once_with_its_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Batch(), name="batch")
    rows = [{**_sessions()[1], "session_id": f"s{i:02}"} for i in range(15)]
    log = _write_jsonl(tmp_path / "l.jsonl", rows)
    code, _, err = _run(capsys, "classify", str(log), "--json")
    assert code == 5
    listed = [ln for ln in err.splitlines() if ln.startswith("detector error: ")]
    assert listed == [
        "detector error: batch_rule: RuntimeError: batch index out of range (all 15 sessions)",
        "detector error: s14: only_s14: RuntimeError: the error that matters",
    ]


@pytest.mark.usefixtures("fresh_plugins")
def test_respond_names_a_late_distinct_error_after_a_batch_one(tmp_path: Path) -> None:
    log = _production_log(tmp_path)
    late = json.loads(log.read_text("utf-8").splitlines()[-1])["session_id"]
    lines = _respond_lines(tmp_path, log, _Batch(late), "batch")
    said = [line for line in lines if line.startswith("   detector error: ")]
    assert said == [
        "   detector error: batch_rule: RuntimeError: batch index out of range (all 12 sessions)",
        f"   detector error: {late}: only_s14: RuntimeError: the error that matters",
    ]


@pytest.mark.usefixtures("fresh_plugins")
def test_add_rerun_unchanged_does_not_say_written_and_the_hint_is_true(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    get_plugin_manager().register(_Crashing(), name="crashing")
    src = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    args = ["add", "--from", str(src), "--scenarios-dir", str(tmp_path / "lib")]
    args += ["--session", "attack", "--unsafe-step", "4", "--failure-mode", "prompt_injection"]
    code, _, err = _run(capsys, *args)
    assert code == 5 and "scenario written" in err
    assert "override the classifier's choices" not in err  # it still classifies the session
    code, _, err = _run(capsys, *args)
    assert code == 5
    assert "scenario written" not in err and "scenario unchanged" in err


def test_report_names_a_detector_error_and_exits_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """report classifies a bundle that has no follow-up file: a crash there is said."""
    import incident_lab.provenance.analysis as analysis

    log = _write_jsonl(tmp_path / "log.jsonl", _sessions())
    assert _run(capsys, "snapshot", "--from", str(log), "--out", str(tmp_path / "b"))[0] == 0

    def recursion(*_args: Any, **_kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(analysis, "_call", recursion)
    code, out, err = _run(
        capsys, "report", str(tmp_path / "b"), "--out", str(tmp_path / "r"), "--json"
    )
    assert code == 5, err
    assert any("RecursionError" in e for e in json.loads(out)["classification"]["detector_errors"])
    assert "detector error: " in err and "RecursionError" in err
    assert "report written" in err
    md = (tmp_path / "r" / "report.md").read_text("utf-8")
    assert "Detector error" in md and "RecursionError" in md


def test_a_shared_error_says_all_only_when_every_session_has_it() -> None:
    """'all N sessions' counts every session classified, not only those with an error."""
    from incident_lab.classify.followup import detector_error_lines

    assert detector_error_lines([("a", ["d: E: x"]), ("b", ["d: E: x"]), ("c", [])]) == [
        "d: E: x (2 sessions)"
    ]
    assert detector_error_lines([("a", ["d: E: x", "e: E: y"]), ("b", ["d: E: x"])]) == [
        "d: E: x (all 2 sessions)",
        "a: e: E: y",
    ]
