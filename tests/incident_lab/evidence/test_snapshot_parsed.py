"""snapshot --last keeps parsed values within a byte budget: the bundle is the same whatever
the budget (every line's value parsed again, none, or some), and the budget holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.evidence import snapshot as snap
from incident_lab.evidence.filters import LastN, Selection
from incident_lab.evidence.scan import Candidate
from tests.incident_lab.evidence.conftest import make_session, write_jsonl

NOW = "2026-02-02T00:00:00+00:00"


def _rows() -> list[object]:
    rows: list[object] = []
    for i in range(30):
        session = make_session(i)
        session["started_at"] = f"2026-02-01T{i % 24:02d}:{i:02d}:00Z"
        session["metadata"] = {"score": 0.1 * i, "big": 2**70 + i, "tiny": 1e-05}
        rows.append(session)
    # NaN: orjson refuses it, the stdlib parses it (kept with fast=False)
    rows[25] = json.dumps({**make_session(25), "started_at": "2026-02-01T23:59:00Z",
                           "metadata": {"x": float("nan")}}).encode()  # fmt: skip
    rows[7] = b'{"not": "a session"'  # a reject
    return rows


def _bundle(tmp_path: Path, name: str, budget: int, monkeypatch: pytest.MonkeyPatch) -> dict:
    from datetime import datetime

    monkeypatch.setattr(snap, "_PARSED_BUDGET", budget)
    log = write_jsonl(tmp_path / "log.jsonl", _rows())
    result = snap.take_snapshot(
        [log], last=12, out=tmp_path / name, now=datetime.fromisoformat(NOW)
    )
    files = {p.name: p.read_bytes() for p in (tmp_path / name).iterdir() if p.is_file()}
    return {"counts": result.summary["counts"], "warnings": result.summary["warnings"],
            "trajectories": files["trajectories.jsonl"], "rejects": files["rejects.jsonl"],
            "metrics": files["metrics.json"]}  # fmt: skip


def test_same_bundle_whatever_the_parsed_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No value kept, some kept, all kept: byte-identical trajectories, rejects and metrics."""
    size = (tmp_path / "probe.jsonl").write_bytes(json.dumps(make_session(0)).encode())
    none = _bundle(tmp_path, "none", 0, monkeypatch)
    some = _bundle(tmp_path, "some", 5 * size, monkeypatch)
    every = _bundle(tmp_path, "all", 1 << 30, monkeypatch)
    assert none == some == every
    assert none["counts"] == {"read": 30, "accepted": 12, "rejected": 1, "filtered_out": 17}
    kept = [json.loads(line) for line in none["trajectories"].splitlines()]
    assert all(t["metadata"].get("big", 2**70) >= 2**70 for t in kept)  # exact, not floats
    assert b"NaN" in none["trajectories"]  # the stdlib-parsed session is kept as parsed


def test_parsed_bytes_stay_within_the_budget_and_track_evictions() -> None:
    """The heap's lines holding a value never total more than the budget, and the count
    equals exactly the bytes of the ones still held (values of evicted lines are dropped)."""
    budget = 3_000
    run = snap._Collection(Selection(last=5), None, None)  # type: ignore[arg-type]
    for i in range(40):
        obj = {**make_session(i), "started_at": f"2026-02-01T00:{i:02d}:00Z"}
        raw = json.dumps(obj).encode() + b"\n"
        run.read += 1
        snap._PARSED_BUDGET, saved = budget, snap._PARSED_BUDGET
        try:
            run.offer(Candidate(obj, raw, "log", i + 1, "native", True))
        finally:
            snap._PARSED_BUDGET = saved
        assert isinstance(run.heap, LastN)
        held = [item for _key, item in run.heap._heap if item[5] is not None]
        assert run.parsed_bytes == sum(len(item[0]) for item in held) <= budget
    assert held and len(held) < 5  # the budget, not the window, limited what was kept parsed


def test_last_n_offer_returns_what_it_did_not_keep() -> None:
    heap = LastN(2)
    assert heap.offer((1, 1.0, 1), "a") is None
    assert heap.offer((1, 3.0, 2), "c") is None
    assert heap.offer((1, 2.0, 3), "b") == "a"  # displaced the oldest
    assert heap.offer((1, 0.5, 4), "z") == "z"  # older than the window: not kept
    assert heap.oldest_first() == ["b", "c"] and heap.evicted == 2
