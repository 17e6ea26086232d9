"""Builders shared by the evidence tests: realistic sessions, logs, and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.app import run
from incident_lab.cli.main import cli
from incident_lab.evidence import manifest, timeline, verify


def seal_problems(
    manifest_bytes: bytes,
    sig_bytes: bytes | None,
    timeline_bytes: bytes | None,
    public_key: object | None = None,
) -> list[str]:
    """The seal checks of :func:`~incident_lab.evidence.verify.verify_bundle` on bytes in memory.

    The manifest (JSON, schema, canonical form, digest), ``manifest.sig`` (with a
    key) and the timeline (canonical events, self-digests, chain, genesis, sealed
    head and length, event signatures with a key): the part of a bundle a forger
    has to get past once the data files' hashes are pinned by the manifest.
    Never raises on malformed bytes.
    """
    try:
        doc, problems = manifest.manifest_problems(manifest_bytes)
        if public_key is not None:
            _, problem = verify._signature_problem(manifest_bytes, sig_bytes, public_key, "the key")
            problems += [problem] if problem else []
        if doc is not None:
            if timeline_bytes is None:
                problems.append(f"missing: {timeline.TIMELINE}")
            else:
                problems += verify._timeline_problems(doc, timeline_bytes, public_key)[1]
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as exc:
        problems = [f"manifest edited: malformed bundle structure ({type(exc).__name__}: {exc})"]
    return problems


def make_session(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid trajectory/v1 session: messages, a tool call and result, a safeguard decision."""
    traj: dict[str, Any] = {
        "schema_version": "trajectory/v1",
        "session_id": f"sess-{i:04d}",
        "started_at": f"2026-02-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "actor": {"user_id": f"u{i % 3}", "tenant_id": "acme"},
        "agent": {
            "name": "mail-assistant",
            "model": {"name": "gpt-4o", "version": "2024-08-06" if i % 2 else "2024-11-20"},
            "policy": {"id": "mail-policy", "version": "7", "hash": "sha256:" + "ab" * 32},
            "tools": [{"name": "send_email", "parameters": {"type": "object"}}],
        },
        "steps": [
            {"type": "message", "role": "system", "content": "You are a mail assistant."},
            {"type": "message", "role": "user", "content": f"Summarise report {i}."},
            {
                "type": "tool_call",
                "name": "read_document",
                "arguments": {"doc_id": f"d{i}"},
                "call_id": "c1",
            },
            {
                "type": "tool_result",
                "call_id": "c1",
                "output": "Q3 numbers…",
                "is_error": i % 5 == 0,
            },
            {
                "type": "safeguard",
                "safeguard": "egress-filter",
                "stage": "pre_action",
                "decision": "block" if i % 4 == 0 else "allow",
                "score": 0.5,
                "target_step": 2,
            },
            {"type": "message", "role": "assistant", "content": "Done."},
        ],
        "x_vendor_field": {"kept": True},
    }
    traj.update(overrides)
    return traj


def write_jsonl(path: Path, rows: list[Any], *, extra: bytes = b"") -> Path:
    """Write rows (dicts are JSON-encoded, bytes written as-is) one per line."""
    with open(path, "wb") as fh:
        for row in rows:
            fh.write(row if isinstance(row, bytes) else json.dumps(row).encode("utf-8"))
            fh.write(b"\n")
        fh.write(extra)
    return path


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A native log of 20 valid sessions."""
    return write_jsonl(tmp_path / "sessions.jsonl", [make_session(i) for i in range(20)])


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``incident_lab ARGS`` in-process through the real entry point; return (code, out, err)."""

    def _invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(cli, "incident_lab", [str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _invoke


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
