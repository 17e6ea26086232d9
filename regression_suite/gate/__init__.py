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
from regression_suite.gate.bypass import bypass_stats
from regression_suite.gate.cases import aggregate, build_cases
from regression_suite.gate.thresholds import Thresholds, parse_thresholds
from regression_suite.gate.verdict import evaluate

__all__ = ["REPORT_SCHEMA_VERSION", "VERDICTS", "Thresholds", "finalize", "parse_thresholds"]

REPORT_SCHEMA_VERSION = "gate_report/v1"
VERDICTS = ("OK", "WARN", "BLOCK", "ERROR")
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
    items: list[dict[str, Any]], suite: dict[str, Any], target: dict[str, Any]
) -> dict[str, Any]:
    models = {_version_label(target.get("model"))} | {_version_label(i.get("model")) for i in items}
    policies = {_version_label(target.get("policy"))} | {
        _version_label(i.get("policy")) for i in items
    }
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
    from regression_suite.reports.json_report import load_report

    return load_report(Path(baseline)), str(baseline)


def _annotate(reasons: list[dict[str, Any]], comparison: dict[str, Any]) -> None:
    rows = {r["scenario_id"]: r for r in comparison["newly_failing"]}
    known = {r["scenario_id"] for r in comparison["changed"]}
    for reason in reasons:
        if reason["code"] not in ("failure", "requirement"):
            continue
        row = rows.get(reason["scenario_id"])
        if row is not None:
            tag = "significant" if row["significant"] else "not significant"
            reason["message"] += f" [new since baseline; {tag}: {row['rule']}]"
        elif reason["scenario_id"] in known or reason["scenario_id"] in comparison.get(
            "_failing", ()
        ):
            reason["message"] += " [already failing in the baseline]"


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


def _summary(items: list[dict[str, Any]], cases: list[dict[str, Any]]) -> dict[str, Any]:
    scenarios = [c for c in cases if c["kind"] == "scenario"]
    variants = [c for c in cases if c["kind"] == "variant"]
    outcomes = [i["outcome"] for i in items]
    return {
        "items": len(items),
        "passed": outcomes.count("passed"),
        "failed": outcomes.count("failed"),
        "errors": outcomes.count("error"),
        "scenarios": len(scenarios),
        "scenarios_passed": sum(c["status"] == "passed" for c in scenarios),
        "scenarios_failed": sum(c["status"] == "failed" for c in scenarios),
        "scenarios_flaky": sum(c["status"] == "flaky" for c in scenarios),
        "scenarios_error": sum(c["status"] == "error" for c in scenarios),
        "variants": len(variants),
        "variants_bypassed": sum(is_failing(c) for c in variants),
        "duration_s": round(sum(float(i.get("duration_s") or 0.0) for i in items), 6),
    }


def finalize(
    items: list[dict[str, Any]],
    *,
    suite: dict[str, Any],
    target: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Turn the run's test items into the gate report with its verdict and exit code.

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
    opts = dict(options or {})
    warn_exit = opts.get("warn_exit_code", EXIT_WARN)
    if isinstance(warn_exit, bool) or not isinstance(warn_exit, int) or not 0 <= warn_exit <= 255:
        raise UsageError(f"--warn-exit-code must be an integer 0..255, got {warn_exit!r}")
    th = parse_thresholds(suite.get("thresholds"), source=suite.get("path"))
    cases = build_cases(items, confidence=th.confidence, errors_fail=th.on_error == "fail")
    comparison: dict[str, Any] | None = None
    if opts.get("baseline"):
        old, path = _load_baseline(opts["baseline"])
        comparison = compare_cases(old.get("cases", []), cases, significance=th.significance)
        comparison["path"] = path
        comparison["verdict"] = old.get("verdict")
        comparison["started_at"] = (old.get("run") or {}).get("started_at")
        comparison["_failing"] = {c["scenario_id"] for c in old.get("cases", []) if is_failing(c)}
    reasons = evaluate(cases, th, comparison)
    if comparison is not None:
        _annotate(reasons, comparison)
        comparison.pop("_failing")
    if not items and not opts.get("shard"):
        reasons.append(
            {
                "level": "error",
                "code": "empty",
                "scenario_id": None,
                "severity": None,
                "failure_mode": None,
                "message": "no test item ran: the suite (or -k) selected nothing, which cannot pass a gate",
            }
        )
    levels = {r["level"] for r in reasons}
    if "block" in levels:
        verdict, exit_code = "BLOCK", EXIT_BLOCK
    elif "error" in levels:
        verdict = "ERROR"
        exit_code = EXIT_USAGE if not items else EXIT_EXTERNAL
    elif "warn" in levels:
        verdict, exit_code = "WARN", warn_exit
    else:
        verdict, exit_code = "OK", EXIT_OK
    bypass = bypass_stats(cases, th.confidence)
    summary = _summary(items, cases)
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
        "versions": _versions(items, suite_rec, target),
        "suite": suite_rec,
        "target": _jsonable(target),
        "thresholds": th.to_dict(),
        "options": _jsonable({k: v for k, v in opts.items() if k not in ("run_id",)}),
        "summary": summary,
        "aggregates": {
            "by_failure_mode": aggregate(cases, "failure_mode", th.confidence),
            "by_severity": aggregate(cases, "severity", th.confidence),
        },
        "bypass": bypass,
        "baseline": comparison,
        "cases": cases,
        "items": items,  # not copied: 10,000 items are the bulk of a report's memory
    }
