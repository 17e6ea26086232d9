"""Bypass rates of generated variants: which rewrites of an attack still get through.

A variant item that fails its expectations is a *bypass*: the rewritten attack
got past the system under test. Rates are counted over repeats (errors are kept
apart, never counted either way) and carry a Wilson interval; every variant
counts once under each converter of its chain and once under the chain itself.
"""

from __future__ import annotations

from typing import Any

from regression_suite.gate.stats import wilson_interval

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


class BypassCounter:
    """Bypass rates per converter, per chain and per parent scenario: ``add`` each case as
    it is folded, then :meth:`result`.

    Holds a bucket per converter, chain and parent scenario (never the cases).
    """

    def __init__(self) -> None:
        self.overall = _bucket()
        self.converters: dict[str, dict[str, Any]] = {}
        self.chains: dict[str, dict[str, Any]] = {}
        self.parents: dict[str, dict[str, Any]] = {}
        self.parent_info: dict[str, dict[str, Any]] = {}
        self.chain_converters: dict[str, list[str]] = {}

    def add(self, case: dict[str, Any]) -> None:
        """Count one case (scenarios are left out)."""
        if case["kind"] != "variant":
            return
        _add(self.overall, case)
        names = list((case.get("variant") or {}).get("converters") or []) or ["(none)"]
        for name in dict.fromkeys(names):  # a converter used twice in a chain counts once
            _add(self.converters.setdefault(str(name), _bucket()), case)
        _add(self.chains.setdefault(case["chain"], _bucket()), case)
        self.chain_converters.setdefault(case["chain"], [n for n in names if n != "(none)"])
        parent = case.get("parent_id") or "(unknown)"
        _add(self.parents.setdefault(parent, _bucket()), case)
        self.parent_info.setdefault(
            parent, {"severity": case.get("severity"), "failure_mode": case.get("failure_mode")}
        )

    def result(self, confidence: float) -> dict[str, Any]:
        """The bypass stats of the cases added.

        Args:
            confidence: Coverage of the Wilson intervals.

        Returns:
            ``{"overall": {...}, "converters": [...], "chains": [...], "parents": [...]}``;
            each row has ``variants``, ``bypassed_variants``, ``runs``, ``bypasses``,
            ``errors``, ``bypass_rate`` (``None`` without runs), ``bypass_rate_ci`` and
            up to five ``bypassing`` variant ids. Rows are ranked worst first. With no
            variant in the run, ``overall.variants`` is 0 and the lists are empty.
        """
        chain_rows = []
        for name, bucket in self.chains.items():
            row = _finish("chain", name, bucket, confidence)
            row["converters"] = self.chain_converters[name]
            chain_rows.append(row)
        parent_rows = [
            {**_finish("parent_id", name, bucket, confidence), **self.parent_info[name]}
            for name, bucket in self.parents.items()
        ]
        converters = [_finish("converter", n, b, confidence) for n, b in self.converters.items()]
        return {
            "overall": _finish("name", "all variants", self.overall, confidence),
            "converters": _ranked(converters, "converter"),
            "chains": _ranked(chain_rows, "chain"),
            "parents": _ranked(parent_rows, "parent_id"),
        }
