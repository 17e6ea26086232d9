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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.adapters.contain import read_timeline
from incident_lab.adapters.escape import markdown_text
from incident_lab.errors import InputError

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
    """A bundle JSON file through the input gate (None when absent); damage is exit 3."""
    from incident_lab.readers.base import read_bounded

    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = read_bounded(path)
        if data is None:
            raise InputError("file too large to be a bundle document", path=str(path))
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read JSON: {exc}", path=str(path)) from None
    except RecursionError:
        raise InputError("cannot read JSON: nested too deeply", path=str(path)) from None


def _fill(what: str, data: TicketData) -> str:
    data.placeholders.append(what)
    return f"{FILL_MARK} {what}"


def _models(manifest: dict[str, Any]) -> list[str]:
    """``name version (N sessions)`` per model seen, then the declared versions."""
    seen = manifest.get("model_versions_seen") or []
    declared = manifest.get("declared") or {}
    names: list[str] = []
    for row in seen if isinstance(seen, list) else []:
        if isinstance(row, dict):
            label = " ".join(str(row[k]) for k in ("name", "version") if row.get(k) is not None)
            sessions = row.get("sessions")
            names.append(f"{label or 'unknown'}" + (f" ({sessions} sessions)" if sessions else ""))
        elif row is not None:
            names.append(str(row))
    versions = declared.get("model_versions") if isinstance(declared, dict) else None
    if isinstance(versions, list) and versions:
        names.append("declared: " + ", ".join(str(v) for v in versions))
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
    from incident_lab.evidence.bundle import read_manifest
    from incident_lab.incident_record import current_record

    root = Path(bundle)
    if not (root / "manifest.json").exists():
        raise InputError(
            "not an incident bundle (no manifest.json)",
            path=str(root),
            hint="run 'incident_lab snapshot' first",
        )
    manifest = read_manifest(root / "manifest.json")  # damaged: exit 3, "run verify"
    metrics = _read_json(root / "metrics.json")
    if not isinstance(metrics, dict):
        metrics = {}
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
    _copy_record(data, record)
    _set_failure_mode(data, record.get("failure_mode"))
    data.evidence += _evidence_lines(root, data.sessions)
    data.data_involved = bool(data.attacker_values) or any(
        _touches_data(t) for t in data.tools_involved
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
    contained = _containment(timeline)
    data.mitigation = (
        "; ".join(contained)
        if contained
        else _fill("immediate mitigation (no containment recorded in the timeline)", data)
    )
    data.root_cause = _fill("suspected root cause", data)
    data.artifacts += [
        {"file": name, "sha256": info.get("sha256"), "size": info.get("size")}
        for name, info in sorted((manifest.get("files") or {}).items())
        if isinstance(info, dict)
    ]
    return data


def _touches_data(tool: str) -> bool:
    """A tool whose name says it reads or moves data (mail, customers, files, exports)."""
    name = tool.lower()
    return any(k in name for k in ("email", "customer", "file", "db", "export", "upload", "http"))


def _copy_record(data: TicketData, record: dict[str, Any]) -> None:
    """The incident record's sessions, victims, tenants, attacker values, tools,
    suggestions and severity."""
    data.tools_involved = list(record.get("tools_involved") or [])
    data.sessions = list(record.get("sessions") or [])
    data.victims = list(record.get("victims") or [])
    data.tenants = list(record.get("tenants") or [])
    data.attacker_values = list(record.get("attacker_values") or [])
    data.suggestions = dict(record.get("suggestions") or {})
    sev = record.get("severity")
    if sev:
        data.severity = str(sev["value"])


def _set_failure_mode(data: TicketData, mode: dict[str, Any] | None) -> None:
    """The mode as decided: suggested (to confirm) or confirmed (by whom, with the other
    suggestions); a placeholder when the bundle was never classified."""
    if not mode:
        data.failure_mode = _fill("failure mode (run 'incident_lab classify' on the bundle)", data)
        return
    data.decision = str(mode["source"])
    if mode["source"] == "suggested":
        data.failure_mode = f"{mode['value']} (suggested by incident_lab classify; confirm)"
        return
    by = f" by {mode['by']}" if mode.get("by") else ""
    data.failure_mode = f"{mode['value']} (confirmed{by})"
    others = [m for m in data.suggestions.get("failure_modes") or {} if m != mode["value"]]
    if others:
        data.failure_mode += "; other suggestions: " + ", ".join(others)


def _evidence_lines(root: Path, sessions: list[dict[str, Any]]) -> list[str]:
    """The top failure mode's first two pieces of evidence for each shown session, from
    ``followup/classification.json`` (none when the bundle was not classified).

    Raises:
        InputError: the classification file is damaged (the one reader's checks).
    """
    from incident_lab.classify.followup import read_classification

    by_id = {str(c.get("session_id")): c for c in read_classification(root) or []}
    lines = []
    for s in sessions[:_SHOWN]:
        c = by_id.get(str(s["session_id"])) or {}
        for ranked in (c.get("ranked") or [])[:1]:
            for ev in (ranked.get("evidence") or [])[:2]:
                lines.append(
                    f"{s['session_id']} ({s.get('severity')}): steps {ev.get('steps')}: "
                    f"{ev.get('detail')}"
                )
    return lines


def _containment(timeline: list[dict[str, Any]]) -> list[str]:
    """Each successful containment action, marked when a later undo reverted it."""
    undone = {
        e.get("undoes") for e in timeline if e.get("kind") == "undo" and e.get("result") == "ok"
    }
    return [
        f"{e.get('time')} {e.get('action')} via {e.get('backend')} ({e.get('actor')})"
        + (" [since undone]" if e.get("event_id") in undone else "")
        for e in timeline
        if e.get("kind") == "contain" and e.get("result") == "ok"
    ]


def _code(value: Any, e: Callable[[str], str]) -> str:
    """A value as a Markdown code span when that is literal and safe, else escaped text."""
    text = str(value)
    if any(c in text for c in "`<>&\r\n") or e is not markdown_text:
        return e(text)
    return f"`{text}`"


def render_ticket(data: TicketData, escape: Callable[[str], str] = markdown_text) -> str:
    """Render the ticket as Markdown, in the playbook's template order.

    Every value from the bundle passes through ``escape`` (Markdown by default; the
    Jira notifier passes :func:`~incident_lab.adapters.escape.jira_text`), so a tool
    name such as ``<img src=x onerror=...>`` is shown, never interpreted.
    """
    e = escape
    state = "suggested" if data.decision == "suggested" else "confirmed"
    lines = [
        f"# Incident {e(data.incident_id)}"
        + (f" ({e(data.severity)}, {state})" if data.severity else ""),
        "",
        f"- **Summary:** {e(data.summary)}",
        f"- **Model / version:** {e(data.model_version)}",
        f"- **Failure mode:** {e(data.failure_mode)}",
        f"- **Severity:** {e(data.severity or FILL_MARK)} ({state})",
        f"- **Tools involved:** {e(', '.join(data.tools_involved)) or 'none recorded'}",
        f"- **Immediate mitigation:** {e(data.mitigation)}",
        f"- **Suspected root cause:** {e(data.root_cause)}",
        "",
    ]
    if data.attacker_values:
        lines += ["## Attacker-controlled values", "", "| value | tool.argument | sessions |"]
        lines += ["|---|---|---:|"]
        lines += [
            f"| {_code(v['value'], e)} | {e(str(v['tool']))}.{e(str(v['argument']))} | {e(str(v['sessions']))} |"
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
            f"| {_code(s['session_id'], e)} | {e(str(s.get('severity')))} | {e(str(s.get('user_id')))} | "
            f"{e(str(s.get('tenant_id')))} | {'yes' if s.get('harm_executed') else 'no'} |"
            for s in data.sessions[:50]
        ]
        if len(data.sessions) > 50:
            lines += [f"| ... {len(data.sessions) - 50} more (followup/incident.json) | | | | |"]
        lines += [""]
    if data.victims:
        lines += [
            f"Victims: {len(data.victims)} user(s) in tenant(s) {e(', '.join(map(str, data.tenants)))}.",
            "",
        ]
    if data.evidence:
        lines += ["## Classifier evidence", ""] + [f"- {e(x)}" for x in data.evidence] + [""]
    lines += ["## Artifacts", "", "| file | size | SHA-256 |", "|---|---:|---|"]
    lines += [
        f"| {_code(a['file'], e)} | {e(str(a['size']))} | {_code(a['sha256'], e)} |"
        for a in data.artifacts
    ]
    bundle = e(str(data.bundle))
    lines += ["", f"Bundle: {bundle} (verify with: incident_lab verify {bundle})", ""]
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
