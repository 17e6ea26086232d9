"""``report.html``: one self-contained page a reviewer can open from a CI artifact.

No network: inline CSS, inline SVG charts, no JavaScript, no fonts or images
fetched; a Content-Security-Policy forbids any load. Every string from the
report (scenario text, messages, diffs) is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from itertools import islice
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_text_atomic
from incident_lab.report.svg import Bar, bar_chart, figure
from regression_suite.gate.stats import percent

FILENAME = "report.html"
MAX_FAILURES = 300
MAX_CASE_ROWS = 2000

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#1d2228}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.verdict{display:inline-block;padding:.25rem .8rem;border-radius:4px;color:#fff;font-weight:700;letter-spacing:.05em}
.v-OK{background:#1a7f37}.v-WARN{background:#9a6700}.v-BLOCK{background:#cf222e}.v-ERROR{background:#6e40c9}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.msg{white-space:pre-wrap;word-break:break-word}
.lvl-block{color:#cf222e;font-weight:600}.lvl-warn{color:#9a6700;font-weight:600}.lvl-error{color:#6e40c9;font-weight:600}.lvl-info{color:#57606a}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-word}
details{margin:.4rem 0;border:1px solid #eee;border-radius:4px;padding:.3rem .6rem}summary{cursor:pointer}
.chart .grid{stroke:#eee}.chart .tick,.chart .note{font-size:11px;fill:#57606a}.chart .label{font-size:12px;fill:#1d2228}
.chart .bar.good{fill:#2da44e}.chart .bar.bad{fill:#cf222e}.chart .ci{stroke:#1d2228;fill:none;stroke-width:1.2}
.chart .zero{stroke:#1d2228;stroke-width:2}.chart .legend{font-size:11px;fill:#57606a}
.muted{color:#57606a}.charts{display:flex;flex-wrap:wrap;gap:1rem}
"""


def _ci(interval: Any) -> str:
    return "" if not interval else f"{percent(interval[0])}–{percent(interval[1])}"


def _interval(interval: Any) -> tuple[float, float] | None:
    return (float(interval[0]), float(interval[1])) if interval else None


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(report: dict[str, Any]) -> str:
    v = report["versions"]
    run = report["run"]
    suite = report["suite"]
    facts = [
        (
            "Suite",
            f"{suite.get('name')} ({suite.get('path') or 'in memory'}, sha256 {str(suite.get('sha256'))[:12]})",
        ),
        ("Target", str(v.get("target"))),
        ("Models", ", ".join(v.get("models") or []) or "unknown (not reported by the target)"),
        ("Policies", ", ".join(v.get("policies") or []) or "unknown (not reported by the target)"),
        (
            "Run",
            f"{run.get('started_at')} → {run.get('finished_at')}"
            + (f", shard {run['shard']}" if run.get("shard") else ""),
        ),
        ("Tool", str(v.get("tool"))),
    ]
    s = report["summary"]
    counts = (
        f"{s['items']} test items: {s['passed']} passed, {s['failed']} failed, {s['errors']} errors; "
        f"{s['scenarios']} scenarios, {s['variants']} variants ({s['variants_bypassed']} bypass)"
    )
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(val)}</td></tr>" for k, val in facts)
    return (
        f'<p><span class="verdict v-{escape(report["verdict"])}">{escape(report["verdict"])}</span> '
        f"exit code {int(report['exit_code'])} — {escape(report['headline'])}</p>"
        f"<p>{escape(counts)}</p><table>{rows}</table>"
    )


def _reasons(report: dict[str, Any]) -> str:
    reasons = report["reasons"]
    if not reasons:
        return "<p>No failure, bypass or error: every threshold holds.</p>"
    items = "".join(
        f'<li><span class="lvl-{escape(r["level"])}">{escape(r["level"].upper())}</span> '
        f'<span class="msg">{escape(r["message"])}</span></li>'
        for r in islice(reasons, MAX_FAILURES)
    )
    more = len(reasons) - MAX_FAILURES
    tail = f"<p class=muted>{more} more reasons in report.json.</p>" if more > 0 else ""
    return f"<ul>{items}</ul>{tail}"


def _variant_groups(
    report: dict[str, Any], keys: tuple[str, ...]
) -> dict[str, dict[str, dict[str, int]]]:
    """Runs of the variants (rewrites) grouped like the pass-rate charts, per key of
    ``keys`` (one pass over the cases): a bypass is a variant run whose expectations failed."""
    groups: dict[str, dict[str, dict[str, int]]] = {key: {} for key in keys}
    if (report.get("summary") or {}).get("variants") == 0:
        return groups  # no variant case: the cases (on disk) need not be read
    for case in report["cases"]:
        if case["kind"] != "variant":
            continue
        for key in keys:
            name = str(case.get(key) or "unknown")
            g = groups[key].setdefault(name, {"runs": 0, "passed": 0})
            g["runs"] += case["runs"]
            g["passed"] += case["passed"]
    return groups


def _confidence(report: dict[str, Any]) -> float:
    """The coverage of the report's confidence intervals (0.95 unless set)."""
    return float((report.get("thresholds") or {}).get("confidence") or 0.95)


def _charts(report: dict[str, Any]) -> str:
    from regression_suite.gate.stats import wilson_interval

    confidence = _confidence(report)
    charts = []
    by_field = _variant_groups(report, ("failure_mode", "severity"))
    for key, title, field in (
        ("by_failure_mode", "Pass rate by failure mode", "failure_mode"),
        ("by_severity", "Pass rate by severity", "severity"),
    ):
        variants = by_field[field]
        bars = []
        for name in sorted(set(report["aggregates"][key]) | set(variants)):
            g = report["aggregates"][key].get(name)
            if g is not None:
                bars.append(
                    Bar(
                        name,
                        g["pass_rate"],
                        "bad" if g["failed"] else "good",
                        _interval(g["pass_rate_ci"]),
                        f"({g['passed']}/{g['runs']} runs, {g['cases']} scenarios)",
                    )
                )
            v = variants.get(name)
            if v is not None:
                runs, passed = v["runs"], v["passed"]
                bars.append(
                    Bar(
                        f"{name} · variants",
                        passed / runs if runs else None,
                        "bad" if passed < runs else "good",
                        wilson_interval(passed, runs, confidence) if runs else None,
                        f"({passed}/{runs} variant runs held, {runs - passed} bypass)",
                    )
                )
        charts.append(figure(bar_chart(title, bars, rates=True, confidence=confidence)))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _bypass(report: dict[str, Any]) -> str:
    bypass = report["bypass"]
    overall = bypass["overall"]
    if not overall["variants"]:
        return "<p class=muted>No variants in this run (suite <code>variants: none</code>).</p>"
    parts = [
        f"<p>{overall['bypassed_variants']} of {overall['variants']} variants bypass "
        f"(bypass rate {percent(overall['bypass_rate'])}, CI {_ci(overall['bypass_rate_ci'])}). "
        "A bypass is a variant whose expectations failed: the rewritten attack got through.</p>"
    ]
    bars = [
        Bar(
            r["converter"],
            r["bypass_rate"],
            "bad" if r["bypasses"] else "good",
            _interval(r["bypass_rate_ci"]),
            f"({r['bypasses']}/{r['runs']})",
        )
        for r in bypass["converters"]
    ]
    chart = bar_chart("Bypass rate per converter", bars, rates=True, confidence=_confidence(report))
    parts.append(figure(chart))
    for key, label in (("converters", "Converter"), ("chains", "Chain")):
        rows = [
            [
                f"<code>{escape(str(r['converter' if key == 'converters' else 'chain']))}</code>",
                str(r["variants"]),
                str(r["bypassed_variants"]),
                f"{r['bypasses']}/{r['runs']}",
                percent(r["bypass_rate"]),
                _ci(r["bypass_rate_ci"]),
                escape(", ".join(r["bypassing"])),
            ]
            for r in bypass[key]
        ]
        parts.append(f"<h3>Per {label.lower()}</h3>")
        parts.append(
            _table(
                [label, "Variants", "Bypassed", "Bypass runs", "Rate", "CI", "Examples"],
                rows,
                {1, 2, 3, 4, 5},
            )
        )
    return "".join(parts)


def _baseline(report: dict[str, Any]) -> str:
    cmp = report.get("baseline")
    if not cmp:
        return "<p class=muted>No baseline given (<code>--baseline report.json</code>).</p>"
    parts = [
        f"<p>Baseline {escape(str(cmp.get('path') or 'given in memory'))}, verdict "
        f"{escape(str(cmp.get('verdict')))}. Significant regressions: "
        f"{escape(', '.join(cmp['regressions']) or 'none')}.</p>"
    ]
    for key, label in (
        ("newly_failing", "Newly failing"),
        ("fixed", "Fixed"),
        ("changed", "Changed"),
    ):
        rows = [
            [
                escape(r["scenario_id"]),
                f"{r['old']['passed']}/{r['old']['runs']}",
                f"{r['new']['passed']}/{r['new']['runs']}",
                f"{r.get('p_value', 1.0):.3g}",
                "yes" if r.get("significant") else "no",
            ]
            for r in cmp[key]
        ]
        if rows:
            parts.append(f"<h3>{label} ({len(rows)})</h3>")
            parts.append(
                _table(
                    ["Scenario", "Passed before", "Passed now", "p", "Significant"], rows, {1, 2, 3}
                )
            )
    for key, label in (("added", "New in this run"), ("removed", "Not in this run")):
        if cmp[key]:
            parts.append(f"<p>{label}: {escape(', '.join(cmp[key]))}</p>")
    return "".join(parts)


_ALL_PASSED = "<p>Every test item passed.</p>"


def _failing_items(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The items that did not pass, in report order; none read when the summary
    counts no failed or errored item (the items are on disk)."""
    summary = report.get("summary") or {}
    if summary.get("failed") == 0 and summary.get("errors") == 0:
        return iter(())
    return (i for i in report["items"] if i.get("outcome") != "passed")


def _failures(report: dict[str, Any]) -> str:
    failing = _failing_items(report)
    shown = list(islice(failing, MAX_FAILURES))  # the first failures in report order
    if not shown:
        return _ALL_PASSED
    more = sum(1 for _ in failing)
    parts = []
    for item in shown:
        results = "".join(
            f"<li>{'✔' if r.get('passed') else '✘'} <code>{escape(str(r.get('kind')))}</code>"
            f"{'' if r.get('step') is None else ' at step ' + escape(str(r.get('step')))}: "
            f'<span class="msg">{escape(str(r.get("message", "")))}</span></li>'
            for r in item.get("results") or []
        )
        variant = item.get("variant") or {}
        chain = " + ".join(variant.get("converters") or [])
        head = (
            f"<strong>{escape(item.get('outcome', '').upper())}</strong> "
            f"<code>{escape(str(item.get('id') or item['scenario_id']))}</code> "
            f"{escape(str(item.get('severity') or ''))} {escape(str(item.get('failure_mode') or ''))}"
            + (
                f" — variant of {escape(str(item.get('parent_id')))} via {escape(chain)}"
                if item.get("parent_id")
                else ""
            )
        )
        body = f'<p class="msg">{escape(str(item.get("message") or ""))}</p>'
        if results:
            body += f"<ul>{results}</ul>"
        if item.get("diff"):
            body += f"<p>Difference from the recorded incident:</p><pre>{escape(str(item['diff']))}</pre>"
        parts.append(f"<details open><summary>{head}</summary>{body}</details>")
    if more:
        parts.append(
            f"<p class=muted>{more} more in report.json "
            '(the full list: <a href="report.json">report.json</a>, '
            '<a href="junit.xml">junit.xml</a>).</p>'
        )
    return "".join(parts)


def _cases(report: dict[str, Any]) -> str:
    rows = [
        [
            f"<code>{escape(str(c.get('id') or c['scenario_id']))}</code>",
            escape(c["kind"]),
            escape(str(c.get("severity") or "")),
            escape(str(c.get("failure_mode") or "")),
            escape(c["status"]),
            f"{c['passed']}/{c['runs']}" + (f" +{c['errors']} err" if c["errors"] else ""),
            _ci(c["pass_rate_ci"]),
            escape(c["action"]),
        ]
        for c in report["cases"][:MAX_CASE_ROWS]
    ]
    more = len(report["cases"]) - MAX_CASE_ROWS
    tail = f"<p class=muted>{more} more cases in report.json.</p>" if more > 0 else ""
    return (
        _table(
            ["Case", "Kind", "Severity", "Failure mode", "Status", "Passed", "CI", "Action"],
            rows,
            {5, 6},
        )
        + tail
    )


def _history(report: dict[str, Any]) -> str:
    """The gate-history trend chart when the run was recorded (``run --record``)."""
    db = (report.get("options") or {}).get("history_db")
    if not db:
        return (
            "<p class=muted>Not recorded; run with --record to keep a history across releases.</p>"
        )
    from regression_suite.history import trend_svg

    svg = trend_svg(Path(db), (report.get("suite") or {}).get("name"))
    return svg or "<p class=muted>No history recorded yet.</p>"


def render_html(report: dict[str, Any]) -> str:
    """Render a gate report as one self-contained HTML page.

    Args:
        report: A ``gate_report/v1`` dict.

    Returns:
        The page; it loads nothing from anywhere.
    """
    title = f"Release gate {report['verdict']} — {report['suite'].get('name')}"
    sections = [
        ("Summary", _summary(report)),
        ("Why", _reasons(report)),
        ("Pass rates", _charts(report)),
        ("Variants: which rewrites get through", _bypass(report)),
        ("Baseline comparison", _baseline(report)),
        ("Failures", _failures(report)),
        ("All cases", _cases(report)),
        ("History", _history(report)),
    ]
    body = "".join(f"<h2>{escape(name)}</h2>{html}" for name, html in sections)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def write_html(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write ``report_dir/report.html`` atomically."""
    return [write_text_atomic(Path(report_dir) / FILENAME, render_html(report))]
