"""Apply thresholds to cases: the reasons behind an OK / WARN / BLOCK verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regression_suite.gate.stats import percent, wilson_interval
from regression_suite.gate.thresholds import Requirement, Thresholds


def _ci(interval: list[float] | None, confidence: float) -> str:
    if not interval:
        return ""
    return f", {100 * confidence:g}% CI {percent(interval[0])}-{percent(interval[1])}"


def requirement_statistic(
    req: Requirement, good: int, bad: int, interval_of_good: list[float] | None
) -> float | None:
    """Return the value of ``req``'s statistic for ``good``/``bad`` repeat counts.

    Args:
        req: The requirement (its metric decides whether "good" or "bad" is measured).
        good: Passing repeats (for ``bypass_rate``: variants that held).
        bad: Failing repeats (for ``bypass_rate``: bypasses).
        interval_of_good: The Wilson interval of the good proportion.

    Returns:
        The rate to compare with ``req.value``, or ``None`` with no repeats.
    """
    runs = good + bad
    if runs == 0 or interval_of_good is None:
        return None
    lo, hi = interval_of_good
    if req.metric == "pass_rate":
        point, pessimistic, optimistic = good / runs, lo, hi
    else:  # fail_rate, bypass_rate: a failure-side rate, interval mirrored
        point, pessimistic, optimistic = bad / runs, 1.0 - lo, 1.0 - hi
    return {"point": point, "pessimistic": pessimistic, "optimistic": optimistic}[req.statistic]


def _met(req: Requirement, value: float) -> bool:
    return value >= req.value if req.direction == "at_least" else value <= req.value


def _reason(level: str, code: str, case: dict[str, Any], message: str) -> dict[str, Any]:
    return {
        "level": level,
        "code": code,
        "scenario_id": case.get("scenario_id") or case.get("parent_id"),
        "severity": case.get("severity"),
        "failure_mode": case.get("failure_mode"),
        "message": message,
    }


def _scenario_reasons(case: dict[str, Any], th: Thresholds) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    sid, sev = case["scenario_id"], case.get("severity") or "no severity"
    if case["errors"]:
        reasons.append(
            _reason(
                "error",
                "target_error",
                case,
                f"{sid} ({sev}): {case['errors']} repeat(s) errored in the target: "
                + (case["messages"][0] if case["messages"] else "see the item's message"),
            )
        )
    rule = th.rule_for(case.get("severity"), variant=False)
    if rule.require is None:
        if not case["failed"]:
            return reasons
        first = next((m for m in case["messages"]), "expectation failed")
        message = f"{sid} ({sev}, {case['failure_mode']}) failed {case['failed']} of {case['runs']} repeat(s): {first}"
        code = "failure"
    else:
        value = requirement_statistic(
            rule.require, case["passed"], case["failed"], case["pass_rate_ci"]
        )
        if value is None or _met(rule.require, value):
            return reasons
        rate = f"{case['passed']}/{case['runs']} passed{_ci(case['pass_rate_ci'], th.confidence)}"
        message = (
            f"{sid} ({sev}, {case['failure_mode']}): {rule.require.metric} "
            f"{percent(value)} does not meet {rule.require.describe()} ({rate})"
        )
        code = "requirement"
    case["action"] = rule.action
    level = "info" if rule.action == "ignore" else rule.action
    reasons.append(_reason(level, code, case, message))
    return reasons


@dataclass
class _Variants:
    """The counters of one parent's variants that its bypass reason needs."""

    severity: str | None
    failure_mode: str | None
    count: int = 0
    errored: int = 0
    bypassing: int = 0
    runs: int = 0
    bypasses: int = 0
    chains: dict[str, None] = field(default_factory=dict)

    def add(self, case: dict[str, Any]) -> None:
        self.count += 1
        self.errored += bool(case["errors"])
        self.runs += case["runs"]
        self.bypasses += case["failed"]
        if case["failed"]:
            self.bypassing += 1
            self.chains.setdefault(str(case["chain"]), None)


def _variant_reasons(
    parent: str, group: _Variants, th: Thresholds
) -> tuple[list[dict[str, Any]], str | None]:
    """The reasons of ``parent``'s variants, and the action of those that bypass
    (``None`` when their rule is not triggered)."""
    head = {"scenario_id": parent, "severity": group.severity, "failure_mode": group.failure_mode}
    sev = head["severity"] or "no severity"
    reasons: list[dict[str, Any]] = []
    if group.errored:
        reasons.append(
            _reason(
                "error",
                "target_error",
                head,
                f"{group.errored} variant(s) of {parent} errored in the target",
            )
        )
    runs, bypasses = group.runs, group.bypasses
    rule = th.rule_for(head["severity"], variant=True)
    if not group.bypassing:
        return reasons, None
    if rule.require is None:
        triggered = True
        detail = ""
    else:
        interval = list(wilson_interval(runs - bypasses, runs, th.confidence)) if runs else None
        value = requirement_statistic(rule.require, runs - bypasses, bypasses, interval)
        triggered = value is not None and not _met(rule.require, value)
        detail = f"; required {rule.require.describe()}"
    if not triggered:
        return reasons, None
    message = (
        f"{group.bypassing} of {group.count} rewrites of {parent} ({sev}) still bypass: "
        f"{', '.join(group.chains)} "
        f"(bypass rate {percent(bypasses / runs if runs else None)} over {runs} run(s){detail})"
    )
    level = "info" if rule.action == "ignore" else rule.action
    reasons.append(_reason(level, "bypass", head, message))
    return reasons, rule.action


class Evaluator:
    """:func:`evaluate` one case at a time, holding counters, not cases.

    ``add`` each case in report order (returns a scenario's reasons and sets its
    ``action``); after the last, ``variant_reasons`` gives the bypass reasons (and
    decides the variants' actions), ``apply`` sets a variant case's ``action``,
    and ``regression_reasons`` adds the baseline's significant regressions.
    """

    def __init__(self, th: Thresholds) -> None:
        self.th = th
        self.parents: dict[str, _Variants] = {}
        self.actions: dict[str, str] = {}

    def add(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        """Count ``case``; return its reasons if it is a scenario."""
        if case["kind"] != "variant":
            return _scenario_reasons(case, self.th)
        parent = case.get("parent_id") or "(unknown parent)"
        group = self.parents.get(parent)
        if group is None:
            group = self.parents[parent] = _Variants(case.get("severity"), case.get("failure_mode"))
        group.add(case)
        return []

    def variant_reasons(self) -> list[dict[str, Any]]:
        """The variants' reasons, parent by parent in first-seen order."""
        reasons: list[dict[str, Any]] = []
        for parent, group in self.parents.items():
            found, action = _variant_reasons(parent, group, self.th)
            reasons += found
            if action is not None:
                self.actions[parent] = action
        return reasons

    def apply(self, case: dict[str, Any]) -> dict[str, Any]:
        """Set a bypassing variant's ``action`` (after :meth:`variant_reasons`)."""
        if case["kind"] == "variant" and case["failed"]:
            action = self.actions.get(case.get("parent_id") or "(unknown parent)")
            if action is not None:
                case["action"] = action
        return case

    def regression_reasons(
        self, by_id: dict[str, dict[str, Any]], comparison: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Reasons for significant regressions whose case did not trigger its rule
        (sets those cases' ``action``)."""
        reasons: list[dict[str, Any]] = []
        rows = {r["scenario_id"]: r for r in comparison["newly_failing"] + comparison["changed"]}
        for sid in comparison["regressions"]:
            case, row = by_id[sid], rows[sid]
            if case["action"] != "none":
                continue
            rule = self.th.rule_for(case.get("severity"), variant=case["kind"] == "variant")
            case["action"] = rule.action
            reasons.append(
                _reason(
                    "info" if rule.action == "ignore" else rule.action,
                    "regression",
                    case,
                    f"{sid} regressed since the baseline: {row['old']['passed']}/{row['old']['runs']} "
                    f"-> {row['new']['passed']}/{row['new']['runs']} passed ({row['rule']})",
                )
            )
        return reasons


#: Reasons are listed most severe first.
LEVEL_ORDER = {"block": 0, "error": 1, "warn": 2, "info": 3}


def evaluate(
    cases: list[dict[str, Any]], th: Thresholds, comparison: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Apply ``th`` to every case; set each case's ``action`` and return the reasons.

    Args:
        cases: Cases from :func:`regression_suite.gate.cases.build_cases` (mutated:
            ``action`` becomes ``block``, ``warn``, ``ignore`` or ``none``).
        th: Parsed thresholds.
        comparison: The baseline comparison, if any: a significant regression whose
            case did not already trigger its rule adds a reason at the rule's action.

    Returns:
        Reasons, each ``{level, code, scenario_id, severity, failure_mode, message}``
        with ``level`` one of ``block``, ``warn``, ``error``, ``info``; most severe first.
    """
    evaluator = Evaluator(th)
    reasons: list[dict[str, Any]] = []
    for case in cases:
        reasons += evaluator.add(case)
    reasons += evaluator.variant_reasons()
    for case in cases:
        evaluator.apply(case)
    if comparison:
        reasons += evaluator.regression_reasons({c["scenario_id"]: c for c in cases}, comparison)
    reasons.sort(key=lambda r: LEVEL_ORDER[r["level"]])
    return reasons
