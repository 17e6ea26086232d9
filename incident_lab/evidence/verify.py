"""``verify_bundle``: recompute everything a bundle claims and list every discrepancy.

Checks, each failure one line: the manifest (valid JSON, schema, canonical bytes,
content digest, counts that add up), every file it lists (present, size, SHA-256,
line counts), files that are missing, added or renamed, every trajectory line
(valid JSON and a valid ``trajectory/v1``), every reject row's shape, ``metrics.json``
recomputed from the trajectories, the model versions and policy hashes seen, the
timeline's hash chain, and (with a public key) the Ed25519 signature. Files under
``followup/`` are listed as follow-up artifacts and never fail a verify.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError
from incident_lab.evidence.bundle import FOLLOWUP
from incident_lab.evidence.fastjson import MISSING, fast_loads
from incident_lab.evidence.manifest import (
    HASHED_FILES,
    MANIFEST,
    METRICS,
    REJECTS,
    SIGNATURE,
    TRAJECTORIES,
    manifest_problems,
)
from incident_lab.evidence.metrics import MetricsCollector
from incident_lab.evidence.scan import CHUNK, HashingFile, hash_file
from incident_lab.evidence.signing import load_public_key, signature_ok
from incident_lab.evidence.timeline import TIMELINE, check_timeline, event_digest
from incident_lab.evidence.validation import fast_is_valid, trajectory_problems
from incident_lab.readers.base import read_bounded

#: Per-line problems listed for one file before the rest are summarised.
MAX_LINE_PROBLEMS = 20
#: Bounds for the files verify reads whole (a real manifest or metrics.json is KBs).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_TIMELINE_BYTES = 64 * 1024 * 1024
_UNHASHED = {MANIFEST, SIGNATURE, TIMELINE}


@dataclass
class VerifyReport:
    """The outcome of verifying one bundle.

    Attributes:
        bundle: The directory verified.
        problems: One line per discrepancy; empty when the bundle is intact.
        followup: Files under ``followup/`` (listed, not checked).
        notes: Things worth saying that are not failures (e.g. signature not checked).
        stats: Sessions, bytes and events checked.
    """

    bundle: Path
    problems: list[str] = field(default_factory=list)
    followup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no discrepancy was found."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """The report as ``verify --json`` prints it."""
        return {
            "bundle": str(self.bundle),
            "ok": self.ok,
            "problems": self.problems,
            "followup": self.followup,
            "notes": self.notes,
            **self.stats,
        }


class _LineProblems:
    def __init__(self, name: str, out: list[str]) -> None:
        self.name, self.out, self.count = name, out, 0

    def add(self, line: int, text: str) -> None:
        self.count += 1
        if self.count <= MAX_LINE_PROBLEMS:
            self.out.append(f"changed: {self.name}:{line}: {text}")

    def close(self) -> None:
        if self.count > MAX_LINE_PROBLEMS:
            self.out.append(
                f"changed: {self.name}: {self.count - MAX_LINE_PROBLEMS} more bad lines"
            )


def _scan_trajectories(path: Path, problems: list[str]) -> tuple[int, str, int, MetricsCollector]:
    """One pass: size, SHA-256, line count, validity of each line, metrics rows."""
    collector = MetricsCollector()
    bad = _LineProblems(TRAJECTORIES, problems)
    raw = HashingFile(str(path))
    lines = 0
    try:
        with io.BufferedReader(raw, buffer_size=CHUNK) as fh:
            for lines, line in enumerate(fh, start=1):
                obj = fast_loads(line)
                if obj is not MISSING and fast_is_valid(obj):
                    # Exact: the stdlib parses this line to an equal value except that an
                    # integer beyond 64 bits is an int where orjson has a float, and no
                    # such value can change this verdict (the fast check wants 64-bit
                    # ints as int, takes int or float for a score, ignores free-form
                    # values) or the metrics rows (strings, step kinds, booleans).
                    collector.add(obj)
                    continue
                try:
                    obj = json.loads(line)  # the authority, and its verdict's wording
                except ValueError:
                    bad.add(lines, "not valid JSON")
                    continue
                except RecursionError:
                    bad.add(lines, "not valid JSON (nested too deeply to parse)")
                    continue
                errors = trajectory_problems(obj)
                if errors:
                    bad.add(lines, "invalid trajectory: " + errors[0])
                else:
                    collector.add(obj)
    finally:
        raw.close()
    bad.close()
    return raw.size, raw.sha256.hexdigest(), lines, collector


def _split_lines(path: Path) -> tuple[HashingFile, Iterator[bytes]]:
    """Hash ``path`` and yield its lines as ``bytes.splitlines`` splits them, streaming."""
    raw = HashingFile(str(path))

    def lines() -> Iterator[bytes]:
        pending = b""
        try:
            while chunk := raw.read(CHUNK):
                parts = (pending + chunk).splitlines(keepends=True)
                # The last part may continue in the next chunk (a "\r" too: "\r\n").
                pending = parts.pop()
                yield from parts
        finally:
            raw.close()
        if pending:
            yield pending

    return raw, lines()


def _is_reject_row(row: object) -> bool:
    """A ``rejects.jsonl`` row names its source and reason (and a line number or null)."""
    if type(row) is not dict:
        return False
    line = row.get("line")
    return (
        type(row.get("source")) is str
        and type(row.get("reason")) is str
        and (line is None or type(line) is int)
    )


def _scan_rejects(path: Path, problems: list[str]) -> tuple[int, str, int]:
    bad = _LineProblems(REJECTS, problems)
    raw, lines = _split_lines(path)
    no = 0
    for no, line in enumerate(lines, start=1):
        # orjson's value passes only if the stdlib's does (str, None and 64-bit ints are
        # read identically); anything else is decided on the stdlib's value.
        if _is_reject_row(fast_loads(line)):
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            bad.add(no, "not valid JSON")
            continue
        if not _is_reject_row(row):
            bad.add(no, "not a reject row (needs source, line, reason)")
    bad.close()
    return raw.size, raw.sha256.hexdigest(), no


def _list_followup(root: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(root.parent)) for p in root.rglob("*") if p.is_file())
        if root.is_dir()
        else []
    )


def verify_bundle(directory: str | Path, *, pubkey: str | Path | None = None) -> VerifyReport:
    """Verify an evidence bundle.

    Args:
        directory: The ``incident_<timestamp>/`` directory.
        pubkey: An Ed25519 public key (PEM); when given, ``manifest.sig`` must verify.

    Returns:
        A report; ``report.ok`` is False when anything differs from the manifest.

    Raises:
        InputError: ``directory`` is not a directory.
        UsageError: ``pubkey`` holds no Ed25519 key.
    """
    root = Path(directory)
    if not root.is_dir():
        raise InputError("no such bundle directory", path=str(directory), hint="check the path")
    public_key = load_public_key(pubkey) if pubkey is not None else None
    report = VerifyReport(root)
    try:
        _verify_into(report, root, public_key, pubkey)
    except OSError as exc:
        raise InputError(
            f"cannot read the bundle: {exc.strerror or exc}",
            path=str(exc.filename or root),
            hint="check the file's permissions",
        ) from None
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        # Every structure verify relies on was schema-checked first; this is the last
        # line of defence so that no damaged bundle can crash verify (it is damage).
        report.problems.append(
            f"manifest edited: malformed bundle structure ({type(exc).__name__}: {exc})"
        )
    return report


def _verify_into(report: VerifyReport, root: Path, public_key: object, pubkey: Any) -> None:
    problems = report.problems
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        problems.append(f"missing: {MANIFEST} (nothing else can be checked)")
        return
    manifest_bytes = read_bounded(manifest_path, MAX_MANIFEST_BYTES)
    if manifest_bytes is None:
        problems.append(f"manifest edited: {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
        return
    manifest, found = manifest_problems(manifest_bytes)
    problems.extend(found)
    _check_signature(root, manifest_bytes, public_key, pubkey, report)
    if manifest is None:
        return

    expected: dict[str, Any] = manifest["files"]
    on_disk = {p.name: p for p in root.iterdir()}
    missing: list[str] = []
    collector: MetricsCollector | None = None
    traj_lines = reject_lines = None
    total_bytes = len(manifest_bytes)
    for name, meta in sorted(expected.items()):
        path = on_disk.get(name)
        if path is None or not path.is_file():
            missing.append(name)
            continue
        if name == TRAJECTORIES:
            size, digest, traj_lines, collector = _scan_trajectories(path, problems)
        elif name == REJECTS:
            size, digest, reject_lines = _scan_rejects(path, problems)
        else:
            size, digest = hash_file(str(path))
        total_bytes += size
        if size != meta.get("size"):
            problems.append(
                f"changed: {name} is {size} bytes, the manifest says {meta.get('size')}"
            )
        elif digest != meta.get("sha256"):
            problems.append(f"changed: {name}: SHA-256 differs from the manifest")
    for name in HASHED_FILES:
        if name not in expected:
            problems.append(f"manifest edited: {name} is not listed in the manifest's files")

    timeline_bytes = _check_added(root, on_disk, expected, missing, manifest, report)
    for name in missing:
        problems.append(f"missing: {name}")
    if timeline_bytes is not None:
        events, timeline_problems = _timeline_problems(manifest, timeline_bytes, public_key)
        problems.extend(timeline_problems)
        total_bytes += len(timeline_bytes)
        report.stats["timeline_events"] = len(events)

    _check_counts(manifest, traj_lines, reject_lines, problems)
    if collector is not None:
        _check_metrics(root, manifest, collector, problems)
    report.followup = _list_followup(root / FOLLOWUP)
    report.stats.update(
        {
            "incident_id": manifest.get("incident_id"),
            "sessions": traj_lines,
            "rejects": reject_lines,
            "bytes_checked": total_bytes,
        }
    )


def _signature_problem(
    manifest_bytes: bytes, sig_bytes: bytes | None, public_key: object, label: Any
) -> tuple[str, str | None]:
    """``(state, problem)`` of ``manifest.sig`` against the manifest's bytes."""
    if sig_bytes is None:
        return "missing", f"missing: {SIGNATURE} (--pubkey given, but the bundle is not signed)"
    if signature_ok(manifest_bytes, sig_bytes, public_key):
        return "valid", None
    return "invalid", f"signature: {SIGNATURE} does not verify {MANIFEST} with {label}"


def _timeline_problems(
    manifest: dict[str, Any], timeline_bytes: bytes, public_key: object
) -> tuple[list[dict[str, Any]], list[str]]:
    sealed = manifest["timeline"]
    return check_timeline(
        timeline_bytes,
        sealed.get("genesis_sha256"),
        head_sha256=sealed.get("head_sha256"),
        events_count=sealed.get("events"),
        public_key=public_key,
    )


def _check_signature(
    root: Path, manifest_bytes: bytes, public_key: object, pubkey: Any, report: VerifyReport
) -> None:
    sig_path = root / SIGNATURE
    if public_key is None:
        report.stats["signature"] = "not checked" if sig_path.is_file() else "absent"
        if sig_path.is_file():
            report.notes.append(f"{SIGNATURE} present but not checked (pass --pubkey)")
        return
    sig_bytes = read_bounded(sig_path, 4096) if sig_path.is_file() else None
    state, problem = _signature_problem(manifest_bytes, sig_bytes, public_key, pubkey)
    if sig_bytes is None and sig_path.is_file():
        state, problem = "invalid", f"signature: {SIGNATURE} is too large to be a signature"
    report.stats["signature"] = state
    if problem:
        report.problems.append(problem)


def _read_timeline(
    on_disk: dict[str, Path], missing: list[str], report: VerifyReport
) -> tuple[bytes | None, dict[str, Path]]:
    """The timeline's bytes (None, and listed as missing, if gone or too large) and the
    files on disk left to account for (without a too-large timeline)."""
    timeline_bytes = (
        read_bounded(on_disk[TIMELINE], MAX_TIMELINE_BYTES)
        if TIMELINE in on_disk and on_disk[TIMELINE].is_file()
        else None
    )
    if timeline_bytes is None and TIMELINE in on_disk and on_disk[TIMELINE].is_file():
        report.problems.append(f"changed: {TIMELINE} is larger than {MAX_TIMELINE_BYTES} bytes")
        on_disk = {k: v for k, v in on_disk.items() if k != TIMELINE}
    if timeline_bytes is None:
        missing.append(TIMELINE)
    return timeline_bytes, on_disk


def _renamed_from(
    path: Path, missing: list[str], expected: dict[str, Any], genesis: Any
) -> str | None:
    """The missing entry ``path`` is a renamed copy of: same size and SHA-256, or, for a
    missing timeline, the same first event as the manifest's genesis."""
    size, digest = hash_file(str(path))
    renamed_from = next(
        (
            m
            for m in missing
            if m in expected
            and expected[m].get("sha256") == digest
            and expected[m].get("size") == size
        ),
        None,
    )
    if renamed_from is None and TIMELINE in missing and _first_event_digest(path) == genesis:
        renamed_from = TIMELINE
    return renamed_from


def _check_added(
    root: Path,
    on_disk: dict[str, Path],
    expected: dict[str, Any],
    missing: list[str],
    manifest: dict[str, Any],
    report: VerifyReport,
) -> bytes | None:
    """Report added and renamed entries; return the timeline's bytes (None if gone)."""
    genesis = manifest["timeline"].get("genesis_sha256")
    timeline_bytes, on_disk = _read_timeline(on_disk, missing, report)
    for name, path in sorted(on_disk.items()):
        if name in expected or name in _UNHASHED or (name == FOLLOWUP and path.is_dir()):
            continue
        if not path.is_file():
            report.problems.append(f"added: {name}/ (directory not in the manifest)")
            continue
        renamed_from = _renamed_from(path, missing, expected, genesis)
        if renamed_from is not None:
            missing.remove(renamed_from)
            report.problems.append(f"renamed: {renamed_from} -> {name}")
        else:
            report.problems.append(f"added: {name} (not in the manifest)")
    return timeline_bytes


def _first_event_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            event = json.loads(fh.readline())
        return event_digest(event) if isinstance(event, dict) else None
    except (ValueError, OSError, RecursionError, TypeError):
        return None


def _check_counts(
    manifest: dict[str, Any], traj_lines: int | None, reject_lines: int | None, problems: list[str]
) -> None:
    counts = manifest["counts"]
    if counts["read"] != counts["accepted"] + counts["rejected"] + counts["filtered_out"]:
        problems.append(
            "manifest edited: counts do not add up (read != accepted + rejected + filtered_out)"
        )
    if sum(s["records"] for s in manifest["sources"]) != counts["read"]:
        problems.append("manifest edited: records per source do not add up to counts.read")
    for name, lines, key in (
        (TRAJECTORIES, traj_lines, "accepted"),
        (REJECTS, reject_lines, "rejected"),
    ):
        if lines is None:
            continue
        if lines != counts[key]:
            problems.append(f"changed: {name} has {lines} lines, counts.{key} says {counts[key]}")
        listed = manifest["files"].get(name, {}).get("lines")
        if listed is not None and listed != lines:
            problems.append(
                f"changed: {name} has {lines} lines, the manifest's files entry says {listed}"
            )


def _check_metrics(
    root: Path, manifest: dict[str, Any], collector: MetricsCollector, problems: list[str]
) -> None:
    """Compare metrics recomputed from the trajectories with the manifest and metrics.json
    (the same :class:`MetricsCollector` that ``snapshot`` wrote them with)."""
    problems.extend(_metrics_problems(root, manifest, collector.compute()))


def _metrics_problems(
    root: Path, manifest: dict[str, Any], recomputed: dict[str, Any]
) -> list[str]:
    problems: list[str] = []
    for key, field_name in (
        ("model_versions", "model_versions_seen"),
        ("policy_hashes", "policy_hashes_seen"),
    ):
        if manifest.get(field_name) != recomputed[key]:
            problems.append(f"manifest edited: {field_name} does not match the trajectories")
    policy = manifest["declared"].get("policy")
    if isinstance(policy, dict):
        wanted = {policy.get("sha256"), f"sha256:{policy.get('sha256')}"}
        matching = sum(
            r["sessions"]
            for r in recomputed["policy_hashes"]
            if (r["hash"] or "").lower() in wanted
        )
        if matching != policy.get("sessions_matching"):
            problems.append(
                "manifest edited: declared.policy.sessions_matching does not match the trajectories"
            )
    path = root / METRICS
    if not path.is_file():
        return problems
    try:
        data = read_bounded(path, MAX_MANIFEST_BYTES)
        if data is None:
            raise ValueError("too large")
        stored = json.loads(data)
    except (ValueError, RecursionError):
        problems.append(f"changed: {METRICS} is not valid JSON")
        return problems
    if stored != recomputed:
        keys = (
            sorted(
                k
                for k in set(stored) | set(recomputed)
                if not isinstance(stored, dict) or stored.get(k) != recomputed.get(k)
            )
            if isinstance(stored, dict)
            else ["(all)"]
        )
        problems.append(
            f"changed: {METRICS} differs from the metrics recomputed from {TRAJECTORIES} ({', '.join(keys)})"
        )
    return problems
