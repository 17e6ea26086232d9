"""What a detector is, and what it returns.

A detector is a named plain callable ``trajectory -> list[Signal]`` (structlog-style
pipeline stage). A cross-session detector sees every session of a batch at once,
``list[trajectory] -> dict[session_id, list[Signal]]``, for patterns no single session
shows (many actors sending the same payload). Detectors are plugins: return them from
``@hookimpl def register_detectors()``.

Example::

    from incident_lab.classify.base import Signal, detector

    @detector("refund_over_limit", description="refunds above 500 EUR")
    def refund_over_limit(traj):
        return [
            Signal("policy_erosion", 0.6, [i], "refund_over_limit", f"refund of {s['arguments']['amount']}")
            for i, s in enumerate(traj["steps"])
            if s.get("type") == "tool_call" and s.get("name") == "issue_refund"
            and float(s["arguments"].get("amount", 0)) > 500
        ]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Trajectory = dict[str, Any]


@dataclass(slots=True)
class Signal:
    """One piece of evidence that a failure mode happened.

    Attributes:
        failure_mode: A taxonomy failure mode, e.g. ``"prompt_injection"``.
        weight: How strongly this alone indicates the mode, 0..1 (combined by noisy-OR).
        steps: The step indices the evidence sits at (0-based, as in ``steps``).
        signal: A short stable name, e.g. ``"instructions_in_tool_output"``.
        detail: One human sentence that explains the evidence.
        unsafe_steps: The step(s) this evidence points at as the harmful one (a subset
            of ``steps`` or later); empty when the signal is contextual only.
        detector: Name of the detector that produced it (filled in by the engine).
        facts: Structured evidence for machines (``span``: step, offsets, quote;
            ``calls``: the dependent calls), shown under ``facts`` in ``to_dict``.
        root_cause: True when the evidence shows what caused the session's other failures
            (a call or an answer that depended on injected text): a reported mode with such
            evidence ranks above every other reported mode, whatever their scores.
    """

    failure_mode: str
    weight: float
    steps: list[int]
    signal: str
    detail: str
    unsafe_steps: list[int] = field(default_factory=list)
    detector: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    root_cause: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.weight, int | float) or math.isnan(self.weight):
            raise ValueError(f"signal {self.signal!r}: weight must be a number in 0..1")
        if not 0.0 <= float(self.weight) <= 1.0:
            raise ValueError(f"signal {self.signal!r}: weight {self.weight} is outside 0..1")
        self.weight = float(self.weight)
        self.steps = sorted({int(s) for s in self.steps})
        self.unsafe_steps = sorted({int(s) for s in self.unsafe_steps})

    def to_dict(self) -> dict[str, Any]:
        """Return the evidence entry of ``Classification.to_dict()``."""
        out: dict[str, Any] = {
            "signal": self.signal,
            "steps": list(self.steps),
            "detail": self.detail,
            "weight": round(self.weight, 3),
            "detector": self.detector,
        }
        if self.facts:
            out["facts"] = self.facts
        if self.root_cause:
            out["root_cause"] = True
        return out


@dataclass(frozen=True, slots=True)
class Detector:
    """A named per-session detector.

    Attributes:
        name: Unique name (a plugin's detector with the same name replaces a built-in).
        func: ``trajectory -> list[Signal]``.
        description: One line for the docs and ``incident_lab plugins``.
        modes: The failure modes it can emit (documentation only).
    """

    name: str
    func: Callable[[Trajectory], Sequence[Signal]]
    description: str = ""
    modes: tuple[str, ...] = ()

    cross_session = False

    def __call__(self, trajectory: Trajectory) -> Sequence[Signal]:
        """Run the detector on one trajectory."""
        return self.func(trajectory)


@dataclass(frozen=True, slots=True)
class CrossSessionDetector:
    """A named detector over a batch of sessions (e.g. coordinated misuse).

    Attributes:
        name: Unique name.
        func: ``list[trajectory] -> {session_id: [Signal, ...]}``.
        description: One line for the docs.
        modes: The failure modes it can emit.
    """

    name: str
    func: Callable[[list[Trajectory]], dict[str, list[Signal]]]
    description: str = ""
    modes: tuple[str, ...] = ()

    cross_session = True

    def __call__(self, trajectories: list[Trajectory]) -> dict[str, list[Signal]]:
        """Run the detector on a batch; sessions without signals may be absent."""
        return self.func(trajectories)


def is_cross_session(item: Any) -> bool:
    """True when ``item`` is a cross-session detector (has ``cross_session = True``)."""
    return bool(getattr(item, "cross_session", False))


def detector(
    name: str, *, description: str = "", modes: tuple[str, ...] = ()
) -> Callable[[Callable[[Trajectory], Sequence[Signal]]], Detector]:
    """Decorate ``trajectory -> list[Signal]`` into a :class:`Detector` named ``name``."""

    def wrap(func: Callable[[Trajectory], Sequence[Signal]]) -> Detector:
        return Detector(
            name, func, description or (func.__doc__ or "").strip().split("\n")[0], modes
        )

    return wrap


def cross_session_detector(
    name: str, *, description: str = "", modes: tuple[str, ...] = ()
) -> Callable[[Callable[[list[Trajectory]], dict[str, list[Signal]]]], CrossSessionDetector]:
    """Decorate ``list[trajectory] -> {session_id: [Signal]}`` into a :class:`CrossSessionDetector`."""

    def wrap(func: Callable[[list[Trajectory]], dict[str, list[Signal]]]) -> CrossSessionDetector:
        doc = (func.__doc__ or "").strip().split("\n")[0]
        return CrossSessionDetector(name, func, description or doc, modes)

    return wrap
