"""The release gate's verdict: OK / WARN / BLOCK from test items, flake-aware.

:func:`finalize` is what the runner calls once every item has run (or what
``regression_suite merge`` calls on the items of several shards). It folds items
into cases (one per scenario or variant, over repeats) with a Wilson interval on
the pass rate, applies the suite's thresholds (:mod:`regression_suite.gate.thresholds`),
computes bypass rates of variants (:mod:`regression_suite.gate.bypass`), compares
with a baseline report when given (:mod:`regression_suite.gate.baseline`) and
returns the report dict (``gate_report/v1``) with ``verdict`` and ``exit_code``.

Verdict precedence: BLOCK (exit 2) > ERROR (exit 4: a target error on some item
left the evidence incomplete, and nothing blocks) > WARN (exit 1, or
``warn_exit_code``) > OK (exit 0). An empty run is an ERROR with exit 3 (a suite
or ``-k`` that selects nothing must not pass the gate), except for a shard.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from incident_lab import __version__
from incident_lab.errors import (
    EXIT_BLOCK,
    EXIT_EXTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WARN,
    UsageError,
)
from regression_suite.gate.baseline import compare_cases, is_failing
from regression_suite.gate.bypass import BypassCounter
from regression_suite.gate.cases import Aggregate, item_order, stream_cases
from regression_suite.gate.thresholds import Thresholds, parse_thresholds
from regression_suite.gate.verdict import LEVEL_ORDER, Evaluator
from regression_suite.spool import SortedSpool, Spool

__all__ = ["finalize"]

REPORT_SCHEMA_VERSION = "gate_report/v1"
_SUITE_KEYS = (
    "name",
    "path",
    "sha256",
    "version",
    "description",
    "thresholds",
    "variants",
    "repeats",
)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _suite_record(suite: dict[str, Any]) -> dict[str, Any]:
    record = {k: suite.get(k) for k in _SUITE_KEYS if k in suite}
    record.setdefault("name", suite.get("name"))
    if not record.get("sha256"):
        canonical = json.dumps(_jsonable(suite), sort_keys=True, separators=(",", ":"))
        record["sha256"] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return _jsonable(record)


def _version_label(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        name = value.get("name") or value.get("id")
        version = value.get("version") or value.get("hash")
        if name and version:
            return f"{name}@{version}"
        return str(name or version) if (name or version) else None
    return str(value)


def _versions(
    labels: dict[str, set[str | None]], suite: dict[str, Any], target: dict[str, Any]
) -> dict[str, Any]:
    models = {_version_label(target.get("model"))} | labels["model"]
    policies = {_version_label(target.get("policy"))} | labels["policy"]
    spec = target.get("spec") or target.get("target") or target.get("name")
    version = _version_label(target.get("version"))
    label = (
        spec
        if not version or (spec and version in str(spec))
        else f"{spec}@{version}"
        if spec
        else version
    )
    return {
        "tool": f"incident-lab {__version__}",
        "target": label,
        "models": sorted(m for m in models if m),
        "policies": sorted(p for p in policies if p),
        "suite": suite.get("version") or (suite.get("sha256") or "")[:12] or None,
    }


def _load_baseline(baseline: Any) -> tuple[dict[str, Any], str | None]:
    if isinstance(baseline, dict):
        return baseline, None
    from incident_lab.gate_report import load_report

    return load_report(Path(baseline)), str(baseline)


def _annotator(comparison: dict[str, Any]) -> Any:
    """Return a function that marks a reason new since the baseline, or already failing."""
    rows = {r["scenario_id"]: r for r in comparison["newly_failing"]}
    known = {r["scenario_id"] for r in comparison["changed"]} | comparison["_failing"]

    def annotate(reason: dict[str, Any]) -> dict[str, Any]:
        if reason["code"] not in ("failure", "requirement"):
            return reason
        row = rows.get(reason["scenario_id"])
        if row is not None:
            tag = "significant" if row["significant"] else "not significant"
            rule = row["rule"].removeprefix("not significant: ")  # said once, by the tag
            reason["message"] += f" [new since baseline; {tag}: {rule}]"
        elif reason["scenario_id"] in known:
            reason["message"] += " [already failing in the baseline]"
        return reason

    return annotate


def _headline(verdict: str, summary: dict[str, Any], bypass: dict[str, Any]) -> str:
    parts = [f"{summary['scenarios_passed']}/{summary['scenarios']} scenarios pass"]
    if summary["scenarios_flaky"]:
        parts.append(f"{summary['scenarios_flaky']} flaky")
    if summary["scenarios_error"]:
        parts.append(f"{summary['scenarios_error']} errored")
    overall = bypass["overall"]
    if overall["variants"]:
        parts.append(f"{overall['bypassed_variants']} of {overall['variants']} variants bypass")
    return f"{verdict}: " + ", ".join(parts)


_OUTCOME_COUNTER = {"passed": "passed", "failed": "failed", "error": "errors"}


class _Tally:
    """The counters of a report: its items and cases as they stream by."""

    def __init__(self, confidence: float) -> None:
        self.confidence = confidence
        self.items = {"items": 0, "passed": 0, "failed": 0, "errors": 0}
        self.duration = 0.0
        self.labels: dict[str, set[str | None]] = {"model": set(), "policy": set()}
        self.cases = dict.fromkeys(
            ("scenarios", "passed", "failed", "flaky", "error", "variants", "bypassed"), 0
        )
        self.by_mode = Aggregate("failure_mode")
        self.by_severity = Aggregate("severity")
        self.bypass = BypassCounter()

    def item(self, item: dict[str, Any]) -> None:
        self.items["items"] += 1
        self.items[_OUTCOME_COUNTER[item["outcome"]]] += 1
        self.duration += float(item.get("duration_s") or 0.0)
        for key in ("model", "policy"):
            if item.get(key) is not None:
                self.labels[key].add(_version_label(item[key]))

    def case(self, case: dict[str, Any]) -> None:
        if case["kind"] == "scenario":
            self.cases["scenarios"] += 1
            self.cases[case["status"]] = self.cases.get(case["status"], 0) + 1
        else:
            self.cases["variants"] += 1
            self.cases["bypassed"] += is_failing(case)
        self.by_mode.add(case)
        self.by_severity.add(case)
        self.bypass.add(case)

    def summary(self) -> dict[str, Any]:
        c = self.cases
        return {
            "items": self.items["items"],
            "passed": self.items["passed"],
            "failed": self.items["failed"],
            "errors": self.items["errors"],
            "scenarios": c["scenarios"],
            "scenarios_passed": c["passed"],
            "scenarios_failed": c["failed"],
            "scenarios_flaky": c["flaky"],
            "scenarios_error": c["error"],
            "variants": c["variants"],
            "variants_bypassed": c["bypassed"],
            "duration_s": round(self.duration, 6),
        }


_EMPTY = {
    "level": "error",
    "code": "empty",
    "scenario_id": None,
    "severity": None,
    "failure_mode": None,
    "message": "no test item ran: the suite (or -k) selected nothing, which cannot pass a gate",
}


def finalize(
    items: list[dict[str, Any]],
    *,
    suite: dict[str, Any],
    target: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Turn the run's test items into the gate report with its verdict and exit code.

    The in-memory form of :func:`finalize_stream` (same computation): ``items`` are
    put in report order (:func:`~regression_suite.gate.cases.item_order`) and the
    report's ``reasons``, ``cases`` and ``items`` are lists.

    Args:
        items: One dict per scenario x variant x repeat: ``id``, ``scenario_id``,
            ``parent_id``, ``variant`` (``{"converters", "seed"}`` or ``None``),
            ``repeat``, ``failure_mode``, ``severity``, ``tags``, ``outcome``
            (``passed``/``failed``/``error``), ``results``, ``message``, ``diff``,
            ``duration_s``, ``target`` and optionally ``model``/``policy``.
        suite: The suite (``name``, ``path``, ``thresholds``, ...).
        target: The target description (``spec``, ``name``, ``version``, ...).
        options: ``warn_exit_code`` (default 1), ``baseline`` (a report path or
            dict), ``shard`` (``"I/N"``), ``repeats``, ``started_at``,
            ``finished_at``, and anything else worth recording.

    Returns:
        The ``gate_report/v1`` dict.

    Raises:
        ConfigError: invalid thresholds in the suite.
        SchemaError: a malformed item.
        InputError: an unreadable or invalid baseline report.
        UsageError: a bad ``warn_exit_code``.
    """
    from regression_suite.gate.cases import check_items

    check_items(items)
    ordered = sorted(items, key=item_order)
    report = finalize_stream(ordered, suite=suite, target=target, options=options)
    for key in ("reasons", "cases"):
        report[key] = list(report[key])
    report["items"].close()
    report["items"] = ordered  # the caller's dicts, not copies
    return report


def _warn_exit_code(opts: dict[str, Any]) -> int:
    """The exit code a WARN verdict ends with (``--warn-exit-code``, default 1)."""
    warn_exit = opts.get("warn_exit_code", EXIT_WARN)
    if isinstance(warn_exit, bool) or not isinstance(warn_exit, int) or not 0 <= warn_exit <= 255:
        raise UsageError(f"--warn-exit-code must be an integer 0..255, got {warn_exit!r}")
    return warn_exit


def _fold_cases(
    items: Iterable[dict[str, Any]],
    th: Thresholds,
    tally: _Tally,
    evaluator: Evaluator,
    items_out: Spool,
    by_level: dict[str, Spool],
) -> Spool:
    """Count and spool each item, fold the cases, judge and count each; the folded cases.

    The evaluator's reasons (per case, then per variant parent) go to ``by_level``.
    """

    def counted() -> Iterator[dict[str, Any]]:
        if isinstance(items, SortedSpool):  # each item's line as spooled: not encoded again
            for item, line in items.sorted_records():
                tally.item(item)
                items_out.append_line(line)
                yield item
            return
        for item in items:
            tally.item(item)
            items_out.append(item)
            yield item

    folded = Spool()
    for case in stream_cases(
        counted(), confidence=th.confidence, errors_fail=th.on_error == "fail"
    ):
        for reason in evaluator.add(case):
            by_level[reason["level"]].append(reason)
        tally.case(case)
        folded.append(case)
    for reason in evaluator.variant_reasons():
        by_level[reason["level"]].append(reason)
    return folded


def _compare_baseline(
    baseline: Any,
    cases: list[dict[str, Any]],
    th: Thresholds,
    evaluator: Evaluator,
    by_level: dict[str, Spool],
) -> dict[str, Any]:
    """Compare ``cases`` with the baseline report; its regression reasons go to ``by_level``.

    The comparison keeps the baseline's failing scenario ids under ``_failing`` for the
    reasons' annotation; the caller removes it.
    """
    old, path = _load_baseline(baseline)
    comparison = compare_cases(old.get("cases", []), cases, significance=th.significance)
    comparison["path"] = path
    comparison["verdict"] = old.get("verdict")
    comparison["started_at"] = (old.get("run") or {}).get("started_at")
    comparison["_failing"] = {c["scenario_id"] for c in old.get("cases", []) if is_failing(c)}
    by_id = {c["scenario_id"]: c for c in cases}
    for reason in evaluator.regression_reasons(by_id, comparison):
        by_level[reason["level"]].append(reason)
    return comparison


def _all_reasons(by_level: dict[str, Spool], comparison: dict[str, Any] | None) -> Spool:
    """All reasons, level by level (annotated against the baseline when there is one);
    the per-level spools are closed."""
    annotate = _annotator(comparison) if comparison is not None else None
    reasons = Spool()
    for spool in by_level.values():
        for reason in spool:
            reasons.append(annotate(reason) if annotate else reason)
        spool.close()
    return reasons


def _verdict(by_level: dict[str, Spool], any_items: bool, warn_exit: int) -> tuple[str, int]:
    """The verdict and exit code: the worst level with a reason (an ERROR with no item
    run is a usage error)."""
    if by_level["block"]:
        return "BLOCK", EXIT_BLOCK
    if by_level["error"]:
        return "ERROR", EXIT_USAGE if not any_items else EXIT_EXTERNAL
    if by_level["warn"]:
        return "WARN", warn_exit
    return "OK", EXIT_OK


def finalize_stream(
    items: Iterable[dict[str, Any]],
    *,
    suite: dict[str, Any],
    target: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """:func:`finalize` for items streamed in report order, in memory that does not grow
    with the run.

    Items go through once: each is counted and spooled to disk, each case is folded
    from its items, judged (:class:`~regression_suite.gate.verdict.Evaluator`),
    counted (summary, aggregates, bypass rates) and spooled. Memory holds one
    case, the counters, a counter per variant parent, and (with a baseline only)
    the cases, which the comparison needs by id.

    Args:
        items: Report items grouped by case in report order (as
            :class:`~regression_suite.spool.SortedSpool` by ``item_order`` yields them).
        suite, target, options: As for :func:`finalize`.

    Returns:
        The ``gate_report/v1`` dict whose ``reasons``, ``cases`` and ``items`` are
        :class:`~regression_suite.spool.Spool` sequences (iterable, sized, on disk).

    Raises:
        As :func:`finalize`.
    """
    opts = dict(options or {})
    warn_exit = _warn_exit_code(opts)
    th = parse_thresholds(suite.get("thresholds"), source=suite.get("path"))
    tally = _Tally(th.confidence)
    evaluator = Evaluator(th)
    items_out = Spool()
    by_level: dict[str, Spool] = {level: Spool() for level in LEVEL_ORDER}

    folded = _fold_cases(items, th, tally, evaluator, items_out, by_level)
    comparison: dict[str, Any] | None = None
    if opts.get("baseline"):
        cases: Any = [evaluator.apply(case) for case in folded]  # looked up by id
        comparison = _compare_baseline(opts["baseline"], cases, th, evaluator, by_level)
        cases = Spool(cases)
        folded.close()
    elif tally.cases["variants"]:
        cases = Spool(evaluator.apply(case) for case in folded)
        folded.close()
    else:  # apply() sets variants' actions only: with none, the folded cases are final
        cases = folded
    summary = tally.summary()
    if not summary["items"] and not opts.get("shard"):
        by_level["error"].append(_EMPTY)
    reasons = _all_reasons(by_level, comparison)
    if comparison is not None:
        comparison.pop("_failing")
    verdict, exit_code = _verdict(by_level, bool(summary["items"]), warn_exit)
    bypass = tally.bypass.result(th.confidence)
    finished = opts.get("finished_at") or _now()
    suite_rec = _suite_record(suite)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "verdict": verdict,
        "exit_code": exit_code,
        "headline": _headline(verdict, summary, bypass),
        "reasons": reasons,
        "run": {
            "id": opts.get("run_id") or uuid.uuid4().hex,
            "started_at": opts.get("started_at") or finished,
            "finished_at": finished,
            "wall_time_s": opts.get("wall_time_s"),
            "shard": opts.get("shard"),
            "shards": opts.get("shards"),
            "repeats": opts.get("repeats"),
        },
        "versions": _versions(tally.labels, suite_rec, target),
        "suite": suite_rec,
        "target": _jsonable(target),
        "thresholds": th.to_dict(),
        "options": _jsonable({k: v for k, v in opts.items() if k not in ("run_id",)}),
        "summary": summary,
        "aggregates": {
            "by_failure_mode": tally.by_mode.result(th.confidence),
            "by_severity": tally.by_severity.result(th.confidence),
        },
        "bypass": bypass,
        "baseline": comparison,
        "cases": cases,
        "items": items_out,
    }
