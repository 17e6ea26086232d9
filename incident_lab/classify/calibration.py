"""Per-mode calibration: a reported mode's score becomes the probability that it is right.

The engine's score for a mode is the noisy-OR of its signals' weights (see
:mod:`incident_lab.classify.engine`); the weights are hand-set, so a score of 0.5 need not
mean "right half the time". For a mode with a curve in ``incident_lab/data/calibration.json``
the *reported* confidence is that curve at the score: a non-decreasing piecewise-linear map
fitted (pool-adjacent-violators, i.e. isotonic regression) on labelled sessions from public
third-party sources by ``benchmarks/triage_eval/calibrate.py``. The file records which
sources, how many sessions, and the commit the scores came from.

Only what the engine *reports* (score at or above the reporting threshold) is calibrated:
the threshold decision is made on the score, so calibration never changes ``top``, the
ranking or which modes are reported, only the number shown. Modes without a curve (no
third-party labelled data exists for them) keep their score as confidence, and the JSON
output carries ``calibrated: false`` for them.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True, slots=True)
class Curve:
    """A non-decreasing piecewise-linear map from score to probability of being right."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.xs or len(self.xs) != len(self.ys):
            raise ValueError("a calibration curve needs as many ys as xs, at least one")
        if any(b < a for a, b in zip(self.xs, self.xs[1:], strict=False)):
            raise ValueError("calibration xs must be sorted")
        if any(b < a for a, b in zip(self.ys, self.ys[1:], strict=False)):
            raise ValueError("calibration ys must not decrease")
        if not all(0.0 <= y <= 1.0 for y in self.ys):
            raise ValueError("calibration ys must be probabilities")

    def __call__(self, score: float) -> float:
        """The curve at ``score``: flat beyond the end knots, linear between knots."""
        xs, ys = self.xs, self.ys
        if score <= xs[0]:
            return ys[0]
        if score >= xs[-1]:
            return ys[-1]
        i = bisect_right(xs, score)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (score - x0) / (x1 - x0)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Curve:
        return cls(tuple(float(x) for x in data["x"]), tuple(float(y) for y in data["y"]))


@cache
def curves() -> dict[str, Curve]:
    """The shipped curves by failure mode (read once per process)."""
    resource = files("incident_lab") / "data" / "calibration.json"
    try:
        raw = json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {mode: Curve.from_dict(c) for mode, c in (raw.get("modes") or {}).items()}


def calibrate(mode: str, score: float, threshold: float) -> tuple[float, bool]:
    """``(confidence, calibrated)`` for a mode's score; only reported scores are mapped."""
    curve = curves().get(mode)
    if curve is None or score < threshold:
        return score, False
    return round(curve(score), 2), True
