"""Compare two gate reports (``regression_suite diff``) and combine shards (``merge``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from incident_lab.errors import UsageError
from regression_suite.gate import finalize
from regression_suite.gate.baseline import compare_cases

# Case fields that say what happened; timings and item ids are noise for a diff.
_CASE_FIELDS = (
    "status",
    "action",
    "severity",
    "failure_mode",
    "passed",
    "failed",
    "errors",
    "runs",
    "messages",
)


def _case_view(case: dict[str, Any]) -> dict[str, Any]:
    return {k: case.get(k) for k in _CASE_FIELDS}


def _changes(old: Any, new: Any) -> dict[str, dict[str, Any]]:
    raw = DeepDiff(old, new, verbose_level=2, ignore_order=False).to_dict()
    out: dict[str, dict[str, Any]] = {}
    for kind, entries in raw.items():
        if not isinstance(entries, dict):
            continue
        for where, value in entries.items():
            field = re.sub(r"\['([^']*)'\]", r".\1", where.removeprefix("root")).lstrip(".")
            if kind == "values_changed" or kind == "type_changes":
                out[field] = {"old": value.get("old_value"), "new": value.get("new_value")}
            elif kind.endswith("added"):
                out[field] = {"old": None, "new": value}
            elif kind.endswith("removed"):
                out[field] = {"old": value, "new": None}
    return out


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Compare two ``gate_report/v1`` dicts.

    Args:
        old: The earlier report.
        new: The later report.

    Returns:
        ``verdict`` ``{old, new}``, ``versions`` changes (deepdiff), and per scenario
        ``newly_failing``, ``fixed``, ``changed`` (each changed case with its
        field-level ``changes``), ``added``, ``removed`` and ``regressions``
        (significant drops, the rule of :mod:`regression_suite.gate.baseline`).
    """
    significance = float((new.get("thresholds") or {}).get("significance", 0.05))
    cmp = compare_cases(old["cases"], new["cases"], significance=significance)
    old_cases = {c["scenario_id"]: c for c in old["cases"]}
    new_cases = {c["scenario_id"]: c for c in new["cases"]}
    listed = {r["scenario_id"] for key in ("newly_failing", "fixed", "changed") for r in cmp[key]}
    changed = list(cmp["changed"])
    for sid in sorted(set(old_cases) & set(new_cases)):
        changes = _changes(_case_view(old_cases[sid]), _case_view(new_cases[sid]))
        if not changes:
            continue
        if sid in listed:
            for key in ("newly_failing", "fixed", "changed"):
                for row in cmp[key]:
                    if row["scenario_id"] == sid:
                        row["changes"] = changes
        else:
            changed.append({"scenario_id": sid, "changes": changes, "significant": False})
    cmp["changed"] = sorted(changed, key=lambda r: r["scenario_id"])
    return {
        "old": {"verdict": old["verdict"], "run": old["run"], "suite": old["suite"].get("name")},
        "new": {"verdict": new["verdict"], "run": new["run"], "suite": new["suite"].get("name")},
        "verdict": {"old": old["verdict"], "new": new["verdict"]},
        "versions": _changes(old["versions"], new["versions"]),
        **{k: v for k, v in cmp.items()},
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _shard_of(report: dict[str, Any]) -> tuple[int, int] | None:
    shard = (report.get("run") or {}).get("shard")
    if not shard:
        return None
    index, _, total = str(shard).partition("/")
    try:
        return int(index), int(total)
    except ValueError:
        return None


def merge_reports(
    reports: list[tuple[Path, dict[str, Any]]],
    *,
    allow_partial: bool = False,
    baseline: Any = None,
    warn_exit_code: int | None = None,
) -> dict[str, Any]:
    """Combine shard reports into one report with one verdict, recomputed from the items.

    Args:
        reports: ``(path, report)`` per shard.
        allow_partial: Accept a set of shards with some missing (``1/3`` and ``3/3``).
        baseline: A baseline report path (or dict) to compare the merged run with.
        warn_exit_code: Override the shards' recorded ``warn_exit_code``.

    Returns:
        The merged ``gate_report/v1`` dict.

    Raises:
        UsageError: no shard; shards of different suites, targets or thresholds;
            overlapping items or the same shard twice; missing shards without
            ``allow_partial``.
    """
    if not reports:
        raise UsageError("nothing to merge", hint="pass the report.json of every shard")
    _check_shards(reports, allow_partial=allow_partial)
    first = reports[0][1]
    ordered = sorted(reports, key=lambda pr: (_shard_of(pr[1]) or (0, 0))[0])
    items = [item for _, report in ordered for item in report["items"]]
    options = _merged_options(reports, ordered, baseline, warn_exit_code)
    suite = {**first["suite"], "thresholds": first["thresholds"]}
    return finalize(items, suite=suite, target=first["target"], options=options)


def _check_shards(reports: list[tuple[Path, dict[str, Any]]], *, allow_partial: bool) -> None:
    """The shards are of one run (suite, target, thresholds), none twice, no item in two,
    and (unless ``allow_partial``) none missing.

    Raises:
        UsageError: naming the two files or the missing shards.
    """
    first_path, first = reports[0]
    seen_items: dict[str, Path] = {}
    seen_shards: dict[int, Path] = {}
    totals: set[int] = set()
    for path, report in reports:
        _check_same_run(path, report, first_path, first)
        shard = _shard_of(report)
        if shard is not None:
            index, total = shard
            totals.add(total)
            if index in seen_shards:
                raise UsageError(f"{path} and {seen_shards[index]} are both shard {index}/{total}")
            seen_shards[index] = path
        for item in report["items"]:
            item_id = str(item.get("id") or f"{item['scenario_id']}#{item.get('repeat')}")
            if item_id in seen_items:
                raise UsageError(
                    f"{path} and {seen_items[item_id]} both contain item {item_id!r}",
                    hint="shards must not overlap; was one shard passed twice?",
                )
            seen_items[item_id] = path
    if len(totals) > 1:
        raise UsageError(f"shards of different splits: /{', /'.join(map(str, sorted(totals)))}")
    missing = sorted(set(range(1, max(totals) + 1)) - set(seen_shards)) if totals else []
    if missing and not allow_partial:
        raise UsageError(
            f"missing shard(s) {', '.join(f'{i}/{max(totals)}' for i in missing)}",
            hint="pass every shard's report, or --allow-partial",
        )


def _check_same_run(
    path: Path, report: dict[str, Any], first_path: Path, first: dict[str, Any]
) -> None:
    for key, what in (("suite", "suite"), ("target", "target"), ("thresholds", "thresholds")):
        mine = report[key].get("sha256") if key == "suite" else report[key]
        theirs = first[key].get("sha256") if key == "suite" else first[key]
        if _canonical(mine) != _canonical(theirs):
            raise UsageError(
                f"{path} and {first_path} are runs of a different {what}",
                hint="merge only the shards of one run",
            )


def _merged_options(
    reports: list[tuple[Path, dict[str, Any]]],
    ordered: list[tuple[Path, dict[str, Any]]],
    baseline: Any,
    warn_exit_code: int | None,
) -> dict[str, Any]:
    """The first shard's options without its per-shard ones, plus the shards merged, the
    baseline, and the run's start and end over all shards."""
    options = dict(reports[0][1].get("options") or {})
    for key in ("shard", "baseline", "run_id", "started_at", "finished_at", "wall_time_s"):
        options.pop(key, None)
    if warn_exit_code is not None:
        options["warn_exit_code"] = warn_exit_code
    options["baseline"] = baseline
    options["shards"] = [
        f"{(_shard_of(r) or (0, 0))[0]}/{(_shard_of(r) or (0, 0))[1]}"
        for _, r in ordered
        if _shard_of(r)
    ]
    options["merged_from"] = [str(p) for p, _ in ordered]
    starts = [r["run"]["started_at"] for _, r in reports]
    ends = [r["run"]["finished_at"] for _, r in reports]
    options["started_at"], options["finished_at"] = min(starts), max(ends)
    return options
