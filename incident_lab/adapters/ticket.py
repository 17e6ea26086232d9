"""The playbook's incident ticket (phase 4), filled from the bundle, never invented.

The story comes from the incident record (``followup/incident.json``, see
:mod:`incident_lab.incident_record`): the confirmed failure mode and severity (or
the classifier's suggestions, marked as such), the incident sessions, the victims,
the attacker-controlled values and the tools those sessions called. Attacker values
are shown *defanged* in the summary (``collector[@]evil[.]example``), the usual way
to quote an indicator of compromise: readable, not clickable, and not mistaken for
personal data by the notifiers' redaction. Fields the data does not answer are
written as a visible placeholder (:data:`FILL_MARK`) for a human to fill.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.adapters.contain import read_timeline
from incident_lab.errors import InputError

__all__ = [
    "FILL_MARK",
    "TicketData",
    "build_ticket",
    "defang",
    "render_ticket",
    "write_ticket",
]

FILL_MARK = "[TO FILL]"
_SHOWN = 5


def defang(value: str) -> str:
    """``a@evil.example`` -> ``a[@]evil[.]example``; ``https://x.io`` -> ``hxxps://x[.]io``."""
    out = value.replace("http://", "hxxp://").replace("https://", "hxxps://")
    return out.replace("@", "[@]").replace(".", "[.]")


@dataclass
class TicketData:
    """Everything the ticket and the notifications say about one incident."""

    incident_id: str
    bundle: Path
    summary: str
    model_version: str
    failure_mode: str
    severity: str | None
    mitigation: str
    root_cause: str
    tools_involved: list[str] = field(default_factory=list)
    data_involved: bool = False
    evidence: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    decision: str = "suggested"
    sessions: list[dict[str, Any]] = field(default_factory=list)
    victims: list[dict[str, Any]] = field(default_factory=list)
    tenants: list[str] = field(default_factory=list)
    attacker_values: list[dict[str, Any]] = field(default_factory=list)
    suggestions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "incident_id": self.incident_id,
            "bundle": str(self.bundle),
            "summary": self.summary,
            "model_version": self.model_version,
            "failure_mode": self.failure_mode,
            "severity": self.severity,
            "immediate_mitigation": self.mitigation,
            "suspected_root_cause": self.root_cause,
            "decision": self.decision,
            "sessions": self.sessions,
            "victims": self.victims,
            "tenants": self.tenants,
            # Defanged: this dict is what notifiers send (the raw values stay in the record).
            "attacker_values": [
                {**v, "value": defang(str(v["value"])), "defanged": True}
                for v in self.attacker_values
            ],
            "suggestions": self.suggestions,
            "tools_involved": self.tools_involved,
            "data_involved": self.data_involved,
            "artifacts": self.artifacts,
            "placeholders": self.placeholders,
        }


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read JSON: {exc}", path=str(path)) from None


def _fill(what: str, data: TicketData) -> str:
    data.placeholders.append(what)
    return f"{FILL_MARK} {what}"


def _models(manifest: dict[str, Any]) -> list[str]:
    seen = manifest.get("model_versions_seen") or manifest.get("models_seen") or {}
    declared = manifest.get("declared") or {}
    names: list[str] = []
    if isinstance(seen, dict):
        names = [f"{k} ({v} sessions)" for k, v in seen.items()]
    elif isinstance(seen, list):
        names = [str(x.get("model") if isinstance(x, dict) else x) for x in seen]
    if declared.get("model_version"):
        names.append(f"declared: {declared['model_version']}")
    return names


def _story(record: dict[str, Any], data: TicketData) -> str:
    """The summary's first sentences: what, how bad, who, the attacker's value."""
    parts = []
    sessions = record.get("sessions") or []
    if sessions:
        by_sev: dict[str, list[str]] = {}
        for s in sessions:
            by_sev.setdefault(str(s.get("severity") or "SEV-?"), []).append(str(s["session_id"]))
        for sev, ids in sorted(by_sev.items()):
            more = f" +{len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
            parts.append(f"{len(ids)} {sev} session(s): {', '.join(ids[:_SHOWN])}{more}")
        executed = sum(1 for s in sessions if s.get("harm_executed"))
        parts.append(f"harmful call executed in {executed} of them")
    victims = record.get("victims") or []
    if victims:
        tenants = record.get("tenants") or []
        users = ", ".join(f"{v['user_id']} ({v['tenant_id']})" for v in victims[:_SHOWN])
        more = f" +{len(victims) - _SHOWN} more" if len(victims) > _SHOWN else ""
        parts.append(
            f"victims: {len(victims)} user(s) in {len(tenants)} tenant(s) "
            f"({', '.join(tenants)}): {users}{more}"
        )
    values = record.get("attacker_values") or []
    if values:
        shown = ", ".join(
            f"{defang(v['value'])} ({v['tool']}.{v['argument']}, {v['sessions']} session(s))"
            for v in values[:3]
        )
        parts.append(f"attacker-controlled value: {shown}")
    return "; ".join(parts)


def build_ticket(bundle: str | Path) -> TicketData:
    """Gather the ticket's facts from the incident record, manifest, metrics and timeline.

    Raises:
        InputError: ``bundle`` is not an incident bundle (no manifest.json), or its
            incident record is unreadable or not the sealed version.
    """
    from incident_lab.incident_record import current_record

    root = Path(bundle)
    manifest = _read_json(root / "manifest.json")
    if not isinstance(manifest, dict):
        raise InputError(
            "not an incident bundle (no manifest.json)",
            path=str(root),
            hint="run 'incident_lab snapshot' first",
        )
    metrics = _read_json(root / "metrics.json") or {}
    record = current_record(root)
    timeline = read_timeline(root)
    data = TicketData(
        incident_id=str(manifest.get("incident_id") or root.name),
        bundle=root,
        summary="",
        model_version="",
        failure_mode="",
        severity=None,
        mitigation="",
        root_cause="",
    )
    counts = manifest.get("counts") or {}
    sessions = metrics.get("sessions", counts.get("accepted"))
    data.tools_involved = list(record.get("tools_involved") or [])
    data.sessions = list(record.get("sessions") or [])
    data.victims = list(record.get("victims") or [])
    data.tenants = list(record.get("tenants") or [])
    data.attacker_values = list(record.get("attacker_values") or [])
    data.suggestions = dict(record.get("suggestions") or {})
    mode, sev = record.get("failure_mode"), record.get("severity")
    if sev:
        data.severity = str(sev["value"])
    if mode:
        data.decision = str(mode["source"])
        if mode["source"] == "suggested":
            data.failure_mode = f"{mode['value']} (suggested by incident_lab classify; confirm)"
        else:
            by = f" by {mode['by']}" if mode.get("by") else ""
            data.failure_mode = f"{mode['value']} (confirmed{by})"
            others = [m for m in data.suggestions.get("failure_modes") or {} if m != mode["value"]]
            if others:
                data.failure_mode += "; other suggestions: " + ", ".join(others)
    else:
        data.failure_mode = _fill("failure mode (run 'incident_lab classify' on the bundle)", data)
    classification = _read_json(root / "followup" / "classification.json")
    if isinstance(classification, dict):
        by_id = {str(c.get("session_id")): c for c in classification.get("sessions") or []}
        for s in data.sessions[:_SHOWN]:
            c = by_id.get(str(s["session_id"])) or {}
            for ranked in (c.get("ranked") or [])[:1]:
                for ev in (ranked.get("evidence") or [])[:2]:
                    data.evidence.append(
                        f"{s['session_id']} ({s.get('severity')}): steps {ev.get('steps')}: "
                        f"{ev.get('detail')}"
                    )
    data.data_involved = bool(data.attacker_values) or any(
        any(k in t.lower() for k in ("email", "customer", "file", "db", "export", "upload", "http"))
        for t in data.tools_involved
    )
    story = _story(record, data)
    data.summary = (
        (story + ". " if story else "")
        + f"{sessions if sessions is not None else '?'} sessions preserved in {root.name}"
        + (f"; tools involved: {', '.join(data.tools_involved)}" if data.tools_involved else "")
        + ". "
        + _fill("one-sentence description of the harm", data)
    )
    models = _models(manifest)
    data.model_version = ", ".join(models) if models else _fill("model / version", data)
    undone = {
        e.get("undoes") for e in timeline if e.get("kind") == "undo" and e.get("result") == "ok"
    }
    contained = [
        f"{e.get('time')} {e.get('action')} via {e.get('backend')} ({e.get('actor')})"
        + (" [since undone]" if e.get("event_id") in undone else "")
        for e in timeline
        if e.get("kind") == "contain" and e.get("result") == "ok"
    ]
    data.mitigation = (
        "; ".join(contained)
        if contained
        else _fill("immediate mitigation (no containment recorded in the timeline)", data)
    )
    data.root_cause = _fill("suspected root cause", data)
    for name, info in sorted((manifest.get("files") or {}).items()):
        if isinstance(info, dict):
            data.artifacts.append(
                {"file": name, "sha256": info.get("sha256"), "size": info.get("size")}
            )
    return data


def render_ticket(data: TicketData) -> str:
    """Render the ticket as Markdown, in the playbook's template order."""
    state = "suggested" if data.decision == "suggested" else "confirmed"
    lines = [
        f"# Incident {data.incident_id}"
        + (f" ({data.severity}, {state})" if data.severity else ""),
        "",
        f"- **Summary:** {data.summary}",
        f"- **Model / version:** {data.model_version}",
        f"- **Failure mode:** {data.failure_mode}",
        f"- **Severity:** {data.severity or FILL_MARK} ({state})",
        f"- **Tools involved:** {', '.join(data.tools_involved) or 'none recorded'}",
        f"- **Immediate mitigation:** {data.mitigation}",
        f"- **Suspected root cause:** {data.root_cause}",
        "",
    ]
    if data.attacker_values:
        lines += ["## Attacker-controlled values", "", "| value | tool.argument | sessions |"]
        lines += ["|---|---|---:|"]
        lines += [
            f"| `{v['value']}` | {v['tool']}.{v['argument']} | {v['sessions']} |"
            for v in data.attacker_values
        ]
        lines += [""]
    if data.sessions:
        lines += [
            "## Incident sessions",
            "",
            "| session | severity | user | tenant | harm executed |",
        ]
        lines += ["|---|---|---|---|---|"]
        lines += [
            f"| `{s['session_id']}` | {s.get('severity')} | {s.get('user_id')} | "
            f"{s.get('tenant_id')} | {'yes' if s.get('harm_executed') else 'no'} |"
            for s in data.sessions[:50]
        ]
        if len(data.sessions) > 50:
            lines += [f"| ... {len(data.sessions) - 50} more (followup/incident.json) | | | | |"]
        lines += [""]
    if data.victims:
        lines += [
            f"Victims: {len(data.victims)} user(s) in tenant(s) {', '.join(data.tenants)}.",
            "",
        ]
    if data.evidence:
        lines += ["## Classifier evidence", ""] + [f"- {e}" for e in data.evidence] + [""]
    lines += ["## Artifacts", "", "| file | size | SHA-256 |", "|---|---:|---|"]
    lines += [f"| `{a['file']}` | {a['size']} | `{a['sha256']}` |" for a in data.artifacts]
    lines += ["", f"Bundle: `{data.bundle}` (verify with `incident_lab verify {data.bundle}`)", ""]
    if data.placeholders:
        lines += [f"_{len(data.placeholders)} field(s) marked {FILL_MARK} need a human._", ""]
    return "\n".join(lines)


def write_ticket(bundle: str | Path) -> tuple[Path, TicketData]:
    """Write ``followup/ticket.md`` into the bundle and return its path and data."""
    from incident_lab.atomic import write_text_atomic

    data = build_ticket(bundle)
    path = Path(bundle) / "followup" / "ticket.md"
    write_text_atomic(path, render_ticket(data))
    return path, data
