"""Threshold parsing, pinned to the letter (issue 14, mutation testing of gate/thresholds.py).

Every refusal names the key (``thresholds.<where>``), the problem, a hint when there is
one, and the suite file: each case here checks all four, so a changed message, hint,
key path or comparison fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.errors import ConfigError
from regression_suite.gate.thresholds import (
    DEFAULT_ACTIONS,
    Requirement,
    Rule,
    Thresholds,
    parse_thresholds,
)
from tests.regression_suite.gate.builders import pass_rate

SRC = "suites/x.yaml"
REQ_HINT = (
    "state the metric and direction, e.g. {metric: pass_rate, direction: at_least, value: 0.95}"
)
DIR_HINT = "directions are never inferred from the number, e.g. direction: at_least"
BARE_HINT = (
    "write {on_failure: warn, require: {metric: pass_rate, direction: at_least, value: 0.95}}"
)
WRITE_REQUIRE = "write require: {metric: ..., direction: at_least|at_most, value: ...}"


def _sev(rule: Any, sev: str = "SEV-2", table: str = "severities") -> dict[str, Any]:
    return {table: {sev: rule}}


def _req(**kw: Any) -> dict[str, Any]:
    return {"on_failure": "warn", "require": kw}


CASES: list[tuple[Any, str, str | None]] = [
    ([1], "thresholds: expected a mapping, got [1]", None),
    (
        {"confidance": 0.9, "zz": 1},
        "thresholds: unknown key(s) confidance, zz",
        "keys are confidence, on_error, severities, significance, variants",
    ),
    (
        {"severities": [1]},
        "thresholds.severities: expected a mapping of severity to rule, got [1]",
        None,
    ),
    (
        {"variants": {"SEV-9": "warn", "P1": "warn"}},
        "thresholds.variants: unknown severity P1, SEV-9",
        "keys are SEV-1..SEV-4",
    ),
    (
        _sev("stop"),
        "thresholds.severities.SEV-2: must be one of block, warn, ignore, got 'stop'",
        None,
    ),
    (
        _sev({"on_failure": 0.9}),
        "thresholds.severities.SEV-2.on_failure: must be one of block, warn, ignore, got 0.9",
        "a bare number is ambiguous: write require: {metric, direction, value}",
    ),
    (
        _sev({"on_failure": True}),
        "thresholds.severities.SEV-2.on_failure: must be one of block, warn, ignore, got True",
        None,
    ),
    (_sev(0.95), "thresholds.severities.SEV-2: a bare number (0.95) is ambiguous", BARE_HINT),
    (_sev(True), "thresholds.severities.SEV-2: a bare number (True) is ambiguous", BARE_HINT),
    (
        _sev(["warn"]),
        "thresholds.severities.SEV-2: expected an action or a mapping, got ['warn']",
        None,
    ),
    (
        _sev({"on_failure": "warn", "when": 1, "also": 2}),
        "thresholds.severities.SEV-2: unknown key(s) also, when",
        "keys are on_failure, require",
    ),
    (
        _sev({"on_failure": "warn", "max_fail_rate": 0.1}),
        "thresholds.severities.SEV-2: unknown key(s) max_fail_rate",
        WRITE_REQUIRE,
    ),
    (
        _sev({"on_failure": "warn", "zmin_x": 1, "min_x": 1}),
        "thresholds.severities.SEV-2: unknown key(s) min_x, zmin_x",
        WRITE_REQUIRE,
    ),
    (
        _sev({"require": {}}),
        "thresholds.severities.SEV-2: missing on_failure (block, warn or ignore)",
        None,
    ),
    (
        _sev({"on_failure": "warn", "min_pass_rate": 0.9}, table="variants"),
        "thresholds.variants.SEV-2.min_pass_rate: variants are gated on bypass_rate",
        "write require: {metric: bypass_rate, direction: at_most, value: ...}",
    ),
    (
        _sev(
            {
                "on_failure": "warn",
                "min_pass_rate": 0.9,
                "require": {"metric": "pass_rate", "direction": "at_least", "value": 0.9},
            }
        ),
        "thresholds.severities.SEV-2: both min_pass_rate and require given: keep one",
        None,
    ),
    (
        _sev({"on_failure": "warn", "min_pass_rate": 95}),
        "thresholds.severities.SEV-2.min_pass_rate: must be between 0 and 1, got 95",
        "write a fraction, e.g. 0.95 for 95%",
    ),
    (
        _sev({"on_failure": "warn", "require": 0.9}),
        "thresholds.severities.SEV-2.require: expected a mapping {metric, direction, value}, "
        "got 0.9",
        REQ_HINT,
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value=0.9, why=1, a=2)),
        "thresholds.severities.SEV-2.require: unknown key(s) a, why",
        None,
    ),
    (
        _sev(_req(value=0.9)),
        "thresholds.severities.SEV-2.require: missing metric, direction: a requirement must "
        "state metric, direction and value",
        DIR_HINT,
    ),
    (
        _sev(_req(metric="pass_rate")),
        "thresholds.severities.SEV-2.require: missing direction, value: a requirement must "
        "state metric, direction and value",
        DIR_HINT,
    ),
    (
        _sev(_req(metric="speed", direction="at_least", value=0.9)),
        "thresholds.severities.SEV-2.require: unknown metric 'speed'",
        "one of pass_rate, fail_rate, bypass_rate",
    ),
    (
        _sev(_req(metric="pass_rate", direction="above", value=0.9)),
        "thresholds.severities.SEV-2.require: direction must be at_least or at_most, got 'above'",
        None,
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_most", value=0.9)),
        "thresholds.severities.SEV-2.require: pass_rate at_most would gate in the wrong direction",
        "use pass_rate at_least",
    ),
    (
        _sev(_req(metric="fail_rate", direction="at_least", value=0.1)),
        "thresholds.severities.SEV-2.require: fail_rate at_least would gate in the wrong direction",
        "use fail_rate at_most",
    ),
    (
        _sev(_req(metric="bypass_rate", direction="at_most", value=0.1)),
        "thresholds.severities.SEV-2.require: metric bypass_rate applies to variants, not here",
        "scenarios take pass_rate/fail_rate; variants take bypass_rate",
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value=0.9), table="variants"),
        "thresholds.variants.SEV-2.require: metric pass_rate applies to scenarios, not here",
        "scenarios take pass_rate/fail_rate; variants take bypass_rate",
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value=0.9, statistic="mean")),
        "thresholds.severities.SEV-2.require: statistic must be one of point, pessimistic, "
        "optimistic, got 'mean'",
        None,
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value="0.9")),
        "thresholds.severities.SEV-2.require.value: expected a number between 0 and 1, got '0.9'",
        None,
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value=-0.5)),
        "thresholds.severities.SEV-2.require.value: must be between 0 and 1, got -0.5",
        None,
    ),
    (
        _sev(_req(metric="pass_rate", direction="at_least", value=float("nan"))),
        "thresholds.severities.SEV-2.require.value: expected a number between 0 and 1, got nan",
        None,
    ),
    (
        {"confidence": 1.0},
        "thresholds.confidence: must be strictly between 0 and 1, got 1.0",
        None,
    ),
    ({"confidence": 0}, "thresholds.confidence: must be strictly between 0 and 1, got 0", None),
    (
        {"significance": 5},
        "thresholds.significance: must be strictly between 0 and 1, got 5",
        "write a fraction, e.g. 0.05 for 5%",
    ),
    (
        {"significance": 1.5},
        "thresholds.significance: must be strictly between 0 and 1, got 1.5",
        "write a fraction, e.g. 0.015 for 1.5%",
    ),
    (
        {"significance": True},
        "thresholds.significance: expected a number between 0 and 1, got True",
        None,
    ),
    (
        {"on_error": "retry"},
        "thresholds.on_error: must be one of error, fail, got 'retry'",
        None,
    ),
]


@pytest.mark.parametrize(("raw", "message", "hint"), CASES, ids=[c[1][:60] for c in CASES])
def test_each_refusal_names_key_problem_hint_and_file(
    raw: Any, message: str, hint: str | None
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_thresholds(raw, source=SRC)
    err = info.value
    assert err.message == message
    assert err.hint == hint
    assert err.path == SRC
    assert err.exit_code == 3


def test_defaults() -> None:
    t = parse_thresholds(None)
    assert t == Thresholds() == parse_thresholds({})
    assert t.confidence == 0.95 and t.significance == 0.05 and t.on_error == "error"
    assert {s: r.action for s, r in t.scenarios.items()} == DEFAULT_ACTIONS
    assert {s: r.action for s, r in t.variants.items()} == DEFAULT_ACTIONS
    assert all(r.require is None for r in [*t.scenarios.values(), *t.variants.values()])
    assert parse_thresholds(t) is t


def test_rule_for_unknown_severity_is_sev1_and_tables_are_separate() -> None:
    t = parse_thresholds({"severities": {"SEV-1": "warn"}, "variants": {"SEV-1": "ignore"}})
    assert t.rule_for("SEV-1", variant=False) == Rule("warn")
    assert t.rule_for("SEV-1", variant=True) == Rule("ignore")
    assert t.rule_for(None, variant=False) == Rule("warn")
    assert t.rule_for("SEV-9", variant=True) == Rule("ignore")
    assert t.rule_for("SEV-3", variant=False) == Rule("warn")
    assert t.rule_for("SEV-2", variant=True) == Rule("block")


def test_variants_inherit_the_scenario_action_without_its_requirement() -> None:
    t = parse_thresholds(pass_rate("SEV-2", "ignore", 0.5))
    assert t.scenarios["SEV-2"] == Rule("ignore", Requirement("pass_rate", "at_least", 0.5))
    assert t.variants["SEV-2"] == Rule("ignore")
    assert t.variants["SEV-1"] == Rule("block") and t.variants["SEV-3"] == Rule("warn")


def test_min_pass_rate_shorthand() -> None:
    t = parse_thresholds(
        {
            "severities": {
                "SEV-1": {"on_failure": "block", "min_pass_rate": 0.9},
                "SEV-2": {"on_failure": "warn", "min_pass_rate": 1.0},
                "SEV-3": {
                    "on_failure": "warn",
                    "min_pass_rate": 1,
                    "require": {"metric": "fail_rate", "direction": "at_most", "value": 0.2},
                },
                "SEV-4": {"on_failure": "warn", "min_pass_rate": 0},
            }
        }
    )
    assert t.scenarios["SEV-1"] == Rule("block", Requirement("pass_rate", "at_least", 0.9))
    assert t.scenarios["SEV-2"] == Rule("warn")  # 1.0 is the default any-failure rule
    assert t.scenarios["SEV-3"] == Rule("warn", Requirement("fail_rate", "at_most", 0.2))
    assert t.scenarios["SEV-4"] == Rule("warn", Requirement("pass_rate", "at_least", 0.0))


def test_requirement_boundaries_and_statistics() -> None:
    for value in (0, 1, 0.0, 1.0):
        t = parse_thresholds(
            _sev(
                _req(metric="pass_rate", direction="at_least", value=value, statistic="optimistic")
            )
        )
        req = t.scenarios["SEV-2"].require
        assert req == Requirement("pass_rate", "at_least", float(value), "optimistic")
        assert isinstance(req.value, float)
    t = parse_thresholds(
        _sev(
            {
                "on_failure": "block",
                "require": {"metric": "bypass_rate", "direction": "at_most", "value": 0.25},
            },
            table="variants",
        )
    )
    assert t.variants["SEV-2"].require == Requirement("bypass_rate", "at_most", 0.25, "point")
    for value in (1.0000001, -1e-9):
        with pytest.raises(ConfigError):
            parse_thresholds(_sev(_req(metric="pass_rate", direction="at_least", value=value)))


def test_confidence_significance_and_on_error_values() -> None:
    t = parse_thresholds({"confidence": 0.99, "significance": 0.01, "on_error": "fail"})
    assert (t.confidence, t.significance, t.on_error) == (0.99, 0.01, "fail")
    assert isinstance(parse_thresholds({"confidence": 0.5}).confidence, float)


def test_to_dict_is_the_complete_config_and_parses_back() -> None:
    raw = {
        "severities": {
            "SEV-3": {
                "on_failure": "warn",
                "require": {
                    "metric": "pass_rate",
                    "direction": "at_least",
                    "value": 0.8,
                    "statistic": "pessimistic",
                },
            }
        },
        "variants": {"SEV-1": "warn"},
        "confidence": 0.9,
        "significance": 0.1,
        "on_error": "fail",
    }
    t = parse_thresholds(raw)
    d = t.to_dict()
    assert d == {
        "severities": {
            "SEV-1": {"on_failure": "block", "require": None},
            "SEV-2": {"on_failure": "block", "require": None},
            "SEV-3": {
                "on_failure": "warn",
                "require": {
                    "metric": "pass_rate",
                    "direction": "at_least",
                    "value": 0.8,
                    "statistic": "pessimistic",
                },
            },
            "SEV-4": {"on_failure": "warn", "require": None},
        },
        "variants": {
            "SEV-1": {"on_failure": "warn", "require": None},
            "SEV-2": {"on_failure": "block", "require": None},
            "SEV-3": {"on_failure": "warn", "require": None},
            "SEV-4": {"on_failure": "warn", "require": None},
        },
        "confidence": 0.9,
        "significance": 0.1,
        "on_error": "fail",
    }
    back = {k: v for k, v in d.items()}
    back["severities"] = {
        s: (
            {"on_failure": r["on_failure"], "require": r["require"]}
            if r["require"]
            else r["on_failure"]
        )
        for s, r in d["severities"].items()
    }
    back["variants"] = {s: r["on_failure"] for s, r in d["variants"].items()}
    assert parse_thresholds(back) == t


def test_requirement_describe() -> None:
    assert (
        Requirement("pass_rate", "at_least", 0.95).describe() == "pass_rate at_least 0.95 (point)"
    )
    assert (
        Requirement("bypass_rate", "at_most", 0.1, "pessimistic").describe()
        == "bypass_rate at_most 0.1 (pessimistic)"
    )
