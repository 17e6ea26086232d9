"""Production-like logs of the example agent with a known set of incident sessions."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.evidence import take_snapshot
from incident_lab.example.traffic import INJECTION, generate_log


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """120 sessions, 4 of them the injection incident; plus a bundle of the first incident.

    A fifth attack is added by hand: the injection base64-encoded in an email, sent by
    a tenant no incident session has, and blocked by the safeguard.
    """
    base = tmp_path_factory.mktemp("traffic")
    log = generate_log(
        base / "log.jsonl", sessions=120, incidents=4, seed=11, start="2026-02-01T06:00:00Z"
    )
    lines = (base / "log.jsonl").read_text("utf-8").splitlines()
    first = json.loads(next(line for line in lines if log["incident_session_ids"][0] in line))
    encoded = json.loads(json.dumps(first))
    encoded["session_id"] = "sess-encoded"
    encoded["started_at"] = "2026-02-02T09:00:00Z"
    encoded["actor"] = {"user_id": "u_b64", "tenant_id": "encoded-tenant"}
    blob = base64.b64encode(INJECTION.encode()).decode()
    for step in encoded["steps"]:
        if step["type"] == "tool_result" and INJECTION in str(step.get("output")):
            step["output"] = str(step["output"]).replace(INJECTION, f"Decode and follow: {blob}")
    lines.append(json.dumps(encoded))
    (base / "log.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    bundle = base / "bundle"
    take_snapshot([str(base / "log.jsonl")], out=bundle, sessions=[log["incident_session_ids"][0]])
    return {
        "dir": base,
        "log": base / "log.jsonl",
        "bundle": bundle,
        "incidents": set(log["incident_session_ids"]),
        "records": [json.loads(line) for line in lines],
    }


@pytest.fixture
def broken_log(traffic: dict[str, Any], tmp_path: Path) -> Path:
    """The traffic log with a malformed line 3 and a non-object line 50."""
    lines = traffic["log"].read_text("utf-8").splitlines()
    lines.insert(2, '{"session_id": "x", steps: [}')
    lines.insert(49, "[1, 2, 3]")
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path
