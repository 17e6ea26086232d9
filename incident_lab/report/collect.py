"""Gather everything known about an incident from its bundle into one report document.

Sources, all optional except the bundle itself: ``manifest.json``,
``metrics.json``, ``timeline.jsonl``, ``trajectories.jsonl``,
``followup/classification.json`` (else the classifier runs on the incident
sessions), ``rejects.jsonl`` (count and reasons), ``followup/blast_radius.json``, ``followup/ticket.md``, the scenario
library (scenarios whose provenance names the bundle, the incident id or one of
its sessions, and their variants) and a gate ``report.json``. What is missing is
reported as missing, never invented.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError
from incident_lab.evidence.timeline import read_records
from incident_lab.report.phases import phase_durations
from incident_lab.report.rootcause import root_cause

SCHEMA_VERSION = "incident_report/v1"


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", path=str(path)) from None


def _incident_sessions(
    trajs: list[dict[str, Any]], classification: dict[str, Any] | None
) -> list[str]:
    labelled = [
        str(t.get("session_id")) for t in trajs if (t.get("labels") or {}).get("unsafe_steps")
    ]
    if labelled:
        return labelled
    flagged = [
        str(s.get("session_id"))
        for s in (classification or {}).get("sessions") or []
        if s.get("top")
    ]
    if flagged:
        return flagged
    return [str(t.get("session_id")) for t in trajs[:1]]


def _classification(bundle: Path, trajs: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    from incident_lab.classify.followup import read_classification

    sessions = read_classification(bundle)  # a damaged file is exit 3, naming it
    if sessions is not None:
        return {"sessions": sessions}, "followup/classification.json"
    if not trajs:
        return None, "none"
    from incident_lab.classify import classify_many

    return {
        "sessions": [c.to_dict() for c in classify_many(trajs)]
    }, "computed now (no followup/classification.json)"


def _detector_errors(classification: dict[str, Any] | None) -> list[str]:
    """Each distinct detector error over every session classified (not only the incident's:
    a detector that raised may be why a session is not flagged), as ``classify`` lists them."""
    from incident_lab.classify.followup import detector_error_lines

    return detector_error_lines(
        [
            (str(s.get("session_id")), s.get("detector_errors") or [])
            for s in (classification or {}).get("sessions") or []
        ]
    )


def _activity(trajs: list[dict[str, Any]]) -> dict[str, Any]:
    """Tool calls and safeguard decisions per minute (by step timestamp, else session start)."""
    calls: Counter[str] = Counter()
    decisions: Counter[tuple[str, str]] = Counter()
    for traj in trajs:
        fallback = str(traj.get("started_at") or "")
        for step in traj.get("steps") or []:
            minute = str(step.get("timestamp") or fallback)[:16]
            if not minute:
                continue
            if step.get("type") == "tool_call":
                calls[minute] += 1
            elif step.get("type") == "safeguard":
                decisions[(minute, str(step.get("decision")))] += 1
    minutes = _contiguous(sorted(set(calls) | {m for m, _ in decisions}))
    kinds = sorted({d for _, d in decisions})
    return {
        "minutes": minutes,
        "tool_calls": [calls.get(m, 0) for m in minutes],
        "decisions": {d: [decisions.get((m, d), 0) for m in minutes] for d in kinds},
    }


#: At most this many minutes are drawn one by one (a day); a longer span keeps only
#: the minutes with activity.
_MAX_MINUTES = 1440


def _contiguous(minutes: list[str]) -> list[str]:
    """Every minute from the first to the last (quiet minutes count 0), so the chart's
    x axis is time, not a list of busy minutes; unparseable stamps are kept as they are."""
    from datetime import datetime, timedelta

    try:
        stamps = [datetime.strptime(m, "%Y-%m-%dT%H:%M") for m in minutes]
    except ValueError:
        return minutes
    if not stamps or (stamps[-1] - stamps[0]) > timedelta(minutes=_MAX_MINUTES):
        return minutes
    span = int((stamps[-1] - stamps[0]).total_seconds() // 60)
    return [(stamps[0] + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M") for k in range(span + 1)]


def _rejects(bundle: Path) -> dict[str, Any]:
    """The bundle's ``rejects.jsonl``: how many records were not accepted, and why."""
    path = bundle / "rejects.jsonl"
    reasons: Counter[str] = Counter()
    count = 0
    if path.is_file():
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                count += 1
                try:
                    row = json.loads(line)
                except ValueError:
                    row = {}
                reason = row.get("reason") if isinstance(row, dict) else None
                reasons[str(reason) if reason else "(no reason given)"] += 1
    return {
        "count": count,
        "path": "rejects.jsonl" if path.is_file() else None,
        "reasons": [{"reason": r, "count": n} for r, n in reasons.most_common(20)],
        "more_reasons": max(0, len(reasons) - 20),
    }


def _scenarios(
    scenarios_dir: Path | None, incident_id: str, bundle: Path, sessions: set[str]
) -> dict[str, Any]:
    from incident_lab.scenarios.io import iter_scenario_paths, load_scenario

    found: list[dict[str, Any]] = []
    variants: list[dict[str, Any]] = []
    if scenarios_dir is None or not scenarios_dir.is_dir():
        return {
            "dir": str(scenarios_dir) if scenarios_dir else None,
            "scenarios": [],
            "variants": [],
        }
    docs = []
    for path in iter_scenario_paths(scenarios_dir, variants=True):
        try:
            docs.append((path, load_scenario(path, validate=False)))
        except InputError:
            continue  # 'incident_lab lint' reports broken files; the report is about this incident
    for path, doc in docs:
        prov = doc.get("provenance") or {}
        names = {str(prov.get("incident_id")), Path(str(prov.get("bundle") or "")).name}
        related = (
            incident_id in names
            or bundle.name in names
            or sessions & set(map(str, prov.get("session_ids") or []))
        )
        if related and not doc.get("variant"):
            taxonomy = doc.get("taxonomy") or {}
            found.append(
                {
                    "id": doc.get("id"),
                    "title": doc.get("title"),
                    "status": doc.get("status"),
                    "failure_mode": taxonomy.get("failure_mode"),
                    "severity": taxonomy.get("severity"),
                    "path": str(path),
                }
            )
    ids = {s["id"] for s in found}
    for path, doc in docs:
        variant = doc.get("variant") or {}
        if variant.get("parent") in ids:
            variants.append({"id": doc.get("id"), "parent": variant.get("parent"),
                             "converters": variant.get("converters") or [], "path": str(path)})  # fmt: skip
    return {"dir": str(scenarios_dir), "scenarios": found, "variants": variants}


def _gate(gate_report: Path | None, scenario_ids: set[str]) -> dict[str, Any] | None:
    if gate_report is None:
        return None
    from incident_lab.gate_report import load_report

    report = load_report(gate_report)
    cases = [
        c
        for c in report.get("cases") or []
        if c.get("scenario_id") in scenario_ids or c.get("parent_id") in scenario_ids
    ]
    return {
        "path": str(gate_report),
        "verdict": report.get("verdict"),
        "headline": report.get("headline"),
        "summary": report.get("summary"),
        "target": (report.get("target") or {}).get("spec"),
        "cases": [
            {
                k: c.get(k)
                for k in ("scenario_id", "kind", "chain", "runs", "passed", "failed", "status")
            }
            for c in cases
        ],
    }


def collect_report(
    directory: str | Path,
    *,
    scenarios_dir: Path | None = None,
    gate_report: Path | None = None,
) -> dict[str, Any]:
    """Build the ``incident_report/v1`` document for a bundle.

    Raises:
        InputError: not a bundle, or one of its files is malformed.
    """
    from incident_lab import __version__
    from incident_lab.evidence import load_bundle
    from incident_lab.evidence.bundle import read_manifest
    from incident_lab.trajectory import utc_now_iso

    bundle = load_bundle(directory)
    # The report states what the manifest says: it must be a valid manifest/v1 (else exit 3,
    # "run verify"), as for ticket and notify.
    read_manifest(bundle.path / "manifest.json")
    trajs = list(bundle.iter_trajectories())
    classification, class_source = _classification(bundle.path, trajs)
    incident_sessions = _incident_sessions(trajs, classification)
    by_id = {str(t.get("session_id")): t for t in trajs}
    sessions = [
        c
        for c in (classification or {}).get("sessions") or []
        if str(c.get("session_id")) in incident_sessions
    ]
    events = [e for e in read_records(bundle.timeline_path, what="timeline") if isinstance(e, dict)]
    scen = _scenarios(scenarios_dir, bundle.incident_id, bundle.path, set(incident_sessions))
    ids = {s["id"] for s in scen["scenarios"]}
    blast = _read_json(bundle.path / "followup" / "blast_radius.json")
    if not isinstance(blast, dict):
        blast = None
    ticket = bundle.path / "followup" / "ticket.md"
    top = sessions[0] if sessions else None
    gate = _gate(gate_report, ids)
    from incident_lab.incident_record import current_record

    record = current_record(bundle.path)  # the on-call's decisions win over suggestions
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_now_iso(),
        "tool_version": __version__,
        "incident_id": bundle.incident_id,
        "bundle": str(bundle.path),
        "status": _status(record, top, blast, gate),
        "manifest": {
            k: bundle.manifest.get(k)
            for k in (
                "collected_at",
                "collector",
                "counts",
                "model_versions_seen",
                "policy_hashes_seen",
            )
        },
        "metrics": _read_json(bundle.path / "metrics.json"),
        "activity": _activity(trajs),
        "timeline": {"events": events, "phases": phase_durations(events)},
        "rejects": _rejects(bundle.path),
        "classification": {
            "source": class_source,
            "sessions": sessions,
            "detector_errors": _detector_errors(classification),
        },
        "blast_radius": blast,
        "incident_record": record,
        "scenarios": scen,
        "gate": gate,
        "ticket": str(ticket) if ticket.is_file() else None,
        "root_cause": root_cause(
            [by_id[s] for s in incident_sessions if s in by_id], sessions, events
        ),
    }


def _status(
    record: dict[str, Any],
    top: dict[str, Any] | None,
    blast: dict[str, Any] | None,
    gate: dict[str, Any] | None,
) -> dict[str, Any]:
    """The headline: the on-call's decisions (else the top session's classification),
    the blast-radius risk and the gate's verdict."""
    top = top or {}
    decided = record.get("severity") or record.get("failure_mode") or {}
    return {
        "failure_mode": (record.get("failure_mode") or {}).get("value") or top.get("top"),
        "severity": (record.get("severity") or {}).get("value")
        or (top.get("severity") or {}).get("level"),
        "decision": decided.get("source"),
        "blast_risk": blast.get("risk", {}).get("level") if blast is not None else None,
        "gate_verdict": gate.get("verdict") if gate else None,
    }
