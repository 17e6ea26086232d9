"""``manifest.json``: what was collected, from where, how, and the hash of every file.

The manifest is written in one canonical form (sorted keys, 2-space indent, UTF-8,
trailing newline) and carries ``manifest_sha256``, the SHA-256 of the canonical
compact JSON of all its other fields. ``verify`` re-serialises and re-hashes it, so
any edit (a value, a key, even whitespace) is reported. It validates against
``incident_lab/schemas/manifest.v1.json``. ``timeline.jsonl`` is not hashed here
(it is append-only); the manifest records its first event, its head (last event's
digest) and its length, and is re-sealed after every append
(:func:`incident_lab.evidence.timeline.append_event`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from typing import Any

from incident_lab.trajectory import canonical_json, validation_errors

MANIFEST_VERSION = "manifest/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TRAJECTORIES = "trajectories.jsonl"
METRICS = "metrics.json"
REJECTS = "rejects.jsonl"
#: Files whose size and SHA-256 the manifest records.
HASHED_FILES = (TRAJECTORIES, METRICS, REJECTS)


def collector() -> dict[str, str]:
    """Who collected: the OS user name and the host name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return {"user": user, "host": socket.gethostname() or "unknown"}


def content_digest(manifest: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of every field except ``manifest_sha256``."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def serialise(manifest: dict[str, Any]) -> bytes:
    """Seal (set ``manifest_sha256``) and render the manifest in its canonical form."""
    manifest["manifest_sha256"] = content_digest(manifest)
    return _render(manifest)


def _render(manifest: dict[str, Any]) -> bytes:
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def manifest_problems(data: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """Parse and check manifest bytes: JSON, schema, canonical form, content digest.

    Returns:
        The parsed manifest (None when it cannot be parsed) and the problems found,
        each one line starting with ``manifest edited:``.
    """
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"manifest edited: {MANIFEST} is not valid JSON ({exc})"]
    except RecursionError:
        return None, [f"manifest edited: {MANIFEST} is nested too deeply to be a manifest"]
    if not isinstance(manifest, dict):
        return None, [f"manifest edited: {MANIFEST} is not a JSON object"]
    try:
        # The compiled check of incident_lab.schemacheck accepts a valid manifest in
        # microseconds; jsonschema is loaded only to word the problems of an invalid one.
        problems = [
            f"manifest edited: {MANIFEST}: {e}" for e in validation_errors(manifest, "manifest.v1")
        ]
        sealed = manifest.get("manifest_sha256") == content_digest(manifest)
    except (RecursionError, ValueError) as exc:
        return None, [f"manifest edited: {MANIFEST} cannot be checked ({type(exc).__name__})"]
    if problems:
        # A manifest that does not match its schema cannot be trusted to describe
        # anything else: report the fields named by the schema check and stop.
        if not sealed:
            problems.append(
                f"manifest edited: {MANIFEST} content does not match its manifest_sha256"
            )
        return None, problems
    if not sealed:
        problems.append(
            f"manifest edited: {MANIFEST} content does not match its manifest_sha256 "
            "(a field was changed after collection)"
        )
    elif _render(manifest) != data:
        problems.append(f"manifest edited: {MANIFEST} is not byte-for-byte in its canonical form")
    return manifest, problems
