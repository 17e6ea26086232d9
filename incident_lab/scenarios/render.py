"""Text rendering of scenarios for ``incident_lab list`` and ``incident_lab show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def one_line(text: object) -> str:
    """Collapse newlines and runs of spaces so a table row stays one line."""
    return " ".join(str(text).split())


def redaction_text(report: dict[str, int] | None) -> str:
    """Summarise a redaction report (``email 2, api_key 1``), or say there was nothing."""
    if not report:
        return "nothing to redact"
    return ", ".join(f"{kind} {n}" for kind, n in report.items())


def table_lines(rows: list[list[str]], width: int) -> list[str]:
    """Lay ``rows`` out as aligned columns, the last one free; cut each line at ``width`` (0: never)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + "  " + r[-1]
        lines.append(line[:width].rstrip() if width else line.rstrip())
    return lines


def list_lines(rows: list[dict[str, Any]], *, variants: bool, width: int) -> list[str]:
    """Return the ``incident_lab list`` table for ``rows`` (a header line, then one per row).

    Args:
        rows: Rows from :func:`incident_lab.scenarios.library.list_scenarios`.
        variants: Add the VARIANT OF column (parent and converter chain).
        width: Terminal width to cut lines at (0: never).
    """
    header = ["ID", "STATUS", "SEV", "MODE"] + (["VARIANT OF"] if variants else []) + ["TITLE"]
    table = [header]
    for r in rows:
        mode = str(r["failure_mode"]) + ("?" if r["suggested"] else "")
        cells = [str(r["id"]), str(r["status"]), str(r["severity"]), mode]
        if variants:
            chain = " <- ".join([str(r["parent"]), *r["converters"]]) if r["parent"] else "-"
            cells.append(chain)
        table.append([*cells, one_line(r["title"])])
    return table_lines(table, width)


def _indent(text: str, prefix: str = "    ", limit: int = 600) -> str:
    body = text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"
    return "\n".join(prefix + line for line in body.splitlines() or [""])


def _highlight(text: str, payload: str | None) -> str:
    if payload and payload in text:
        start = text.index(payload)
        mark = click.style(">>>", fg="red", bold=True)
        end = click.style("<<<", fg="red", bold=True)
        return (
            text[:start]
            + mark
            + click.style(payload, fg="red")
            + end
            + text[start + len(payload) :]
        )
    return text


def show_lines(doc: dict[str, Any], path: Path) -> list[str]:
    """Return the ``incident_lab show`` text of scenario ``doc`` (read from ``path``), styled.

    The located payload is highlighted where it appears in a turn or fixture.
    """
    recording = doc.get("recording") or {}
    return [
        *_header_lines(doc, path),
        *_context_lines(doc.get("context") or {}),
        *_replay_lines(doc),
        *_payload_lines(doc.get("payload") or {}),
        *_expectation_lines(doc.get("expectations") or []),
        *_provenance_lines(doc.get("provenance") or {}),
        *_variant_lines(doc.get("variant")),
        f"\n  recording: {len(recording.get('steps') or [])} steps kept for diffs",
    ]


def _header_lines(doc: dict[str, Any], path: Path) -> list[str]:
    """Id and title, file, status and owner, taxonomy, tags, external ids, notes."""
    tax = doc.get("taxonomy") or {}
    suggested = (
        " (suggested"
        + (f", confidence {tax.get('confidence')}" if tax.get("confidence") is not None else "")
        + ")"
        if tax.get("suggested")
        else ""
    )
    out = [
        click.style(f"{doc['id']}: {doc.get('title')}", bold=True),
        f"  file:      {path}",
        f"  status:    {doc.get('status')}   owner: {doc.get('owner') or '-'}",
        f"  taxonomy:  {tax.get('failure_mode')} {tax.get('severity')}{suggested}",
        f"  tags:      {', '.join(tax.get('tags') or []) or '-'}",
        "  ids:       "
        + "; ".join(f"{k}: {', '.join(v)}" for k, v in (tax.get("external_ids") or {}).items()),
    ]
    if doc.get("description"):
        out.append(f"  notes:     {doc['description']}")
    return out


def _context_lines(ctx: dict[str, Any]) -> list[str]:
    model = ctx.get("model") or {}
    policy = ctx.get("policy") or {}
    out = [
        "",
        click.style("Context", bold=True),
        f"  agent {ctx.get('agent') or '-'}, model {model.get('name') or '-'} {model.get('version') or ''}, "
        f"policy {policy.get('id') or '-'} v{policy.get('version') or '-'}",
        f"  tools: {', '.join(t.get('name', '?') for t in ctx.get('tools') or []) or '-'}",
    ]
    if ctx.get("system_prompt"):
        out += ["  system prompt:", _indent(str(ctx["system_prompt"]))]
    return out


def _replay_lines(doc: dict[str, Any]) -> list[str]:
    """The user turns and the recorded tool outputs, the located payload highlighted."""
    replay = doc.get("replay") or {}
    payload = doc.get("payload") or {}
    loc = payload.get("location") or {}

    def shown(kind: str, index: int, text: str) -> str:
        if loc.get("kind") == kind and loc.get("index") == index:
            text = _highlight(text, payload.get("text"))
        return _indent(text, limit=2000)

    out = ["", click.style("Turns", bold=True)]
    for i, turn in enumerate(replay.get("turns") or []):
        out += [f"  [{i}] user:", shown("turn", i, str(turn.get("content", "")))]
    if replay.get("documents"):
        out += ["", click.style("Documents (the harness put them before the model)", bold=True)]
    for i, document in enumerate(replay.get("documents") or []):
        where = f"before turn {document.get('turn') or 0}"
        out += [
            f"  [{i}] {document.get('name')} ({document.get('kind') or 'document'}, {where}):",
            shown("document", i, str(document.get("content", ""))),
        ]
    out += ["", click.style("Fixtures (recorded tool outputs)", bold=True)]
    for i, fx in enumerate(replay.get("fixtures") or []):
        err = " (error)" if fx.get("is_error") else ""
        args = ", ".join(f"{k}={v!r}" for k, v in (fx.get("arguments") or {}).items())
        out += [
            f"  [{i}] {fx.get('tool')}({args}){err}:",
            shown("fixture", i, str(fx.get("output", ""))),
        ]
    return out


def _payload_lines(payload: dict[str, Any]) -> list[str]:
    out = ["", click.style("Payload", bold=True)]
    if not payload:
        return [*out, "  none located"]
    loc = payload.get("location") or {}
    return [
        *out,
        f"  in {loc.get('kind')} {loc.get('index')} ({payload.get('method', 'located')}):",
        _indent(click.style(str(payload.get("text")), fg="red")),
        f"  why: {payload.get('why') or 'not recorded (scenario written before add explained it)'}",
    ]


def _expectation_lines(expectations: list[dict[str, Any]]) -> list[str]:
    out = ["", click.style("Expectations", bold=True)]
    for i, spec in enumerate(expectations):
        fields = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k not in ("kind", "reason"))
        out.append(f"  [{i}] {spec.get('kind')}: {fields}")
        if spec.get("reason"):
            out.append(f"      why: {spec['reason']}")
    return out


def _provenance_lines(prov: dict[str, Any]) -> list[str]:
    """Where the scenario came from, its redaction (and surrogates) and coordination."""
    out = [
        "",
        click.style("Provenance", bold=True),
        f"  incident {prov.get('incident_id') or '-'}, bundle {prov.get('bundle') or '-'}, source {prov.get('source') or '-'}",
        f"  sessions {', '.join(prov.get('session_ids') or []) or '-'}, unsafe steps {prov.get('unsafe_steps', '-')} (from {prov.get('unsafe_steps_from', '-')})",
        f"  trajectory sha256 {prov.get('trajectory_sha256') or '-'}",
        f"  created {prov.get('created_at') or '-'} by {prov.get('created_by') or '-'} with incident-lab {prov.get('tool_version') or '-'}",
        f"  redaction: {redaction_text(prov.get('redaction')) if prov.get('redaction') is not None else 'disabled'}",
    ]
    surrogates = prov.get("redaction_surrogates") or []
    if surrogates:
        out.append(
            "  surrogates: "
            + ", ".join(f"{s.get('kind')} {s.get('surrogate')}" for s in surrogates[:12])
            + (f" (+{len(surrogates) - 12} more)" if len(surrogates) > 12 else "")
        )
    coord = prov.get("coordination")
    if coord:
        out.append(
            f"  coordination: {coord.get('sessions')} sessions, {coord.get('actors')} actors, "
            f"{coord.get('first_seen')} .. {coord.get('last_seen')}"
        )
    return out


def _variant_lines(variant: dict[str, Any] | None) -> list[str]:
    if not variant:
        return []
    return [
        "",
        click.style("Variant", bold=True),
        f"  parent {variant.get('parent')}, converters {' -> '.join(variant.get('converters') or []) or '-'}, seed {variant.get('seed', '-')}",
    ]
