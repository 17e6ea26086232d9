"""Blast radius answers two questions apart: who received the payload, and where the harm happened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from incident_lab.blast.aggregate import risk_level


def _variant(traj: dict[str, Any], sid: str, tenant: str, how: str) -> dict[str, Any]:
    out = json.loads(json.dumps(traj))
    out["session_id"] = sid
    out["actor"] = {"user_id": f"u_{sid}", "tenant_id": tenant}
    out.pop("labels", None)
    steps = out["steps"]
    call = next(
        i for i, s in enumerate(steps) if s["type"] == "tool_call" and s["name"] == "send_email"
    )
    if how == "exposed":  # read the injected mail, did nothing
        first_result = next(i for i, s in enumerate(steps) if s["type"] == "tool_result")
        out["steps"] = steps[: first_result + 1] + [
            {"type": "message", "role": "assistant", "content": "You have four new messages."}
        ]
    elif how == "blocked":
        for s in steps:
            if s["type"] == "safeguard" and s.get("target_step") == call:
                s["decision"] = "block"
    elif how == "failed":
        for s in steps:
            if s["type"] == "tool_result" and s["call_id"] == steps[call]["call_id"]:
                s["is_error"] = True
                s["output"] = '{"error": "relay refused"}'
    return out


def test_exposure_and_harm_are_counted_apart(il, traffic, tmp_path: Path) -> None:
    """Received-only, blocked and failed sessions are exposure, never harm; risk comes from harm."""
    first = next(r for r in traffic["records"] if r["session_id"] in traffic["incidents"])
    extra = [
        _variant(first, "exp1", "t-exposed", "exposed"),
        _variant(first, "blk1", "t-blocked", "blocked"),
        _variant(first, "fail1", "t-failed", "failed"),
    ]
    log = tmp_path / "log.jsonl"
    log.write_text(traffic["log"].read_text() + "".join(json.dumps(t) + "\n" for t in extra))
    r = il(
        "blast-radius", "--incident", traffic["bundle"], "--from", log, "--out", tmp_path, "--json"
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    by_id = {m["session_id"]: m for m in out["matches"]}
    assert {"exp1", "blk1", "fail1"} <= set(by_id)  # all three received the payload
    assert not any(by_id[s]["harm"] for s in ("exp1", "blk1", "fail1"))
    assert by_id["blk1"]["tool_state"] == "blocked" and by_id["fail1"]["tool_state"] == "failed"
    assert by_id["exp1"]["tool_state"] is None
    harmed = {m["session_id"] for m in out["matches"] if m["harm"]}
    assert traffic["incidents"] <= harmed and not harmed & {"exp1", "blk1", "fail1"}
    assert out["harm"]["sessions"] == len(harmed) == len(out["harm"]["session_ids"])
    assert out["harm"]["attempts_blocked"] == 1 and out["harm"]["attempts_failed"] == 1
    assert out["exposure"]["sessions"] == len(out["matches"]) > out["harm"]["sessions"]
    assert {"t-exposed", "t-blocked", "t-failed"} <= set(out["exposure"]["tenant_ids"])
    assert not {"t-exposed", "t-blocked", "t-failed"} & set(out["harm"]["tenant_ids"])
    expected = risk_level(out["harm"]["users"], out["harm"]["tenants"])["level"]
    assert out["risk"]["level"] == expected
    assert "harmed actor(s)" in out["risk"]["reason"]
    text = il("blast-radius", "--incident", traffic["bundle"], "--from", log, "--out", tmp_path)
    assert (
        "exposure: " in text.stdout
        and "harm: " in text.stdout
        and "risk (from harm)" in text.stdout
    )


def test_risk_band_follows_harm_not_exposure() -> None:
    """A thousand exposed actors with nothing executed is no harm; thirty harmed in three tenants is moderate."""
    assert risk_level(0, 0)["level"] == "none"
    assert risk_level(30, 3)["level"] == "moderate"
    assert risk_level(1, 1)["level"] == "isolated"


def test_bundle_without_incident_session_hints_classify(il, traffic, tmp_path: Path) -> None:
    """A many-session bundle nobody classified: exit 3, a hint that exists (no --unsafe-step)."""
    from incident_lab.evidence import take_snapshot

    records = [r for r in traffic["records"] if r["session_id"] not in traffic["incidents"]][:5]
    for r in records:
        r.pop("labels", None)
    log = tmp_path / "l.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    bundle = tmp_path / "b"
    take_snapshot([str(log)], out=bundle)
    r = il("blast-radius", "--incident", bundle, "--from", log)
    assert r.exit_code == 3
    assert "--unsafe-step" not in r.stderr and "incident_lab classify" in r.stderr


def test_bundle_signature_uses_the_incident_record(il, traffic, tmp_path: Path) -> None:
    """An unlabelled many-session bundle, classified: the record's sessions make the signature."""
    from incident_lab.evidence import take_snapshot

    records = [json.loads(json.dumps(r)) for r in traffic["records"][70:120]]
    for r in records:
        r.pop("labels", None)
    ids = {r["session_id"] for r in records} & traffic["incidents"]
    assert ids  # the window holds at least one incident
    log = tmp_path / "l.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    bundle = tmp_path / "b"
    take_snapshot([str(log)], out=bundle)
    assert il("classify", bundle, "--json").exit_code == 0
    r = il("blast-radius", "--incident", bundle, "--from", traffic["log"], "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out["signature"]["session_ids"]) == ids
    tools = out["signature"]["tools"]
    assert tools and all(t["arguments"] for t in tools)  # the attacker's value, not a bare tool
    assert {m["session_id"] for m in out["matches"] if m["harm"]} >= traffic["incidents"]


def test_blast_on_a_bundle_records_its_decision(il, traffic, tmp_path: Path) -> None:
    """The search on a bundle is a timeline event with its duration and the two answers."""
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(traffic["bundle"], bundle)
    r = il("blast-radius", "--incident", bundle, "--from", traffic["log"], "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    events = [json.loads(x) for x in (bundle / "timeline.jsonl").read_text().splitlines()]
    last = events[-1]
    assert last["kind"] == "blast-radius" and last["duration_s"] >= 0
    assert last["harm_sessions"] == out["harm"]["sessions"]
    assert last["exposure_sessions"] == out["exposure"]["sessions"]
    assert il("verify", bundle).exit_code == 0


def test_scan_pauses_the_cyclic_gc_and_restores_it() -> None:
    """The collector is off during a scan (also when threads overlap) and back on after."""
    import gc
    import threading

    from incident_lab.blast.scan import _no_cyclic_gc

    assert gc.isenabled()
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        with _no_cyclic_gc():
            started.set()
            release.wait(5)

    t = threading.Thread(target=other)
    with _no_cyclic_gc():
        assert not gc.isenabled()
        t.start()
        started.wait(5)
    assert not gc.isenabled()  # the other scan is still running
    release.set()
    t.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with _no_cyclic_gc():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
