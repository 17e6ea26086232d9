"""Coordinated-misuse detector (cross-session): many actors sending near-identical payloads.

Each session's user text becomes a set of word 3-gram shingles (digits masked, so
"order 1234" and "order 9876" match). Candidate pairs come from MinHash banding
with the one MinHash/LSH implementation, :mod:`incident_lab.text.minhash` (so a
bundle of thousands of sessions is not compared pair by pair) and are kept
when their exact Jaccard similarity reaches :data:`SIMILARITY`. Clusters with at
least :data:`MIN_ACTORS` distinct actors are reported; the weight is high only
when the cluster also shows risk (safeguard decisions, refusals, override phrases,
unsafe labels): identical *benign* requests from many users (a help-centre button)
are not misuse.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

from incident_lab.classify.base import Signal, cross_session_detector
from incident_lab.classify.session import SessionView
from incident_lab.text.lexicon import DIRECT_OVERRIDE, REFUSAL

SIMILARITY = 0.5
MIN_ACTORS = 5
_MIN_TOKENS = 8
_PERMS = 32
_BANDS = 16  # 2 rows per band: pairs at Jaccard 0.5 collide with probability ~0.99
_TOKEN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)


def shingles(text: str, size: int = 3) -> set[str]:
    """Return the word ``size``-gram shingles of ``text`` (lower-cased, digits masked)."""
    tokens = ["#" if t.isdigit() else t for t in _TOKEN.findall(text.lower())]
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets (0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def _shingle_ids(items: set[str]) -> Any:
    """Word shingles as stable 64-bit integers (the input :class:`MinHasher` signs)."""
    import numpy as np

    return np.array(
        [int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in items],
        dtype=np.uint64,
    )


def _actor(traj: dict[str, Any]) -> str:
    actor: dict[str, Any] = traj["actor"] if isinstance(traj.get("actor"), dict) else {}
    return str(
        actor.get("user_id") or actor.get("tenant_id") or f"session:{traj.get('session_id')}"
    )


def injected_from_content(traj: dict[str, Any]) -> bool:
    """True when the session's instructions came from untrusted content (a tool output,
    a retrieved document, memory, another agent) and none from what its user typed.

    Many victims of one injected document share a *benign* user task ("summarise my
    inbox"); that shared task is not a coordinated payload, however many actors sent it.
    """
    from incident_lab.classify.session import provenance_of

    sources = {span.source for span in provenance_of(traj).instructions}
    return bool(sources) and "user" not in sources


def _risky(view: SessionView) -> list[str]:
    reasons = []
    if any(s.get("decision") in ("block", "flag", "escalate") for _, s in view.safeguards):
        reasons.append("safeguard decisions")
    if any(REFUSAL.search(t) for _, t in view.assistant_turns):
        reasons.append("refusals")
    if DIRECT_OVERRIDE.search(view.user_text):
        reasons.append("override phrasing")
    if view.labelled_unsafe or view.verdict == "unsafe":
        reasons.append("unsafe labels")
    return reasons


@cross_session_detector(
    "coordinated_payloads",
    description="near-identical user payloads (shingle Jaccard) from many distinct actors",
    modes=("coordinated_misuse",),
)
def coordinated_payloads(trajectories: list[dict[str, Any]]) -> dict[str, list[Signal]]:
    """Cluster sessions by payload similarity and flag clusters sent by many actors."""
    sets = [_payload_shingles(traj) for traj in trajectories]
    # A cluster needs MIN_ACTORS distinct actors among the sessions with a payload; with
    # fewer in the whole input no cluster can qualify, and the MinHash index (numpy) is
    # never imported: classifying one session stays cheap.
    if len({_actor(t) for t, items in zip(trajectories, sets, strict=True) if items}) < MIN_ACTORS:
        return {}
    out: dict[str, list[Signal]] = {}
    for members in _similar_clusters(sets):
        for sid, signal in _cluster_signals(trajectories, members):
            out.setdefault(sid, []).append(signal)
    return out


def _payload_shingles(traj: dict[str, Any]) -> set[str]:
    """The shingles of a session's user messages; empty when too short to compare."""
    text = " ".join(
        str(s.get("content", ""))
        for s in traj.get("steps") or []
        if isinstance(s, dict) and s.get("type") == "message" and s.get("role") == "user"
    )
    return shingles(text[:4000]) if len(_TOKEN.findall(text)) >= _MIN_TOKENS else set()


def _similar_clusters(sets: list[set[str]]) -> list[list[int]]:
    """Indexes of the non-empty shingle sets grouped by Jaccard >= SIMILARITY (LSH candidates,
    union-find), each group in index order, groups in order of their first appearance."""
    parent = list(range(len(sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    from incident_lab.text.minhash import LSHIndex, MinHasher

    hasher, index = MinHasher(num_perm=_PERMS), LSHIndex(_BANDS, _PERMS // _BANDS)
    signatures = {i: hasher.signature(_shingle_ids(items)) for i, items in enumerate(sets) if items}
    for i, sig in signatures.items():
        index.insert(i, sig)
    for i, sig in signatures.items():
        for j in sorted(index.query(sig)[0]):
            if j <= i or find(i) == find(j):
                continue
            if jaccard(sets[i], sets[j]) >= SIMILARITY:
                parent[find(i)] = find(j)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(sets)):
        if sets[i]:
            clusters[find(i)].append(i)
    return list(clusters.values())


def _cluster_signals(
    trajectories: list[dict[str, Any]], members: list[int]
) -> list[tuple[str, Signal]]:
    """(session id, signal) for each member of a cluster sent by at least MIN_ACTORS actors:
    a campaign when most of it shows risk, else a weak benign-payload signal."""
    actors = {_actor(trajectories[i]) for i in members}
    if len(actors) < MIN_ACTORS:
        return []
    if sum(injected_from_content(trajectories[i]) for i in members) * 2 > len(members):
        return []  # the victims of one injected document, sharing only their own task
    views = {i: SessionView(trajectories[i]) for i in members}
    risk: dict[str, int] = defaultdict(int)
    risky_sessions = 0
    for view in views.values():
        reasons = _risky(view)
        risky_sessions += bool(reasons)
        for reason in reasons:
            risk[reason] += 1
    # Misuse when most of the cluster shows risk; one risky session among many
    # identical benign requests is that session's own problem, not a campaign.
    if risky_sessions >= max(2, len(members) / 2):
        weight = min(0.95, 0.6 + 0.03 * len(actors))
        why = ", ".join(f"{reason} in {n}" for reason, n in sorted(risk.items()))
        detail = (
            f"this session's payload is near-identical (Jaccard >= {SIMILARITY}) to those of "
            f"{len(members) - 1} other session(s) from {len(actors)} distinct actors; the cluster "
            f"shows {why} session(s)"
        )
        name = "near_identical_payloads_many_actors"
    else:
        weight = 0.3
        detail = (
            f"{len(actors)} distinct actors sent near-identical payloads, but only {risky_sessions} of "
            f"{len(members)} sessions show a refusal, safeguard decision, override phrasing or unsafe label"
        )
        name = "near_identical_benign_payloads"
    signals = []
    for i in members:
        view = views[i]
        first_user = view.user_turns[0][0] if view.user_turns else 0
        sid = str(trajectories[i].get("session_id"))
        signals.append((sid, Signal("coordinated_misuse", weight, [first_user], name, detail)))
    return signals
