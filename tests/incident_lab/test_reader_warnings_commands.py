"""A reader's warnings reach the user in every command that reads logs through the
readers (review revresp38b L2: blast-radius, confirm and add dropped them silently):
one line each on stderr (``warning: FILE:LINE: ...``, at most MAX_LISTED and a count),
a ``warnings`` field in ``--json``, counted apart from the records read.

The log: the real SDK's tool loop (tests/fixtures/openai_responses/exchanges.jsonl, its
first three exchanges) submitted as Batch-API lines under one ``custom_id`` in two
batches' files read together, so the Responses reader keeps them as one session and
warns that requests and answers may not match.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.blast.scan import MAX_REJECT_SAMPLES, Partial
from incident_lab.cli.app import MAX_LISTED, echo_listed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "openai_responses"
WARNING = "Batch lines not paired: custom_id inbox is on 3 input lines holding different requests"


def _batch(tmp_path: Path) -> Path:
    """The inbox incident's three exchanges as Batch input lines, then output lines."""
    lines = (FIXTURE / "exchanges.jsonl").read_text("utf-8").splitlines()[:3]
    exchanges = [json.loads(line) for line in lines]
    rows: list[dict] = [
        {"custom_id": "inbox", "method": "POST", "url": "/v1/responses", "body": x["request"]}
        for x in exchanges
    ]
    rows += [
        {
            "id": f"batch_req_{i}",
            "custom_id": "inbox",
            "response": {"status_code": 200, "request_id": f"req_{i}", "body": x["response"]},
            "error": None,
        }
        for i, x in enumerate(exchanges)
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    return path


def _told(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_blast_radius_tells_a_readers_warnings(il, tmp_path: Path, engine: str) -> None:
    """Both engines: the warning on stderr and under ``warnings``; ``scanned.records``
    is still sessions + rejected, the warning counted apart; exit 0."""
    log = _batch(tmp_path)
    bundle = tmp_path / "bundle"
    assert il("snapshot", "--from", log, "--out", bundle).exit_code == 0
    r = il("blast-radius", "--incident", bundle, "--from", log, "--engine", engine, "--json")
    assert r.exit_code == 0, r.stderr
    assert [line[:120] for line in _told(r.stderr)] == [f"warning: {log}:1: {WARNING}"[:120]]
    result = json.loads(r.stdout)
    assert result["scanned"] == {
        "files": 1,
        "records": 1,
        "sessions": 1,
        "rejected": 0,
        "warnings": 1,
    }
    assert [w.startswith(f"{log}:1: {WARNING}") for w in result["warnings"]] == [True]
    assert result["harm"]["sessions"] == 1
    written = json.loads((bundle / "followup" / "blast_radius.json").read_text("utf-8"))
    assert written["warnings"] == result["warnings"]


def test_confirm_tells_a_readers_warnings(il, tmp_path: Path) -> None:
    """Holding after the loop: exit 0, the warning on stderr, in the text's counts and
    under ``warnings`` in ``--json``; the records read are the accepted and rejected."""
    log = _batch(tmp_path)
    r = il("confirm", "--from", log, "--since", "2026-01-01T13:00:00Z")
    assert r.exit_code == 0, r.stderr
    assert _told(r.stderr)[0].startswith(f"warning: {log}:1: {WARNING}")
    assert "(1 records read, 0 rejected; 1 reader warning(s))" in r.stdout
    r = il("confirm", "--from", log, "--since", "2026-01-01T13:00:00Z", "--json")
    report = json.loads(r.stdout)
    assert r.exit_code == 0 and report["holding"] is True
    assert (report["records_read"], report["records_rejected"]) == (1, 0)
    assert [w.startswith(f"{log}:1: {WARNING}") for w in report["warnings"]] == [True]
    r = il("confirm", "--from", log, "--since", "2026-01-01T12:00:00Z", "--json")
    assert r.exit_code == 6 and len(_told(r.stderr)) == 1
    assert json.loads(r.stdout)["tool_calls_after"] == {"read_inbox": 1, "send_email": 1}


def test_add_tells_a_readers_warnings(il, tmp_path: Path) -> None:
    """``add --from`` the Batch file: the scenario is built from the one session, the
    warning on stderr and under ``warnings`` in ``--json``, no reject."""
    log = _batch(tmp_path)
    r = il("add", "--from", log, "--scenarios-dir", tmp_path / "scenarios", "--json")
    assert r.exit_code == 0, r.stderr
    assert _told(r.stderr)[0].startswith(f"warning: {log}:1: {WARNING}")
    result = json.loads(r.stdout)
    assert result["status"] == "created" and result["rejected"] == 0
    assert [w.startswith(f"{log}:1: {WARNING}") for w in result["warnings"]] == [True]


def test_warnings_kept_by_the_scan_are_capped_and_counted(capsys: pytest.CaptureFixture) -> None:
    """Blocks merged (the dask engine's parts): every warning counted, the first
    MAX_REJECT_SAMPLES kept; stderr shows MAX_LISTED of them and how many more, out of
    all of them, not of those kept."""
    total = Partial()
    for block in range(3):
        part = Partial()
        for i in range(60):
            part.warn(f"log.jsonl:{block * 60 + i + 1}: note")
        total.merge(part)
    assert total.warned == 180 and len(total.warnings) == MAX_REJECT_SAMPLES
    assert total.warnings[-1] == f"log.jsonl:{MAX_REJECT_SAMPLES}: note"
    assert (total.records, total.rejected) == (0, 0)
    echo_listed("warning", total.warnings, total.warned)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == MAX_LISTED + 1
    assert lines[-1] == f"warning: … and {180 - MAX_LISTED} more"
