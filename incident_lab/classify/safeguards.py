"""Safeguard-failure detector: a control that let an unsafe step through."""

from __future__ import annotations

from typing import Any

from incident_lab.classify.base import Signal, detector
from incident_lab.classify.session import Call, SessionView, provenance_of, sensitive_kinds
from incident_lab.text.lexicon import DIRECT_OVERRIDE, tool_category

_SINKS = ("email", "message", "http_write", "file_write", "exec", "payment", "permission")


def _name(step: dict[str, Any]) -> str:
    rule = f" (rule {step['rule_id']})" if step.get("rule_id") else ""
    return f"{step.get('safeguard', 'safeguard')}{rule}"


def _carried_text(traj: dict[str, Any], call: Call, category: str) -> str:
    """The argument values a sink call carries out.

    A payment's values that the user wrote (the payee's IBAN, the amount) are where the
    money goes, not data leaving: the user's own "pay 250 EUR to FR76..." is not a leak.
    """
    if category != "payment":
        return call.args_text
    prov = provenance_of(traj).call_at(call.index)
    if prov is None:
        return call.args_text
    return " ".join(a.value for a in prov.args if a.origin != "user")


@detector(
    "safeguard_failure",
    description="a safeguard that allowed, or flagged but did not block, an unsafe step",
    modes=("safeguard_failure",),
)
def safeguard_failure(traj: dict[str, Any]) -> list[Signal]:
    """Check each safeguard decision against labels and against what the judged step carried."""
    view = SessionView.of(traj)
    signals: list[Signal] = []
    calls = {c.index: c for c in view.calls}
    for index, step in view.safeguards:
        target = view.judged_step(index, step)
        if target is None or step.get("decision") not in ("allow", "flag"):
            continue
        for judge in _JUDGES:
            signal = judge(view, traj, calls.get(target), index, step, target)
            if signal is not None:
                signals.append(signal)
                break
    return signals


# -- one judge per way a let-through decision fails (the first that applies counts) ----


def _allowed_labelled(
    view: SessionView, traj: Any, call: Any, index: int, step: dict[str, Any], target: int
) -> Signal | None:
    """It allowed (or only flagged) a step labelled unsafe."""
    if target not in view.labelled_unsafe:
        return None
    decision, score = step.get("decision"), step.get("score")
    score_text = f" (score {score})" if isinstance(score, int | float) else ""
    verb = "allowed" if decision == "allow" else "flagged but did not block"
    return Signal(
        "safeguard_failure",
        0.85 if decision == "allow" else 0.8,
        [index, target],
        "safeguard_allowed_unsafe_step" if decision == "allow" else "safeguard_flagged_not_blocked",
        f"{_name(step)} at stage {step.get('stage')} {verb} step {target}{score_text}, "
        "which is labelled unsafe",
        unsafe_steps=[target],
    )


def _allowed_sensitive_sink(
    view: SessionView, traj: Any, call: Any, index: int, step: dict[str, Any], target: int
) -> Signal | None:
    """Before the action, it allowed a call to a sink whose arguments carry sensitive data."""
    if call is None or step.get("stage") != "pre_action" or step.get("decision") != "allow":
        return None
    category = tool_category(call.name, call.arguments)
    kinds = sensitive_kinds(_carried_text(traj, call, category))
    if not (kinds and category in _SINKS):
        return None
    return Signal(
        "safeguard_failure",
        0.65,
        [index, target],
        "sink_with_sensitive_data_allowed",
        f"{_name(step)} allowed {call.name} at step {target} although its arguments "
        f"carry {', '.join(kinds)}",
        unsafe_steps=[target],
    )


def _flagged_high_risk(
    view: SessionView, traj: Any, call: Any, index: int, step: dict[str, Any], target: int
) -> Signal | None:
    """It scored the step high risk but only flagged it, and the step went through."""
    score = step.get("score")
    if not (
        step.get("decision") == "flag"
        and isinstance(score, int | float)
        and score >= 0.8
        and view.executed(target)
    ):
        return None
    return Signal(
        "safeguard_failure",
        0.55,
        [index, target],
        "high_risk_flag_not_blocked",
        f"{_name(step)} scored step {target} at {score} (high risk) but only flagged it; it went through",
        unsafe_steps=[target],
    )


def _allowed_override(
    view: SessionView, traj: Any, call: Any, index: int, step: dict[str, Any], target: int
) -> Signal | None:
    """An input filter allowed a user turn that tries to override the agent."""
    if not (
        step.get("stage") == "input"
        and step.get("decision") == "allow"
        and view.steps[target].get("role") == "user"
        and DIRECT_OVERRIDE.search(str(view.steps[target].get("content", "")))
    ):
        return None
    return Signal(
        "safeguard_failure",
        0.35,
        [index, target],
        "input_filter_allowed_override",
        f"{_name(step)} allowed the user turn at step {target}, which tries to override the agent",
    )


_JUDGES = (_allowed_labelled, _allowed_sensitive_sink, _flagged_high_risk, _allowed_override)
