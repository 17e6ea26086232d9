"""``incident_lab classify``: rank failure modes per session, with evidence and a severity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from incident_lab.classify import Classification, classify_many
from incident_lab.classify.followup import write_classification
from incident_lab.cli.app import echo_json, progress_enabled
from incident_lab.errors import InputError, PartialResult, UsageError
from incident_lab.readers import read_paths

__all__ = ["classify", "render_classification"]

_MAX_REJECT_LINES = 10


def _bundle_dir(path: Path) -> Path | None:
    """The bundle directory when ``path`` is a bundle or a bundle's ``trajectories.jsonl``."""
    if path.is_dir() and (path / "trajectories.jsonl").is_file():
        return path
    if (
        path.is_file()
        and path.name == "trajectories.jsonl"
        and (path.parent / "manifest.json").is_file()
    ):
        return path.parent
    return None


def _read(source: Path, fmt: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    target = source / "trajectories.jsonl" if source.is_dir() and _bundle_dir(source) else source
    trajs: list[dict[str, Any]] = []
    rejects: list[str] = []
    for _fmt, record in read_paths([str(target)], fmt):
        if record.accepted and record.trajectory is not None:
            trajs.append(record.trajectory)
        else:
            where = f"{record.path}:{record.line}" if record.line else record.path
            rejects.append(f"{where}: {record.reason}")
    return trajs, rejects


def render_classification(c: Classification, top_k: int = 3) -> list[str]:
    """Return the human-readable lines for one session's classification."""
    if c.top is None:
        lines = [f"session {c.session_id}: no incident signals"]
        weak = [r for r in c.ranked[:top_k]]
        for r in weak:
            lines.append(f"    weak: {r.failure_mode} {r.confidence:.2f} — {r.evidence[0].detail}")
        return lines
    sev = c.severity
    lines = [
        f"session {c.session_id}: {c.top}" + (f"  {sev.level} ({sev.priority})" if sev else "")
    ]
    if sev:
        lines.append(f"  severity: {sev.level} — {sev.reason}")
    if c.unsafe_steps:
        lines.append(f"  unsafe step(s): {', '.join(map(str, c.unsafe_steps))}")
    for rank, r in enumerate(c.ranked[:top_k], 1):
        lines.append(f"  {rank}. {r.failure_mode:<20} confidence {r.confidence:.2f}")
        for sig in sorted(r.evidence, key=lambda s: -s.weight):
            steps = ",".join(map(str, sig.steps)) or "-"
            lines.append(f"       step {steps}: {sig.signal} — {sig.detail}")
    for err in c.detector_errors:
        lines.append(f"  detector error: {err}")
    return lines


@click.command()
@click.argument("source", metavar="BUNDLE_OR_FILE", type=click.Path(path_type=Path))
@click.option(
    "--session", "session_id", metavar="ID", help="Show only this session (all are still read)."
)
@click.option("--format", "fmt", metavar="F", help="Force the log format (default: auto-detect).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of classifications on stdout."
)
@click.option(
    "--top",
    "top_k",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="Show only the K best-ranked failure modes per session (default: 3; all with --json).",
)
def classify(
    source: Path, session_id: str | None, fmt: str | None, as_json: bool, top_k: int | None
) -> None:
    """Rank failure modes per session, with the evidence and a suggested severity.

    BUNDLE_OR_FILE is an evidence bundle (its trajectories.jsonl is read) or any
    log a reader understands. A session with no incident signals says so. For a
    bundle, the result is also written to BUNDLE/followup/classification.json.
    Rejected input records are listed on stderr and the exit code is 5.

    \b
    Example:
      incident_lab classify incident_2026-02-01T12-00-00Z
      incident_lab classify agent.log.jsonl --session sess-8c1f --json | jq '.[0].top'
    """
    if not source.exists():
        raise InputError(
            "no such file or directory",
            path=str(source),
            hint="pass a bundle directory or a log file",
        )
    trajs, rejects = _read(source, fmt)
    if not trajs:
        detail = f" ({len(rejects)} record(s) rejected; first: {rejects[0]})" if rejects else ""
        raise InputError(
            f"no trajectories found{detail}",
            path=str(source),
            hint="check the file or pass --format",
        )
    if progress_enabled():
        click.echo(f"classifying {len(trajs)} session(s)…", err=True)
    results = classify_many(trajs)
    bundle = _bundle_dir(source)
    if bundle is not None:
        written = write_classification(bundle, results, source)
        click.echo(f"wrote {written}", err=True)
    shown = results
    if session_id is not None:
        shown = [c for c in results if c.session_id == session_id]
        if not shown:
            ids = [c.session_id for c in results]
            sample = ", ".join(ids[:5]) + (f", … ({len(ids)} in all)" if len(ids) > 5 else "")
            raise UsageError(f"no session {session_id!r} in {source}", hint=f"available: {sample}")
    if as_json:
        payload = [c.to_dict() for c in shown]
        if top_k is not None:
            for item in payload:
                item["ranked"] = item["ranked"][:top_k]
        echo_json(payload)
    else:
        for c in shown:
            for line in render_classification(c, top_k or 3):
                click.echo(line)
    flagged = sum(1 for c in results if c.incident)
    click.echo(f"classified {len(results)} session(s): {flagged} with incident signals", err=True)
    if rejects:
        for line in rejects[:_MAX_REJECT_LINES]:
            click.echo(f"rejected: {line}", err=True)
        more = len(rejects) - _MAX_REJECT_LINES
        if more > 0:
            click.echo(f"rejected: … and {more} more", err=True)
        raise PartialResult(
            f"{len(rejects)} input record(s) rejected, {len(trajs)} classified",
            path=str(source),
            hint="the rejected lines are listed above",
        )
