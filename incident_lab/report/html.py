"""``report.html``: the incident report as one self-contained page.

Inline CSS and SVG only: no JavaScript, no fonts, images or styles fetched, and a
Content-Security-Policy that forbids every load. Every string from the bundle is
HTML-escaped. Each section is a ``<section id=...>`` so tools (and the browser
test) can find it; text a human must write is a ``.placeholder`` block.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from incident_lab.report.rootcause import PLACEHOLDER
from incident_lab.report.svg import bar_chart, figure, line_chart
from incident_lab.text import quote as one_line

#: ``(id, title)`` of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("timeline", "Timeline and phase durations"),
    ("metrics", "Metrics"),
    ("classification", "Classification"),
    ("blast-radius", "Blast radius"),
    ("scenarios", "Scenarios and variants"),
    ("gate", "Release gate"),
    ("rejects", "Rejected records"),
    ("root-cause", "Root cause"),
)

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#1d2228}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.2rem .7rem;border-radius:4px;color:#fff;font-weight:700;margin-right:.4rem;background:#57606a}
.b-SEV-1,.b-systemic,.b-BLOCK{background:#cf222e}.b-SEV-2,.b-moderate{background:#bc4c00}.b-SEV-3,.b-localized,.b-WARN{background:#9a6700}
.b-SEV-4,.b-isolated,.b-none,.b-OK{background:#1a7f37}
.over{color:#cf222e;font-weight:600}.muted{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:.5rem 0}figcaption{font-weight:600;font-size:.9rem;margin-bottom:.2rem}
.placeholder{border:2px dashed #bc4c00;background:#fff8c5;padding:.4rem .7rem;margin:.4rem 0;font-weight:600}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-word}
"""


def _figure(svg: str) -> str:
    """The chart with its title visible as a caption."""
    return figure(svg, " class=chart-box")


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    if not rows:
        return "<p class=muted>none</p>"
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=num' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{'—' if v is None else escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _v(value: Any) -> str:
    """A value as escaped text; missing is "n/a", never "None"."""
    return "n/a" if value is None or value == "" else escape(str(value))


def _badge(label: str, value: Any) -> str:
    text = "unknown" if value is None else str(value)
    return f'<span class="badge b-{escape(text)}" data-field="{escape(label)}">{escape(label)}: {escape(text)}</span>'


def _placeholder(what: str) -> str:
    return f'<div class=placeholder data-placeholder="{escape(what)}">{escape(PLACEHOLDER)}: {escape(what)}</div>'


def _status(doc: dict[str, Any]) -> str:
    s = doc["status"]
    return (
        f"<p class=verdict id=verdict>{_badge('severity', s['severity'])}{_badge('failure mode', s['failure_mode'])}"
        f"{_badge('blast radius', s['blast_risk'])}{_badge('gate', s['gate_verdict'])}</p>"
        f"<p class=muted>Bundle {escape(doc['bundle'])}; report generated {escape(doc['generated_at'])} by incident-lab {escape(doc['tool_version'])}.</p>"
    )


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _timeline(doc: dict[str, Any]) -> str:
    phases = doc["timeline"]["phases"]
    rows = "".join(
        f"<tr><td>{escape(p['title'])}</td><td class=num>{_fmt_s(p['budget_s'])}</td>"
        f'<td class="num{" over" if p["over_budget"] else ""}">{_fmt_s(p["seconds"])}{" (over budget)" if p["over_budget"] else ""}</td>'
        f"<td>{escape(p['source'])}</td><td class=num>{p['events']}</td></tr>"
        for p in phases
    )
    table = (
        "<table><thead><tr><th>Phase</th><th class=num>Budget</th><th class=num>Took</th><th>Source</th><th class=num>Events</th></tr></thead><tbody>"
        + rows
        + "</tbody></table>"
    )
    chart = _figure(
        bar_chart(
            "Phase durations in seconds (budget 120 s each; n/a: no duration in the data)",
            [
                (
                    p["title"],
                    None if p["seconds"] is None else float(p["seconds"]),
                    "bad" if p["over_budget"] else "good",
                )
                for p in phases
            ],
            unit=" s",
        )
    )
    events = _table(
        ["#", "Time (UTC)", "Action", "Actor", "Result"],
        [
            [
                e.get("seq"),
                e.get("time"),
                e.get("action"),
                (e.get("actor") or {}).get("user")
                if isinstance(e.get("actor"), dict)
                else e.get("actor"),
                e.get("result"),
            ]
            for e in doc["timeline"]["events"]
        ],
        {0},
    )
    derived = [e for e in doc["timeline"]["events"] if e.get("derived")]
    note = (
        f"<p class=muted>{len(derived)} event(s) derived from the bundle's files "
        "(no timeline entry recorded them).</p>"
        if derived
        else ""
    )
    return f"{table}<div class=charts>{chart}</div><h3>Events</h3>{events}{note}"


def _metrics(doc: dict[str, Any]) -> str:
    m = doc.get("metrics") or {}
    decisions = m.get("safeguard_decisions") or {}
    rows = [
        (f"{guard}: {decision}", float(count), "bad" if decision == "allow" else "good" if decision == "block" else "warn")
        for guard, by in sorted(decisions.items()) for decision, count in sorted(by.items())
    ]  # fmt: skip
    act = doc["activity"]
    series: list[tuple[str, list[float | None], str]] = [
        ("tool calls", [float(v) for v in act["tool_calls"]], "info")
    ]
    series += [
        (f"safeguard {d}", [float(v) for v in vals], "bad" if d == "allow" else "good")
        for d, vals in act["decisions"].items()
    ]
    summary = _table(
        ["Sessions", "Steps", "Tool calls", "Tool errors", "Block rate", "Flag rate"],
        [
            [
                m.get("sessions"),
                m.get("steps"),
                m.get("tool_calls"),
                m.get("tool_errors"),
                m.get("block_rate"),
                m.get("flag_rate"),
            ]
        ],
        {0, 1, 2, 3, 4, 5},
    )
    minutes = act["minutes"]
    days = sorted({m[:10] for m in minutes})
    if len(days) == 1:  # one day: the axis shows HH:MM, the day is in the title
        labels, title = [m[11:16] or m for m in minutes], f"per minute, {days[0]} (UTC)"
    else:
        labels, title = [m[5:16].replace("T", " ") for m in minutes], "per minute (UTC)"
    return summary + (
        "<div class=charts>"
        + _figure(bar_chart("Safeguard decisions (safeguard: decision)", rows))
        + _figure(
            line_chart(
                f"Tool calls and safeguard decisions {title}",
                labels,
                series,
                percent=False,
                integer=True,
            )
        )
        + "</div>"
    )


def _classification(doc: dict[str, Any]) -> str:
    c = doc["classification"]
    parts = [f"<p class=muted>Source: {escape(c['source'])}</p>"]
    if c.get("detector_errors"):  # a detector that raised: a session may miss a finding
        parts.append(
            "<p>A classifier detector raised: a session may miss what it would have found.</p>"
        )
        parts.append(_table(["Detector error"], [[one_line(e, 300)] for e in c["detector_errors"]]))
    for s in c["sessions"]:
        sev = s.get("severity") or {}
        parts.append(
            f"<h3>Session {_v(s.get('session_id'))}: {_v(s.get('top') or 'no failure mode')} {escape(str(sev.get('level') or ''))}</h3>"
        )
        if sev:
            parts.append(
                f"<p>Severity {_v(sev.get('level'))}: {escape(str(sev.get('reason') or ''))}</p>"
            )
        rows = []
        for mode in (s.get("ranked") or [])[:3]:
            for ev in mode.get("evidence") or []:
                rows.append(
                    [
                        mode.get("failure_mode"),
                        f"{mode.get('confidence', 0):.2f}",
                        ",".join(map(str, ev.get("steps") or [])),
                        ev.get("signal"),
                        ev.get("detail"),
                    ]
                )
        parts.append(_table(["Failure mode", "Confidence", "Steps", "Signal", "Evidence"], rows))
    if not c["sessions"]:
        parts.append("<p class=muted>No classified incident session.</p>")
    return "".join(parts)


def _blast(doc: dict[str, Any]) -> str:
    b = doc.get("blast_radius")
    if not b:
        return "<p class=muted>Not computed. Run <code>incident_lab blast-radius --incident BUNDLE --from LOGS</code>; it writes followup/blast_radius.json.</p>"
    s, risk = b["summary"], b["risk"]
    head = (
        f"<p>{_badge('risk', risk['level'])} {escape(risk['reason'])}</p>"
        f"<p>{s['sessions']} matching session(s), {s['new_sessions']} beyond the incident's own, in {b['scanned']['sessions']} scanned; "
        f"{s['actors']} actor(s), {s['tenants']} tenant(s); first seen {_v(s['first_seen'])}, last seen {_v(s['last_seen'])}.</p>"
    )
    charts = (
        "<div class=charts>"
        + _figure(
            bar_chart(
                "Matching sessions by day",
                [(r["day"], float(r["sessions"]), "bad") for r in b["by_day"]],
            )
        )
        + _figure(
            bar_chart(
                "Matching sessions by tenant",
                [(r["tenant"], float(r["sessions"]), "bad") for r in b["by_tenant"]],
            )
        )
        + "</div>"
    )
    tables = "".join(
        f"<h3>By {escape(label)}</h3>"
        + _table(
            [label, "Sessions", "Actors"],
            [[r[key], r["sessions"], r["actors"]] for r in b[part]],
            {1, 2},
        )
        for part, key, label in (
            ("by_model", "model", "model version"),
            ("by_policy_hash", "policy_hash", "policy hash"),
        )
    )
    matches = _table(
        ["Score", "Session", "Actor", "Tenant", "Started", "Reasons"],
        [
            [
                f"{m['score']:.2f}",
                m["session_id"],
                m["actor"],
                m["tenant"],
                m["started_at"],
                "; ".join(m["reasons"]),
            ]
            for m in b["matches"][:200]
        ],
        {0},
    )
    return head + charts + tables + "<h3>Matching sessions</h3>" + matches


def _scenarios(doc: dict[str, Any]) -> str:
    sc = doc["scenarios"]
    return (
        "<h3>Scenarios</h3>"
        + _table(
            ["Id", "Title", "Failure mode", "Severity", "Status"],
            [
                [s["id"], s["title"], s["failure_mode"], s["severity"], s["status"]]
                for s in sc["scenarios"]
            ],
        )
        + "<h3>Variants</h3>"
        + _table(
            ["Id", "Parent", "Converters"],
            [[v["id"], v["parent"], " → ".join(map(str, v["converters"]))] for v in sc["variants"]],
        )
    )


def _gate(doc: dict[str, Any]) -> str:
    g = doc.get("gate")
    if not g:
        return "<p class=muted>No gate report given (pass <code>--gate-report gate-report/report.json</code>).</p>"
    return (
        f"<p>{_badge('verdict', g['verdict'])} {escape(str(g.get('headline') or ''))} (target {_v(g.get('target'))})</p>"
        + _table(
            ["Case", "Kind", "Chain", "Runs", "Passed", "Failed", "Status"],
            [
                [
                    c["scenario_id"],
                    c["kind"],
                    c["chain"],
                    c["runs"],
                    c["passed"],
                    c["failed"],
                    c["status"],
                ]
                for c in g["cases"]
            ],
            {3, 4, 5},
        )
    )


def _rejects(doc: dict[str, Any]) -> str:
    r = doc.get("rejects") or {"count": 0, "path": None, "reasons": [], "more_reasons": 0}
    if not r["count"]:
        return "<p>No record was rejected: every input record is in the bundle.</p>"
    href = Path(r.get("href") or r["path"]).as_posix() if r.get("path") else None
    link = (
        f' (<a href="{escape(quote(href))}">{escape(r["path"])}</a> in the bundle: each row '
        "names its source file, line and reason)"
        if href
        else ""
    )
    more = (
        f"<p class=muted>{r['more_reasons']} more reason(s) in rejects.jsonl.</p>"
        if r.get("more_reasons")
        else ""
    )
    return (
        f"<p>{r['count']} input record(s) were rejected{link}. What they held is not in this "
        "report's counts.</p>"
        + _table(["Reason", "Records"], [[x["reason"], x["count"]] for x in r["reasons"]], {1})
        + more
    )


def _root_cause(doc: dict[str, Any]) -> str:
    rc = doc["root_cause"]
    parts = []
    for layer in rc["layers"]:
        facts = (
            "".join(f"<li>{escape(f)}</li>" for f in layer["facts"])
            or "<li class=muted>nothing in the data</li>"
        )
        parts.append(
            f'<h3 id="layer-{escape(layer["key"])}">{escape(layer["title"])}</h3><p>From the data:</p><ul>{facts}</ul>{_placeholder("analysis of the " + layer["title"].lower() + " layer")}'
        )
    parts.append("<h3>Contributing factors</h3>" + _placeholder("contributing factors"))
    d = rc["decision"]
    signals = "".join(f"<li>{escape(s)}</li>" for s in d["signals"]) or "<li class=muted>none</li>"
    parts.append(
        f"<h3>{escape(d['question'])}</h3><p>Signals in the data:</p><ul>{signals}</ul>{_placeholder('decision: ' + ' / '.join(d['options']))}"
    )
    return "".join(parts)


_RENDER = {
    "status": _status, "timeline": _timeline, "metrics": _metrics, "classification": _classification,
    "blast-radius": _blast, "scenarios": _scenarios, "gate": _gate, "rejects": _rejects,
    "root-cause": _root_cause,
}  # fmt: skip


def render_html(doc: dict[str, Any]) -> str:
    """Render an ``incident_report/v1`` document as one self-contained HTML page."""
    title = f"Incident report — {doc['incident_id']}"
    body = "".join(
        f'<section id="{sid}"><h2>{escape(name)}</h2>{_RENDER[sid](doc)}</section>'
        for sid, name in SECTIONS
    )
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
