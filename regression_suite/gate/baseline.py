"""Compare a run with a baseline run: newly failing, fixed, and which changes are real.

The rule for a *significant* regression (documented in docs/regression_suite.md,
section Verdict): a case that now fails more often than in the baseline is a
significant regression when

* the flip is unanimous: every baseline repeat passed and every repeat now fails
  (with ``repeats=1`` on both sides this is the deterministic flip, and a
  deterministic system gives no more evidence with more repeats), or
* a one-sided Fisher exact test on the two runs' pass/fail counts gives
  ``p < significance`` (default 0.05).

Anything else that moved (e.g. 20/20 -> 19/20 on a flaky target) is listed as a
change with its p-value, not as a regression.
"""

from __future__ import annotations

from typing import Any

from regression_suite.gate.stats import fisher_less


def is_failing(case: dict[str, Any]) -> bool:
    """True when at least one repeat of the case failed its expectations."""
    return case.get("status") in ("failed", "flaky")


def _counts(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": case.get("status"),
        "passed": case.get("passed", 0),
        "runs": case.get("runs", 0),
        "errors": case.get("errors", 0),
        "pass_rate": case.get("pass_rate"),
    }


def _significance(old: dict[str, Any], new: dict[str, Any], level: float) -> dict[str, Any]:
    o_pass, o_runs = int(old.get("passed", 0)), int(old.get("runs", 0))
    n_pass, n_runs = int(new.get("passed", 0)), int(new.get("runs", 0))
    p_value = fisher_less(o_pass, o_runs, n_pass, n_runs)
    unanimous = o_runs > 0 and n_runs > 0 and o_pass == o_runs and n_pass == 0
    if unanimous:
        rule = "unanimous flip (every baseline repeat passed, every repeat now fails)"
    elif p_value < level:
        rule = f"one-sided Fisher exact test p={p_value:.3g} < {level:g}"
    else:
        rule = f"not significant: one-sided Fisher exact test p={p_value:.3g} >= {level:g}"
    return {"p_value": p_value, "significant": unanimous or p_value < level, "rule": rule}


def compare_cases(
    old_cases: list[dict[str, Any]], new_cases: list[dict[str, Any]], *, significance: float = 0.05
) -> dict[str, Any]:
    """Compare two runs' cases by scenario id.

    Args:
        old_cases: The baseline report's ``cases``.
        new_cases: This run's cases.
        significance: Level of the one-sided Fisher test.

    Returns:
        ``newly_failing`` (passed before, fails now), ``fixed`` (failed before, passes
        now), ``changed`` (pass rate or status moved otherwise), ``added`` and
        ``removed`` scenario ids, ``errored`` (cannot be compared: no runs on one
        side) and ``regressions``: the ids among newly failing and changed whose
        drop is significant (see the module docstring).
    """
    old = {c["scenario_id"]: c for c in old_cases}
    new = {c["scenario_id"]: c for c in new_cases}
    result: dict[str, Any] = {
        "newly_failing": [],
        "fixed": [],
        "changed": [],
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "errored": [],
        "regressions": [],
    }
    for sid in sorted(set(old) & set(new)):
        before, after = old[sid], new[sid]
        if not before.get("runs") or not after.get("runs"):
            if before.get("status") != after.get("status"):
                result["errored"].append(
                    {"scenario_id": sid, "old": _counts(before), "new": _counts(after)}
                )
            continue
        row = {
            "scenario_id": sid,
            "kind": after.get("kind", "scenario"),
            "severity": after.get("severity"),
            "old": _counts(before),
            "new": _counts(after),
        }
        row.update(_significance(before, after, significance))
        if is_failing(after) and not is_failing(before):
            result["newly_failing"].append(row)
        elif is_failing(before) and after.get("status") == "passed":
            row["significant"] = False  # an improvement is never a regression
            result["fixed"].append(row)
        elif before.get("pass_rate") != after.get("pass_rate") or before.get("status") != after.get(
            "status"
        ):
            if (after.get("pass_rate") or 0.0) >= (before.get("pass_rate") or 0.0):
                row["significant"] = False
            result["changed"].append(row)
        else:
            continue
        if row["significant"]:
            result["regressions"].append(sid)
    return result
