"""``timeline.jsonl``: the append-only, hash-chained, sealed log of actions taken (UTC).

The snapshot writes the first event (``action: "snapshot"``); containment, notify and
ticket code append later with :func:`append_event`. Each line is one event in
canonical compact JSON carrying:

- ``seq`` (0, 1, 2, ...), ``time`` (RFC 3339 UTC), ``action``, ``actor`` (user, host);
- ``prev_sha256``: the ``sha256`` of the previous event (null for the first);
- ``sha256``: SHA-256 of the canonical JSON of the event without ``sha256``/``signature``;
- ``signature`` (signed bundles only): base64 Ed25519 signature, with the key that
  signed ``manifest.json``, over ``EVENT_DOMAIN + sha256``.

Sealing: the manifest's ``timeline`` block records the first event
(``genesis_sha256``), the last one (``head_sha256``) and the number of ``events``.
Every append re-seals the manifest with the new head (its ``manifest_sha256``) and,
in a signed bundle, re-signs ``manifest.sig`` and signs the new event. So with the
public key an edited, inserted, removed, reordered or re-chained event, and a cut
tail, are all detected. Without a key the chain and the head only prove internal
consistency: whoever can write the bundle can recompute every digest (a consistent
re-seal), which no unsigned check can tell from the original.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_bytes_atomic
from incident_lab.errors import CheckFailed, InputError, UsageError
from incident_lab.evidence.manifest import collector
from incident_lab.readers.base import iter_json_lines
from incident_lab.trajectory import canonical_json, parse_timestamp, to_rfc3339, utc_now_iso

TIMELINE = "timeline.jsonl"
#: Prefix of the bytes an event signature covers (then the event's ``sha256`` in hex).
EVENT_DOMAIN = b"incident-lab timeline event v1\n"
#: Environment variable naming the signing key (PEM) for commands that append events.
SIGN_KEY_ENV = "INCIDENT_LAB_SIGN_KEY"
_RESERVED = ("seq", "prev_sha256", "sha256", "signature")
_UNDIGESTED = ("sha256", "signature")


def event_digest(event: dict[str, Any]) -> str:
    """SHA-256 of an event's canonical JSON without its ``sha256`` and ``signature``."""
    body = {k: v for k, v in event.items() if k not in _UNDIGESTED}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def sign_event(event: dict[str, Any], private_key: object) -> dict[str, Any]:
    """Return ``event`` with its ``signature`` (Ed25519 over its ``sha256``)."""
    message = EVENT_DOMAIN + str(event["sha256"]).encode("ascii")
    signature: bytes = private_key.sign(message)  # type: ignore[attr-defined]
    return {**event, "signature": base64.b64encode(signature).decode("ascii")}


def _event_signature_ok(event: dict[str, Any], public_key: object) -> bool:
    from cryptography.exceptions import InvalidSignature

    sig, digest = event.get("signature"), event.get("sha256")
    if type(sig) is not str or type(digest) is not str:
        return False
    try:
        raw = base64.b64decode(sig.encode("ascii"), validate=True)
        if base64.b64encode(raw).decode("ascii") != sig:
            return False
        public_key.verify(raw, EVENT_DOMAIN + digest.encode("ascii"))  # type: ignore[attr-defined]
    except (InvalidSignature, binascii.Error, ValueError, UnicodeError):
        return False
    return True


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
    data: bytes,
    genesis_sha256: str | None,
    *,
    head_sha256: str | None = None,
    events_count: int | None = None,
    public_key: object | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Check a timeline's bytes: every line canonical, self-digests, the chain and the seal.

    Args:
        data: The file's bytes.
        genesis_sha256: The first event's digest recorded in the manifest.
        head_sha256: The last event's digest recorded in the manifest (None: not checked).
        events_count: The number of events recorded in the manifest (None: not checked).
        public_key: When given, every event must carry a valid ``signature``.

    Returns:
        The events that parsed, and one problem line per discrepancy. Never raises
        on malformed content.
    """
    events: list[dict[str, Any]] = []
    problems: list[str] = []
    if data and not data.endswith(b"\n"):
        problems.append(f"changed: {TIMELINE}: last line is cut (no final newline)")
    prev: str | None = None
    lines = data.splitlines(keepends=True)
    for no, line in enumerate(lines, start=1):
        where = f"{TIMELINE}:{no}"
        event = _parse_event(line)
        if event is None:
            problems.append(f"changed: {where}: not a valid JSON event")
            prev = None
            continue
        problems.extend(_event_problems(event, line, no, prev, genesis_sha256, public_key))
        digest = event.get("sha256")
        prev = digest if isinstance(digest, str) else None
        events.append(event)
    if not lines and not problems:
        problems.append(f"changed: {TIMELINE} is empty (the snapshot event is missing)")
    if head_sha256 is not None and (prev != head_sha256 or not lines):
        problems.append(
            f"changed: {TIMELINE}: last event is not the head sealed in the manifest "
            "(timeline.head_sha256: events were added, removed or re-chained)"
        )
    if events_count is not None and len(lines) != events_count:
        problems.append(
            f"changed: {TIMELINE} has {len(lines)} events, "
            f"the manifest's timeline.events says {events_count}"
        )
    return events, problems


def _parse_event(line: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(line.decode("utf-8"))
        if isinstance(event, dict):
            canonical_json(event)  # fails on values JSON cannot round-trip
            return event
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError):
        pass
    return None


def _event_problems(
    event: dict[str, Any],
    line: bytes,
    no: int,
    prev: str | None,
    genesis_sha256: str | None,
    public_key: object | None,
) -> list[str]:
    where = f"{TIMELINE}:{no}"
    problems: list[str] = []
    if event.get("sha256") != event_digest(event):
        problems.append(f"changed: {where}: event content does not match its sha256")
    elif encode_event(event) != line and line.endswith(b"\n"):
        problems.append(f"changed: {where}: event is not in canonical form")
    if event.get("seq") != no - 1 or type(event.get("seq")) is not int:
        problems.append(f"changed: {where}: seq is {event.get('seq')!r}, expected {no - 1}")
    if no == 1:
        if event.get("sha256") != genesis_sha256 or event.get("prev_sha256") is not None:
            problems.append(f"changed: {where}: first event is not the one the manifest recorded")
    elif event.get("prev_sha256") != prev or prev is None:
        problems.append(
            f"changed: {where}: hash chain broken (prev_sha256 does not match line {no - 1})"
        )
    if public_key is not None and not _event_signature_ok(event, public_key):
        what = "missing" if "signature" not in event else "invalid"
        problems.append(f"signature: {where}: event signature {what}")
    return problems


def _key_for_append(bundle: Path, sign_key: str | Path | object | None) -> object | None:
    """The private key to seal with, or None for an unsigned bundle.

    Raises:
        UsageError: the key does not match the bundle's ``manifest.sig``.
    """
    from incident_lab.evidence.manifest import MANIFEST, SIGNATURE
    from incident_lab.evidence.signing import load_private_key, signature_ok

    if not (bundle / SIGNATURE).is_file():
        return None
    if sign_key is None:
        sign_key = os.environ.get(SIGN_KEY_ENV) or None
    if sign_key is None:
        return None
    key = load_private_key(sign_key) if isinstance(sign_key, str | Path) else sign_key
    public = key.public_key()  # type: ignore[attr-defined]
    if not signature_ok(
        (bundle / MANIFEST).read_bytes(), (bundle / SIGNATURE).read_bytes(), public
    ):
        raise UsageError(
            "the signing key does not match the bundle's manifest.sig; nothing appended",
            path=str(bundle),
            hint=f"pass the key that signed the snapshot (--sign-key or {SIGN_KEY_ENV})",
        )
    return key


def _sealed_manifest(bundle: Path, last: dict[str, Any], count: int) -> dict[str, Any] | None:
    """The bundle's manifest if its sealed head is ``last`` (None: no manifest yet).

    Raises:
        CheckFailed: the manifest is damaged or its head is not the timeline's last event.
    """
    from incident_lab.evidence.manifest import MANIFEST, manifest_problems
    from incident_lab.readers.base import read_bounded

    path = bundle / MANIFEST
    if not path.exists():
        return None  # a pre-snapshot incident directory: the snapshot seals it later
    raw = read_bounded(path, 16 * 1024 * 1024)  # a FIFO or device is refused, not waited on
    manifest, problems = manifest_problems(raw) if raw is not None else (None, ["too large"])
    if manifest is None or problems:
        raise CheckFailed(
            "manifest.json is damaged; refusing to extend the timeline: "
            + (problems[0] if problems else "unreadable"),
            path=str(path),
            hint=f"run 'incident_lab verify {bundle}'",
        )
    sealed = manifest["timeline"]
    if sealed.get("head_sha256") != last.get("sha256") or sealed.get("events") != count:
        raise CheckFailed(
            "the timeline does not end at the head sealed in the manifest; refusing to extend it",
            path=str(bundle / TIMELINE),
            line=count,
            hint=f"run 'incident_lab verify {bundle}'",
        )
    return manifest


def reseal_manifest(
    bundle: Path, manifest: dict[str, Any], head: dict[str, Any], count: int, key: object | None
) -> None:
    """Record ``head`` as the timeline's head in the manifest; re-sign it when ``key``."""
    from incident_lab.evidence.manifest import MANIFEST, SIGNATURE, serialise
    from incident_lab.evidence.signing import sign

    manifest["timeline"] = {
        **manifest["timeline"],
        "head_sha256": head["sha256"],
        "events": count,
    }
    data = serialise(manifest)
    write_bytes_atomic(bundle / MANIFEST, data)
    if key is not None:
        write_bytes_atomic(bundle / SIGNATURE, sign(data, key))


def append_event(
    bundle_dir: str | Path, event: dict[str, Any], *, sign_key: str | Path | object | None = None
) -> dict[str, Any]:
    """Append one action to a bundle's timeline, chained to the last event, and re-seal.

    In a bundle (it has ``manifest.json``) the manifest's ``timeline.head_sha256`` and
    ``timeline.events`` are updated; in a signed bundle the event is signed and
    ``manifest.sig`` rewritten with the same key. Without the key (``sign_key`` or
    ``$INCIDENT_LAB_SIGN_KEY``) an event appended to a signed bundle stays unsigned
    and ``verify --pubkey`` reports it: an action must be recorded even when the key
    is not at hand, and the record says it was not attested.

    Args:
        bundle_dir: The ``incident_<timestamp>/`` directory.
        event: At least ``{"action": "..."}``; any other JSON fields are kept
            (e.g. ``backend``, ``target``, ``result``, ``details``). ``time`` defaults
            to now (UTC); ``actor`` to the current user and host.
        sign_key: The Ed25519 private key (PEM path or loaded key) that signed the bundle.

    Returns:
        The event as written, with ``seq``, ``time``, ``prev_sha256``, ``sha256``
        (and ``signature`` when signed).

    Raises:
        InputError: not a bundle (no ``timeline.jsonl``).
        CheckFailed: the existing timeline's last event is damaged, or it is not the
            head the manifest sealed; nothing is appended.
        UsageError: the event is malformed, or the key is not the bundle's.
    """
    bundle = Path(bundle_dir)
    path = bundle / TIMELINE
    if not path.is_file():
        raise InputError(
            f"no {TIMELINE} here: not an evidence bundle",
            path=str(bundle_dir),
            hint="pass the incident_<timestamp>/ directory written by 'incident_lab snapshot'",
        )
    key = _key_for_append(bundle, sign_key)
    with open(path, "r+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # serialise concurrent appenders
        lines = fh.read().splitlines(keepends=True)
        if not lines:
            raise CheckFailed(
                f"{TIMELINE} is empty", path=str(path), hint="run 'incident_lab verify'"
            )
        last = _parse_event(lines[-1])
        if (
            not lines[-1].endswith(b"\n")
            or last is None
            or last.get("sha256") != event_digest(last)
            or type(last.get("seq")) is not int
        ):
            raise CheckFailed(
                "the last timeline event is damaged; refusing to extend a broken chain",
                path=str(path),
                line=len(lines),
                hint=f"run 'incident_lab verify {bundle_dir}'",
            )
        manifest = _sealed_manifest(bundle, last, len(lines))
        sealed = seal_event(event, last["seq"] + 1, last["sha256"])
        if key is not None:
            sealed = sign_event(sealed, key)
        fh.seek(0, os.SEEK_END)
        fh.write(encode_event(sealed))
        fh.flush()
        os.fsync(fh.fileno())
        if manifest is not None:
            reseal_manifest(bundle, manifest, sealed, len(lines) + 1, key)
    return sealed


def record_event(incident_dir: Path, event: dict[str, Any]) -> dict[str, Any]:
    """Append ``event`` to the incident's hash-chained timeline and return it as stored.

    Containment comes before the snapshot, so the incident directory may not be a
    bundle yet: then the event starts the timeline (``snapshot --out`` adopts it).
    """
    event = dict(event)
    event.setdefault("event_id", os.urandom(8).hex())
    event.setdefault("action", event.get("kind", "event"))
    path = Path(incident_dir) / TIMELINE
    if not path.exists():
        Path(incident_dir).mkdir(parents=True, exist_ok=True)
        sealed = seal_event(event, 0, None)
        with open(path, "xb") as fh:
            fh.write(encode_event(sealed))
            fh.flush()
            os.fsync(fh.fileno())
        return sealed
    stored: dict[str, Any] = append_event(incident_dir, event)
    return stored


def read_records(path: Path, *, what: str) -> list[Any]:
    """Return the JSON records of a JSONL file in order (an absent file is empty).

    Args:
        path: The file (``timeline.jsonl``, the notification ledger, ...).
        what: What the file is, for the error message.

    Raises:
        InputError: a line is not valid JSON (named with its line number).
    """
    if not path.exists():
        return []
    records = []
    for n, obj, reject in iter_json_lines(path):
        if reject is not None:
            raise InputError(f"{what} line is not valid: {reject.reason}", path=str(path), line=n)
        records.append(obj)
    return records


def read_timeline(incident_dir: Path) -> list[dict[str, Any]]:
    """Return the timeline's events in order (an absent timeline is empty).

    Raises:
        InputError: a line is not valid JSON (named with its line number).
    """
    return read_records(Path(incident_dir) / TIMELINE, what="timeline")
