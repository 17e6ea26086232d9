"""``report.md`` and the GitHub Actions step summary: the verdict in a few lines of Markdown."""

from __future__ import annotations

import os
import re
from itertools import islice
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_text_atomic
from regression_suite.gate.stats import percent

FILENAME = "report.md"
_MAX_ROWS = 20


def _cell(text: Any) -> str:
    """Table-cell text: no pipes, no line breaks, and ``<...>`` shown, not taken for HTML."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def _code(text: Any) -> str:
    """``text`` as one inline code span: fenced with more backticks than any run inside it
    (a backtick in a suite or target name cannot end the span early), line breaks as spaces
    and pipes escaped (a table cell). A code span shows ``<``/``&`` as they are."""
    body = str(text).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _heading(report: dict[str, Any]) -> list[str]:
    """The verdict, its headline, the suite and the target: how both summaries open."""
    return [
        f"## Release gate: **{report['verdict']}** (exit code {report['exit_code']})",
        "",
        _cell(report["headline"]),
        "",
        f"Suite {_code(report['suite'].get('name'))}, target "
        f"{_code(report['versions'].get('target'))}.",
        "",
    ]


def render_markdown(report: dict[str, Any]) -> str:
    """Render the verdict, its reasons, bypass rates and baseline changes as Markdown.

    Args:
        report: A ``gate_report/v1`` dict.

    Returns:
        Markdown text (at most 20 rows per table; the rest is in ``report.json``).
    """
    lines = _heading(report)
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
            f"| {_code(r['converter'])} | {r['bypassed_variants']}/{r['variants']} | {percent(r['bypass_rate'])} |"
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


def _artefacts_url() -> str | None:
    """The workflow run's artefacts page, from GitHub Actions' environment (else ``None``)."""
    server, repo, run_id = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repo and run_id:
        return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}#artifacts"
    return None


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def render_step_summary(report: dict[str, Any], artefacts: list[Path]) -> str:
    """The GitHub Actions job summary: verdict, failing scenarios, bypassing converters,
    and links to the report files.

    Args:
        report: A ``gate_report/v1`` dict.
        artefacts: The files the run wrote (listed by path; linked to the workflow
            run's artefacts page when ``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``/
            ``GITHUB_RUN_ID`` are set, as in a GitHub Actions job).
    """
    lines = _heading(report)
    failing_cases = (
        c for c in report["cases"] if c["kind"] == "scenario" and c["status"] != "passed"
    )
    failing = list(islice(failing_cases, _MAX_ROWS))
    more = sum(1 for _ in failing_cases)
    lines.append(f"### Failing scenarios ({len(failing) + more})")
    lines.append("")
    if failing:
        lines += [
            "| scenario | severity | failure mode | status | failed runs | gate | first message |",
            "|---|---|---|---|---:|---|---|",
        ]
        lines += [
            f"| {_code(c['scenario_id'])} | {_cell(c.get('severity') or 'n/a')} "
            f"| {_cell(c['failure_mode'])} | {_cell(c['status'])} "
            f"| {c['failed'] + c['errors']}/{c['runs'] + c['errors']} "
            f"| {_cell(c.get('action') or 'none')} "
            f"| {_cell(_first_line((c.get('messages') or [''])[0]))} |"
            for c in failing
        ]
        if more:
            lines.append(f"\n… {more} more in report.json")
    else:
        lines.append("None.")
    lines.append("")
    bypassing = [r for r in report["bypass"]["converters"] if r["bypassed_variants"]]
    lines.append(f"### Bypassing converters ({len(bypassing)})")
    lines.append("")
    if bypassing:
        lines += ["| converter | bypassed variants | bypass rate | e.g. |", "|---|---:|---:|---|"]
        lines += [
            f"| {_code(r['converter'])} | {r['bypassed_variants']}/{r['variants']} "
            f"| {percent(r['bypass_rate'])} | {_cell(', '.join(r.get('bypassing') or []))} |"
            for r in bypassing[:_MAX_ROWS]
        ]
    else:
        lines.append("None." if report["bypass"]["overall"]["variants"] else "No variants ran.")
    lines.append("")
    lines.append("### Artefacts")
    lines.append("")
    url = _artefacts_url()
    if url:
        lines.append(f"[Download the workflow's artefacts]({url}) (upload the report directory).")
        lines.append("")
    lines += [f"- {_code(path)}" for path in artefacts]
    lines.append("")
    return "\n".join(lines)


def append_step_summary(report: dict[str, Any], artefacts: list[Path], path: Path) -> Path:
    """Append :func:`render_step_summary` to ``path`` (``$GITHUB_STEP_SUMMARY`` is appended
    to by every step of a job)."""
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(render_step_summary(report, artefacts) + "\n")
    return Path(path)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: dict[str, Any], files: dict[str, str]) -> list[str]:
    """GitHub Actions workflow commands (``::error file=...::``) for the gate's reasons.

    A ``block`` reason is an ``::error``, a ``warn`` reason a ``::warning``, each on
    the file of the scenario it names (``files`` maps scenario id to a path relative
    to the workspace; a reason without a file is annotated without one).
    """
    out = []
    for reason in report["reasons"]:
        level = {"block": "error", "warn": "warning"}.get(reason["level"])
        if level is None:
            continue
        sid = reason.get("scenario_id")
        props = []
        if sid and sid in files:
            props.append(f"file={_escape_property(files[sid])}")
        title = f"gate {str(reason['level']).upper()}: {sid or reason['code']}"
        props.append(f"title={_escape_property(title)}")
        out.append(f"::{level} {','.join(props)}::{_escape_data(str(reason['message']))}")
    return out
