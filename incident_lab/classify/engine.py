"""Combine detector signals into a ranked, explained classification per session.

The score of a failure mode is the noisy-OR of its signals' weights, ``1 - prod(1 - w)``:
independent pieces of evidence reinforce each other and a single strong one is enough. A
mode is *reported* (eligible for ``top``) when its score is at :data:`THRESHOLD` or above;
weaker modes stay in the ranking as context. A reported mode's *confidence* is its score
mapped through the mode's calibration curve (:mod:`incident_lab.classify.calibration`),
when one was fitted on third-party data; otherwise the score itself.

Ranking is by score, except that a reported mode with *root-cause* evidence
(:attr:`Signal.root_cause <incident_lab.classify.base.Signal>`: a call or an answer that
depended on injected text) ranks above every other reported mode: the drift, the allowed
unsafe step or the erosion an injection brought about are its consequences.

Results:

- a mode reaches the threshold: ``top`` is the best one, with a severity suggestion;
- no mode does, but the session carries incident evidence (an unsafe label or verdict,
  a safeguard block/flag/escalation): ``top`` is ``"unknown"``, with that evidence;
- otherwise ``top`` is ``None`` and ``severity`` is ``None``: no incident signals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from incident_lab.classify.base import Signal, is_cross_session
from incident_lab.classify.calibration import calibrate
from incident_lab.classify.session import SessionView, analysing, provenance_of
from incident_lab.classify.severity import SeveritySuggestion, suggest_severity
from incident_lab.plugins import collect
from incident_lab.taxonomy import TAXONOMY_ENV, Taxonomy, load_taxonomy
from incident_lab.text.normalize import nesting_capped, surrogates_replaced
from incident_lab.trajectory import inherited_steps

THRESHOLD = 0.5


@dataclass(slots=True)
class RankedMode:
    """One failure mode in a session's ranking."""

    failure_mode: str
    confidence: float
    evidence: list[Signal]
    #: The noisy-OR of the evidence's weights: what ranking and reporting use.
    score: float = -1.0
    #: True when ``confidence`` is the mode's calibration curve at ``score``.
    calibrated: bool = False

    def __post_init__(self) -> None:
        if self.score < 0:
            self.score = self.confidence

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"failure_mode", "confidence", "score", "calibrated", "evidence"}``."""
        return {
            "failure_mode": self.failure_mode,
            "confidence": self.confidence,
            "score": self.score,
            "calibrated": self.calibrated,
            "evidence": [s.to_dict() for s in sorted(self.evidence, key=lambda s: -s.weight)],
        }


@dataclass(slots=True)
class Classification:
    """The classification of one session (see the module docstring for ``top``)."""

    session_id: str
    ranked: list[RankedMode]
    top: str | None
    severity: SeveritySuggestion | None
    unsafe_steps: list[int]
    detector_errors: list[str] = field(default_factory=list)

    @property
    def incident(self) -> bool:
        """True when something points at an incident (``top`` is set)."""
        return self.top is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape documented in docs/incident_lab.md (``classify --json``)."""
        out: dict[str, Any] = {
            "session_id": self.session_id,
            "ranked": [r.to_dict() for r in self.ranked],
            "top": self.top,
            "severity": self.severity.to_dict() if self.severity else None,
            "unsafe_steps": list(self.unsafe_steps),
        }
        if self.detector_errors:
            out["detector_errors"] = list(self.detector_errors)
        return out


@cache
def _shipped_taxonomy() -> Taxonomy:
    return load_taxonomy()


def _default_taxonomy() -> Taxonomy:
    """The taxonomy used when the caller passes none: the shipped one is loaded (merged and
    validated) once per process; with a team extension named by ``INCIDENT_LAB_TAXONOMY``
    it is loaded on every call, so an edited extension takes effect at once."""
    if os.environ.get(TAXONOMY_ENV):
        return load_taxonomy()
    return _shipped_taxonomy()


def get_detectors() -> dict[str, Any]:
    """Return every registered detector by name (plugins may replace built-ins)."""
    return collect("register_detectors")


def _accept(raw: Any, name: str, taxonomy: Taxonomy, errors: list[str], where: str) -> list[Signal]:
    if not isinstance(raw, list | tuple):
        errors.append(f"{name}: returned {type(raw).__name__}, expected a list of Signal{where}")
        return []
    out = []
    for sig in raw:
        if not isinstance(sig, Signal):
            errors.append(f"{name}: returned a {type(sig).__name__}, expected Signal{where}")
        elif sig.failure_mode not in taxonomy.failure_modes:
            errors.append(
                f"{name}: signal {sig.signal!r} names unknown failure mode {sig.failure_mode!r}{where}"
            )
        else:
            sig.detector = sig.detector or name
            out.append(sig)
    return out


def _incident_evidence(view: SessionView) -> Signal | None:
    facts, steps, judged = [], set(), set(view.labelled_unsafe)
    if view.labelled_unsafe:
        facts.append(
            f"steps {', '.join(map(str, sorted(view.labelled_unsafe)))} are labelled unsafe"
        )
        steps |= view.labelled_unsafe
    elif view.verdict == "unsafe":
        facts.append("the session's verdict is unsafe")
    for i, s in view.safeguards:
        if s.get("decision") in ("block", "flag", "escalate"):
            target = view.judged_step(i, s)
            facts.append(f"{s.get('safeguard')} decided {s.get('decision')} at step {i}")
            steps.add(i)
            if target is not None:
                steps.add(target)
                judged.add(target)
    if not facts:
        return None
    return Signal(
        "unknown",
        THRESHOLD,
        sorted(steps),
        "incident_evidence_without_known_mode",
        "; ".join(facts[:4]) + " — but no detector recognises a known failure mode",
        unsafe_steps=sorted(judged),
        detector="engine",
    )


def _combine(
    traj: dict[str, Any], signals: list[Signal], errors: list[str], taxonomy: Taxonomy
) -> Classification:
    by_mode: dict[str, list[Signal]] = {}
    for sig in signals:
        by_mode.setdefault(sig.failure_mode, []).append(sig)
    order = list(taxonomy.failure_modes)
    ranked = []
    for mode, sigs in by_mode.items():
        miss = 1.0
        for sig in sigs:
            miss *= 1.0 - sig.weight
        score = round(1.0 - miss, 2)
        confidence, calibrated = calibrate(mode, score, THRESHOLD)
        ranked.append(RankedMode(mode, confidence, sigs, score, calibrated))
    ranked.sort(
        key=lambda r: (
            not (r.score >= THRESHOLD and any(s.root_cause for s in r.evidence)),
            -r.score,
            -max(s.weight for s in r.evidence),
            order.index(r.failure_mode),
        )
    )
    view = SessionView.of(traj)
    reported = [r for r in ranked if r.score >= THRESHOLD and r.failure_mode != "unknown"]
    top: str | None = None
    if reported:
        top = reported[0].failure_mode
    else:
        evidence = _incident_evidence(view)
        if evidence is not None:
            top = "unknown"
            ranked.insert(0, RankedMode("unknown", evidence.weight, [evidence]))
            reported = [ranked[0]]
    unsafe = sorted({s for r in reported for sig in r.evidence for s in sig.unsafe_steps})
    severity = None
    if top is not None:
        top_steps = {s for sig in ranked[0].evidence for s in sig.unsafe_steps} if ranked else set()
        severity = suggest_severity(
            view, top, sorted(top_steps | view.labelled_unsafe), taxonomy, provenance_of(traj)
        )
    return Classification(str(traj.get("session_id", "")), ranked, top, severity, unsafe, errors)


def _name(det: Any) -> str:
    """A detector's ``name``, else its repr (built only then: a dataclass repr is not free)."""
    try:
        return str(det.name)
    except AttributeError:
        return repr(det)


def _run_session_detectors(
    traj: dict[str, Any], detectors: Iterable[Any], taxonomy: Taxonomy, errors: list[str]
) -> list[Signal]:
    signals: list[Signal] = []
    for det in detectors:
        name = _name(det)
        try:
            raw = det(traj)
        except Exception as exc:  # a plugin's bug must not hide the other detectors' evidence
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        signals.extend(_accept(raw, name, taxonomy, errors, ""))
    return signals


def classify_trajectory(
    traj: dict[str, Any],
    *,
    taxonomy: Taxonomy | None = None,
    detectors: dict[str, Any] | None = None,
) -> Classification:
    """Classify one session with the per-session detectors (cross-session ones need a batch).

    Args:
        traj: A ``trajectory/v1`` dict.
        taxonomy: Defaults to :func:`incident_lab.taxonomy.load_taxonomy`.
        detectors: name -> detector; defaults to every registered detector.

    Returns:
        The ranked failure modes with evidence, top mode, severity and unsafe steps.
    """
    taxonomy = taxonomy or _default_taxonomy()
    dets = get_detectors() if detectors is None else detectors
    per_session = [d for d in dets.values() if not is_cross_session(d)]
    try:
        result = _classify_one(traj, per_session, taxonomy)
    except (UnicodeEncodeError, RecursionError):
        # A lone surrogate (JSON lets "\ud800" through) is no text RE2 can read: read the
        # session with each one replaced, as a reader sees it (review rev-pf S1); a value
        # nested thousands of levels deep (which a reader refuses) is read flattened.
        # Asked only when a reading failed, so a clean session pays nothing for it.
        readable = _readable(traj)
        if readable is traj:  # nothing odd to blame
            raise
        return _classify_one(readable, per_session, taxonomy)
    if _unreadable(result.detector_errors) and (readable := _readable(traj)) is not traj:
        result = _classify_one(readable, per_session, taxonomy)
    return result


#: How a reading fails on a lone surrogate (a pattern engine that encodes its input as
#: UTF-8) or on a value nested past the interpreter's stack.
_UNREADABLE = ("UnicodeEncodeError", "RecursionError")


def _unreadable(errors: list[str]) -> bool:
    """Whether a detector error (``name: Type: message``) is of a type in :data:`_UNREADABLE`:
    the type, not a message that merely quotes one."""
    return any(e.partition(": ")[2].partition(":")[0] in _UNREADABLE for e in errors)


def _readable(traj: dict[str, Any]) -> Any:
    """``traj`` as a reader would hand it over: no lone surrogate, no value nested past
    :data:`~incident_lab.text.normalize.NESTING_LIMIT` levels; ``traj`` itself when it has
    neither."""
    return nesting_capped(surrogates_replaced(traj))


def _classify_one(
    traj: dict[str, Any], per_session: list[Any], taxonomy: Taxonomy
) -> Classification:
    errors: list[str] = []
    with analysing(traj):
        signals = _run_session_detectors(traj, per_session, taxonomy, errors)
        return _combine(traj, signals, errors, taxonomy)


def classify_many(
    trajs: list[dict[str, Any]],
    *,
    taxonomy: Taxonomy | None = None,
    detectors: dict[str, Any] | None = None,
) -> list[Classification]:
    """Classify a batch of sessions, running cross-session detectors over all of them.

    Returns:
        One :class:`Classification` per input trajectory, in input order.
    """
    taxonomy = taxonomy or _default_taxonomy()
    dets = get_detectors() if detectors is None else detectors
    per_session = [d for d in dets.values() if not is_cross_session(d)]
    cross = [d for d in dets.values() if is_cross_session(d)]
    trajs = [surrogates_replaced(t) for t in trajs]
    extra: dict[str, list[Signal]] = {}
    batch_errors: list[str] = []
    for det in cross:
        name = _name(det)
        try:
            found = _cross_found(det, trajs)
        except Exception as exc:
            batch_errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if not isinstance(found, dict):
            batch_errors.append(
                f"{name}: returned {type(found).__name__}, expected a dict of session id -> signals"
            )
            continue
        for sid, raw in found.items():
            extra.setdefault(str(sid), []).extend(
                _accept(raw, name, taxonomy, batch_errors, f" (session {sid})")
            )
    present = {str(t.get("session_id", "")) for t in trajs}
    held: dict[str, list[_Act]] = {}  # session id -> the acts its signals cite
    out: list[Classification | None] = [None] * len(trajs)
    for k in _originals_first(trajs, present):
        traj = trajs[k]
        batch = (per_session, taxonomy, batch_errors, extra, held)
        trajs[k], out[k] = _read_in_batch(traj, batch)
    return [c for c in out if c is not None]


def _cross_found(det: Any, trajs: list[dict[str, Any]]) -> Any:
    """What cross-session detector ``det`` returns for the batch; on a RecursionError (a
    value nested past the stack) what it returns for the batch read flattened
    (:func:`~incident_lab.text.normalize.nesting_capped`, which then replaces ``trajs``'
    sessions for the rest of :func:`classify_many`), as a session alone is read."""
    try:
        return det(trajs)
    except RecursionError:
        capped = [nesting_capped(t) for t in trajs]
        if all(c is t for c, t in zip(capped, trajs, strict=True)):
            raise  # nothing nested past the limit to blame
        trajs[:] = capped
        return det(trajs)


def _read_in_batch(
    traj: dict[str, Any],
    batch: tuple[list[Any], Taxonomy, list[str], dict[str, list[Signal]], dict[str, list[_Act]]],
) -> tuple[dict[str, Any], Classification]:
    """The session as read and its classification in :func:`classify_many`: read again
    flattened (:func:`~incident_lab.text.normalize.nesting_capped`) when a value nested past
    the stack made the reading, or a detector, fail, as :func:`classify_trajectory` does;
    the acts the failed reading filed under the session's id are dropped."""
    held = batch[-1]
    sid, kept = "", 0
    try:
        sid = str(traj.get("session_id", ""))
        kept = len(held.get(sid, ()))
        result = _one_of_batch(traj, *batch)
    except RecursionError:
        readable = nesting_capped(traj)
        if readable is traj:  # nothing nested past the limit to blame
            raise
        del held.get(sid, [])[kept:]
        return readable, _one_of_batch(readable, *batch)
    if not _unreadable(result.detector_errors) or (readable := nesting_capped(traj)) is traj:
        return traj, result
    del held.get(sid, [])[kept:]
    return readable, _one_of_batch(readable, *batch)


def _one_of_batch(
    traj: dict[str, Any],
    per_session: list[Any],
    taxonomy: Taxonomy,
    batch_errors: list[str],
    extra: dict[str, list[Signal]],
    held: dict[str, list[_Act]],
) -> Classification:
    """The classification of one session of :func:`classify_many`: its per-session
    detectors' signals and the cross-session ones (``extra``) filed under its id, each
    kept only where this session holds what it cites (``held``: the acts already cited)."""
    errors = list(batch_errors)
    with analysing(traj):
        signals = _run_session_detectors(traj, per_session, taxonomy, errors)
        signals.extend(extra.get(str(traj.get("session_id", "")), []))
        acts = [_act(traj, s) for s in signals]
        held.setdefault(str(traj.get("session_id", "")), []).extend(acts)
        return _combine(traj, _own(traj, signals, acts, held), errors, taxonomy)


@dataclass(frozen=True, slots=True)
class _Act:
    """What a signal cites: its name, and the content of each step it cites and of each
    unsafe step (:func:`_content`)."""

    signal: str
    cited: frozenset[str]
    unsafe: frozenset[str]


def _content(step: Any) -> str:
    """A step as any session holding it shows it: its extension objects and time left out."""
    shown = {k: v for k, v in step.items() if not k.startswith("x_") and k != "timestamp"}
    return json.dumps(shown, sort_keys=True, default=str)


def _act(traj: dict[str, Any], signal: Signal) -> _Act:
    steps = traj.get("steps")
    steps = steps if isinstance(steps, list) else []
    cited = set(signal.steps + signal.unsafe_steps)
    unsafe = set(signal.unsafe_steps)
    contents = {
        i: _content(step) for i, step in enumerate(steps) if i in cited and isinstance(step, dict)
    }
    return _Act(
        signal.signal,
        frozenset(contents.values()),
        frozenset(c for i, c in contents.items() if i in unsafe),
    )


def _originals_first(trajs: list[dict[str, Any]], present: set[str]) -> list[int]:
    """The batch's indices, each session after the sessions in the batch it copied steps
    from (:func:`~incident_lab.trajectory.inherited_steps`; a loop, in input order)."""
    sources = [set(inherited_steps(t).values()) & present for t in trajs]
    order: list[int] = []
    done: set[str] = set()
    pending = list(range(len(trajs)))
    while pending:
        ready = [k for k in pending if sources[k] <= done] or pending[:1]
        for k in ready:
            order.append(k)
            done.add(str(trajs[k].get("session_id", "")))
        pending = [k for k in pending if k not in ready]
    return order


def _own(
    traj: dict[str, Any], signals: list[Signal], acts: list[_Act], held: dict[str, list[_Act]]
) -> list[Signal]:
    """The signals that are the session's own finding. A session that starts as a copy of
    another (:func:`~incident_lab.trajectory.inherited_steps`: a fork) keeps the copied
    steps as the context its own steps are judged in, but evidence resting on copied steps
    only is the other session's finding when a session of the batch it copied from holds
    the same act (a signal of the same name citing the same steps' content: reported there,
    once, not once per fork); else (that session not in the batch, or its record without
    the act: a line of it damaged) the fork's record is the only one and keeps it (review
    revcc37 M2). A finding of the fork's own keeps only the unsafe steps that are its own
    or no such session holds as unsafe (review revcc37 L1: a fork of a fork repeating the
    act cites its repeat, not its original's act again)."""
    inherited = inherited_steps(traj)
    if not inherited:
        return signals
    sources = [a for source in set(inherited.values()) for a in held.get(source, [])]
    unsafe_there: set[str] = set().union(*(a.unsafe for a in sources))
    steps = traj["steps"]  # inherited_steps found steps: a list
    out = []
    for s, act in zip(signals, acts, strict=True):
        copied = bool(s.steps) and set(s.steps + s.unsafe_steps) <= inherited.keys()
        if copied and any(a.signal == act.signal and act.cited <= a.cited for a in sources):
            continue
        mine = [
            u
            for u in s.unsafe_steps
            if u not in inherited or _content(steps[u]) not in unsafe_there
        ]
        out.append(s if mine == s.unsafe_steps or not mine else replace(s, unsafe_steps=mine))
    return out
