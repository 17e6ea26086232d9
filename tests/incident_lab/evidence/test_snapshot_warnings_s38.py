"""A snapshot's own warnings come before a reader's in its summary (review revfinal38 M2).

The printed summary shows at most a few warnings (``cli.app.MAX_LISTED``). A reader's
warnings (a Batch file's pairing doubts, one per reason) must not push the snapshot's own
"the --last edge ... may have missed an incident" out of that view."""

from __future__ import annotations

from pathlib import Path

from incident_lab.evidence.filters import Selection
from incident_lab.evidence.snapshot import _Collection, _summary


def test_the_snapshot_s_own_warnings_are_listed_before_a_reader_s(tmp_path: Path) -> None:
    run = _Collection(Selection(last=5), None, None)  # type: ignore[arg-type]
    run.reader_warnings.extend(f"log.jsonl:{n}: Batch lines not paired" for n in range(12))
    run.warnings.append("the --last edge cut a SEV-1 session: may have missed an incident")
    manifest = {"sources": [], "incident_id": "i", "collected_at": "t", "counts": {}}
    manifest["model_versions_seen"] = []
    summary = _summary(run, tmp_path, manifest, {"time_range": None}, signed=False)
    assert summary["warnings"][0].startswith("the --last edge")
    assert len(summary["warnings"]) == 13
