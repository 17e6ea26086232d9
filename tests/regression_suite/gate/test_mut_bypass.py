"""Bypass statistics, pinned row by row (issue 14, mutation testing of gate/bypass.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from regression_suite.gate.bypass import BypassCounter
from regression_suite.gate.cases import build_cases
from regression_suite.gate.stats import wilson_interval


def bypass_stats(cases: Iterable[dict[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """The bypass stats of ``cases``, counted as the gate counts them."""
    counter = BypassCounter()
    for case in cases:
        counter.add(case)
    return counter.result(confidence)


def _variant(parent: str | None, vid: str, outcomes: str, chain: list[str], **extra: Any) -> list:
    names = {"p": "passed", "f": "failed", "e": "error"}
    case = f"{parent}[{'+'.join(chain)}]"
    return [
        {
            "id": f"{case}#{k + 1}",
            "scenario_id": vid,
            "repeat": k + 1,
            "outcome": names[o],
            "parent_id": parent,
            "variant": {"converters": chain},
            **extra,
        }
        for k, o in enumerate(outcomes)
    ]


def test_no_variants() -> None:
    scen = build_cases([{"scenario_id": "a", "outcome": "failed"}])
    stats = bypass_stats(scen)
    assert stats == {
        "overall": {
            "name": "all variants",
            "variants": 0,
            "bypassed_variants": 0,
            "runs": 0,
            "bypasses": 0,
            "errors": 0,
            "bypassing": [],
            "bypass_rate": None,
            "bypass_rate_ci": None,
        },
        "converters": [],
        "chains": [],
        "parents": [],
    }


def test_rows_per_converter_chain_and_parent() -> None:
    items = (
        _variant("p", "v1", "ff", ["b64", "rot13"], severity="SEV-1", failure_mode="exfil")
        + _variant("p", "v2", "pe", ["rot13"], severity="SEV-1")
        + _variant("q", "v3", "fp", ["b64", "b64"], severity="SEV-3", failure_mode="abuse")
        + _variant(None, "v4", "p", [])
    )
    stats = bypass_stats(build_cases(items), confidence=0.9)
    overall = stats["overall"]
    assert overall == {
        "name": "all variants",
        "variants": 4,
        "bypassed_variants": 2,
        "runs": 6,
        "bypasses": 3,
        "errors": 1,
        "bypassing": ["p[b64+rot13]", "q[b64+b64]"],
        "bypass_rate": 0.5,
        "bypass_rate_ci": list(wilson_interval(3, 6, 0.9)),
    }
    conv = {r["converter"]: r for r in stats["converters"]}
    # b64 twice in one chain counts once for that variant.
    assert conv["b64"]["variants"] == 2 and conv["b64"]["runs"] == 4
    assert conv["b64"]["bypasses"] == 3 and conv["b64"]["bypass_rate"] == 0.75
    assert conv["rot13"]["variants"] == 2 and conv["rot13"]["errors"] == 1
    assert conv["(none)"]["bypass_rate"] == 0.0
    assert [r["converter"] for r in stats["converters"]] == ["b64", "rot13", "(none)"]
    chains = {r["chain"]: r for r in stats["chains"]}
    assert chains["b64+rot13"]["converters"] == ["b64", "rot13"]
    assert chains["b64+b64"]["converters"] == ["b64", "b64"]
    assert chains["(none)"]["converters"] == []
    assert [r["chain"] for r in stats["chains"]] == ["b64+rot13", "b64+b64", "(none)", "rot13"]
    parents = {r["parent_id"]: r for r in stats["parents"]}
    assert parents["p"]["severity"] == "SEV-1" and parents["p"]["failure_mode"] == "exfil"
    assert parents["q"]["failure_mode"] == "abuse"
    assert parents["(unknown)"]["variants"] == 1
    assert [r["parent_id"] for r in stats["parents"]] == ["p", "q", "(unknown)"]
    assert parents["p"]["bypass_rate_ci"] == list(wilson_interval(2, 3, 0.9))


def test_ranking_ties_break_on_bypasses_then_name() -> None:
    items = (
        _variant("p", "v1", "ff", ["zeta"])
        + _variant("p", "v2", "f", ["alpha"])
        + _variant("p", "v3", "f", ["beta"])
        + _variant("p", "v4", "e", ["gamma"])
    )
    stats = bypass_stats(build_cases(items))
    assert [r["converter"] for r in stats["converters"]] == ["zeta", "alpha", "beta", "gamma"]
    gamma = stats["converters"][-1]
    assert gamma["bypass_rate"] is None and gamma["bypass_rate_ci"] is None
    assert gamma["errors"] == 1 and gamma["bypassing"] == []


def test_at_most_five_examples() -> None:
    items: list = []
    for k in range(7):
        items += _variant("p", f"v{k}", "f", [f"c{k}"])
    stats = bypass_stats(build_cases(items))
    assert stats["overall"]["bypassing"] == [f"p[c{k}]" for k in range(5)]
    assert stats["overall"]["bypassed_variants"] == 7
    assert stats["parents"][0]["bypassing"] == [f"p[c{k}]" for k in range(5)]


def test_default_confidence_is_95_percent() -> None:
    stats = bypass_stats(build_cases(_variant("p", "v1", "fp", ["x"])))
    assert stats["overall"]["bypass_rate_ci"] == list(wilson_interval(1, 2, 0.95))
