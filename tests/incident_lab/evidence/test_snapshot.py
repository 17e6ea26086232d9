"""``take_snapshot`` / ``incident_lab snapshot``: bundle contents, selection, atomicity."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.evidence import load_bundle, take_snapshot
from incident_lab.evidence.manifest import content_digest
from incident_lab.evidence.verify import verify_bundle
from incident_lab.hookspecs import hookimpl
from incident_lab.plugins import get_plugin_manager
from incident_lab.readers import read_paths
from incident_lab.readers.base import Record
from incident_lab.trajectory import validation_errors
from tests.incident_lab.evidence.conftest import make_session, read_jsonl, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)


def test_bundle_has_every_file_and_a_valid_sealed_manifest(log: Path, tmp_path: Path) -> None:
    """The bundle holds the five files; the manifest validates, is sealed and hashes each file."""
    result = take_snapshot([log], out=tmp_path / "b", incident_id="INC-1", now=NOW)
    assert result.exit_code == 0
    names = sorted(p.name for p in result.bundle.iterdir())
    assert names == [
        "manifest.json",
        "metrics.json",
        "rejects.jsonl",
        "timeline.jsonl",
        "trajectories.jsonl",
    ]
    manifest = json.loads((result.bundle / "manifest.json").read_bytes())
    assert validation_errors(manifest, "manifest.v1") == []
    assert manifest["manifest_sha256"] == content_digest(manifest)
    assert manifest["incident_id"] == "INC-1"
    assert manifest["collected_at"] == "2026-02-01T13:00:00Z"
    assert manifest["tool"]["name"] == "incident-lab"
    assert set(manifest["collector"]) == {"user", "host"}
    for name in ("trajectories.jsonl", "metrics.json", "rejects.jsonl"):
        data = (result.bundle / name).read_bytes()
        assert manifest["files"][name] == {
            **{"size": len(data), "sha256": hashlib.sha256(data).hexdigest()},
            **({"lines": data.count(b"\n")} if name.endswith(".jsonl") else {}),
        }
    [source] = manifest["sources"]
    assert source["path"] == str(log.resolve())
    assert source["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert source["size"] == log.stat().st_size
    assert source["format"] == "native" and source["records"] == 20


def test_trajectories_are_normalised_and_keep_unknown_fields(log: Path, tmp_path: Path) -> None:
    """Each kept session is written validated, with its source and vendor fields preserved."""
    result = take_snapshot([log], out=tmp_path / "b", now=NOW)
    rows = read_jsonl(result.bundle / "trajectories.jsonl")
    assert [r["session_id"] for r in rows] == [f"sess-{i:04d}" for i in range(20)]
    assert rows[3]["x_vendor_field"] == {"kept": True}
    assert rows[3]["source"] == {"format": "native", "path": str(log), "line": 4}


def test_fast_native_path_matches_read_paths(tmp_path: Path) -> None:
    """The snapshot's native fast path accepts and rejects exactly what read_paths does."""
    rows: list[object] = [make_session(i) for i in range(6)]
    rows[1] = b"{not json"
    rows[2] = make_session(2, steps="nope")
    rows[3] = b"\xff\xfe broken"
    rows[4] = [1, 2]
    del rows[5]["schema_version"]  # type: ignore[union-attr]
    path = write_jsonl(tmp_path / "mixed.jsonl", rows, extra=b'{"truncated": ')
    expected = list(read_paths([str(path)]))
    result = take_snapshot([path], out=tmp_path / "b", now=NOW)
    accepted = read_jsonl(result.bundle / "trajectories.jsonl")
    rejects = read_jsonl(result.bundle / "rejects.jsonl")
    assert accepted == [json.loads(json.dumps(r.trajectory)) for _, r in expected if r.accepted]
    want = [(r.line, r.reason) for _, r in expected if not r.accepted]
    got = [(r["line"], r["reason"]) for r in rejects]
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, got_reason), (_, want_reason) in zip(got, want, strict=True):
        assert got_reason.split(":")[0] == want_reason.split(":")[0]
        if not want_reason.startswith("schema"):
            assert got_reason == want_reason


def test_counts_reconcile_read_accepted_rejected_filtered(tmp_path: Path) -> None:
    """read = accepted + rejected + filtered_out, with each bucket what it should be."""
    rows: list[object] = [make_session(i) for i in range(30)]
    rows[29] = make_session(29, steps=[{"type": "message"}])  # newest, kept, invalid
    rows[1] = b"garbage"
    path = write_jsonl(tmp_path / "log.jsonl", rows)
    result = take_snapshot([path], last=5, out=tmp_path / "b", now=NOW)
    counts = result.manifest["counts"]
    assert counts == {"read": 30, "accepted": 4, "rejected": 2, "filtered_out": 24}
    assert counts["read"] == counts["accepted"] + counts["rejected"] + counts["filtered_out"]
    assert result.exit_code == 5
    reasons = [r["reason"] for r in read_jsonl(result.bundle / "rejects.jsonl")]
    assert reasons[0].startswith("malformed JSON") and reasons[1].startswith("schema:")


def test_last_keeps_most_recent_by_started_at_with_file_order_ties(tmp_path: Path) -> None:
    """--last N: newest started_at wins; equal or missing times fall back to file order."""
    sessions = [
        make_session(0, started_at="2026-02-01T10:00:00Z"),
        make_session(1, started_at="2026-02-01T09:00:00Z"),
        make_session(
            2, started_at="2026-02-01T11:00:00+02:00"
        ),  # 09:00Z: tie with 1, later in file
        make_session(3),
        make_session(4, started_at="2026-01-31T00:00:00Z"),
    ]
    del sessions[3]["started_at"]
    path = write_jsonl(tmp_path / "log.jsonl", sessions)
    result = take_snapshot([path], last=3, out=tmp_path / "b", now=NOW)
    kept = [r["session_id"] for r in read_jsonl(result.bundle / "trajectories.jsonl")]
    assert kept == ["sess-0001", "sess-0002", "sess-0000"]
    result = take_snapshot([path], last=5, out=tmp_path / "c", now=NOW)
    kept = [r["session_id"] for r in read_jsonl(result.bundle / "trajectories.jsonl")]
    assert kept == ["sess-0003", "sess-0004", "sess-0001", "sess-0002", "sess-0000"]


def test_since_rfc3339_bound(log: Path, tmp_path: Path) -> None:
    """--since with an RFC 3339 time keeps sessions started at or after it."""
    result = take_snapshot([log], since="2026-02-01T12:00:15Z", out=tmp_path / "b", now=NOW)
    ids = [r["session_id"] for r in read_jsonl(result.bundle / "trajectories.jsonl")]
    assert ids == [f"sess-{i:04d}" for i in range(15, 20)]
    assert result.manifest["filters"]["since"] == "2026-02-01T12:00:15Z"


def test_since_relative_to_now(log: Path, tmp_path: Path) -> None:
    """--since 5s with now = 12:00:19Z keeps sessions started 12:00:14 .. 12:00:19."""
    now = datetime(2026, 2, 1, 12, 0, 19, tzinfo=UTC)
    result = take_snapshot([log], since="5s", out=tmp_path / "a", now=now)
    ids = [r["session_id"] for r in read_jsonl(result.bundle / "trajectories.jsonl")]
    assert ids == [f"sess-{i:04d}" for i in range(14, 20)]
    assert result.manifest["filters"]["since_arg"] == "5s"


def test_session_user_and_model_version_filters(log: Path, tmp_path: Path) -> None:
    """--session, --user and --model-version keep only matching sessions; the rest are filtered out."""
    result = take_snapshot(
        [log], sessions=["sess-0003", "sess-0004", "nope"], out=tmp_path / "a", now=NOW
    )
    assert [r["session_id"] for r in read_jsonl(result.bundle / "trajectories.jsonl")] == [
        "sess-0003",
        "sess-0004",
    ]
    result = take_snapshot(
        [log], users=["u1"], model_version="2024-08-06", out=tmp_path / "b", now=NOW
    )
    rows = read_jsonl(result.bundle / "trajectories.jsonl")
    assert {r["actor"]["user_id"] for r in rows} == {"u1"}
    assert {r["agent"]["model"]["version"] for r in rows} == {"2024-08-06"}
    assert result.manifest["counts"]["filtered_out"] == 20 - len(rows)
    assert result.manifest["declared"]["model_versions"] == ["2024-08-06"]


def test_policy_file_hash_is_declared_and_matched(log: Path, tmp_path: Path) -> None:
    """--policy records the file's SHA-256 and how many sessions ran under that hash."""
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(b"rules: []\n")
    digest = hashlib.sha256(b"rules: []\n").hexdigest()
    result = take_snapshot([log], policy=policy, out=tmp_path / "a", now=NOW)
    declared = result.manifest["declared"]["policy"]
    assert declared == {
        "path": str(policy.resolve()),
        "size": 10,
        "sha256": digest,
        "sessions_matching": 0,
    }
    rows = [make_session(i) for i in range(3)]
    rows[1]["agent"]["policy"]["hash"] = f"sha256:{digest}"
    path = write_jsonl(tmp_path / "l2.jsonl", rows)
    result = take_snapshot([path], policy=policy, out=tmp_path / "b", now=NOW)
    assert result.manifest["declared"]["policy"]["sessions_matching"] == 1
    assert len(result.manifest["policy_hashes_seen"]) == 2


def test_default_bundle_name_is_utc_timestamp_in_cwd(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out the bundle is ./incident_<UTC timestamp>, and incident_id defaults to its name."""
    monkeypatch.chdir(tmp_path)
    result = take_snapshot([log], now=NOW)
    assert result.bundle == tmp_path / "incident_2026-02-01T13-00-00Z"
    assert result.manifest["incident_id"] == "incident_2026-02-01T13-00-00Z"


def test_existing_bundle_is_never_overwritten(log: Path, tmp_path: Path, invoke) -> None:
    """A second snapshot to the same directory exits 3 and leaves the first bundle byte-identical."""
    first = take_snapshot([log], out=tmp_path / "b", now=NOW)
    before = {p.name: p.read_bytes() for p in first.bundle.iterdir()}
    with pytest.raises(UsageError, match="never overwritten"):
        take_snapshot([log], out=tmp_path / "b", now=NOW)
    code, _out, err = invoke("snapshot", "--from", log, "--out", tmp_path / "b")
    assert code == 3
    assert err.count("\n") == 1 and "already exists" in err
    assert {p.name: p.read_bytes() for p in first.bundle.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b")] == []


def test_sources_are_not_modified(log: Path, tmp_path: Path) -> None:
    """Sources keep their bytes and mtime after a snapshot."""
    os.utime(log, (1_700_000_000, 1_700_000_000))
    before = (log.read_bytes(), log.stat().st_mtime_ns)
    take_snapshot([log], last=3, out=tmp_path / "b", now=NOW)
    assert (log.read_bytes(), log.stat().st_mtime_ns) == before


class _ExplodingReader:
    """A plugin reader that yields two sessions and then fails, like a reader with a bug."""

    name = "exploding"
    description = "test reader that raises midway"

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def sniff(self, path: str, head: bytes) -> float:
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = 0) -> Iterator[Record]:
        yield Record(path, 1, trajectory=make_session(1))
        yield Record(path, 2, trajectory=make_session(2))
        raise self.exc


class _Plugin:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    @hookimpl
    def register_readers(self) -> list[_ExplodingReader]:
        return [_ExplodingReader(self.exc)]


@pytest.mark.parametrize("exc", [RuntimeError("reader bug"), KeyboardInterrupt()])
def test_interrupted_run_leaves_no_partial_bundle(
    log: Path, tmp_path: Path, fresh_plugins: None, invoke, exc: BaseException
) -> None:
    """A reader failing midway (or Ctrl-C) leaves neither the bundle nor its temp dir."""
    get_plugin_manager().register(_Plugin(exc), name="exploding-test")
    out = tmp_path / "out"
    out.mkdir()
    code, _stdout, err = invoke(
        "snapshot", "--from", log, "--format", "exploding", "--out", out / "b"
    )
    assert code == (130 if isinstance(exc, KeyboardInterrupt) else 4)
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_ctrl_c_while_reading_native_source_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a multi-MB native source (raised from the progress hook
    after the first MiB) removes the staged bundle: no bundle, no temp dir."""
    rows = [
        make_session(i, steps=[{"type": "message", "role": "user", "content": "x" * 4000}])
        for i in range(1000)
    ]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        take_snapshot([path], out=out / "b", progress=progress, now=NOW)
    assert seen[-1] < path.stat().st_size
    assert list(out.iterdir()) == []


def test_signed_snapshot_verifies_with_the_public_key(log: Path, tmp_path: Path) -> None:
    """--sign-key writes manifest.sig; verify --pubkey accepts it and rejects another key."""
    from incident_lab.evidence.signing import generate_keypair

    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    generate_keypair(tmp_path / "o.pem", tmp_path / "o.pub")
    result = take_snapshot([log], out=tmp_path / "b", sign_key=tmp_path / "k.pem", now=NOW)
    assert (result.bundle / "manifest.sig").is_file()
    assert verify_bundle(result.bundle, pubkey=tmp_path / "k.pub").ok
    report = verify_bundle(result.bundle, pubkey=tmp_path / "o.pub")
    assert [p for p in report.problems if p.startswith("signature:")]


def test_load_bundle_iterates_trajectories(log: Path, tmp_path: Path) -> None:
    """load_bundle exposes the manifest and streams the kept trajectories."""
    result = take_snapshot([log], last=4, out=tmp_path / "b", incident_id="INC-9", now=NOW)
    bundle = load_bundle(result.bundle)
    assert bundle.incident_id == "INC-9"
    assert [t["session_id"] for t in bundle.iter_trajectories()] == [
        f"sess-{i:04d}" for i in range(16, 20)
    ]
    assert load_bundle(result.bundle / "trajectories.jsonl").path == result.bundle
    with pytest.raises(InputError):
        load_bundle(tmp_path)


def test_cli_json_summary_on_stdout_only(log: Path, tmp_path: Path, invoke) -> None:
    """--json prints the summary as JSON on stdout; stderr stays empty when all is accepted."""
    code, out, err = invoke(
        "snapshot", "--from", log, "--last", "2", "--out", tmp_path / "b", "--json"
    )
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["counts"] == {"read": 20, "accepted": 2, "rejected": 0, "filtered_out": 18}
    assert summary["bundle"] == str(tmp_path / "b") and summary["exit_code"] == 0


def test_conflicting_selectors_exit_3(log: Path, tmp_path: Path, invoke) -> None:
    """--last with --since is bad usage: one line, exit 3, nothing written."""
    code, out, err = invoke(
        "snapshot", "--from", log, "--last", "2", "--since", "2h", "--out", tmp_path / "b"
    )
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "cannot be combined" in err
    assert not (tmp_path / "b").exists()


def test_nothing_matched_writes_no_bundle(log: Path, tmp_path: Path, invoke) -> None:
    """A filter that matches no session exits 3 without a bundle."""
    code, _out, err = invoke(
        "snapshot", "--from", log, "--session", "missing", "--out", tmp_path / "b"
    )
    assert code == 3 and "no session matched" in err
    assert not (tmp_path / "b").exists()
