"""Writing a bundle's ``followup/classification.json``: the classification, on disk."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incident_lab import __version__
from incident_lab.atomic import write_text_atomic
from incident_lab.errors import InputError
from incident_lab.readers.base import read_text
from incident_lab.taxonomy import load_taxonomy
from incident_lab.trajectory import utc_now_iso

if TYPE_CHECKING:  # reading a classification (blast radius) needs no classifier
    from incident_lab.classify.engine import Classification


def write_classification(bundle: Path, results: list[Classification], source: Path) -> Path:
    """Write ``results`` to ``BUNDLE/followup/classification.json`` (atomically).

    The document (``classification/v1``) records when and by which version it was
    made, what was read and the taxonomy catalogue versions the ids refer to.

    Args:
        bundle: The evidence bundle directory.
        results: One classification per session.
        source: What was classified (the bundle or its ``trajectories.jsonl``).

    Returns:
        The path written.
    """
    followup = bundle / "followup"
    followup.mkdir(exist_ok=True)
    out = followup / "classification.json"
    doc = {
        "schema_version": "classification/v1",
        "generated_at": utc_now_iso(),
        "tool_version": __version__,
        "source": str(source),
        "taxonomy_versions": load_taxonomy().versions(),
        "sessions": [c.to_dict() for c in results],
    }
    write_text_atomic(out, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return out


def read_classification(bundle: Path, *, this_version: bool = False) -> list[dict[str, Any]] | None:
    """The sessions of ``BUNDLE/followup/classification.json``; None when there is none
    (or, with ``this_version``, when another version of the tool wrote it).

    Read through the input gate (a FIFO or device is refused without blocking) and
    checked for shape, so a damaged file is one error naming it, never a crash later.

    Raises:
        InputError: unreadable, too large, not UTF-8 JSON, or not a classification
            (``sessions`` must be a list of objects, a session's ``detector_errors`` a
            list of strings); exit 3.
    """
    path = bundle / "followup" / "classification.json"
    if not path.exists() and not path.is_symlink():
        return None
    hint = "run 'incident_lab classify' on the bundle again"
    text = read_text(path, "a classification", hint)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", path=str(path), line=exc.lineno, hint=hint
        ) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=str(path), hint=hint) from None
    sessions = doc.get("sessions") if isinstance(doc, dict) else doc
    if not isinstance(sessions, list) or not all(isinstance(s, dict) for s in sessions):
        raise InputError(
            "not a classification (sessions must be a list of objects)", path=str(path), hint=hint
        )
    for k, session in enumerate(sessions):
        errors = session.get("detector_errors", [])
        if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
            raise InputError(
                f"not a classification (session {k}: detector_errors must be a list of strings)",
                path=str(path),
                hint=hint,
            )
    if this_version and (not isinstance(doc, dict) or doc.get("tool_version") != __version__):
        return None
    return sessions


def detector_error_lines(found: list[tuple[str, list[str]]]) -> list[str]:
    """One line per distinct detector error among ``(session id, detector_errors)`` pairs:
    ``SESSION: DETECTOR: Type: message`` when it hit one session, else ``DETECTOR: Type:
    message (N sessions)`` or ``(all N sessions)`` -- a batch detector's error is copied
    into every session and must not crowd out the others. In order of first appearance."""
    hits: dict[str, list[str]] = {}
    for sid, errors in found:
        for err in errors:
            hits.setdefault(err, []).append(sid)
    lines = []
    for err, sids in hits.items():
        if len(sids) == 1:
            lines.append(f"{sids[0]}: {err}")
        else:
            every = "all " if len(sids) == len(found) else ""
            lines.append(f"{err} ({every}{len(sids)} sessions)")
    return lines


def classification_errors(results: Iterable[Classification]) -> list[str]:
    """:func:`detector_error_lines` over classifications (every session's errors)."""
    return detector_error_lines([(c.session_id, c.detector_errors) for c in results])
