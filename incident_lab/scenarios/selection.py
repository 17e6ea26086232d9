"""Choosing the incident session in a file of many, and noticing coordinated sessions.

Rules (documented in ``docs/incident_lab.md``):

1. ``--session ID`` wins; an unknown id is an error that lists the ids present.
2. A file with one session uses it.
3. Otherwise the sessions *flagged unsafe* are found, by tiers of trust: those
   labelled unsafe; if none, those judged ``block``/``flag``/``escalate``/``redact``
   by a safeguard; if none, those the classifier gives unsafe steps (and a failure
   mode other than ``unknown``). One flagged session is used. With
   several, the most severe one is used (classifier severity, then the number of
   unsafe steps, then file order) and ``add`` says which and how to pick another.
4. No flagged session among several is an error listing the ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from incident_lab.errors import UsageError
from incident_lab.scenarios.redact import Redactor

Trajectory = dict[str, Any]
_SHOWN = 20


def is_labelled(traj: Trajectory) -> bool:
    """True when the session's labels mark it unsafe (a human's or a monitor's word)."""
    labels = traj.get("labels") or {}
    return bool(labels.get("unsafe_steps")) or labels.get("verdict") == "unsafe"


def is_flagged(traj: Trajectory) -> bool:
    """True when labels or a safeguard decision mark the session unsafe."""
    if is_labelled(traj):
        return True
    return any(
        s.get("type") == "safeguard"
        and s.get("decision") in ("block", "flag", "escalate", "redact")
        for s in traj.get("steps") or []
    )


def _ids(sessions: list[Trajectory]) -> str:
    ids = [str(s.get("session_id")) for s in sessions]
    more = f" (+{len(ids) - _SHOWN} more)" if len(ids) > _SHOWN else ""
    return ", ".join(ids[:_SHOWN]) + more


def _severity_rank(classification: dict[str, Any] | None) -> int:
    level = str(((classification or {}).get("severity") or {}).get("level") or "SEV-9")
    digits = re.sub(r"\D", "", level)
    return int(digits) if digits else 9


def _top_score(classification: dict[str, Any] | None) -> float:
    """The classifier's raw score for its top mode (0 when unclassified)."""
    ranked = (classification or {}).get("ranked") or []
    top = ranked[0] if ranked and isinstance(ranked[0], dict) else {}
    score = top.get("score", top.get("confidence", 0.0))
    return float(score) if isinstance(score, (int, float)) else 0.0


def select_session(
    sessions: list[Trajectory],
    session_id: str | None,
    *,
    unsafe_steps: list[int] | None = None,
    known: dict[str, dict[str, Any]] | None = None,
    errors: list[str] | None = None,
) -> tuple[Trajectory, dict[str, Any] | None, str | None]:
    """Pick the session to turn into a scenario.

    ``known`` maps session ids to classifications already made (a bundle's
    ``followup/classification.json``); those sessions are not classified again.
    ``errors`` receives ``SESSION: DETECTOR: ...`` for every detector that failed on a
    session the choice looked at (:func:`detector_errors_of`).

    Returns:
        ``(trajectory, classification or None, note for the user or None)``.

    Raises:
        UsageError: unknown ``session_id``; ``--unsafe-step`` without ``--session`` in a
            multi-session file; no flagged session among several.
    """
    if session_id is not None:
        return _named_session(sessions, session_id), None, None
    if len(sessions) == 1:
        return sessions[0], None, None
    if unsafe_steps:
        raise UsageError(
            f"--unsafe-step needs --session: the file holds {len(sessions)} sessions ({_ids(sessions)})"
        )
    from incident_lab.scenarios.build import classification_of

    def classified(traj: Trajectory) -> dict[str, Any] | None:
        sid = str(traj.get("session_id"))
        found = known[sid] if known is not None and sid in known else classification_of(traj)
        if errors is not None:
            errors.extend(detector_errors_of(found))
        return found

    flagged = _flagged(sessions, classified)
    if len(flagged) == 1:
        return flagged[0][0], flagged[0][1], None
    return _most_severe(flagged, classified)


def detector_errors_of(classification: dict[str, Any] | None) -> list[str]:
    """``SESSION: DETECTOR: ExceptionType: message`` for each detector that failed on the
    session of ``classification`` (a ``Classification.to_dict()``, or one read back by
    :func:`~incident_lab.classify.followup.read_classification`, which checks the shape)."""
    found = (classification or {}).get("detector_errors") or []
    sid = (classification or {}).get("session_id")
    return [f"{sid}: {err}" for err in found]


def _named_session(sessions: list[Trajectory], session_id: str) -> Trajectory:
    """The one session with that id (none, or two with it, is a usage error)."""
    matches = [t for t in sessions if str(t.get("session_id")) == session_id]
    if len(matches) > 1:
        raise UsageError(
            f"--session {session_id!r} is ambiguous: {len(matches)} sessions in the file "
            "carry that id",
            hint="split the file, or fix the duplicated session ids at the source",
        )
    if not matches:
        raise UsageError(
            f"no session {session_id!r} in the file; available: {_ids(sessions)}",
            hint="pass one of the listed ids to --session",
        )
    return matches[0]


_Classify = Callable[[Trajectory], dict[str, Any] | None]


def _flagged(
    sessions: list[Trajectory], classified: _Classify
) -> list[tuple[Trajectory, dict[str, Any] | None]]:
    """The unsafe sessions by tiers of trust: a human's label, then a safeguard's flag,
    then the classifier (with its classification).

    Raises:
        UsageError: none is flagged.
    """
    flagged: list[tuple[Trajectory, dict[str, Any] | None]] = [
        (t, None) for t in sessions if is_labelled(t)
    ] or [(t, None) for t in sessions if is_flagged(t)]
    if not flagged:
        for traj in sessions:
            c = classified(traj)
            if c and c.get("unsafe_steps") and c.get("top") not in (None, "unknown"):
                flagged.append((traj, c))
    if not flagged:
        raise UsageError(
            f"none of the {len(sessions)} sessions is flagged unsafe (no labels, safeguard flags "
            f"or classifier signals): {_ids(sessions)}",
            hint="choose one with --session ID and name the harmful step with --unsafe-step N",
        )
    return flagged


def _most_severe(
    flagged: list[tuple[Trajectory, dict[str, Any] | None]], classified: _Classify
) -> tuple[Trajectory, dict[str, Any] | None, str]:
    """The most severe flagged session, its classification, and a note naming the others.

    Ties are broken the way ``incident_lab classify`` orders its top sessions (the top
    mode's raw score, highest first), then by the most unsafe steps, then input order: the
    session ``add`` takes is the one the on-call engineer saw listed first.
    """
    ranked = []
    for pos, (traj, c) in enumerate(flagged):
        c = c if c is not None else classified(traj)
        unsafe = len(
            (traj.get("labels") or {}).get("unsafe_steps") or (c or {}).get("unsafe_steps") or []
        )
        ranked.append((_severity_rank(c), -_top_score(c), -unsafe, pos, traj, c))
    ranked.sort(key=lambda r: r[:4])
    best, best_c = ranked[0][4], ranked[0][5]
    level = ((best_c or {}).get("severity") or {}).get("level")
    why = f" ({level})" if level else ""
    note = (
        f"{len(flagged)} sessions are flagged unsafe ({_ids([r[4] for r in ranked])}); "
        f"using the most severe, {best.get('session_id')}{why}; pass --session ID to add another"
    )
    return best, best_c, note


def _words(text: str) -> list[str]:
    text = re.sub(r"<[A-Z_]+_\d+>", " ", text.lower())
    return re.findall(r"[a-z0-9']+", text)


def _shingles(text: str, k: int = 3) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + k]) for i in range(max(len(words) - k + 1, 0))}


def _user_shingles(traj: Trajectory) -> list[set[tuple[str, ...]]]:
    return [
        sh
        for s in traj.get("steps") or []
        if s.get("type") == "message" and s.get("role") == "user"
        for sh in [_shingles(str(s.get("content", "")))]
        if len(sh) >= 6
    ]


def _similar(
    a: list[set[tuple[str, ...]]], b: list[set[tuple[str, ...]]], threshold: float
) -> bool:
    return any(len(x & y) / len(x | y) >= threshold for x in a for y in b)


def coordination_of(
    chosen: Trajectory, sessions: list[Trajectory], *, threshold: float = 0.7
) -> dict[str, Any] | None:
    """Describe other sessions that sent a near-identical user payload, or None.

    Similarity is the Jaccard index of word 3-shingles between user turns (digits and
    redaction placeholders kept, case ignored). A session whose instructions came from
    untrusted content (an injected document) is never "coordinated" through its user
    turn: its victims share only their own benign task.

    Returns:
        ``{"sessions", "actors", "tenants", "session_ids", "first_seen", "last_seen",
        "similarity_threshold"}`` counting the chosen session too, with identifiers
        redacted; None when no other session matches.
    """
    from incident_lab.classify.coordination import injected_from_content

    mine = _user_shingles(chosen)
    if not mine or injected_from_content(chosen):
        return None  # the user's own task is not the payload when the content carried it
    matches = [chosen] + [
        t for t in sessions if t is not chosen and _similar(mine, _user_shingles(t), threshold)
    ]
    if len(matches) < 2:
        return None
    redactor = Redactor(style="placeholder")
    actors = {
        str((t.get("actor") or {}).get("user_id"))
        for t in matches
        if (t.get("actor") or {}).get("user_id")
    }
    tenants = {
        str((t.get("actor") or {}).get("tenant_id"))
        for t in matches
        if (t.get("actor") or {}).get("tenant_id")
    }
    started = sorted(str(t["started_at"]) for t in matches if t.get("started_at"))
    return {
        "sessions": len(matches),
        "actors": len(actors),
        "tenants": len(tenants),
        "session_ids": [redactor.redact_text(str(t.get("session_id"))) for t in matches[:100]],
        "first_seen": started[0] if started else None,
        "last_seen": started[-1] if started else None,
        "similarity_threshold": threshold,
    }
