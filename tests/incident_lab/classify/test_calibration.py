"""Per-mode calibration: the curve, where it applies, and that it never changes a decision."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from incident_lab.classify import THRESHOLD, calibration, classify_trajectory, detector
from incident_lab.classify.base import Signal
from incident_lab.classify.calibration import Curve, calibrate
from tests.incident_lab.classify.test_engine import _exfil


@pytest.mark.parametrize(
    ("xs", "ys", "problem"),
    [
        ((), (), "at least one"),
        ((0.5, 0.6), (0.9,), "as many"),
        ((0.6, 0.5), (0.8, 0.9), "sorted"),
        ((0.5, 0.6), (0.9, 0.8), "not decrease"),
        ((0.5,), (1.2,), "probabilities"),
    ],
)
def test_a_malformed_curve_is_refused(xs: tuple, ys: tuple, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Curve(xs, ys)


def test_curve_is_flat_beyond_its_ends_and_linear_between_knots() -> None:
    c = Curve((0.5, 0.7, 0.9), (0.6, 0.8, 0.8))
    assert c(0.1) == 0.6 and c(0.5) == 0.6
    assert c(0.6) == pytest.approx(0.7)
    assert c(0.65) == pytest.approx(0.75)
    assert c(0.8) == pytest.approx(0.8) and c(1.0) == 0.8


def test_a_step_in_the_curve_takes_the_upper_value_at_the_step() -> None:
    c = Curve((0.5, 0.5, 1.0), (0.3, 0.9, 0.9))
    assert c(0.5) == 0.3  # at the first knot, its own value
    assert c(0.75) == pytest.approx(0.9)


def test_only_reported_scores_of_calibrated_modes_are_mapped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calibration, "curves", lambda: {"m": Curve((0.5, 1.0), (0.9, 0.99))})
    assert calibrate("m", 0.49, 0.5) == (0.49, False)
    assert calibrate("m", 0.5, 0.5) == (0.9, True)
    assert calibrate("m", 0.75, 0.5) == (pytest.approx(0.945, abs=0.006), True)
    assert calibrate("other", 0.8, 0.5) == (0.8, False)


def test_shipped_curves_load_and_were_fitted_only_on_unsealed_sources() -> None:
    raw = json.loads((files("incident_lab") / "data" / "calibration.json").read_text("utf-8"))
    curves = calibration.curves()
    assert set(curves) == set(raw["modes"]) and "prompt_injection" in curves
    for mode, c in curves.items():
        assert list(c.ys) == sorted(c.ys) and all(0 <= y <= 1 for y in c.ys)
        fitted_on = set(raw["modes"][mode]["fitted_on"])
        assert fitted_on and not fitted_on & {"sealed", "cilada"}, "held-out data was fitted on"


def test_engine_reports_the_curve_at_the_score_and_keeps_the_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shipped = classify_trajectory(_exfil())
    top = shipped.ranked[0]
    assert shipped.top == "prompt_injection" and top.calibrated
    curve = calibration.curves()["prompt_injection"]
    assert top.confidence == round(curve(top.score), 2)
    d = top.to_dict()
    assert d["score"] == top.score and d["calibrated"] is True

    monkeypatch.setattr(calibration, "curves", lambda: {})
    monkeypatch.setattr("incident_lab.classify.engine.calibrate", calibration.calibrate)
    plain = classify_trajectory(_exfil())
    assert plain.ranked[0].confidence == plain.ranked[0].score == top.score
    assert not plain.ranked[0].calibrated
    assert [r.failure_mode for r in plain.ranked] == [r.failure_mode for r in shipped.ranked]
    assert plain.top == shipped.top and plain.unsafe_steps == shipped.unsafe_steps


def test_ranking_and_reporting_use_the_score_not_the_calibrated_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A curve that maps everything below the threshold must not un-report a mode."""
    monkeypatch.setattr(
        calibration, "curves", lambda: {"intent_drift": Curve((0.0, 1.0), (0.1, 0.2))}
    )

    @detector("always_drift")
    def drift(traj: dict) -> list[Signal]:
        return [Signal("intent_drift", 0.99, [0], "made_up", "made up", unsafe_steps=[0])]

    c = classify_trajectory(_exfil(), detectors={"always_drift": drift})
    assert c.top == "intent_drift"
    assert c.ranked[0].score == 0.99 >= THRESHOLD
    assert c.ranked[0].confidence == 0.2 and c.ranked[0].calibrated
