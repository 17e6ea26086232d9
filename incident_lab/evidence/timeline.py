"""``timeline.jsonl``: the append-only, hash-chained log of actions taken (UTC).

The snapshot writes the first event (``action: "snapshot"``); containment, notify and
ticket code append later with :func:`append_event`. Each line is one event in
canonical compact JSON carrying:

- ``seq`` (0, 1, 2, ...), ``time`` (RFC 3339 UTC), ``action``, ``actor`` (user, host);
- ``prev_sha256``: the ``sha256`` of the previous event (null for the first);
- ``sha256``: SHA-256 of the canonical JSON of the event without this field.

The manifest records the first event's ``sha256`` (it never changes), so an edited,
inserted, removed or reordered event breaks the chain. Removing events from the *end*
cannot be told from an earlier state of the timeline; record the head returned by
:func:`append_event` elsewhere (e.g. in the ticket) to pin it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence.manifest import collector
from incident_lab.trajectory import canonical_json, parse_timestamp, to_rfc3339, utc_now_iso

__all__ = [
    "TIMELINE",
    "append_event",
    "check_timeline",
    "encode_event",
    "event_digest",
    "seal_event",
]

TIMELINE = "timeline.jsonl"
_RESERVED = ("seq", "prev_sha256", "sha256")


def event_digest(event: dict[str, Any]) -> str:
    """SHA-256 of an event's canonical JSON without its own ``sha256`` field."""
    body = {k: v for k, v in event.items() if k != "sha256"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def seal_event(event: dict[str, Any], seq: int, prev_sha256: str | None) -> dict[str, Any]:
    """Complete an event: seq, UTC time, actor, chain link and its own digest.

    Raises:
        UsageError: no ``action``, a reserved key given, or a bad ``time``.
    """
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("action"), str)
        or not event["action"]
    ):
        raise UsageError("a timeline event needs a non-empty string 'action'")
    clash = [k for k in _RESERVED if k in event]
    if clash:
        raise UsageError(f"timeline event fields {clash} are set by the timeline, not the caller")
    out = dict(event)
    if "time" in out:
        try:
            out["time"] = to_rfc3339(parse_timestamp(str(out["time"])))
        except ValueError:
            raise UsageError(f"timeline event time {out['time']!r} is not RFC 3339") from None
    else:
        out["time"] = utc_now_iso()
    out.setdefault("actor", collector())
    out["seq"] = seq
    out["prev_sha256"] = prev_sha256
    try:
        canonical_json(out)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"timeline event is not JSON-serialisable: {exc}") from None
    out["sha256"] = event_digest(out)
    return out


def encode_event(event: dict[str, Any]) -> bytes:
    """The event's line in ``timeline.jsonl`` (canonical compact JSON + newline)."""
    return (canonical_json(event) + "\n").encode("utf-8")


def check_timeline(
    data: bytes, genesis_sha256: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Check a timeline's bytes: every line canonical, self-digests and the chain.

    Args:
        data: The file's bytes.
        genesis_sha256: The first event's digest recorded in the manifest.

    Returns:
        The events that parsed, and one problem line per discrepancy.
    """
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    if data and not data.endswith(b"\n"):
        problems.append(f"changed: {TIMELINE}: last line is cut (no final newline)")
    prev: str | None = None
    for no, line in enumerate(data.splitlines(keepends=True), start=1):
        where = f"{TIMELINE}:{no}"
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            problems.append(f"changed: {where}: not a valid JSON event")
            prev = None
            continue
        if not isinstance(event, dict):
            problems.append(f"changed: {where}: not a JSON object")
            prev = None
            continue
        if event.get("sha256") != event_digest(event):
            problems.append(f"changed: {where}: event content does not match its sha256")
        elif encode_event(event) != line and line.endswith(b"\n"):
            problems.append(f"changed: {where}: event is not in canonical form")
        if event.get("seq") != no - 1:
            problems.append(f"changed: {where}: seq is {event.get('seq')!r}, expected {no - 1}")
        if no == 1:
            if event.get("sha256") != genesis_sha256:
                problems.append(
                    f"changed: {where}: first event is not the one the manifest recorded"
                )
        elif event.get("prev_sha256") != prev or prev is None:
            problems.append(
                f"changed: {where}: hash chain broken (prev_sha256 does not match line {no - 1})"
            )
        prev = event.get("sha256") if isinstance(event.get("sha256"), str) else None
        events.append(event)
    if not events and not problems:
        problems.append(f"changed: {TIMELINE} is empty (the snapshot event is missing)")
    return events, problems


def append_event(bundle_dir: str | Path, event: dict[str, Any]) -> dict[str, Any]:
    """Append one action to a bundle's timeline, chained to the last event.

    Args:
        bundle_dir: The ``incident_<timestamp>/`` directory.
        event: At least ``{"action": "..."}``; any other JSON fields are kept
            (e.g. ``backend``, ``target``, ``result``, ``details``). ``time`` defaults
            to now (UTC); ``actor`` to the current user and host.

    Returns:
        The event as written, with ``seq``, ``time``, ``prev_sha256`` and ``sha256``.

    Raises:
        InputError: not a bundle (no ``timeline.jsonl``).
        CheckFailed: the existing timeline's last event is damaged; nothing is appended.
        UsageError: the event is malformed.
    """
    path = Path(bundle_dir) / TIMELINE
    if not path.is_file():
        raise InputError(
            f"no {TIMELINE} here: not an evidence bundle",
            path=str(bundle_dir),
            hint="pass the incident_<timestamp>/ directory written by 'incident_lab snapshot'",
        )
    with open(path, "r+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # serialise concurrent appenders
        lines = fh.read().splitlines(keepends=True)
        if not lines:
            raise CheckFailed(
                f"{TIMELINE} is empty", path=str(path), hint="run 'incident_lab verify'"
            )
        try:
            last = json.loads(lines[-1])
        except ValueError:
            last = None
        if (
            not lines[-1].endswith(b"\n")
            or not isinstance(last, dict)
            or last.get("sha256") != event_digest(last)
            or not isinstance(last.get("seq"), int)
        ):
            raise CheckFailed(
                "the last timeline event is damaged; refusing to extend a broken chain",
                path=str(path),
                line=len(lines),
                hint=f"run 'incident_lab verify {bundle_dir}'",
            )
        sealed = seal_event(event, last["seq"] + 1, last["sha256"])
        fh.seek(0, os.SEEK_END)
        fh.write(encode_event(sealed))
        fh.flush()
        os.fsync(fh.fileno())
    return sealed
