"""The incident record: derived from the classification, human choice wins, sealed in the timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.incident_record import (
    RECORD_FILE,
    current_record,
    load_record,
    record_decision,
    update_record,
)
from incident_lab.report.phases import phase_durations


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from incident_lab.example.traffic import ATTACKER, generate_log
    from tests.conftest import invoke_cli

    root = tmp_path_factory.mktemp("rec")
    info = generate_log(root / "prod.jsonl", sessions=40, incidents=2, seed=5)
    out = root / "incident"
    snap = ["snapshot", "--from", str(root / "prod.jsonl"), "--out", str(out)]
    assert invoke_cli("incident_lab", snap).exit_code == 0
    assert invoke_cli("incident_lab", ["classify", str(out), "--json"]).exit_code == 0
    info["attacker"] = ATTACKER
    return out, info


def _copy(src: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "b"
    shutil.copytree(src, dst)
    return dst


def test_derived_record_tells_the_incident(classified) -> None:
    """Without a decision: suggestions only; the sessions, victims and attacker value are the truth's."""
    bundle, info = classified
    record = current_record(bundle)
    assert record["failure_mode"] == {"value": "prompt_injection", "source": "suggested"}
    assert record["severity"]["source"] == "suggested"
    ids = {s["session_id"] for s in record["sessions"]}
    assert set(info["incident_session_ids"]) <= ids
    assert [v["value"] for v in record["attacker_values"]] == [info["attacker"]]
    assert record["attacker_values"][0]["tool"] == "send_email"
    assert record["attacker_values"][0]["argument"] == "to"
    assert record["attacker_values"][0]["sessions"] == 2
    victims = {(v["user_id"], v["tenant_id"]) for v in record["victims"]}
    assert len(victims) >= 1 and all(t for _, t in victims)
    assert all(
        s["harm_executed"]
        for s in record["sessions"]
        if s["session_id"] in info["incident_session_ids"]
    )
    # Only the tools the incident sessions called, not every tool offered.
    assert "send_email" in record["tools_involved"] and len(record["tools_involved"]) < 6
    assert not (bundle / RECORD_FILE).exists()  # derived in memory, never written by a read


def test_human_choice_wins_and_suggestions_stay(classified, tmp_path) -> None:
    """A human severity/mode replaces the suggestion; the suggestion stays visible; sealed."""
    bundle = _copy(classified[0], tmp_path)
    record = update_record(
        bundle, failure_mode="policy_erosion", severity="SEV-1", source="human", actor="alice"
    )
    assert (
        record["failure_mode"]["value"] == "policy_erosion"
        and record["failure_mode"]["by"] == "alice"
    )
    assert record["failure_mode"]["source"] == "human"
    assert record["suggestions"]["failure_mode"] == "prompt_injection"
    # A later suggestion-only update (scenario ids) keeps the human's choice.
    again = update_record(bundle, scenario_ids=["inc-x"])
    assert again["failure_mode"]["value"] == "policy_erosion" and again["scenario_ids"] == ["inc-x"]
    events = [json.loads(x) for x in (bundle / "timeline.jsonl").read_text().splitlines()]
    seals = [e for e in events if e.get("kind") == "incident_record"]
    import hashlib

    assert len(seals) == 2
    assert (
        seals[-1]["artifact_sha256"]
        == hashlib.sha256((bundle / RECORD_FILE).read_bytes()).hexdigest()
    )
    from tests.conftest import invoke_cli

    assert invoke_cli("incident_lab", ["verify", str(bundle)]).exit_code == 0


def test_edited_record_is_refused(classified, tmp_path) -> None:
    """An edit behind the timeline's back: load_record names the file and refuses it."""
    bundle = _copy(classified[0], tmp_path)
    update_record(bundle, failure_mode="prompt_injection", severity="SEV-1")
    path = bundle / RECORD_FILE
    path.write_text(path.read_text().replace('"SEV-1"', '"SEV-3"'))
    with pytest.raises(InputError, match="changed after it was sealed") as err:
        load_record(bundle)
    assert err.value.path == str(path)


def test_invalid_record_is_refused(classified, tmp_path) -> None:
    bundle = _copy(classified[0], tmp_path)
    (bundle / RECORD_FILE).parent.mkdir(exist_ok=True)
    (bundle / RECORD_FILE).write_text('{"schema_version": "incident_record/v1"}')
    with pytest.raises(
        InputError, match=r"not a valid incident record at \(root\): '\w+' is a required"
    ):
        load_record(bundle)


def test_valid_record_loads_without_jsonschema(classified, tmp_path) -> None:
    """A valid record passes the compiled schema check alone (jsonschema is not imported,
    blast radius reads the record at start-up); each broken field still gets jsonschema's
    verdict and message."""
    import subprocess
    import sys

    from incident_lab.trajectory import _fast_check, _validator

    bundle = _copy(classified[0], tmp_path)
    update_record(bundle, failure_mode="prompt_injection", severity="SEV-1")
    code = (
        "import sys; from incident_lab.incident_record import load_record; "
        f"r = load_record({str(bundle)!r}); print(r['severity']['value'], 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["SEV-1", "False"]
    record = json.loads((bundle / RECORD_FILE).read_text())
    check = _fast_check("incident_record.v1")
    assert check is not None and check(record) is True
    broken = 0
    for key in record:
        for bad in (None, 7, "x", [], {}):
            doc = {**record, key: bad}
            valid = not any(True for _ in _validator("incident_record.v1").iter_errors(doc))
            assert check(doc) is valid, (key, bad)
            broken += not valid
    assert broken > len(record)


def test_unknown_values_are_usage_errors(classified, tmp_path) -> None:
    bundle = _copy(classified[0], tmp_path)
    with pytest.raises(UsageError, match="unknown failure mode"):
        update_record(bundle, failure_mode="nope")
    with pytest.raises(UsageError, match="unknown severity"):
        update_record(bundle, severity="SEV-9")


def test_record_decision_makes_the_phase_clock_true(tmp_path) -> None:
    """classify and add record their durations; the report's phases add them up."""
    record_decision(tmp_path, "classify", 30.25, failure_mode="prompt_injection")
    record_decision(tmp_path, "tag", 1.5)
    record_decision(tmp_path, "add", 43.0, scenario_id="inc-1")
    events = [json.loads(x) for x in (tmp_path / "timeline.jsonl").read_text().splitlines()]
    assert events[0]["phase"] == "classify" and events[0]["duration_s"] == 30.25
    rows = {r["key"]: r for r in phase_durations(events)}
    assert rows["classify"]["seconds"] == 31.75 and rows["classify"]["source"] == "recorded"
    assert rows["convert"]["seconds"] == 43.0
    with pytest.raises(UsageError):
        record_decision(tmp_path, "classify", -1)


def test_ticket_tells_the_record(classified, tmp_path) -> None:
    """Ticket: the confirmed mode and severity, the sessions, victims and attacker value."""
    from incident_lab.adapters.ticket import build_ticket, render_ticket

    bundle, info = classified
    bundle = _copy(bundle, tmp_path)
    update_record(bundle, failure_mode="prompt_injection", severity="SEV-1", actor="bob")
    data = build_ticket(bundle)
    text = render_ticket(data)
    assert data.severity == "SEV-1" and "(SEV-1, confirmed)" in text
    assert data.failure_mode.startswith("prompt_injection (confirmed by bob)")
    for sid in info["incident_session_ids"]:
        assert sid in text
    assert "collector[@]evil[.]example (send_email.to, 2 session(s))" in data.summary
    assert f"`{info['attacker']}`" in text  # raw in the local ticket, defanged in what is sent
    assert data.tools_involved and "search_kb" not in data.tools_involved


@pytest.mark.parametrize("ascii_only", [False, True])
def test_read_sessions_finds_odd_ids_without_parsing_others(tmp_path, ascii_only) -> None:
    """Ids with quotes or non-ASCII letters are found however the file spells them."""
    from incident_lab.incident_record import read_sessions

    ids = ['a"b', "sessé-1", "plain"]
    lines = [json.dumps({"session_id": i, "steps": []}, ensure_ascii=ascii_only) for i in ids]
    lines.append("{not json but names plain}")
    (tmp_path / "trajectories.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    got = read_sessions(tmp_path, {'a"b', "sessé-1"})
    assert [t["session_id"] for t in got] == ['a"b', "sessé-1"]
    assert read_sessions(tmp_path, {"absent"}) == []


def test_call_state_blocked_failed_executed() -> None:
    """One definition of 'the harm happened' for the record and the blast radius."""
    from incident_lab.incident_record import call_state

    call = {"type": "tool_call", "name": "send_email", "call_id": "c1", "arguments": {}}
    ok = {"type": "tool_result", "call_id": "c1", "output": "sent", "is_error": False}
    err = {**ok, "is_error": True}
    block = {
        "type": "safeguard",
        "safeguard": "g",
        "stage": "pre_action",
        "decision": "block",
        "target_step": 0,
    }
    allow = {**block, "decision": "allow"}
    assert call_state([call, ok], 0) == "executed"
    assert call_state([call, allow, ok], 0) == "executed"
    assert call_state([call, err], 0) == "failed"
    assert call_state([call, block], 0) == "blocked"
    assert call_state([{**call, "call_id": "c2"}, err], 0) == "executed"  # another call's error


def _decisions(bundle: Path) -> list[dict]:
    lines = (bundle / "timeline.jsonl").read_text("utf-8").splitlines()
    return [e for e in map(json.loads, lines) if "duration_s" in e]


def test_classify_and_add_on_a_bundle_record_their_decisions(classified, tmp_path) -> None:
    """The phase clock is true: classify and add each leave a timed decision event, and
    the scenario id lands in the incident record."""
    from tests.conftest import invoke_cli

    bundle = _copy(classified[0], tmp_path)
    update_record(bundle, failure_mode="prompt_injection", severity="SEV-1")
    before = len(_decisions(bundle))
    assert invoke_cli("incident_lab", ["classify", str(bundle), "--json"]).exit_code == 0
    [event] = _decisions(bundle)[before:]
    assert event["kind"] == "classify" and event["sessions"] == 40 and event["flagged"] >= 2
    add = [
        "add",
        "--from",
        str(bundle / "trajectories.jsonl"),
        "--scenarios-dir",
        str(tmp_path / "lib"),
        "--json",
    ]
    result = invoke_cli("incident_lab", add)
    assert result.exit_code in (0, 5), result.stderr
    scenario_id = json.loads(result.stdout)["scenario_id"]
    last = _decisions(bundle)[-1]
    assert last["kind"] == "add" and last["scenario_id"] == scenario_id
    assert scenario_id in load_record(bundle)["scenario_ids"]


def test_add_reuses_the_bundles_classification(classified, tmp_path, monkeypatch) -> None:
    """add on a classified bundle reads followup/classification.json instead of running
    the classifier over every session again."""
    import incident_lab.scenarios.build as build
    from incident_lab.scenarios.library import add_from_path

    bundle = _copy(classified[0], tmp_path)

    def no_second_run(traj):  # pragma: no cover - failing is the point
        raise AssertionError(f"classified {traj.get('session_id')} again")

    monkeypatch.setattr(build, "classification_of", no_second_run)
    added = add_from_path(bundle / "trajectories.jsonl", scenarios_dir=tmp_path / "lib")
    assert added.scenario["taxonomy"]["failure_mode"] == "prompt_injection"
    (bundle / "followup" / "classification.json").unlink()
    with pytest.raises(AssertionError, match=r"classified .* again"):
        add_from_path(bundle / "trajectories.jsonl", scenarios_dir=tmp_path / "lib2")


def test_tag_with_incident_makes_the_human_choice_win(classified, tmp_path) -> None:
    """tag --incident: the human's severity replaces the suggestion in the record, and a
    timed tag decision is in the timeline."""
    from tests.conftest import invoke_cli

    bundle = _copy(classified[0], tmp_path)
    lib = tmp_path / "lib"
    add = ["add", "--from", str(bundle / "trajectories.jsonl"), "--scenarios-dir", str(lib)]
    add += ["--json"]
    scenario_id = json.loads(invoke_cli("incident_lab", add).stdout)["scenario_id"]
    tag = ["tag", scenario_id, "--severity", "SEV-2", "--scenarios-dir", str(lib)]
    result = invoke_cli("incident_lab", [*tag, "--incident", str(bundle)])
    assert result.exit_code == 0, result.stderr
    record = load_record(bundle)
    assert record["severity"]["value"] == "SEV-2" and record["severity"]["source"] == "human"
    assert scenario_id in record["scenario_ids"]
    last = _decisions(bundle)[-1]
    assert last["kind"] == "tag" and last["severity"] == "SEV-2"
    not_a_bundle = invoke_cli("incident_lab", [*tag, "--incident", str(tmp_path)])
    assert not_a_bundle.exit_code == 3 and "manifest.json" in not_a_bundle.stderr
