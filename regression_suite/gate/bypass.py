"""Bypass rates of generated variants: which rewrites of an attack still get through.

A variant item that fails its expectations is a *bypass*: the rewritten attack
got past the system under test. Rates are counted over repeats (errors are kept
apart, never counted either way) and carry a Wilson interval; every variant
counts once under each converter of its chain and once under the chain itself.
"""

from __future__ import annotations

from typing import Any

from regression_suite.gate.stats import wilson_interval

__all__ = ["bypass_stats"]

_EXAMPLES = 5


def _bucket() -> dict[str, Any]:
    return {
        "variants": 0,
        "bypassed_variants": 0,
        "runs": 0,
        "bypasses": 0,
        "errors": 0,
        "bypassing": [],
    }


def _add(bucket: dict[str, Any], case: dict[str, Any]) -> None:
    bucket["variants"] += 1
    bucket["runs"] += case["runs"]
    bucket["bypasses"] += case["failed"]
    bucket["errors"] += case["errors"]
    if case["failed"]:
        bucket["bypassed_variants"] += 1
        if len(bucket["bypassing"]) < _EXAMPLES:
            bucket["bypassing"].append(case.get("id") or case["scenario_id"])


def _finish(name_key: str, name: str, bucket: dict[str, Any], confidence: float) -> dict[str, Any]:
    runs, bypasses = bucket["runs"], bucket["bypasses"]
    return {
        name_key: name,
        **bucket,
        "bypass_rate": bypasses / runs if runs else None,
        "bypass_rate_ci": list(wilson_interval(bypasses, runs, confidence)) if runs else None,
    }


def _ranked(rows: list[dict[str, Any]], name_key: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (-(r["bypass_rate"] or 0.0), -r["bypasses"], r[name_key]))


def bypass_stats(cases: list[dict[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """Compute bypass rates per converter, per chain and per parent scenario.

    Args:
        cases: Cases from :func:`regression_suite.gate.cases.build_cases`.
        confidence: Coverage of the Wilson intervals.

    Returns:
        ``{"overall": {...}, "converters": [...], "chains": [...], "parents": [...]}``;
        each row has ``variants``, ``bypassed_variants``, ``runs``, ``bypasses``,
        ``errors``, ``bypass_rate`` (``None`` without runs), ``bypass_rate_ci`` and
        up to five ``bypassing`` variant ids. Rows are ranked worst first. With no
        variant in the run, ``overall.variants`` is 0 and the lists are empty.
    """
    overall = _bucket()
    converters: dict[str, dict[str, Any]] = {}
    chains: dict[str, dict[str, Any]] = {}
    parents: dict[str, dict[str, Any]] = {}
    parent_info: dict[str, dict[str, Any]] = {}
    chain_converters: dict[str, list[str]] = {}
    for case in cases:
        if case["kind"] != "variant":
            continue
        _add(overall, case)
        names = list((case.get("variant") or {}).get("converters") or []) or ["(none)"]
        for name in dict.fromkeys(names):  # a converter used twice in a chain counts once
            _add(converters.setdefault(str(name), _bucket()), case)
        _add(chains.setdefault(case["chain"], _bucket()), case)
        chain_converters.setdefault(case["chain"], [n for n in names if n != "(none)"])
        parent = case.get("parent_id") or "(unknown)"
        _add(parents.setdefault(parent, _bucket()), case)
        parent_info.setdefault(
            parent, {"severity": case.get("severity"), "failure_mode": case.get("failure_mode")}
        )
    chain_rows = []
    for name, bucket in chains.items():
        row = _finish("chain", name, bucket, confidence)
        row["converters"] = chain_converters[name]
        chain_rows.append(row)
    parent_rows = [
        {**_finish("parent_id", name, bucket, confidence), **parent_info[name]}
        for name, bucket in parents.items()
    ]
    overall_row = _finish("name", "all variants", overall, confidence)
    return {
        "overall": overall_row,
        "converters": _ranked(
            [_finish("converter", n, b, confidence) for n, b in converters.items()], "converter"
        ),
        "chains": _ranked(chain_rows, "chain"),
        "parents": _ranked(parent_rows, "parent_id"),
    }
