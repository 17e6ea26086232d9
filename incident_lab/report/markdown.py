"""``report.md``: the incident report as Markdown (for tickets, wikis and pull requests)."""

from __future__ import annotations

from typing import Any

from incident_lab.report.rootcause import PLACEHOLDER
from incident_lab.text import quote


def _cell(value: Any) -> str:
    return ("—" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")


def _v(value: Any) -> str:
    """A value in running text; missing is "n/a", never "None"."""
    return "n/a" if value is None or value == "" else str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out + [""]


def _fill(what: str) -> str:
    return f"> **{PLACEHOLDER}:** {what}"


def render_markdown(doc: dict[str, Any]) -> str:
    """Render an ``incident_report/v1`` document as Markdown."""
    sections = (
        _header,
        _timeline,
        _metrics,
        _classification,
        _blast_radius,
        _scenarios,
        _gate,
        _rejects,
        _root_cause,
    )
    return "\n".join(line for section in sections for line in section(doc))


def _header(doc: dict[str, Any]) -> list[str]:
    """Title, status line, bundle and the timeline heading."""
    s = doc["status"]
    return [
        f"# Incident report — {doc['incident_id']}",
        "",
        f"**Severity:** {_v(s['severity'])} · **Failure mode:** {_v(s['failure_mode'])} · "
        f"**Blast radius:** {_v(s['blast_risk'])} · **Gate:** {_v(s['gate_verdict'])}",
        "",
        f"Bundle `{doc['bundle']}`; generated {doc['generated_at']} by incident-lab {doc['tool_version']}.",
        "",
        "## Timeline and phase durations",
        "",
    ]


def _timeline(doc: dict[str, Any]) -> list[str]:
    """Phase durations against their budgets, then the timeline's events."""
    out = _table(
        ["Phase", "Budget (s)", "Took (s)", "Source", "Over budget"],
        [
            [
                p["title"],
                p["budget_s"],
                "n/a" if p["seconds"] is None else p["seconds"],
                p["source"],
                "yes" if p["over_budget"] else "",
            ]
            for p in doc["timeline"]["phases"]
        ],
    )
    out += _table(
        ["#", "Time (UTC)", "Action", "Result"],
        [
            [e.get("seq"), e.get("time"), e.get("action"), e.get("result")]
            for e in doc["timeline"]["events"]
        ],
    )
    return out


def _metrics(doc: dict[str, Any]) -> list[str]:
    """The bundle's metrics and safeguard decisions."""
    m = doc.get("metrics") or {}
    out = ["## Metrics", ""]
    out += _table(
        ["Sessions", "Tool calls", "Tool errors", "Block rate", "Flag rate"],
        [
            [
                m.get("sessions"),
                m.get("tool_calls"),
                m.get("tool_errors"),
                m.get("block_rate"),
                m.get("flag_rate"),
            ]
        ],
    )
    out += _table(
        ["Safeguard", "Decision", "Count"],
        [
            [g, d, n]
            for g, by in sorted((m.get("safeguard_decisions") or {}).items())
            for d, n in sorted(by.items())
        ],
    )
    return out


def _classification(doc: dict[str, Any]) -> list[str]:
    """Per session: its top failure modes and their evidence."""
    out = ["## Classification", "", f"Source: {doc['classification']['source']}", ""]
    errors = doc["classification"].get("detector_errors") or []
    if errors:  # a detector that raised: a session may miss a finding (exit 5)
        out += ["A classifier detector raised: a session may miss what it would have found.", ""]
        out += _table(["Detector error"], [[quote(e, 300)] for e in errors])
    for c in doc["classification"]["sessions"]:
        sev = c.get("severity") or {}
        out += [
            f"### Session {_v(c.get('session_id'))}: {c.get('top') or 'no failure mode'} "
            f"{sev.get('level') or ''}".rstrip(),
            "",
        ]
        rows = [
            [mode.get("failure_mode"), f"{mode.get('confidence', 0):.2f}", ",".join(map(str, ev.get("steps") or [])), ev.get("signal"), ev.get("detail")]
            for mode in (c.get("ranked") or [])[:3] for ev in mode.get("evidence") or []
        ]  # fmt: skip
        out += _table(["Failure mode", "Confidence", "Steps", "Signal", "Evidence"], rows)
    return out


def _blast_radius(doc: dict[str, Any]) -> list[str]:
    """Risk, matching sessions by day and the best matches (or how to compute it)."""
    out = ["## Blast radius", ""]
    b = doc.get("blast_radius")
    if b:
        bs = b["summary"]
        out += [
            f"**Risk:** {b['risk']['level']} ({b['risk']['reason']}). {bs['sessions']} matching session(s), "
            f"{bs['new_sessions']} new; {bs['actors']} actor(s), {bs['tenants']} tenant(s); first seen {_v(bs['first_seen'])}, last seen {_v(bs['last_seen'])}.",
            "",
        ]
        out += _table(["Day", "Sessions"], [[r["day"], r["sessions"]] for r in b["by_day"]])
        out += _table(
            ["Score", "Session", "Actor", "Tenant", "Reasons"],
            [
                [
                    f"{x['score']:.2f}",
                    x["session_id"],
                    x["actor"],
                    x["tenant"],
                    "; ".join(x["reasons"]),
                ]
                for x in b["matches"][:50]
            ],
        )
    else:
        out += [
            "_Not computed: run `incident_lab blast-radius --incident BUNDLE --from LOGS`._",
            "",
        ]
    return out


def _scenarios(doc: dict[str, Any]) -> list[str]:
    """The scenarios made from the incident and their variants."""
    sc = doc["scenarios"]
    out = ["## Scenarios and variants", ""]
    out += _table(
        ["Id", "Title", "Failure mode", "Severity", "Status"],
        [
            [x["id"], x["title"], x["failure_mode"], x["severity"], x["status"]]
            for x in sc["scenarios"]
        ],
    )
    out += _table(
        ["Variant", "Parent", "Converters"],
        [[v["id"], v["parent"], " -> ".join(map(str, v["converters"]))] for v in sc["variants"]],
    )
    return out


def _gate(doc: dict[str, Any]) -> list[str]:
    """The release gate's verdict and cases, when a gate report was given."""
    out = ["## Release gate", ""]
    g = doc.get("gate")
    if g:
        out += [f"**Verdict:** {g['verdict']}: {g.get('headline') or ''}", ""]
        out += _table(
            ["Case", "Kind", "Runs", "Passed", "Failed", "Status"],
            [
                [c["scenario_id"], c["kind"], c["runs"], c["passed"], c["failed"], c["status"]]
                for c in g["cases"]
            ],
        )
    else:
        out += ["_No gate report given (`--gate-report`)._", ""]
    return out


def _rejects(doc: dict[str, Any]) -> list[str]:
    """How many input records were rejected, and why."""
    r = doc.get("rejects") or {"count": 0, "reasons": []}
    out = ["## Rejected records", ""]
    if r["count"]:
        out += [
            f"{r['count']} input record(s) were rejected (see `{r.get('path')}` in the bundle: "
            "each row names its source file, line and reason).",
            "",
        ]
        out += _table(["Reason", "Records"], [[x["reason"], x["count"]] for x in r["reasons"]])
    else:
        out += ["No record was rejected.", ""]
    return out


def _root_cause(doc: dict[str, Any]) -> list[str]:
    """Facts per root-cause layer, with placeholders for the analysis and the decision."""
    out = ["## Root cause", ""]
    for layer in doc["root_cause"]["layers"]:
        out += [f"### {layer['title']}", "", "From the data:", ""]
        out += [f"- {f}" for f in layer["facts"]] or ["- _nothing in the data_"]
        out += ["", _fill(f"analysis of the {layer['title'].lower()} layer"), ""]
    out += ["### Contributing factors", "", _fill("contributing factors"), ""]
    d = doc["root_cause"]["decision"]
    out += [f"### {d['question']}", "", "Signals in the data:", ""]
    out += [f"- {x}" for x in d["signals"]] or ["- _none_"]
    out += ["", _fill("decision: " + " / ".join(d["options"])), ""]
    return out
