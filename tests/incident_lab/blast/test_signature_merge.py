"""A bundle with several incident sessions: their signatures are merged, nothing lost or
repeated (sessions, payloads, tool calls and safeguard decisions of each)."""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.blast.signature import signature_from_bundle
from incident_lab.evidence import take_snapshot
from incident_lab.example.traffic import generate_log


def test_two_incident_sessions_merge_into_one_signature(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    ids = generate_log(log, sessions=12, incidents=3, seed=11, start="2026-02-01T06:00:00Z")[
        "incident_session_ids"
    ]
    records = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    # The first two attacks are alike; the third sends to another address (a second tool
    # pattern, and other payload text around the injection).
    for record in records:
        for step in record["steps"] if record["session_id"] == ids[2] else []:
            if step["type"] == "tool_call" and "to" in step["arguments"]:
                step["arguments"]["to"] = "dropbox@evil.example"
    log.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    singles = []
    for sid in ids:
        take_snapshot([str(log)], out=tmp_path / sid, sessions=[sid])
        singles.append(signature_from_bundle(tmp_path / sid, sessions=[sid]))
    take_snapshot([str(log)], out=tmp_path / "both", sessions=ids)
    merged = signature_from_bundle(tmp_path / "both", sessions=ids)

    first, alike, other = singles
    assert [p.normalized for p in alike.payloads] == [p.normalized for p in first.payloads]
    assert alike.tools == first.tools and other.tools != first.tools
    assert merged.session_ids == ids
    assert merged.tools == first.tools + other.tools
    assert merged.safeguards == first.safeguards  # the same decision, listed once
    known = {p.normalized for p in first.payloads}
    assert merged.payloads == first.payloads + [
        p for p in other.payloads if p.normalized not in known
    ]
    assert len({p.normalized for p in merged.payloads}) == len(merged.payloads)
