"""Baseline comparison, pinned row by row (issue 14, mutation testing of gate/baseline.py).

``compare_cases`` is public: every test builds two runs' cases and checks the whole
result, so a changed comparison, default, key or rule text fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from regression_suite.gate.baseline import compare_cases, is_failing


def _case(sid: str, status: str, passed: int, runs: int, **extra: Any) -> dict[str, Any]:
    rate = passed / runs if runs else None
    return {
        "scenario_id": sid,
        "status": status,
        "passed": passed,
        "runs": runs,
        "errors": 0,
        "pass_rate": rate,
        **extra,
    }


def _counts(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("status", "passed", "runs", "errors", "pass_rate")}


@pytest.mark.parametrize(
    ("status", "failing"),
    [("failed", True), ("flaky", True), ("passed", False), ("error", False), (None, False)],
)
def test_is_failing(status: str | None, failing: bool) -> None:
    assert is_failing({"status": status}) is failing
    assert is_failing({}) is False


def test_unanimous_flip_is_a_regression_with_its_rule() -> None:
    old = [_case("a", "passed", 1, 1, severity="high")]
    new = [_case("a", "failed", 0, 1, severity="critical", kind="variant")]
    res = compare_cases(old, new)
    assert res == {
        "newly_failing": [
            {
                "scenario_id": "a",
                "kind": "variant",
                "severity": "critical",
                "old": _counts(old[0]),
                "new": _counts(new[0]),
                "p_value": 0.5,
                "significant": True,
                "rule": "unanimous flip (every baseline repeat passed, every repeat now fails)",
            }
        ],
        "fixed": [],
        "changed": [],
        "added": [],
        "removed": [],
        "errored": [],
        "regressions": ["a"],
    }


def test_fisher_rule_text_and_level() -> None:
    old = [_case("a", "passed", 10, 10)]
    new = [_case("a", "flaky", 5, 10)]
    row = compare_cases(old, new)["newly_failing"][0]
    assert row["kind"] == "scenario" and row["severity"] is None
    assert row["p_value"] == pytest.approx(0.016253869969040248)
    assert row["significant"] is True
    assert row["rule"] == "one-sided Fisher exact test p=0.0163 < 0.05"
    strict = compare_cases(old, new, significance=0.01)
    row2 = strict["newly_failing"][0]
    assert row2["significant"] is False and strict["regressions"] == []
    assert row2["rule"] == "not significant: one-sided Fisher exact test p=0.0163 >= 0.01"
    # Exactly at the level is not significant (p < level).
    at = compare_cases(old, new, significance=0.016253869969040248)
    assert at["regressions"] == []
    assert at["newly_failing"][0]["rule"].startswith("not significant: ")


def test_a_partial_drop_that_is_not_significant_is_newly_failing_only() -> None:
    old = [_case("a", "passed", 20, 20)]
    new = [_case("a", "flaky", 19, 20)]
    res = compare_cases(old, new)
    row = res["newly_failing"][0]
    assert row["significant"] is False and res["regressions"] == []
    assert row["rule"] == "not significant: one-sided Fisher exact test p=0.5 >= 0.05"


def test_unanimous_needs_every_old_repeat_passed_and_no_new_pass() -> None:
    # 4/5 before, 0/5 after: not unanimous, but Fisher says significant.
    res = compare_cases([_case("a", "flaky", 4, 5)], [_case("a", "failed", 0, 5)])
    row = res["changed"][0]
    assert row["rule"].startswith("one-sided Fisher exact test p=")
    # 5/5 before, 1/5 after: not unanimous either.
    res2 = compare_cases([_case("a", "passed", 5, 5)], [_case("a", "flaky", 1, 5)])
    assert res2["newly_failing"][0]["rule"].startswith("one-sided Fisher")
    assert res2["newly_failing"][0]["rule"] != "unanimous flip"


def test_fixed_is_never_significant() -> None:
    old = [_case("a", "failed", 0, 3)]
    new = [_case("a", "passed", 3, 3)]
    res = compare_cases(old, new)
    assert [r["scenario_id"] for r in res["fixed"]] == ["a"]
    assert res["fixed"][0]["significant"] is False
    assert res["regressions"] == [] and res["newly_failing"] == [] and res["changed"] == []


def test_flaky_to_passed_is_fixed_and_failed_to_flaky_is_changed() -> None:
    res = compare_cases([_case("a", "flaky", 2, 3)], [_case("a", "passed", 3, 3)])
    assert [r["scenario_id"] for r in res["fixed"]] == ["a"]
    res2 = compare_cases([_case("b", "failed", 0, 3)], [_case("b", "flaky", 1, 3)])
    assert [r["scenario_id"] for r in res2["changed"]] == ["b"]
    assert res2["changed"][0]["significant"] is False  # the rate went up
    assert res2["regressions"] == []


def test_a_significant_drop_between_failing_runs_is_a_changed_regression() -> None:
    old = [_case("a", "flaky", 9, 10)]
    new = [_case("a", "flaky", 1, 10)]
    res = compare_cases(old, new)
    assert [r["scenario_id"] for r in res["changed"]] == ["a"]
    assert res["changed"][0]["significant"] is True
    assert res["regressions"] == ["a"] and res["newly_failing"] == []


def test_equal_rate_with_changed_status_is_changed_but_not_significant() -> None:
    old = [_case("a", "passed", 0, 1, pass_rate=None)]
    new = [_case("a", "error", 0, 1, pass_rate=None)]
    res = compare_cases(old, new)
    assert [r["scenario_id"] for r in res["changed"]] == ["a"]
    assert res["changed"][0]["significant"] is False
    # A missing pass rate counts as 0.0: a drop, so Fisher's verdict stands.
    res2 = compare_cases(
        [_case("b", "flaky", 9, 10)], [_case("b", "failed", 1, 10, pass_rate=None)]
    )
    assert res2["changed"][0]["significant"] is True and res2["regressions"] == ["b"]
    res3 = compare_cases(
        [_case("c", "flaky", 9, 10, pass_rate=None)], [_case("c", "failed", 1, 10, pass_rate=0.0)]
    )
    assert res3["changed"][0]["significant"] is False  # 0.0 -> 0.0 is not a drop


def test_unchanged_cases_are_not_listed() -> None:
    old = [_case("a", "passed", 3, 3), _case("b", "failed", 0, 3)]
    res = compare_cases(old, [dict(c) for c in old])
    assert all(res[k] == [] for k in res)


def test_added_removed_and_errored_sorted() -> None:
    old = [
        _case("z", "passed", 1, 1),
        _case("m", "passed", 1, 1),
        _case("e1", "passed", 1, 1),
        _case("e2", "error", 0, 0),
        _case("e3", "error", 0, 0),
    ]
    new = [
        _case("b", "passed", 1, 1),
        _case("a", "passed", 1, 1),
        _case("e1", "error", 0, 0),
        _case("e2", "passed", 2, 2),
        _case("e3", "error", 0, 0),
    ]
    res = compare_cases(old, new)
    assert res["added"] == ["a", "b"] and res["removed"] == ["m", "z"]
    assert res["errored"] == [
        {"scenario_id": "e1", "old": _counts(old[2]), "new": _counts(new[2])},
        {"scenario_id": "e2", "old": _counts(old[3]), "new": _counts(new[3])},
    ]
    assert res["regressions"] == [] and res["newly_failing"] == []


def test_missing_counts_default_to_zero_and_none() -> None:
    old = [{"scenario_id": "a", "status": "passed", "runs": 1, "passed": 1}]
    new = [{"scenario_id": "a", "status": "failed", "runs": 1}]
    row = compare_cases(old, new)["newly_failing"][0]
    assert row["old"] == {
        "status": "passed",
        "passed": 1,
        "runs": 1,
        "errors": 0,
        "pass_rate": None,
    }
    assert row["new"] == {
        "status": "failed",
        "passed": 0,
        "runs": 1,
        "errors": 0,
        "pass_rate": None,
    }
    assert row["significant"] is True
    err = compare_cases([{"scenario_id": "x", "status": "passed"}], [{"scenario_id": "x"}])
    assert err["errored"] == [
        {
            "scenario_id": "x",
            "old": {"status": "passed", "passed": 0, "runs": 0, "errors": 0, "pass_rate": None},
            "new": {"status": None, "passed": 0, "runs": 0, "errors": 0, "pass_rate": None},
        }
    ]


def test_regressions_follow_sorted_scenario_order() -> None:
    old = [_case(s, "passed", 1, 1) for s in ("c", "a", "b")]
    new = [_case(s, "failed", 0, 1) for s in ("b", "c", "a")]
    res = compare_cases(old, new)
    assert res["regressions"] == ["a", "b", "c"]
    assert [r["scenario_id"] for r in res["newly_failing"]] == ["a", "b", "c"]


def test_missing_passed_in_the_baseline_counts_as_zero() -> None:
    old = [{"scenario_id": "a", "status": "failed", "runs": 4}]
    new = [_case("a", "flaky", 2, 4)]
    row = compare_cases(old, new)["changed"][0]
    assert row["old"]["passed"] == 0
    assert row["p_value"] == 1.0 and row["significant"] is False


def test_errors_are_carried_in_the_counts() -> None:
    old = [_case("a", "passed", 2, 2, errors=1)]
    new = [_case("a", "failed", 0, 2, errors=3)]
    row = compare_cases(old, new)["newly_failing"][0]
    assert row["old"]["errors"] == 1 and row["new"]["errors"] == 3


def test_a_fixed_row_is_complete() -> None:
    old = [_case("a", "failed", 0, 2, severity="SEV-2")]
    new = [_case("a", "passed", 2, 2, severity="SEV-2")]
    (row,) = compare_cases(old, new)["fixed"]
    assert set(row) == {
        "scenario_id",
        "kind",
        "severity",
        "old",
        "new",
        "p_value",
        "significant",
        "rule",
    }
    assert row["significant"] is False and row["p_value"] == 1.0


def test_a_rate_that_went_up_is_never_significant() -> None:
    """Whatever the counts say, a reported pass rate that rose is not a regression."""
    old = [_case("a", "flaky", 4, 4, pass_rate=0.2)]
    new = [_case("a", "failed", 0, 4, pass_rate=0.5)]
    res = compare_cases(old, new)
    assert res["changed"][0]["significant"] is False and res["regressions"] == []
    res2 = compare_cases(old, [_case("a", "failed", 0, 4, pass_rate=0.1)])
    assert res2["changed"][0]["significant"] is True and res2["regressions"] == ["a"]
