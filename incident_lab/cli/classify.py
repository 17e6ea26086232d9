"""``incident_lab classify``: rank failure modes per session, with evidence and a severity."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from incident_lab.classify import Classification, classify_many
from incident_lab.classify.followup import classification_errors, write_classification
from incident_lab.cli.app import echo_json, echo_listed, json_option, progress_enabled
from incident_lab.errors import IncidentLabError, InputError, PartialResult, UsageError
from incident_lab.readers import read_paths
from incident_lab.text import quote


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


def _read(
    source: Path, fmt: str | None, session_id: str | None = None
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Read ``source``: ``(trajectories, rejects, ids seen)``; only ``session_id``'s when
    given. A reader's warnings are printed on stderr once read, at most
    :data:`~incident_lab.cli.app.MAX_LISTED` of them like rejects (review revresp38b L1)."""
    target = source / "trajectories.jsonl" if source.is_dir() and _bundle_dir(source) else source
    trajs: list[dict[str, Any]] = []
    rejects: list[str] = []
    seen: list[str] = []
    warnings: list[str] = []
    for _fmt, record in read_paths([str(target)], fmt):
        if record.warning is not None:
            warnings.append(record.told)
        elif record.accepted and record.trajectory is not None:
            sid = str(record.trajectory.get("session_id", ""))
            if session_id is None or sid == session_id:
                trajs.append(record.trajectory)
            elif len(seen) < 5:
                seen.append(sid)
        else:
            rejects.append(f"{record.where}: {record.reason}")
    echo_listed("warning", warnings)
    return trajs, rejects, seen


def _partial(rejects: list[str], results: list[Classification]) -> str | None:
    """List the rejected records and the detector errors on stderr; the PartialResult
    message when there was either (a crashed detector's silence is no "no finding")."""
    echo_listed("rejected", rejects)
    crashed = classification_errors(results)
    echo_listed("detector error", crashed)
    parts = []
    if rejects:
        parts.append(f"{len(rejects)} input record(s) rejected, {len(results)} classified")
    if crashed:
        sessions = sum(1 for c in results if c.detector_errors)
        parts.append(
            f"detector error(s) in {sessions} of {len(results)} session(s): "
            "their classification may miss what the failed detectors would have found"
        )
    return "; ".join(parts) or None


def _rank(c: Classification) -> int:
    """Severity rank: SEV-1 is 1; no severity sorts last."""
    level = c.severity.level if c.severity else ""
    return int(level[4:]) if level.startswith("SEV-") and level[4:].isdigit() else 99


def _confidence(c: Classification) -> float:
    return c.ranked[0].confidence if c.ranked else 0.0


def _score(c: Classification) -> float:
    """The top mode's raw score: finer than the calibrated confidence for ordering sessions."""
    return c.ranked[0].score if c.ranked else 0.0


def render_summary(results: list[Classification], top_n: int = 10) -> list[str]:
    """The summary printed first: counts per failure mode and severity, the top sessions."""
    flagged = [c for c in results if c.incident]
    lines = [f"summary: {len(results)} session(s), {len(flagged)} with incident signals"]
    if not flagged:
        return lines
    modes = Counter(str(c.top) for c in flagged)
    levels = Counter(c.severity.level if c.severity else "none" for c in flagged)
    lines.append("  by failure mode: " + ", ".join(f"{m} {n}" for m, n in modes.most_common()))
    lines.append("  by severity:     " + ", ".join(f"{lv} {levels[lv]}" for lv in sorted(levels)))
    lines.append("  top sessions:")
    for c in sorted(flagged, key=lambda c: (_rank(c), -_score(c)))[:top_n]:
        level = c.severity.level if c.severity else "-"
        steps = ",".join(map(str, c.unsafe_steps)) or "-"
        reason = c.severity.reason if c.severity else ""
        lines.append(
            f"    {c.session_id}  {level}  {c.top} {_confidence(c):.2f}  step {steps}: {reason[:90]}"
        )
    return lines


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
        lines.append(f"  detector error: {quote(err, 500)}")
    return lines


def _show(
    results: list[Classification],
    *,
    flagged: bool,
    min_severity: str | None,
    as_json: bool,
    top_k: int | None,
) -> None:
    """Print the summary and the sessions that pass ``--flagged`` / ``--min-severity``."""
    shown = results
    if flagged or min_severity:
        shown = [c for c in shown if c.incident]
    if min_severity:
        limit = int(min_severity[4:])
        shown = [c for c in shown if _rank(c) <= limit]
    if as_json:
        payload = [c.to_dict() for c in shown]
        if top_k is not None:
            for item in payload:
                item["ranked"] = item["ranked"][:top_k]
        echo_json(payload)
    else:
        for line in render_summary(results):
            click.echo(line)
        click.echo("")
        for c in shown:
            for line in render_classification(c, top_k or 3):
                click.echo(line)


@click.command()
@click.argument("source", metavar="BUNDLE_OR_FILE", type=click.Path(path_type=Path))
@click.option(
    "--session",
    "session_id",
    metavar="ID",
    help="Classify only this session (cross-session evidence needs the whole batch).",
)
@click.option("--flagged", is_flag=True, help="List only sessions with incident signals.")
@click.option(
    "--min-severity",
    "min_severity",
    type=click.Choice(["SEV-1", "SEV-2", "SEV-3", "SEV-4"], case_sensitive=False),
    help="List only sessions at this severity or worse (SEV-1 is the worst); implies --flagged.",
)
@click.option("--format", "fmt", metavar="F", help="Force the log format (default: auto-detect).")
@json_option("the list of classifications")
@click.option(
    "--top",
    "top_k",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="Show only the K best-ranked failure modes per session (default: 3; all with --json).",
)
def classify(
    source: Path,
    session_id: str | None,
    flagged: bool,
    min_severity: str | None,
    fmt: str | None,
    as_json: bool,
    top_k: int | None,
) -> None:
    """Rank failure modes per session, with the evidence and a suggested severity.

    BUNDLE_OR_FILE is an evidence bundle (its trajectories.jsonl is read) or any
    log a reader understands. A summary comes first (sessions per failure mode and
    severity, the most severe sessions), then each session; --flagged and
    --min-severity keep only the incidents. For a bundle, the result of a full run is
    also written to BUNDLE/followup/classification.json. Rejected input records and
    detectors that raised (the session may then miss a finding) are listed on stderr
    and the exit code is 5.

    \b
    Example:
      incident_lab classify incident_2026-02-01T12-00-00Z --min-severity SEV-2
      incident_lab classify agent.log.jsonl --session sess-8c1f --json | jq '.[0].top'
    """
    if not source.exists():
        raise InputError(
            "no such file or directory",
            path=str(source),
            hint="pass a bundle directory or a log file",
        )
    trajs, rejects, others = _read(source, fmt, session_id)
    if not trajs and session_id is not None and others:
        sample = ", ".join(others) + ", …"
        raise UsageError(f"no session {session_id!r} in {source}", hint=f"available: {sample}")
    if not trajs:
        detail = f" ({len(rejects)} record(s) rejected; first: {rejects[0]})" if rejects else ""
        raise InputError(
            f"no trajectories found{detail}",
            path=str(source),
            hint="check the file or pass --format",
        )
    if progress_enabled():
        click.echo(f"classifying {len(trajs)} session(s)…", err=True)
    started = time.monotonic()
    results = classify_many(trajs)
    bundle = _bundle_dir(source)
    if bundle is not None and session_id is None:
        written = write_classification(bundle, results, source)
        click.echo(f"wrote {written}", err=True)
        from incident_lab.incident_record import record_decision

        try:
            record_decision(
                bundle,
                "classify",
                time.monotonic() - started,
                sessions=len(results),
                flagged=sum(1 for c in results if c.incident),
            )
        except IncidentLabError as exc:  # the classification stands; the bundle refused the note
            click.echo(f"warning: not recorded in {bundle}'s timeline: {exc.render()}", err=True)
    _show(results, flagged=flagged, min_severity=min_severity, as_json=as_json, top_k=top_k)
    n_flagged = sum(1 for c in results if c.incident)
    click.echo(f"classified {len(results)} session(s): {n_flagged} with incident signals", err=True)
    problem = _partial(rejects, results)
    if problem:
        raise PartialResult(
            problem,
            path=str(source),
            hint="the rejected lines and detector errors are listed above",
        )
