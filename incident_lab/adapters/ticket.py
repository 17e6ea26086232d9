"""The playbook's incident ticket (phase 4), filled from the bundle, never invented.

Fields the data does not answer are written as a visible placeholder
(:data:`FILL_MARK`) for a human to fill.
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

__all__ = ["FILL_MARK", "TicketData", "build_ticket", "render_ticket", "write_ticket"]

FILL_MARK = "[TO FILL]"


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
            "tools_involved": self.tools_involved,
            "data_involved": self.data_involved,
            "artifacts": self.artifacts,
            "placeholders": self.placeholders,
        }


def _read_json(path: Path) -> Any:
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


def _classified_sessions(classification: Any, path: Path) -> list[dict[str, Any]]:
    """The flagged sessions of ``followup/classification.json`` (None: not classified yet)."""
    if classification is None:
        return []
    rows = classification.get("sessions") if isinstance(classification, dict) else classification
    if not isinstance(rows, list) or not all(isinstance(c, dict) for c in rows):
        raise InputError(
            "not a classification (sessions must be a list of objects)",
            path=str(path),
            hint="run 'incident_lab classify' on the bundle again",
        )
    return [c for c in rows if c.get("top")]


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


def build_ticket(bundle: str | Path) -> TicketData:
    """Gather the ticket's facts from a bundle's manifest, metrics, classification and timeline.

    Raises:
        InputError: ``bundle`` is not an incident bundle (no manifest.json).
    """
    from incident_lab.evidence.bundle import read_manifest

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
    class_path = root / "followup" / "classification.json"
    top_sessions = _classified_sessions(_read_json(class_path), class_path)
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
    tool_counts = metrics.get("tool_calls_per_tool") or metrics.get("tool_calls") or {}
    if isinstance(tool_counts, dict):
        data.tools_involved = sorted(str(t) for t in tool_counts)
    if top_sessions:
        modes = sorted({str(c["top"]) for c in top_sessions})
        order = {"SEV-1": 1, "SEV-2": 2, "SEV-3": 3, "SEV-4": 4}
        sevs = [
            str(c["severity"].get("level"))
            for c in top_sessions
            if isinstance(c.get("severity"), dict)
        ]
        data.severity = min(sevs, key=lambda s: order.get(s, 9)) if sevs else None
        data.failure_mode = ", ".join(modes) + " (suggested by incident_lab classify; confirm)"
        for c in top_sessions[:5]:
            ranked_list: list[Any] = c["ranked"] if isinstance(c.get("ranked"), list) else []
            for ranked in [r for r in ranked_list if isinstance(r, dict)][:1]:
                found = ranked.get("evidence")
                evidence: list[Any] = found if isinstance(found, list) else []
                for ev in [e for e in evidence if isinstance(e, dict)][:3]:
                    data.evidence.append(
                        f"{c.get('session_id')}: steps {ev.get('steps')}: {ev.get('detail')}"
                    )
    else:
        data.failure_mode = _fill("failure mode (run 'incident_lab classify' on the bundle)", data)
    data.data_involved = any(
        t
        for t in data.tools_involved
        if any(
            k in t.lower() for k in ("email", "customer", "file", "db", "export", "upload", "http")
        )
    )
    flagged = len(top_sessions)
    data.summary = (
        f"{sessions if sessions is not None else '?'} sessions preserved in {root.name}"
        + (f"; {flagged} flagged by the classifier" if top_sessions else "")
        + (f"; tools used: {', '.join(data.tools_involved)}" if data.tools_involved else "")
        + ". "
        + _fill("one-sentence description of the harm", data)
    )
    models = _models(manifest)
    data.model_version = ", ".join(models) if models else _fill("model / version", data)
    contained = [
        f"{e.get('time')} {e.get('action')} via {e.get('backend')} ({e.get('actor')})"
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


def render_ticket(data: TicketData, escape: Callable[[str], str] = markdown_text) -> str:
    """Render the ticket as Markdown, in the playbook's template order.

    Every value from the bundle passes through ``escape`` (Markdown by default; the
    Jira notifier passes :func:`~incident_lab.adapters.escape.jira_text`), so a tool
    name such as ``<img src=x onerror=...>`` is shown, never interpreted.
    """
    e = escape
    lines = [
        f"# Incident {e(data.incident_id)}"
        + (f" ({e(data.severity)}, suggested)" if data.severity else ""),
        "",
        f"- **Summary:** {e(data.summary)}",
        f"- **Model / version:** {e(data.model_version)}",
        f"- **Failure mode:** {e(data.failure_mode)}",
        f"- **Immediate mitigation:** {e(data.mitigation)}",
        f"- **Suspected root cause:** {e(data.root_cause)}",
        "",
    ]
    if data.evidence:
        lines += ["## Classifier evidence", ""] + [f"- {e(x)}" for x in data.evidence] + [""]
    lines += ["## Artifacts", "", "| file | size | SHA-256 |", "|---|---:|---|"]
    lines += [
        f"| {e(str(a['file']))} | {e(str(a['size']))} | {e(str(a['sha256']))} |"
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
