"""Mutation-driven tests for ``evidence/verify.py`` (issue 14): each check's exact message.

Data files are rewritten *consistently* (the manifest's size, SHA-256 and line count
updated and the manifest re-sealed) so that only the check under test can fire, and
the tests compare the whole problem list.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import InputError
from incident_lab.evidence import take_snapshot
from incident_lab.evidence.manifest import serialise
from incident_lab.evidence.scan import CHUNK
from incident_lab.evidence.signing import generate_keypair, load_public_key
from incident_lab.evidence.validation import trajectory_problems
from incident_lab.evidence.verify import VerifyReport, verify_bundle
from tests.incident_lab.evidence.conftest import make_session, seal_problems, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)
TRAJ, REJ = "trajectories.jsonl", "rejects.jsonl"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mutverify")
    rows: list[object] = [make_session(i) for i in range(12)]
    rows[5] = b"{broken"
    src = write_jsonl(root / "log.jsonl", rows)
    generate_keypair(root / "k.pem", root / "k.pub")
    generate_keypair(root / "o.pem", root / "o.pub")
    take_snapshot([src], out=root / "signed", sign_key=root / "k.pem", now=NOW)
    return take_snapshot([src], out=root / "bundle", now=NOW).bundle


@pytest.fixture
def bundle(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "bundle"))


@pytest.fixture
def signed(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine.parent / "signed", tmp_path / "signed"))


def _manifest(bundle: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((bundle / "manifest.json").read_bytes())
    return result


def _rewrite(bundle: Path, name: str, data: bytes, **counts: int) -> None:
    """Replace a data file and update its manifest entry (and counts) consistently."""
    (bundle / name).write_bytes(data)
    manifest = _manifest(bundle)
    entry = manifest["files"][name]
    entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    if "lines" in entry:
        entry["lines"] = len(data.splitlines())
    manifest["counts"].update(counts)
    if "read" in counts:
        manifest["sources"][0]["records"] = counts["read"]
    (bundle / "manifest.json").write_bytes(serialise(manifest))


def _reseal(bundle: Path, manifest: dict[str, Any]) -> None:
    (bundle / "manifest.json").write_bytes(serialise(manifest))


def test_intact_report_and_stats(bundle: Path) -> None:
    report = verify_bundle(bundle)
    manifest = _manifest(bundle)
    size = sum((bundle / n).stat().st_size for n in ("manifest.json", "timeline.jsonl"))
    size += sum(meta["size"] for meta in manifest["files"].values())
    assert report.problems == [] and report.notes == [] and report.followup == []
    assert report.stats == {
        "signature": "absent",
        "timeline_events": 1,
        "incident_id": manifest["incident_id"],
        "sessions": 11,
        "rejects": 1,
        "bytes_checked": size,
    }
    assert report.as_dict() == {
        "bundle": str(bundle),
        "ok": True,
        "problems": [],
        "followup": [],
        "notes": [],
        **report.stats,
    }
    assert VerifyReport(bundle, problems=["x"]).as_dict()["ok"] is False


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such bundle directory"):
        verify_bundle(tmp_path / "absent")


@pytest.mark.parametrize(("bad", "more"), [(20, None), (21, 1), (25, 5)])
def test_bad_trajectory_lines_are_capped(bundle: Path, bad: int, more: int | None) -> None:
    _rewrite(bundle, TRAJ, b"not json\n" * bad)
    mine = [p for p in verify_bundle(bundle).problems if p.startswith(f"changed: {TRAJ}:")]
    expected = [f"changed: {TRAJ}:{n}: not valid JSON" for n in range(1, 21)]
    if more is not None:
        expected.append(f"changed: {TRAJ}: {more} more bad lines")
    assert mine == expected


def test_each_kind_of_bad_trajectory_line(bundle: Path) -> None:
    good = json.dumps(make_session(0)).encode() + b"\n"
    deep = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    _rewrite(bundle, TRAJ, good + b"{x\n" + deep + b'{"a": 1}\n' + good, accepted=5, read=6)
    problems = verify_bundle(bundle).problems
    mine = [p for p in problems if p.startswith(f"changed: {TRAJ}:")]
    assert mine[:2] == [
        f"changed: {TRAJ}:2: not valid JSON",
        f"changed: {TRAJ}:3: not valid JSON (nested too deeply to parse)",
    ]
    first_error = trajectory_problems({"a": 1})[0]
    assert mine[2] == f"changed: {TRAJ}:4: invalid trajectory: {first_error}"
    assert len(mine) == 3
    assert f"changed: {TRAJ} has 5 lines, counts.accepted says 5" not in problems


def test_reject_rows(bundle: Path) -> None:
    rows = [
        {"source": "s", "line": None, "reason": "r"},
        {"source": "s", "line": 3, "reason": "r"},
        {"source": "s", "reason": "r"},
        "{nope",
        {"source": "s", "line": True, "reason": "r"},
        {"source": "s", "line": "3", "reason": "r"},
        {"source": 1, "line": 3, "reason": "r"},
        {"source": "s", "line": 3, "reason": None},
        [1],
        {"source": "s", "line": 2**70, "reason": "r"},
    ]
    data = b"".join((r if isinstance(r, str) else json.dumps(r)).encode() + b"\n" for r in rows)
    _rewrite(bundle, REJ, data, rejected=len(rows), read=11 + len(rows))
    problems = verify_bundle(bundle).problems
    not_row = "not a reject row (needs source, line, reason)"
    assert problems == [
        f"changed: {REJ}:4: not valid JSON",
        *[f"changed: {REJ}:{n}: {not_row}" for n in (5, 6, 7, 8, 9)],
    ]


def test_rejects_split_across_chunks_and_line_endings(bundle: Path) -> None:
    """A CR LF pair cut by the read chunk is one line break, and a last line may lack one."""
    row = {"source": "s", "line": 1, "reason": ""}
    head = json.dumps(row).encode()
    first = json.dumps({**row, "reason": "x" * (CHUNK - 1 - len(head))}).encode()
    assert len(first) == CHUNK - 1
    data = first + b"\r\n" + head + b"\r" + head + b"\n" + head
    _rewrite(bundle, REJ, data, rejected=4, read=15)
    report = verify_bundle(bundle)
    assert report.problems == [] and report.stats["rejects"] == 4


def test_signature_states(bundle: Path, signed: Path, pristine: Path) -> None:
    keys = pristine.parent
    report = verify_bundle(signed)
    assert (report.stats["signature"], report.notes) == (
        "not checked",
        ["manifest.sig present but not checked (pass --pubkey)"],
    )
    assert report.ok
    report = verify_bundle(signed, pubkey=keys / "k.pub")
    assert (report.stats["signature"], report.notes, report.problems) == ("valid", [], [])
    report = verify_bundle(signed, pubkey=keys / "o.pub")
    assert report.stats["signature"] == "invalid"
    assert report.problems[0] == (
        f"signature: manifest.sig does not verify manifest.json with {keys / 'o.pub'}"
    )
    report = verify_bundle(bundle, pubkey=keys / "k.pub")
    assert report.stats["signature"] == "missing"
    assert report.problems == [
        "missing: manifest.sig (--pubkey given, but the bundle is not signed)",
        "signature: timeline.jsonl:1: event signature missing",
    ]
    (signed / "manifest.sig").write_bytes(b"A" * 4097)
    report = verify_bundle(signed, pubkey=keys / "k.pub")
    assert report.stats["signature"] == "invalid"
    assert report.problems == ["signature: manifest.sig is too large to be a signature"]


def test_manifest_missing_or_too_large(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import incident_lab.evidence.verify as verify

    monkeypatch.setattr(verify, "MAX_MANIFEST_BYTES", 64)
    assert verify_bundle(bundle).problems == [
        "manifest edited: manifest.json is larger than 64 bytes"
    ]
    (bundle / "manifest.json").unlink()
    assert verify_bundle(bundle).problems == [
        "missing: manifest.json (nothing else can be checked)"
    ]


def test_size_and_digest_are_reported_apart(bundle: Path) -> None:
    path = bundle / "metrics.json"
    data = path.read_bytes()
    size = len(data)
    path.write_bytes(data + b" ")
    problems = verify_bundle(bundle).problems
    assert problems[0] == f"changed: metrics.json is {size + 1} bytes, the manifest says {size}"
    assert not any("SHA-256" in p for p in problems)
    path.write_bytes(data[:-2] + b" \n")
    assert (
        verify_bundle(bundle).problems[0]
        == "changed: metrics.json: SHA-256 differs from the manifest"
    )


def test_added_renamed_and_missing_entries(bundle: Path) -> None:
    (bundle / "extra").mkdir()
    (bundle / "followup").mkdir()
    (bundle / "followup" / "a.md").write_text("x")
    (bundle / "metrics.json").rename(bundle / "m2.json")
    (bundle / "timeline.jsonl").rename(bundle / "t.jsonl")
    (bundle / "notes.txt").write_text('{"a": 1}\n')
    (bundle / "list.txt").write_text("[1]\n")
    (bundle / "rejects.jsonl").unlink()
    report = verify_bundle(bundle)
    assert report.problems == [
        "added: extra/ (directory not in the manifest)",
        "added: list.txt (not in the manifest)",
        "renamed: metrics.json -> m2.json",
        "added: notes.txt (not in the manifest)",
        "renamed: timeline.jsonl -> t.jsonl",
        "missing: rejects.jsonl",
    ]
    assert report.followup == ["followup/a.md"]
    assert "timeline_events" not in report.stats and report.stats["rejects"] is None


def test_followup_that_is_a_file_is_added(bundle: Path) -> None:
    (bundle / "followup").write_text("x")
    (bundle / "timeline.jsonl").unlink()
    assert verify_bundle(bundle).problems == [
        "added: followup (not in the manifest)",
        "missing: timeline.jsonl",
    ]


def test_timeline_too_large(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import incident_lab.evidence.verify as verify

    monkeypatch.setattr(verify, "MAX_TIMELINE_BYTES", 10)
    (bundle / "x.txt").write_text("x")
    assert verify_bundle(bundle).problems == [
        "changed: timeline.jsonl is larger than 10 bytes",
        "added: x.txt (not in the manifest)",
        "missing: timeline.jsonl",
    ]


def test_counts_that_do_not_add_up(bundle: Path) -> None:
    manifest = _manifest(bundle)
    manifest["counts"]["read"] = 14
    manifest["files"][TRAJ]["lines"] = 99
    _reseal(bundle, manifest)
    problems = verify_bundle(bundle).problems
    assert problems == [
        "manifest edited: counts do not add up (read != accepted + rejected + filtered_out)",
        "manifest edited: records per source do not add up to counts.read",
        f"changed: {TRAJ} has 11 lines, the manifest's files entry says 99",
    ]
    manifest["counts"].update(read=13, filtered_out=1)
    manifest["sources"][0]["records"] = 13
    manifest["files"][TRAJ]["lines"] = 11
    manifest["counts"]["rejected"] = 0
    manifest["counts"]["filtered_out"] = 2
    _reseal(bundle, manifest)
    assert verify_bundle(bundle).problems == [f"changed: {REJ} has 1 lines, counts.rejected says 0"]


@pytest.mark.parametrize("field", ["model_versions_seen", "policy_hashes_seen"])
def test_seen_lists_are_recomputed(bundle: Path, field: str) -> None:
    manifest = _manifest(bundle)
    manifest[field] = manifest[field][:1] + manifest[field][:1]
    _reseal(bundle, manifest)
    assert verify_bundle(bundle).problems == [
        f"manifest edited: {field} does not match the trajectories"
    ]


@pytest.mark.parametrize(("matching", "ok"), [(11, True), (10, False), (0, False), (12, False)])
def test_declared_policy_sessions_matching(bundle: Path, matching: int, ok: bool) -> None:
    manifest = _manifest(bundle)
    digest = manifest["policy_hashes_seen"][0]["hash"].removeprefix("sha256:")
    manifest["declared"]["policy"] = {
        "path": "p.yaml",
        "size": 1,
        "sha256": digest,
        "sessions_matching": matching,
    }
    _reseal(bundle, manifest)
    problems = verify_bundle(bundle).problems
    expected = (
        []
        if ok
        else ["manifest edited: declared.policy.sessions_matching does not match the trajectories"]
    )
    assert [p for p in problems if "schema" not in p] == expected, problems


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json\n", "changed: metrics.json is not valid JSON"),
        (
            b"[1, 2]\n",
            f"changed: metrics.json differs from the metrics recomputed from {TRAJ} ((all))",
        ),
    ],
)
def test_metrics_file_content(bundle: Path, data: bytes, message: str) -> None:
    _rewrite(bundle, "metrics.json", data)
    assert verify_bundle(bundle).problems == [message]


def test_metrics_file_names_every_differing_key(bundle: Path) -> None:
    metrics = json.loads((bundle / "metrics.json").read_bytes())
    metrics["zzz"] = 1
    del metrics["block_rate"]
    _rewrite(bundle, "metrics.json", json.dumps(metrics).encode())
    assert verify_bundle(bundle).problems == [
        f"changed: metrics.json differs from the metrics recomputed from {TRAJ} (block_rate, zzz)"
    ]


def test_seal_problems_on_bytes(signed: Path, pristine: Path) -> None:
    keys = pristine.parent
    manifest = (signed / "manifest.json").read_bytes()
    sig = (signed / "manifest.sig").read_bytes()
    timeline = (signed / "timeline.jsonl").read_bytes()
    pub = load_public_key(keys / "k.pub")
    assert seal_problems(manifest, sig, timeline, pub) == []
    assert seal_problems(manifest, None, timeline) == []
    assert seal_problems(manifest, sig, None) == ["missing: timeline.jsonl"]
    assert seal_problems(manifest, None, timeline, pub) == [
        "missing: manifest.sig (--pubkey given, but the bundle is not signed)"
    ]
    other = load_public_key(keys / "o.pub")
    assert seal_problems(manifest, sig, timeline, other)[0] == (
        "signature: manifest.sig does not verify manifest.json with the key"
    )
    assert seal_problems(manifest, sig, timeline + timeline, None) != []
    assert seal_problems(b"{", sig, None) != [] and "missing: timeline.jsonl" not in seal_problems(
        b"{", sig, None
    )


def test_empty_data_files_count_zero_lines(bundle: Path) -> None:
    _rewrite(bundle, TRAJ, b"")
    _rewrite(bundle, REJ, b"")
    report = verify_bundle(bundle)
    assert (report.stats["sessions"], report.stats["rejects"]) == (0, 0)
    assert f"changed: {TRAJ} has 0 lines, counts.accepted says 11" in report.problems
    assert f"changed: {REJ} has 0 lines, counts.rejected says 1" in report.problems


def test_line_ending_exactly_at_a_chunk_boundary(bundle: Path) -> None:
    row = {"source": "s", "line": 1, "reason": ""}
    head = json.dumps(row).encode()
    first = json.dumps({**row, "reason": "x" * (CHUNK - 1 - len(head))}).encode()
    data = first + b"\n" + head + b"\n"
    _rewrite(bundle, REJ, data, rejected=2, read=13)
    report = verify_bundle(bundle)
    assert report.problems == [] and report.stats["rejects"] == 2


def test_seal_problems_keeps_every_problem(signed: Path, pristine: Path) -> None:
    keys = pristine.parent
    manifest = (signed / "manifest.json").read_bytes()
    sig = (signed / "manifest.sig").read_bytes()
    timeline = (signed / "timeline.jsonl").read_bytes()
    other = load_public_key(keys / "o.pub")
    doc = json.loads(manifest)
    doc["incident_id"] += "X"
    edited = json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"
    problems = seal_problems(edited, sig, timeline, other)
    assert problems[0].startswith("manifest edited: ")
    assert "signature: manifest.sig does not verify manifest.json with the key" in problems
    problems = seal_problems(manifest, sig, timeline, other)
    assert problems[-1] == "signature: timeline.jsonl:1: event signature invalid"


def test_not_a_directory_error_fields(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        verify_bundle(tmp_path / "absent")
    assert (info.value.message, info.value.path, info.value.hint) == (
        "no such bundle directory",
        str(tmp_path / "absent"),
        "check the path",
    )


def test_unreadable_file_is_an_input_error(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import incident_lab.evidence.verify as verify

    def refuse(path: str) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(verify, "hash_file", refuse)
    with pytest.raises(InputError) as info:
        verify_bundle(bundle)
    assert (info.value.message, info.value.hint) == (
        "cannot read the bundle: Permission denied",
        "check the file's permissions",
    )
    assert info.value.path == str(bundle / "metrics.json")


def test_crash_inside_a_check_is_reported_as_damage(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import incident_lab.evidence.verify as verify

    def boom(*args: object) -> None:
        raise KeyError("x")

    monkeypatch.setattr(verify, "_check_counts", boom)
    assert verify_bundle(bundle).problems == [
        "manifest edited: malformed bundle structure (KeyError: 'x')"
    ]


def test_unsealed_extra_event_fails_head_and_count(bundle: Path) -> None:
    from incident_lab.evidence import append_event

    manifest = (bundle / "manifest.json").read_bytes()
    append_event(bundle, {"action": "contain"})
    (bundle / "manifest.json").write_bytes(manifest)
    assert verify_bundle(bundle).problems == [
        "changed: timeline.jsonl: last event is not the head sealed in the manifest "
        "(timeline.head_sha256: events were added, removed or re-chained)",
        "changed: timeline.jsonl has 2 events, the manifest's timeline.events says 1",
    ]


def test_rejects_count_checked_without_trajectories(bundle: Path) -> None:
    row = json.dumps({"source": "s", "line": 1, "reason": "r"}).encode() + b"\n"
    _rewrite(bundle, REJ, row * 2)
    (bundle / TRAJ).unlink()
    problems = verify_bundle(bundle).problems
    assert f"changed: {REJ} has 2 lines, counts.rejected says 1" in problems
    assert f"missing: {TRAJ}" in problems
