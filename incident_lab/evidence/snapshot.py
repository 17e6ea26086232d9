"""``take_snapshot``: read the sources once, keep the selected sessions, write a bundle.

The library function behind ``incident_lab snapshot``. It streams: records are
parsed one at a time, filtered before validation, and either written straight to
``trajectories.jsonl`` or (with ``last``) kept in a bounded heap of raw lines, so
memory stays flat whatever the input size. Every record read ends up in exactly one
of accepted, rejected (``rejects.jsonl``) or filtered out, and the counts say so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incident_lab import __version__
from incident_lab.errors import EXIT_OK, EXIT_PARTIAL, CheckFailed, InputError, UsageError
from incident_lab.evidence.bundle import HashingWriter, StagedBundle, default_bundle_name
from incident_lab.evidence.fastjson import MISSING, canonical_bytes, fast_loads, floats_exact
from incident_lab.evidence.filters import LastN, Selection, parse_since, recency_key
from incident_lab.evidence.manifest import (
    MANIFEST,
    MANIFEST_VERSION,
    METRICS,
    REJECTS,
    SIGNATURE,
    TRAJECTORIES,
    collector,
    serialise,
)
from incident_lab.evidence.metrics import MetricsCollector
from incident_lab.evidence.scan import (
    TOO_DEEP,
    Candidate,
    SourceScan,
    excerpt_of,
    hash_file,
    source_path,
)
from incident_lab.evidence.signing import load_private_key, sign
from incident_lab.evidence.timeline import (
    TIMELINE,
    check_timeline,
    encode_event,
    seal_event,
    sign_event,
)
from incident_lab.evidence.validation import trajectory_problems
from incident_lab.readers import detect_format, expand_sources, get_readers
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record
from incident_lab.trajectory import SCHEMA_VERSION, parse_timestamp, to_rfc3339

ProgressCallback = Callable[[int, int], None]
_INCIDENT_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# --last edge check: a session "looks flagged" when its raw line labels unsafe steps or
# holds a safeguard decision that stopped or flagged something (no parse needed).
_FLAGGED = re.compile(
    rb'"unsafe_steps": ?\[ ?\d|"decision": ?"(?:block|flag|escalate|redact)"|"verdict": ?"unsafe"'
)
#: The oldest 1/N of a --last window is its edge.
_EDGE_SHARE = 10
#: At most this many edge sessions are classified (about 10 ms each).
_EDGE_CLASSIFY_MAX = 100


def _classified_edge(
    objs: list[dict[str, Any]],
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """``session: mode SEV-1`` for the edge sessions the classifier rates SEV-1 (active
    harm; lower levels are too common in ordinary traffic to mean an attack is cut), and
    ``(session, its detector errors)`` for every edge session (most lists are empty)."""
    if not objs:
        return [], []
    from incident_lab.classify import classify_many

    out, crashed = [], []
    for c in classify_many(objs):
        level = c.severity.level if c.severity else None
        if c.top and level == "SEV-1":
            out.append(f"{c.session_id}: {c.top} {level}")
        crashed.append((c.session_id, c.detector_errors))
    return out, crashed


def _edge_warning(at_edge: int, flagged: int, edge: int, kept: int, starts: list[Any]) -> str:
    """The --last edge warning for sessions that look flagged (labels, verdicts)."""
    return (
        f"{at_edge} of the {flagged} flagged-looking session(s) kept by --last are among its "
        f"{edge} oldest of {kept}: {_edge_advice(starts)}"
    )


def _edge_advice(starts: list[Any]) -> str:
    """What an edge warning advises, with a --since that doubles the window back in time
    (``starts``: the oldest and the newest kept session's start times)."""
    since = "a time before the first incident"
    try:
        oldest, newest = (parse_timestamp(str(t)) for t in starts)
        since = to_rfc3339(oldest - (newest - oldest))
    except (ValueError, OverflowError):  # no time, or twice the span reaches before year 1
        pass
    return f"more may sit just before the window; re-run with --since {since} (or a larger --last)"


@dataclass
class SnapshotResult:
    """What a snapshot produced.

    Attributes:
        bundle: The bundle directory.
        summary: Counts, paths and what was seen (what ``--json`` prints).
        exit_code: 0 when every record was accepted, 5 when some were rejected.
        manifest: The manifest as written.
    """

    bundle: Path
    summary: dict[str, Any]
    exit_code: int
    manifest: dict[str, Any]


class _Collection:
    """The mutable state of one snapshot run: counters, writers, heap, metrics."""

    def __init__(self, selection: Selection, trajectories: HashingWriter, rejects: HashingWriter):
        self.selection = selection
        self.trajectories = trajectories
        self.rejects = rejects
        self.metrics = MetricsCollector()
        self.heap = LastN(selection.last) if selection.last else None
        self.read = self.accepted = self.rejected = self.filtered_out = 0
        self.session_ids: set[str] = set()
        self.duplicates: dict[str, int] = {}
        self.warnings: list[str] = []
        #: a reader's warnings (:attr:`Record.warning`), listed after the run's own: a
        #: printed summary shows a few, and "may have missed an incident" must be one
        self.reader_warnings: list[str] = []

    def reject(self, record: Record, fmt: str) -> None:
        self.rejected += 1
        self.rejects.write_line(canonical_bytes(record.reject_row(fmt)) + b"\n")

    def offer(self, cand: Candidate) -> None:
        if not self.selection.matches(cand.obj):
            self.filtered_out += 1
        elif self.heap is None:
            self.keep(cand, native=cand.raw is not None)
        elif cand.raw is not None:  # native: keep the line's bytes, re-parsed if kept
            item = (cand.raw, cand.path, cand.line, cand.fmt, True)
            self.heap.offer(recency_key(cand.obj, self.read), item)
        else:
            item = (canonical_bytes(cand.obj), cand.path, cand.line, cand.fmt, False)
            self.heap.offer(recency_key(cand.obj, self.read), item)

    def drain_heap(self) -> None:
        if self.heap is None:
            return
        self.filtered_out += self.heap.evicted
        kept = list(self.heap.oldest_first())
        edge = max(1, len(kept) // _EDGE_SHARE)
        starts: list[Any] = []
        edge_objs: list[dict[str, Any]] = []
        for i, (raw, path, line, fmt, native) in enumerate(kept):
            obj = fast_loads(raw)
            if i == 0 or i == len(kept) - 1:
                starts.append(obj.get("started_at") if isinstance(obj, dict) else None)
            if i < min(edge, _EDGE_CLASSIFY_MAX) and isinstance(obj, dict):
                edge_objs.append(obj)
            fast = obj is not MISSING
            if not fast:
                try:
                    obj = json.loads(raw)
                except RecursionError:
                    self.reject(Record(path, line, reason=TOO_DEEP, excerpt=excerpt_of(raw)), fmt)
                    continue
            self.keep(Candidate(obj, raw, path, line, fmt, fast), native=native)
        if not self.heap.evicted:
            return
        # The edge first: the rest of the window is searched only for the warning's count.
        at_edge = sum(1 for item in kept[:edge] if _FLAGGED.search(item[0]))
        if at_edge:
            flagged = at_edge + sum(1 for item in kept[edge:] if _FLAGGED.search(item[0]))
            self.warnings.append(_edge_warning(at_edge, flagged, edge, len(kept), starts))
            return
        # Production logs rarely label anything: ask the classifier about the edge only.
        suspicious, errors = _classified_edge(edge_objs)
        crashed = [sid for sid, found in errors if found]
        if crashed:
            from incident_lab.classify.followup import detector_error_lines
            from incident_lab.text import quote

            first = quote(detector_error_lines(errors)[0], 300)  # a batch error is one line
            self.warnings.append(
                f"the classifier's detectors failed on {len(crashed)} of the {len(edge_objs)} "
                f"oldest sessions kept by --last (e.g. {first}): "
                "the edge check may have missed an incident there"
            )
        if suspicious:
            self.warnings.append(
                f"the classifier rates {len(suspicious)} of the {len(edge_objs)} oldest sessions "
                f"kept by --last SEV-1 (e.g. {suspicious[0]}): {_edge_advice(starts)}"
            )

    def keep(self, cand: Candidate, *, native: bool) -> None:
        """Validate and write a selected record, from its exact (stdlib-equal) parse."""
        obj, floats_checked = cand.obj, False
        try:
            if cand.fast:
                floats_checked = floats_exact(obj)
                if not floats_checked and cand.raw is not None:
                    obj = json.loads(cand.raw)  # e.g. an integer beyond 64 bits: stdlib's value
            self.finish(obj, cand.path, cand.line, cand.fmt, native, floats_checked)
        except RecursionError:
            excerpt = excerpt_of(cand.raw or b"")
            self.reject(Record(cand.path, cand.line, reason=TOO_DEEP, excerpt=excerpt), cand.fmt)

    def finish(
        self,
        obj: dict[str, Any],
        path: str,
        line: int | None,
        fmt: str,
        native: bool,
        floats_checked: bool,
    ) -> None:
        """Validate a selected record and write it as accepted or rejected."""
        if native and "schema_version" not in obj and "session_id" in obj:
            obj["schema_version"] = SCHEMA_VERSION  # as the native reader does
        problems = trajectory_problems(obj, finite=floats_checked)  # exact floats are finite
        if problems:
            excerpt = json.dumps(obj, ensure_ascii=False)[:200]
            self.reject(
                Record(path, line, reason="schema: " + "; ".join(problems[:3]), excerpt=excerpt),
                fmt,
            )
            return
        if native:
            obj.setdefault("source", {"format": fmt, "path": path, "line": line})
        data = canonical_bytes(obj, floats_checked=floats_checked) + b"\n"
        self.trajectories.write_line(data)
        self.metrics.add(obj)
        self.accepted += 1
        sid = str(obj.get("session_id"))
        if sid in self.session_ids:
            self.duplicates[sid] = self.duplicates.get(sid, 1) + 1
        else:
            self.session_ids.add(sid)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "filtered_out": self.filtered_out,
        }


def _model_versions(value: str | Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset([value] if isinstance(value, str) else value)


def _declared_policy(policy: str | Path | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    if not Path(policy).is_file():
        raise InputError("policy file not found", path=str(policy), hint="check the --policy path")
    size, digest = hash_file(str(policy))
    return {
        "path": source_path(str(policy)),
        "size": size,
        "sha256": digest,
        "sessions_matching": 0,
    }


def _policy_matches(metrics: dict[str, Any], digest: str) -> int:
    wanted = {digest, f"sha256:{digest}"}
    return sum(
        row["sessions"] for row in metrics["policy_hashes"] if (row["hash"] or "").lower() in wanted
    )


def _formats_for(
    files: list[str], sources: Sequence[str | Path], fmt: str | None
) -> list[tuple[str, str | None]]:
    """Pair each file with its reader name (None: a file inside a directory no reader knows)."""
    explicit = {str(Path(p)) for p in sources}
    out: list[tuple[str, str | None]] = []
    for path in files:
        if fmt is not None:
            out.append((path, fmt))
        elif str(Path(path)) in explicit:
            out.append((path, detect_format(path)))  # an explicit file nobody reads: exit 3
        else:
            try:
                out.append((path, detect_format(path)))
            except InputError:
                out.append((path, None))
    return out


def take_snapshot(
    sources: Sequence[str | Path],
    *,
    fmt: str | None = None,
    last: int | None = None,
    since: str | None = None,
    sessions: Iterable[str] = (),
    users: Iterable[str] = (),
    model_version: str | Iterable[str] | None = None,
    policy: str | Path | None = None,
    incident_id: str | None = None,
    out: str | Path | None = None,
    sign_key: str | Path | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
    follow_symlinks: bool = False,
) -> SnapshotResult:
    """Preserve the selected sessions of ``sources`` as a verifiable evidence bundle.

    Args:
        sources: Log files and/or directories (read-only; never modified).
        fmt: Force one reader for every file (default: detect per file).
        last: Keep the N most recent sessions by ``started_at``.
        since: Keep sessions started within a duration (``2h``) or after an RFC 3339 time.
        sessions: Keep only these session ids.
        users: Keep only sessions of these ``actor.user_id`` values.
        model_version: Keep only sessions of this model version (recorded as declared).
        policy: The policy file in force; its SHA-256 is recorded as declared.
        incident_id: Recorded in the manifest (default: the bundle's name).
        out: The bundle directory (default: ``./incident_<UTC timestamp>``).
        sign_key: Ed25519 private key (PEM) to sign ``manifest.json`` with.
        max_line_bytes: Longer lines are rejected without being loaded whole.
        progress: Called with ``(bytes_read, total_bytes)`` as sources are read.
        now: The collection time (default: now, UTC).
        follow_symlinks: Read symlinks in a source directory that lead outside it
            (default: such entries, FIFOs and devices are rejects, never opened).

    Returns:
        The bundle path, a summary, and the exit code (0 all accepted, 5 some rejected).

    Raises:
        UsageError: bad option values or combinations, or the bundle already exists.
        InputError: a source is missing or unreadable, nothing to read, or no session
            matched; no bundle is written.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    selection = _selection(
        sources, fmt, max_line_bytes, now, last, since, sessions, users, model_version
    )
    declared_policy = _declared_policy(policy)
    private_key = load_private_key(sign_key) if sign_key is not None else None
    found, refused = expand_sources([str(s) for s in sources], follow_symlinks=follow_symlinks)
    files = _formats_for(found, sources, fmt)
    if not files and not refused:
        raise InputError("nothing to read: no files under " + ", ".join(map(str, sources)))
    dest = Path(out) if out is not None else Path.cwd() / default_bundle_name(now)
    incident_id = incident_id if incident_id is not None else dest.name
    if not _INCIDENT_ID.match(incident_id):
        raise UsageError("--incident-id must be 1-200 printable characters")

    with StagedBundle(dest) as stage:
        run = _Collection(
            selection, stage.writer(TRAJECTORIES), stage.writer(REJECTS, private=True)
        )
        source_rows = _read_sources(run, files, refused, max_line_bytes, progress)
        run.drain_heap()
        files_meta = {TRAJECTORIES: run.trajectories.close(), REJECTS: run.rejects.close()}
        counts = _checked_counts(run, sources)
        metrics = run.metrics.compute()
        if declared_policy is not None:
            declared_policy["sessions_matching"] = _policy_matches(
                metrics, declared_policy["sha256"]
            )
        files_meta[METRICS] = stage.write_bytes(METRICS, _json_file(metrics))
        collected_at = to_rfc3339(now)
        who = collector()
        filters = {**selection.describe(), "format": fmt, "max_line_bytes": max_line_bytes}
        snapshot_event = {
            "action": "snapshot",
            "time": collected_at,
            "actor": who,
            "incident_id": incident_id,
            "bundle": dest.name,
            "details": {"counts": counts, "sources": len(source_rows), "filters": filters},
        }
        events = _timeline_with_snapshot(stage.prior_timeline, snapshot_event, private_key)
        stage.write_bytes(TIMELINE, b"".join(encode_event(e) for e in events))
        manifest: dict[str, Any] = {
            "schema_version": MANIFEST_VERSION,
            "incident_id": incident_id,
            "collected_at": collected_at,
            "collector": who,
            "tool": {"name": "incident-lab", "version": __version__},
            "sources": source_rows,
            "filters": filters,
            "declared": {
                "model_versions": sorted(selection.model_versions),
                "policy": declared_policy,
            },
            "model_versions_seen": metrics["model_versions"],
            "policy_hashes_seen": metrics["policy_hashes"],
            "counts": counts,
            "files": files_meta,
            "timeline": {
                "path": TIMELINE,
                "genesis_sha256": events[0]["sha256"],
                "head_sha256": events[-1]["sha256"],
                "events": len(events),
            },
        }
        manifest_bytes = serialise(manifest)
        stage.write_bytes(MANIFEST, manifest_bytes)
        if private_key is not None:
            stage.write_bytes(SIGNATURE, sign(manifest_bytes, private_key))
        bundle = stage.commit()

    exit_code = EXIT_PARTIAL if run.rejected else EXIT_OK
    summary = _summary(run, bundle, manifest, metrics, signed=private_key is not None)
    return SnapshotResult(bundle, summary, exit_code, manifest)


def _selection(
    sources: Sequence[str | Path],
    fmt: str | None,
    max_line_bytes: int,
    now: datetime,
    last: int | None,
    since: str | None,
    sessions: Iterable[str],
    users: Iterable[str],
    model_version: str | Iterable[str] | None,
) -> Selection:
    """Check the options that need no file; the session selection they describe."""
    if not sources:
        raise UsageError("no sources given", hint="pass --from PATH (a log file or a directory)")
    if max_line_bytes < 1:
        raise UsageError(f"--max-line-bytes must be positive, got {max_line_bytes}")
    if fmt is not None and fmt not in get_readers():
        raise UsageError(
            f"unknown format {fmt!r}", hint="one of: " + ", ".join(sorted(get_readers()))
        )
    return Selection(
        last=last,
        since=parse_since(since, now) if since is not None else None,
        since_text=since,
        sessions=frozenset(sessions),
        users=frozenset(users),
        model_versions=_model_versions(model_version),
    )


def _read_sources(
    run: _Collection,
    files: list[tuple[str, str | None]],
    refused: list[Record],
    max_line_bytes: int,
    progress: ProgressCallback | None,
) -> list[dict[str, Any]]:
    """Offer every record of every source to ``run``; one manifest row per source."""
    total = sum(os.path.getsize(p) for p, _ in files)
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    source_rows = []
    for record in refused:  # never opened: no bytes read, no excerpt
        run.read += 1
        run.reject(record, "refused")
        # the link itself, never its target (a symlink loop has none)
        source_rows.append(_source_row(record.path, "refused", 0, _EMPTY_SHA256, 1, link=True))
    read_with = _read_together(files)
    for path, name in files:
        if name is None:
            size, digest = hash_file(path, on_bytes)
            run.read += 1
            run.reject(
                Record(path, None, reason="cannot tell the log format (pass --format)"), "unknown"
            )
            source_rows.append(_source_row(path, "unknown", size, digest, 1))
            continue
        group = read_with.get(path, (path,))
        if group[0] != path:  # read with its group's first file, which counts its records
            size, digest = hash_file(path, on_bytes)
            source_rows.append(_source_row(path, name, size, digest, 0))
            continue
        scan = SourceScan(
            path, name, max_line_bytes=max_line_bytes, on_bytes=on_bytes, together=group[1:]
        )
        for item in scan:
            if isinstance(item, Record) and item.warning is not None:
                run.reader_warnings.append(item.told)
                continue  # a reader's warning is no record: counted nowhere
            run.read += 1
            if isinstance(item, Candidate):
                run.offer(item)
            else:
                run.reject(item, name)
        source_rows.append(_source_row(path, name, scan.size, scan.sha256, scan.records))
    return source_rows


def _checked_counts(run: _Collection, sources: Sequence[str | Path]) -> dict[str, int]:
    """The run's counts; nothing read, or everything filtered out, is an error."""
    counts = run.counts()
    if counts["read"] == 0:
        raise InputError(
            "nothing to read: the sources hold no records",
            path=", ".join(map(str, sources)),
            hint="check that --from points at the agent's session logs",
        )
    if run.accepted == 0 and run.rejected == 0:
        raise UsageError(
            f"no session matched the filters ({counts['read']} records read, all filtered out)",
            hint="widen --last/--since/--session/--user/--model-version",
        )
    assert counts["read"] == run.accepted + run.rejected + run.filtered_out, counts
    return counts


def _summary(
    run: _Collection,
    bundle: Path,
    manifest: dict[str, Any],
    metrics: dict[str, Any],
    *,
    signed: bool,
) -> dict[str, Any]:
    """What ``snapshot`` prints (``--json``) and returns."""
    source_rows = manifest["sources"]
    return {
        "bundle": str(bundle),
        "incident_id": manifest["incident_id"],
        "collected_at": manifest["collected_at"],
        "counts": manifest["counts"],
        "sources": len(source_rows),
        "bytes_read": sum(r["size"] for r in source_rows),
        "sessions": run.accepted,
        "time_range": metrics["time_range"],
        "model_versions_seen": manifest["model_versions_seen"],
        "rejects": str(bundle / REJECTS) if run.rejected else None,
        "signed": signed,
        "duplicate_session_ids": dict(sorted(run.duplicates.items())[:50]),
        "exit_code": EXIT_PARTIAL if run.rejected else EXIT_OK,
        "warnings": run.warnings + run.reader_warnings,
    }


def _timeline_with_snapshot(
    prior: bytes | None, event: dict[str, Any], private_key: object | None
) -> list[dict[str, Any]]:
    """The bundle's timeline: the snapshot event, after any pre-snapshot events.

    With a signing key every event is signed: the snapshot attests the pre-snapshot
    events it adopts (their chain is checked first).

    Raises:
        CheckFailed: the pre-snapshot timeline's chain is broken (nothing is written).
    """
    events: list[dict[str, Any]] = []
    if prior:
        try:
            first = json.loads(prior.splitlines()[0])
            genesis = first.get("sha256") if isinstance(first, dict) else None
        except (ValueError, RecursionError):
            genesis = None
        events, problems = check_timeline(prior, genesis)
        if problems:
            raise CheckFailed(
                "the incident's pre-snapshot timeline is damaged: " + problems[0],
                hint="inspect timeline.jsonl; the snapshot was not taken",
            )
    prev = events[-1] if events else None
    sealed = seal_event(
        event,
        int(prev["seq"]) + 1 if prev else 0,
        str(prev["sha256"]) if prev else None,
    )
    events.append(sealed)
    if private_key is not None:
        events = [sign_event(e, private_key) if "signature" not in e else e for e in events]
    return events


def _read_together(files: list[tuple[str, str | None]]) -> dict[str, tuple[str, ...]]:
    """Each file whose reader reads several files at once (``read_group``) -> its group."""
    groups: dict[str, list[str]] = {}
    readers = get_readers()
    for path, name in files:
        if name is not None and callable(getattr(readers[name], "read_group", None)):
            groups.setdefault(name, []).append(path)
    return {path: tuple(group) for group in groups.values() for path in group}


def _source_row(
    path: str, fmt: str, size: int, digest: str, records: int, *, link: bool = False
) -> dict[str, Any]:
    """A source's manifest row; ``link``: a refused path, recorded as given (absolute),
    not resolved (a symlink loop cannot be)."""
    return {
        "path": os.path.abspath(path) if link else source_path(path),
        "format": fmt,
        "size": size,
        "sha256": digest,
        "records": records,
    }


def _json_file(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
