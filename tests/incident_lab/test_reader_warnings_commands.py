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

from incident_lab import readers
from incident_lab.blast.scan import MAX_REJECT_SAMPLES, Partial
from incident_lab.cli.app import MAX_LISTED, echo_listed
from incident_lab.errors import InputError
from incident_lab.readers.base import MAX_WARNINGS_KEPT, Record
from incident_lab.scenarios.library import _read_sessions

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


def _batches(tmp_path: Path, files: int) -> Path:
    """A folder of ``files`` copies of the Batch file: one warning each."""
    one = _batch(tmp_path).read_text("utf-8")
    folder = tmp_path / "logs"
    folder.mkdir()
    for n in range(files):
        (folder / f"batch{n:03}.jsonl").write_text(one, "utf-8")
    return folder


def test_confirm_keeps_at_most_max_warnings_kept_and_counts_all(il, tmp_path: Path) -> None:
    """Review revresp39 L6: confirm kept every warning, and its report (also written to
    the incident's timeline) grew with them. 102 files of one warning each: the first
    MAX_WARNINGS_KEPT kept, all 102 counted in the text, ``warnings_total`` and stderr's
    "and N more"."""
    logs = _batches(tmp_path, MAX_WARNINGS_KEPT + 2)
    since = ("--since", "2026-01-01T13:00:00Z")
    r = il("confirm", "--from", logs, *since, "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["records_read"], report["records_rejected"]) == (102, 0)
    assert len(report["warnings"]) == MAX_WARNINGS_KEPT and report["warnings_total"] == 102
    assert _told(r.stderr)[-1] == f"warning: … and {102 - MAX_LISTED} more"
    r = il("confirm", "--from", logs, *since)
    assert "(102 records read, 0 rejected; 102 reader warning(s))" in r.stdout


def test_blast_radius_tells_how_many_warnings_past_those_kept(il, tmp_path: Path) -> None:
    """102 warnings, 100 kept: stderr's count is of all of them (review revresp39 L5)."""
    logs = _batches(tmp_path, MAX_REJECT_SAMPLES + 2)
    bundle = tmp_path / "bundle"
    assert il("snapshot", "--from", logs / "batch000.jsonl", "--out", bundle).exit_code == 0
    r = il("blast-radius", "--incident", bundle, "--from", logs, "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["scanned"]["warnings"] == 102 and len(result["warnings"]) == 100
    assert _told(r.stderr)[-1] == f"warning: … and {102 - MAX_LISTED} more"


def test_a_part_keeps_at_most_max_reject_samples_warnings() -> None:
    """One part (the local engine's one file) keeps the first MAX_REJECT_SAMPLES
    warnings, counting all (review revresp39 L5)."""
    part = Partial()
    for i in range(MAX_REJECT_SAMPLES + 50):
        part.warn(f"log.jsonl:{i + 1}: note")
    assert part.warned == MAX_REJECT_SAMPLES + 50 and len(part.warnings) == MAX_REJECT_SAMPLES


def test_add_keeps_at_most_max_warnings_kept_and_tells_them_with_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review revresp39 L5/L6: add's reading keeps the first MAX_WARNINGS_KEPT warnings
    and counts all; with no session read, its error names the rejects and the warnings."""
    log = _batch(tmp_path)
    notes = [Record(str(log), n, warning="note") for n in range(1, MAX_WARNINGS_KEPT + 3)]
    reject = Record(str(log), 200, reason="not a record")
    monkeypatch.setattr(readers, "read_paths", lambda paths, fmt: [("x", r) for r in notes])
    with pytest.raises(InputError) as raised:
        _read_sessions(log, None)
    assert str(raised.value.args[0]) == (
        f"no valid trajectory found ({MAX_WARNINGS_KEPT + 2} reader warning(s); "
        f"first: {log}:1: note)"
    )
    session = Record(str(log), 1, trajectory={"session_id": "s"})
    records = [("x", r) for r in [*notes, reject, session]]
    monkeypatch.setattr(readers, "read_paths", lambda paths, fmt: records)
    accepted, rejects, (kept, warned) = _read_sessions(log, None)
    assert (len(accepted), rejects) == (1, [f"{log}:200: not a record"])
    assert (len(kept), warned) == (MAX_WARNINGS_KEPT, MAX_WARNINGS_KEPT + 2)


def test_confirm_keeps_at_most_max_warnings_kept_rejects_and_counts_all(tmp_path: Path) -> None:
    """Review revfinal39b L2: confirm kept every reject's line in memory (a garbage file of
    a million lines, a million strings). The first MAX_WARNINGS_KEPT are kept, each with its
    file and line; ``rejected`` counts all."""
    from datetime import UTC, datetime

    from incident_lab.adapters.confirm import confirm_containment

    log = tmp_path / "live.jsonl"
    log.write_text("{not json\n" * (MAX_WARNINGS_KEPT + 50), "utf-8")
    since = datetime(2026, 1, 1, tzinfo=UTC)
    report = confirm_containment([str(log)], since, "native")
    assert (report.read, report.rejected) == (MAX_WARNINGS_KEPT + 50, MAX_WARNINGS_KEPT + 50)
    assert len(report.rejects) == MAX_WARNINGS_KEPT
    assert report.rejects[0].startswith(f"{log}:1: ")
    assert report.rejects[-1].startswith(f"{log}:{MAX_WARNINGS_KEPT}: ")
    assert MAX_REJECT_SAMPLES == MAX_WARNINGS_KEPT  # one cap for kept samples
