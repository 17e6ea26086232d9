"""``metrics.json``: what the preserved sessions show, computed with pandas.

:class:`MetricsCollector` takes trajectories one at a time and keeps small rows
(one per session, tool call and safeguard decision), never the trajectories;
:meth:`MetricsCollector.compute` aggregates them with pandas (imported here, lazily,
so ``import incident_lab`` stays light). ``verify`` recomputes the same from
``trajectories.jsonl`` and compares.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from incident_lab.trajectory import parse_timestamp, to_rfc3339

__all__ = ["METRICS_VERSION", "MetricsCollector", "compute_metrics"]

METRICS_VERSION = "metrics/v1"
_SESSION_COLUMNS = [
    "session_id",
    "started_at",
    "user_id",
    "model_name",
    "model_version",
    "policy_id",
    "policy_version",
    "policy_hash",
    "steps",
    "messages",
    "tool_calls",
    "tool_results",
    "tool_errors",
    "safeguards",
]


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _block(obj: Any, key: str) -> dict[str, Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


class MetricsCollector:
    """Accumulate the rows metrics are computed from, one trajectory at a time."""

    def __init__(self) -> None:
        self.sessions: list[tuple[Any, ...]] = []
        self.tool_calls: list[str] = []
        self.decisions: list[tuple[str, str, int]] = []

    def add(self, traj: dict[str, Any]) -> None:
        """Record one (valid) trajectory."""
        agent = _block(traj, "agent")
        model, policy = _block(agent, "model"), _block(agent, "policy")
        idx = len(self.sessions)
        messages = calls = results = safeguards = errors = 0
        add_call, add_decision = self.tool_calls.append, self.decisions.append
        for step in traj["steps"]:
            kind = step["type"]
            if kind == "message":
                messages += 1
            elif kind == "tool_call":
                calls += 1
                add_call(step["name"])
            elif kind == "tool_result":
                results += 1
                errors += step.get("is_error") is True
            elif kind == "safeguard":
                safeguards += 1
                add_decision((step["safeguard"], step["decision"], idx))
            else:
                raise KeyError(kind)  # not a valid trajectory
        self.sessions.append(
            (
                traj["session_id"],
                _str_or_none(traj.get("started_at")),
                _str_or_none(_block(traj, "actor").get("user_id")),
                _str_or_none(model.get("name")),
                _str_or_none(model.get("version")),
                _str_or_none(policy.get("id")),
                _str_or_none(policy.get("version")),
                _str_or_none(policy.get("hash")),
                len(traj["steps"]),
                messages,
                calls,
                results,
                errors,
                safeguards,
            )
        )

    def compute(self) -> dict[str, Any]:
        """Aggregate with pandas into the ``metrics.json`` document."""
        import pandas as pd

        sessions = pd.DataFrame(self.sessions, columns=_SESSION_COLUMNS, dtype=object)
        for col in ("steps", "messages", "tool_calls", "tool_results", "tool_errors", "safeguards"):
            sessions[col] = sessions[col].astype("int64")
        decisions = pd.DataFrame(self.decisions, columns=["safeguard", "decision", "session"])
        calls = pd.Series(self.tool_calls, dtype=object)

        n_decisions = len(decisions)
        by_decision = decisions["decision"].value_counts()
        results = int(sessions["tool_results"].sum())
        tool_errors = int(sessions["tool_errors"].sum())
        return {
            "schema_version": METRICS_VERSION,
            "sessions": len(sessions),
            "steps": int(sessions["steps"].sum()),
            "steps_by_type": {
                "message": int(sessions["messages"].sum()),
                "tool_call": int(sessions["tool_calls"].sum()),
                "tool_result": results,
                "safeguard": int(sessions["safeguards"].sum()),
            },
            "tool_calls": len(calls),
            "tool_calls_per_tool": {
                str(k): int(v) for k, v in sorted(calls.value_counts().items())
            },
            "tool_results": results,
            "tool_errors": tool_errors,
            "tool_error_rate": _rate(tool_errors, results),
            "safeguard_decisions": _nested_counts(decisions),
            "safeguard_decisions_total": n_decisions,
            "block_rate": _rate(int(by_decision.get("block", 0)), n_decisions),
            "flag_rate": _rate(int(by_decision.get("flag", 0)), n_decisions),
            "sessions_with_block": _sessions_with(decisions, "block"),
            "sessions_with_flag": _sessions_with(decisions, "flag"),
            "model_versions": _group_counts(
                sessions, ["model_name", "model_version"], ["name", "version"]
            ),
            "policy_hashes": _group_counts(
                sessions, ["policy_id", "policy_version", "policy_hash"], ["id", "version", "hash"]
            ),
            "sessions_per_actor": _group_counts(sessions, ["user_id"], ["user_id"]),
            "time_range": _time_range(sessions),
        }

    def compute_plain(self) -> dict[str, Any]:
        """The document :meth:`compute` returns, aggregated in plain Python (no pandas).

        ``verify`` compares a bundle against this first (importing pandas costs more
        than checking a 100 MB bundle) and asks :meth:`compute`, the authority, only
        when something differs; a property test pins ``compute_plain() == compute()``.
        """
        sessions = self.sessions
        column = {name: i for i, name in enumerate(_SESSION_COLUMNS)}

        def total(name: str) -> int:
            i = column[name]
            return sum(row[i] for row in sessions)

        by_decision = Counter(decision for _sg, decision, _idx in self.decisions)
        n_decisions = len(self.decisions)
        results, tool_errors = total("tool_results"), total("tool_errors")
        nested: dict[str, dict[str, int]] = {}
        for (safeguard, decision), n in sorted(
            Counter((sg, dec) for sg, dec, _idx in self.decisions).items()
        ):
            nested.setdefault(str(safeguard), {})[str(decision)] = n
        return {
            "schema_version": METRICS_VERSION,
            "sessions": len(sessions),
            "steps": total("steps"),
            "steps_by_type": {
                "message": total("messages"),
                "tool_call": total("tool_calls"),
                "tool_result": results,
                "safeguard": total("safeguards"),
            },
            "tool_calls": len(self.tool_calls),
            "tool_calls_per_tool": {str(k): n for k, n in sorted(Counter(self.tool_calls).items())},
            "tool_results": results,
            "tool_errors": tool_errors,
            "tool_error_rate": _rate(tool_errors, results),
            "safeguard_decisions": nested,
            "safeguard_decisions_total": n_decisions,
            "block_rate": _rate(by_decision["block"], n_decisions),
            "flag_rate": _rate(by_decision["flag"], n_decisions),
            "sessions_with_block": len({i for _sg, d, i in self.decisions if d == "block"}),
            "sessions_with_flag": len({i for _sg, d, i in self.decisions if d == "flag"}),
            "model_versions": _plain_group_counts(
                sessions, [column["model_name"], column["model_version"]], ["name", "version"]
            ),
            "policy_hashes": _plain_group_counts(
                sessions,
                [column["policy_id"], column["policy_version"], column["policy_hash"]],
                ["id", "version", "hash"],
            ),
            "sessions_per_actor": _plain_group_counts(sessions, [column["user_id"]], ["user_id"]),
            "time_range": _time_range_of([row[column["started_at"]] for row in sessions]),
        }


def compute_metrics(trajectories: Any) -> dict[str, Any]:
    """Compute ``metrics.json`` for an iterable of valid trajectories."""
    collector = MetricsCollector()
    for traj in trajectories:
        collector.add(traj)
    return collector.compute()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _nested_counts(decisions: Any) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if len(decisions):
        for (safeguard, decision), n in sorted(
            decisions.groupby(["safeguard", "decision"]).size().items()
        ):
            out.setdefault(str(safeguard), {})[str(decision)] = int(n)
    return out


def _sessions_with(decisions: Any, decision: str) -> int:
    if not len(decisions):
        return 0
    return int(decisions.loc[decisions["decision"] == decision, "session"].nunique())


def _group_counts(frame: Any, columns: list[str], names: list[str]) -> list[dict[str, Any]]:
    """Count sessions per distinct value tuple; missing values stay null. Most frequent first."""
    if not len(frame):
        return []
    import pandas as pd

    sizes = frame.groupby(columns, dropna=False).size()
    rows = []
    for key, n in sizes.items():
        values = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = {
            name: (None if pd.isna(v) else str(v)) for name, v in zip(names, values, strict=True)
        }
        row["sessions"] = int(n)
        rows.append(row)
    return _sorted_groups(rows, names)


def _plain_group_counts(
    sessions: list[tuple[Any, ...]], indices: list[int], names: list[str]
) -> list[dict[str, Any]]:
    """:func:`_group_counts` without pandas (values are str or None)."""
    sizes = Counter(tuple(row[i] for i in indices) for row in sessions)
    rows = []
    for key, n in sizes.items():
        row: dict[str, Any] = {
            name: (None if v is None else str(v)) for name, v in zip(names, key, strict=True)
        }
        row["sessions"] = n
        rows.append(row)
    return _sorted_groups(rows, names)


def _sorted_groups(rows: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """Most frequent first, then by value (null after the empty string): a total order."""
    rows.sort(
        key=lambda r: (-r["sessions"], [r[n] or "" for n in names], [r[n] is None for n in names])
    )
    return rows


def _time_range(frame: Any) -> dict[str, Any]:
    return _time_range_of(list(frame["started_at"]) if len(frame) else [])


def _time_range_of(values: list[Any]) -> dict[str, Any]:
    stamps = []
    for value in values:
        if isinstance(value, str):
            try:
                stamps.append(parse_timestamp(value))
            except ValueError:
                continue
    return {
        "first_started_at": to_rfc3339(min(stamps)) if stamps else None,
        "last_started_at": to_rfc3339(max(stamps)) if stamps else None,
        "sessions_without_started_at": len(values) - len(stamps),
    }
