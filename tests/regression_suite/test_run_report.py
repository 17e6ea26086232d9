"""run_report: the trajectory spool and the recorded-trajectories file."""

from __future__ import annotations

import gc
import json
import warnings
from pathlib import Path

from regression_suite.gate.cases import item_order
from regression_suite.run_report import TrajectorySpool, write_trajectories


def _item(item_id: str, outcome: str = "passed", repeat: int = 1) -> dict[str, object]:
    return {"id": item_id, "outcome": outcome, "repeat": repeat}


def _traj(text: str) -> dict[str, object]:
    return {"schema_version": "trajectory/v1", "session_id": text, "steps": [], "gate": "stale"}


def test_spool_returns_each_tagged_line_and_the_file_matches_a_mapping(tmp_path: Path) -> None:
    """Spooled in arrival order, written in item order; the same bytes as from a mapping;
    an item without a trajectory has no line; unicode survives."""
    items = [_item("a#1", "failed", 1), _item("a#2", "passed", 2), _item("b", "error")]
    trajs = {"a#2": _traj("é-2"), "a#1": _traj("s-1")}
    spool = TrajectorySpool()
    for item_id in ("a#2", "a#1"):  # reports can arrive out of order (xdist)
        spool.add(next(i for i in items if i["id"] == item_id), trajs[item_id])
    assert len(spool) == 2 and "a#1" in spool and "b" not in spool
    line = spool.line("a#1")
    assert line is not None and line.endswith("\n")
    assert json.loads(line)["gate"] == {"item_id": "a#1", "outcome": "failed"}
    ordered = sorted(items, key=item_order)
    write_trajectories(tmp_path / "spool.jsonl", ordered, spool)
    write_trajectories(tmp_path / "dict.jsonl", ordered, trajs)
    spooled = (tmp_path / "spool.jsonl").read_text("utf-8")
    assert spooled == (tmp_path / "dict.jsonl").read_text("utf-8")
    assert [json.loads(x)["session_id"] for x in spooled.splitlines()] == ["s-1", "é-2"]
    spool.close()
    spool.close()  # idempotent


def test_an_abandoned_spool_closes_its_file_without_a_warning() -> None:
    """A run that stops before its report (an error) leaves no open file behind."""
    spool = TrajectorySpool()
    spool.add(_item("x"), _traj("x"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del spool
        gc.collect()


def test_empty_record_file(tmp_path: Path) -> None:
    """No trajectories: an empty file (not a lone newline)."""
    write_trajectories(tmp_path / "t.jsonl", [_item("a")], TrajectorySpool())
    assert (tmp_path / "t.jsonl").read_text("utf-8") == ""
