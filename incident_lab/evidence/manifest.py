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
import re
import socket
from functools import cache
from typing import Any

from incident_lab.trajectory import canonical_json, load_schema, validation_errors

__all__ = [
    "HASHED_FILES",
    "MANIFEST",
    "MANIFEST_VERSION",
    "METRICS",
    "REJECTS",
    "SIGNATURE",
    "TRAJECTORIES",
    "collector",
    "content_digest",
    "fast_manifest_valid",
    "manifest_problems",
    "model_versions_seen",
    "policy_hashes_seen",
    "serialise",
]

MANIFEST_VERSION = "manifest/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TRAJECTORIES = "trajectories.jsonl"
METRICS = "metrics.json"
REJECTS = "rejects.jsonl"
#: Files whose size and SHA-256 the manifest records.
HASHED_FILES = (TRAJECTORIES, METRICS, REJECTS)
#: Canonical SHA-256 of the ``manifest.v1.json`` that :func:`fast_manifest_valid` mirrors.
MANIFEST_SCHEMA_SHA256 = "8c2ee48f2a5d2a2c104aee32d2128252b81c7128d526a6cc5bafb8f5a2b08d24"


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
        problems = (
            []
            if fast_manifest_valid(manifest)
            else [
                f"manifest edited: {MANIFEST}: {e}"
                for e in validation_errors(manifest, "manifest.v1")
            ]
        )
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


def model_versions_seen(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's ``model_versions_seen`` (from the metrics of the kept sessions)."""
    return list(metrics["model_versions"])


def policy_hashes_seen(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's ``policy_hashes_seen`` (from the metrics of the kept sessions)."""
    return list(metrics["policy_hashes"])


# -- fast schema check ---------------------------------------------------------------
# Building the jsonschema validator for manifest.v1 (it checks the schema against the
# 2020-12 meta-schema first) costs more than verifying a 10 MB bundle. The check
# below mirrors manifest.v1.json rule for rule and, like evidence.validation's check
# of trajectories, answers True only when the manifest is certainly valid; any doubt
# goes to jsonschema, which gives the verdict and the messages. It switches itself
# off if the shipped schema changes. A property test pins "fast True => valid".

_TOP = frozenset(
    {
        "schema_version",
        "incident_id",
        "collected_at",
        "collector",
        "tool",
        "sources",
        "filters",
        "declared",
        "model_versions_seen",
        "policy_hashes_seen",
        "counts",
        "files",
        "timeline",
        "manifest_sha256",
    }
)
_SOURCE = frozenset({"path", "format", "size", "sha256", "records"})
_FILTERS = frozenset(
    {
        "format",
        "last",
        "since",
        "since_arg",
        "sessions",
        "users",
        "model_versions",
        "max_line_bytes",
    }
)
_POLICY = frozenset({"path", "size", "sha256", "sessions_matching"})
_COUNTS = frozenset({"read", "accepted", "rejected", "filtered_out"})
_FILE_KEYS = frozenset({"size", "sha256", "lines"})


@cache
def _patterns() -> tuple[Any, Any] | None:
    """``(timestamp, sha256)`` searchers from the schema itself, or None if it changed."""
    schema = load_schema("manifest.v1")
    digest = hashlib.sha256(canonical_json(schema).encode("utf-8")).hexdigest()
    if digest != MANIFEST_SCHEMA_SHA256:
        return None
    defs = schema["$defs"]
    return re.compile(defs["timestamp"]["pattern"]).search, re.compile(
        defs["sha256"]["pattern"]
    ).search


def _count(v: Any, least: int = 0) -> bool:
    return type(v) is int and v >= least


def _strs(v: Any) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _str_fields(d: Any, keys: frozenset[str]) -> bool:
    return type(d) is dict and d.keys() == keys and all(type(v) is str for v in d.values())


def fast_manifest_valid(doc: Any) -> bool:
    """Return True only if ``doc`` is certainly a valid ``manifest/v1`` (False: not sure)."""
    patterns = _patterns()
    if patterns is None or type(doc) is not dict or doc.keys() != _TOP:
        return False
    ts, sha = patterns

    def digest(v: Any) -> bool:
        return type(v) is str and sha(v) is not None

    incident, collected = doc["incident_id"], doc["collected_at"]
    if doc["schema_version"] != MANIFEST_VERSION or type(doc["schema_version"]) is not str:
        return False
    if type(incident) is not str or not 1 <= len(incident) <= 200:
        return False
    if type(collected) is not str or ts(collected) is None or not digest(doc["manifest_sha256"]):
        return False
    if not (
        _str_fields(doc["collector"], frozenset({"user", "host"}))
        and _str_fields(doc["tool"], frozenset({"name", "version"}))
    ):
        return False
    sources = doc["sources"]
    if type(sources) is not list:
        return False
    for src in sources:
        if type(src) is not dict or src.keys() != _SOURCE:
            return False
        if not (type(src["path"]) is str and type(src["format"]) is str and digest(src["sha256"])):
            return False
        if not (_count(src["size"]) and _count(src["records"])):
            return False
    f = doc["filters"]
    if type(f) is not dict or f.keys() != _FILTERS:
        return False
    since = f["since"]
    if not (
        (f["format"] is None or type(f["format"]) is str)
        and (f["last"] is None or _count(f["last"], 1))
        and (since is None or (type(since) is str and ts(since) is not None))
        and (f["since_arg"] is None or type(f["since_arg"]) is str)
        and _strs(f["sessions"])
        and _strs(f["users"])
        and _strs(f["model_versions"])
        and _count(f["max_line_bytes"], 1)
    ):
        return False
    declared = doc["declared"]
    if type(declared) is not dict or declared.keys() != {"model_versions", "policy"}:
        return False
    policy = declared["policy"]
    if not _strs(declared["model_versions"]):
        return False
    if policy is not None and not (
        type(policy) is dict
        and policy.keys() == _POLICY
        and type(policy["path"]) is str
        and _count(policy["size"])
        and digest(policy["sha256"])
        and _count(policy["sessions_matching"])
    ):
        return False
    for key in ("model_versions_seen", "policy_hashes_seen"):
        seen = doc[key]
        if type(seen) is not list or not all(type(x) is dict for x in seen):
            return False
    counts = doc["counts"]
    if type(counts) is not dict or counts.keys() != _COUNTS:
        return False
    if not all(_count(v) for v in counts.values()):
        return False
    files = doc["files"]
    if type(files) is not dict or not set(HASHED_FILES) <= files.keys():
        return False
    for entry in files.values():
        if type(entry) is not dict or not {"size", "sha256"} <= entry.keys() <= _FILE_KEYS:
            return False
        if not (_count(entry["size"]) and digest(entry["sha256"])):
            return False
        if "lines" in entry and not _count(entry["lines"]):
            return False
    timeline = doc["timeline"]
    return (
        type(timeline) is dict
        and timeline.keys() == {"path", "genesis_sha256", "head_sha256", "events"}
        and timeline["path"] == "timeline.jsonl"
        and type(timeline["path"]) is str
        and digest(timeline["genesis_sha256"])
        and digest(timeline["head_sha256"])
        and _count(timeline["events"], 1)
    )
