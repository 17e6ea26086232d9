"""Folding items into cases, pinned field by field (issue 14, mutation testing of gate/cases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.errors import SchemaError
from regression_suite.gate.cases import (
    OUTCOMES,
    aggregate,
    build_cases,
    case_id,
    chain_name,
    check_items,
    item_order,
    stream_cases,
)
from regression_suite.gate.stats import wilson_interval


def _item(sid: str, outcome: str, repeat: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{sid}#{repeat}",
        "scenario_id": sid,
        "outcome": outcome,
        "repeat": repeat,
        **extra,
    }


def test_outcomes_and_chain_name() -> None:
    assert OUTCOMES == ("passed", "failed", "error")
    assert chain_name(["base64", "rot13"]) == "base64+rot13"
    assert chain_name([1]) == "1"
    assert chain_name([]) == "(none)"
    assert chain_name(iter(())) == "(none)"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([["x"]], "item 0: expected an object, got list"),
        ([_item("a", "passed"), {"id": "q"}], "item 1 ('q'): missing scenario_id"),
        ([{"scenario_id": "", "id": "e"}], "item 0 ('e'): missing scenario_id"),
        ([{"scenario_id": 7}], "item 0 (None): missing scenario_id"),
        (
            [{"scenario_id": "a", "id": "a#1", "outcome": "skipped"}],
            "item 0 ('a#1'): outcome must be one of passed, failed, error, got 'skipped'",
        ),
        (
            [{"scenario_id": "a"}],
            "item 0 (None): outcome must be one of passed, failed, error, got None",
        ),
    ],
)
def test_malformed_items_are_named(items: list[Any], message: str) -> None:
    for fn in (check_items, build_cases, lambda it: list(stream_cases(it))):
        with pytest.raises(SchemaError) as info:
            fn(items)
        assert info.value.message == message


def test_item_order_and_case_id() -> None:
    assert item_order({"id": "inc-1#3", "scenario_id": "x", "repeat": 3}) == ("inc-1", 3)
    assert item_order({"id": "inc-1#3", "scenario_id": "x", "repeat": 2}) == ("inc-1#3", 2)
    assert item_order({"scenario_id": "inc-2"}) == ("inc-2", 1)
    assert item_order({"scenario_id": "inc-2#1"}) == ("inc-2", 1)
    assert item_order({"id": "", "scenario_id": "s", "repeat": 0}) == ("s", 1)
    assert case_id({"id": "v[b64]#2", "scenario_id": "v", "repeat": 2}) == "v[b64]"
    assert case_id({"id": "v#2", "scenario_id": "v"}) == "v#2"
    assert case_id({"id": "v#1", "scenario_id": "v"}) == "v"
    assert case_id({"scenario_id": "w#1", "repeat": None}) == "w"
    assert case_id({"scenario_id": "w"}) == "w"


def test_a_scenario_case_has_every_field() -> None:
    items = [
        _item(
            "a",
            "passed",
            1,
            duration_s=0.25,
            severity="SEV-2",
            failure_mode="exfil",
            tags=["t1"],
            message="fine",
        ),
        _item("a", "failed", 2, duration_s="0.5", message="leak"),
        _item("a", "failed", 3, message="leak"),
        _item("a", "failed", 4, message="leak 2"),
        _item("a", "error", 5, message="timeout"),
        _item("a", "failed", 6, message="leak 3"),
        _item("a", "failed", 7, message="leak 4"),
    ]
    (case,) = build_cases(items, confidence=0.9)
    assert case == {
        "id": "a",
        "scenario_id": "a",
        "kind": "scenario",
        "parent_id": None,
        "variant": None,
        "chain": None,
        "failure_mode": "exfil",
        "severity": "SEV-2",
        "tags": ["t1"],
        "items": [f"a#{k}" for k in range(1, 8)],
        "runs": 6,
        "passed": 1,
        "failed": 5,
        "errors": 1,
        "duration_s": 0.75,
        "messages": ["leak", "leak 2", "timeout"],
        "pass_rate": 1 / 6,
        "pass_rate_ci": list(wilson_interval(1, 6, 0.9)),
        "status": "flaky",
        "action": "none",
    }


def test_errors_fail_counts_an_error_as_a_failed_repeat() -> None:
    items = [_item("a", "passed", 1), _item("a", "error", 2, message="boom")]
    (kept,) = build_cases(items)
    assert (kept["runs"], kept["passed"], kept["failed"], kept["errors"]) == (1, 1, 0, 1)
    assert kept["status"] == "error" and kept["pass_rate"] == 1.0  # not a pass
    (failed,) = build_cases(items, errors_fail=True)
    assert (failed["runs"], failed["passed"], failed["failed"], failed["errors"]) == (2, 1, 1, 0)
    assert failed["status"] == "flaky" and failed["messages"] == ["boom"]


@pytest.mark.parametrize(
    ("outcomes", "status", "rate"),
    [
        (["passed", "passed"], "passed", 1.0),
        (["failed", "failed"], "failed", 0.0),
        (["passed", "failed"], "flaky", 0.5),
        (["error", "error"], "error", None),
        (["error", "passed"], "error", 1.0),
        (["error", "failed"], "failed", 0.0),
    ],
)
def test_status_and_rate(outcomes: list[str], status: str, rate: float | None) -> None:
    (case,) = build_cases([_item("a", o, k + 1) for k, o in enumerate(outcomes)])
    assert case["status"] == status and case["pass_rate"] == rate
    if rate is None:
        assert case["pass_rate_ci"] is None and case["runs"] == 0
    else:
        assert case["pass_rate_ci"] == list(wilson_interval(case["passed"], case["runs"], 0.95))


def test_passed_messages_are_not_kept_and_duplicates_once() -> None:
    items = [
        _item("a", "passed", 1, message="ok"),
        _item("a", "failed", 2, message="m"),
        _item("a", "failed", 3, message="m"),
        _item("a", "failed", 4, message=""),
        _item("a", "failed", 5),
    ]
    (case,) = build_cases(items)
    assert case["messages"] == ["m"]


def test_item_ids_default_to_scenario_and_index() -> None:
    items = [
        {"scenario_id": "a", "outcome": "passed"},
        {"scenario_id": "b", "outcome": "passed"},
        {"scenario_id": "a", "outcome": "failed"},
    ]
    cases = build_cases(items)
    assert [c["id"] for c in cases] == ["a", "b"]
    assert cases[0]["items"] == ["a#0", "a#2"] and cases[1]["items"] == ["b#1"]
    assert cases[0]["failure_mode"] == "unknown" and cases[0]["tags"] == []


def test_a_variant_case() -> None:
    variant = {"converters": ["base64", "rot13"], "depth": 2}
    items = [
        _item("v1", "failed", 1, id="p[base64+rot13]#1", variant=variant, parent_id="p"),
        _item("v1", "passed", 2, id="p[base64+rot13]#2", variant=variant, parent_id="p"),
    ]
    (case,) = build_cases(items)
    assert case["kind"] == "variant" and case["parent_id"] == "p"
    assert case["id"] == "p[base64+rot13]" and case["chain"] == "base64+rot13"
    assert case["variant"] == variant
    # A parent id alone makes a variant; an empty variant dict does not.
    (orphan,) = build_cases([_item("v2", "passed", parent_id="p", variant={})])
    assert orphan["kind"] == "variant" and orphan["chain"] == "(none)" and orphan["variant"] is None
    (plain,) = build_cases([_item("s", "passed", variant={})])
    assert plain["kind"] == "scenario" and plain["chain"] is None


def test_duration_is_rounded_to_microseconds() -> None:
    (case,) = build_cases(
        [_item("a", "passed", 1, duration_s=0.1234564), _item("a", "passed", 2, duration_s=None)]
    )
    assert case["duration_s"] == 0.123456


def test_stream_cases_equals_build_cases_in_report_order() -> None:
    items = [
        _item("a", "passed", 1),
        _item("a", "failed", 2, message="x"),
        _item("b", "error", 1),
        _item("c", "passed", 1),
    ]
    assert list(stream_cases(items, confidence=0.8, errors_fail=True)) == build_cases(
        items, confidence=0.8, errors_fail=True
    )
    assert list(stream_cases([])) == []


def test_stream_cases_refuses_items_out_of_report_order() -> None:
    items = [_item("a", "passed", 1), _item("b", "passed", 1), _item("a", "passed", 2)]
    gen = stream_cases(items)
    assert next(gen)["scenario_id"] == "a"
    with pytest.raises(SchemaError) as info:
        list(gen)
    assert info.value.message == (
        "item 2 ('a#2'): items of a are not together (expected report order)"
    )
    # Descending ids are out of order too; the same case id for two scenario ids is
    # ordered by scenario id.
    with pytest.raises(SchemaError):
        list(stream_cases([_item("b", "passed"), _item("a", "passed")]))
    same = [_item("v1", "passed", id="p#1"), _item("v2", "passed", id="p#1")]
    assert [c["scenario_id"] for c in stream_cases(same)] == ["v1", "v2"]
    with pytest.raises(SchemaError):
        list(stream_cases(list(reversed(same))))


def test_aggregate_groups_scenarios_only() -> None:
    items = [
        _item("a", "passed", 1, failure_mode="exfil"),
        _item("a", "failed", 2, failure_mode="exfil"),
        _item("b", "passed", 1, failure_mode="exfil"),
        _item("c", "error", 1),
        _item("d", "failed", 1, failure_mode="exfil", parent_id="a"),
        _item("e", "failed", 1, failure_mode="abuse"),
    ]
    cases = build_cases(items)
    out = aggregate(cases, "failure_mode", 0.9)
    assert list(out) == ["abuse", "exfil", "unknown"]
    assert out["exfil"] == {
        "cases": 2,
        "failing_cases": 1,
        "runs": 3,
        "passed": 2,
        "failed": 1,
        "errors": 0,
        "pass_rate": 2 / 3,
        "pass_rate_ci": list(wilson_interval(2, 3, 0.9)),
    }
    assert out["unknown"]["pass_rate"] is None and out["unknown"]["pass_rate_ci"] is None
    assert out["unknown"]["errors"] == 1 and out["unknown"]["failing_cases"] == 0
    assert out["abuse"]["failing_cases"] == 1
    by_sev = aggregate(cases, "severity", 0.95)
    assert list(by_sev) == ["unknown"] and by_sev["unknown"]["cases"] == 4


def test_stream_cases_defaults_and_item_ids() -> None:
    items = [
        {"scenario_id": "A", "outcome": "error"},
        {"scenario_id": "A", "outcome": "error"},
        {"scenario_id": "B", "outcome": "passed"},
    ]
    first, second = stream_cases(items)
    assert (first["errors"], first["runs"], first["status"]) == (2, 0, "error")
    assert first["items"] == ["A#0", "A#1"] and second["items"] == ["B#2"]
    assert first["pass_rate_ci"] is None and second["pass_rate_ci"] == list(
        wilson_interval(1, 1, 0.95)
    )
