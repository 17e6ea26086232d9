"""``metrics.json``: what the preserved sessions show, aggregated in plain Python.

:class:`MetricsCollector` takes trajectories one at a time and keeps small rows
(one per session, tool call and safeguard decision), never the trajectories;
:meth:`MetricsCollector.compute` aggregates them with :class:`collections.Counter`.
``snapshot`` writes the result and ``verify`` recomputes it from
``trajectories.jsonl`` and compares: one implementation serves both.

Why not pandas (issue 14 asks for the design card's tabular tool unless a measurement
says otherwise; measured on this 2-CPU machine, loaded, medians):

- ``import pandas`` alone costs 0.34 s CPU; ``incident_lab snapshot`` of a one-line log
  cost 0.43 s CPU with the pandas aggregation (target <= 0.4 s) and 0.11 s without it
  (``python benchmarks/bench_startup.py --runs 3``);
- at 100 MB (``python benchmarks/bench_snapshot.py --sizes 100``) the aggregation is a
  few thousand rows either way: pandas adds its import and nothing else, so the
  snapshot-vs-``read_json(lines=True)`` ratio only improves without it (numbers in
  ``docs/formats.md``).

The output is byte-identical to what the former pandas aggregation wrote (sessions
per group most frequent first, ties by value, null after ""): ``tests/incident_lab/
evidence/test_metrics.py`` compares against a ``metrics.json`` that it wrote for a
fixture log.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from incident_lab.trajectory import parse_timestamp, to_rfc3339

METRICS_VERSION = "metrics/v1"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _block(obj: Any, key: str) -> dict[str, Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


class MetricsCollector:
    """Accumulate the rows metrics are computed from, one trajectory at a time."""

    def __init__(self) -> None:
        self.started_at: list[str | None] = []
        self.models: Counter[tuple[str | None, ...]] = Counter()
        self.policies: Counter[tuple[str | None, ...]] = Counter()
        self.actors: Counter[tuple[str | None, ...]] = Counter()
        self.steps: Counter[str] = Counter()
        self.tool_errors = 0
        self.tool_calls: Counter[str] = Counter()
        self.decisions: Counter[tuple[str, str]] = Counter()
        #: Sessions (by position) with at least one decision of each kind.
        self.sessions_with: dict[str, set[int]] = {}

    def add(self, traj: dict[str, Any]) -> None:
        """Record one (valid) trajectory."""
        agent = _block(traj, "agent")
        model, policy = _block(agent, "model"), _block(agent, "policy")
        idx = len(self.started_at)
        steps, calls, decisions = self.steps, self.tool_calls, self.decisions
        for step in traj["steps"]:
            kind = step["type"]
            if kind == "tool_call":
                calls[step["name"]] += 1
            elif kind == "tool_result":
                self.tool_errors += step.get("is_error") is True
            elif kind == "safeguard":
                decision = step["decision"]
                decisions[(step["safeguard"], decision)] += 1
                self.sessions_with.setdefault(decision, set()).add(idx)
            elif kind != "message":
                raise KeyError(kind)  # not a valid trajectory
            steps[kind] += 1
        self.started_at.append(_str_or_none(traj.get("started_at")))
        self.models[(_str_or_none(model.get("name")), _str_or_none(model.get("version")))] += 1
        self.policies[
            (
                _str_or_none(policy.get("id")),
                _str_or_none(policy.get("version")),
                _str_or_none(policy.get("hash")),
            )
        ] += 1
        self.actors[(_str_or_none(_block(traj, "actor").get("user_id")),)] += 1

    def compute(self) -> dict[str, Any]:
        """Aggregate into the ``metrics.json`` document."""
        steps, decisions = self.steps, self.decisions
        n_decisions = sum(decisions.values())
        by_decision: Counter[str] = Counter()
        nested: dict[str, dict[str, int]] = {}
        for (safeguard, decision), n in sorted(decisions.items()):
            by_decision[decision] += n
            nested.setdefault(str(safeguard), {})[str(decision)] = n
        results = steps["tool_result"]
        return {
            "schema_version": METRICS_VERSION,
            "sessions": len(self.started_at),
            "steps": sum(steps.values()),
            "steps_by_type": {
                "message": steps["message"],
                "tool_call": steps["tool_call"],
                "tool_result": results,
                "safeguard": steps["safeguard"],
            },
            "tool_calls": sum(self.tool_calls.values()),
            "tool_calls_per_tool": {str(k): n for k, n in sorted(self.tool_calls.items())},
            "tool_results": results,
            "tool_errors": self.tool_errors,
            "tool_error_rate": _rate(self.tool_errors, results),
            "safeguard_decisions": nested,
            "safeguard_decisions_total": n_decisions,
            "block_rate": _rate(by_decision["block"], n_decisions),
            "flag_rate": _rate(by_decision["flag"], n_decisions),
            "sessions_with_block": len(self.sessions_with.get("block", ())),
            "sessions_with_flag": len(self.sessions_with.get("flag", ())),
            "model_versions": _group_counts(self.models, ["name", "version"]),
            "policy_hashes": _group_counts(self.policies, ["id", "version", "hash"]),
            "sessions_per_actor": _group_counts(self.actors, ["user_id"]),
            "time_range": _time_range(self.started_at),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _group_counts(sizes: Counter[tuple[str | None, ...]], names: list[str]) -> list[dict[str, Any]]:
    """Sessions per distinct value tuple (missing values null): most frequent first, then by
    value with null after the empty string, a total order."""
    rows: list[dict[str, Any]] = []
    for key, n in sizes.items():
        row: dict[str, Any] = dict(zip(names, key, strict=True))
        row["sessions"] = n
        rows.append(row)
    rows.sort(
        key=lambda r: (-r["sessions"], [r[n] or "" for n in names], [r[n] is None for n in names])
    )
    return rows


def _time_range(values: list[str | None]) -> dict[str, Any]:
    stamps = []
    for value in values:
        if value is not None:
            try:
                stamps.append(parse_timestamp(value))
            except ValueError:
                continue
    return {
        "first_started_at": to_rfc3339(min(stamps)) if stamps else None,
        "last_started_at": to_rfc3339(max(stamps)) if stamps else None,
        "sessions_without_started_at": len(values) - len(stamps),
    }
