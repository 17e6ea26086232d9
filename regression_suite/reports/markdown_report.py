"""``report.md`` and the GitHub Actions step summary: the verdict in a few lines of Markdown."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_text_atomic

__all__ = ["FILENAME", "render_markdown", "write_github_summary", "write_markdown"]

FILENAME = "report.md"
_MAX_ROWS = 20


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100.0 * float(x):.0f}%"


def render_markdown(report: dict[str, Any]) -> str:
    """Render the verdict, its reasons, bypass rates and baseline changes as Markdown.

    Args:
        report: A ``gate_report/v1`` dict.

    Returns:
        Markdown text (at most 20 rows per table; the rest is in ``report.json``).
    """
    lines = [
        f"## Release gate: **{report['verdict']}** (exit code {report['exit_code']})",
        "",
        _cell(report["headline"]),
        "",
        f"Suite `{report['suite'].get('name')}`, target `{report['versions'].get('target')}`.",
        "",
    ]
    if report["reasons"]:
        lines += [
            f"- **{r['level'].upper()}** {_cell(r['message'])}"
            for r in report["reasons"][:_MAX_ROWS]
        ]
        if len(report["reasons"]) > _MAX_ROWS:
            lines.append(f"- … {len(report['reasons']) - _MAX_ROWS} more in report.json")
        lines.append("")
    rows = report["bypass"]["converters"]
    if rows:
        lines += ["| converter | bypassed variants | bypass rate |", "|---|---:|---:|"]
        lines += [
            f"| `{_cell(r['converter'])}` | {r['bypassed_variants']}/{r['variants']} | {_pct(r['bypass_rate'])} |"
            for r in rows[:_MAX_ROWS]
        ]
        lines.append("")
    cmp = report.get("baseline")
    if cmp:
        lines.append(
            f"Baseline: {len(cmp['newly_failing'])} newly failing, {len(cmp['fixed'])} fixed, "
            f"significant regressions: {', '.join(cmp['regressions']) or 'none'}."
        )
        lines.append("")
    return "\n".join(lines)


def write_markdown(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Write ``report_dir/report.md`` atomically."""
    return [write_text_atomic(Path(report_dir) / FILENAME, render_markdown(report))]


def write_github_summary(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set.

    Returns:
        The summary file, or nothing outside GitHub Actions.
    """
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return []
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(render_markdown(report) + "\n")
    return [path]
