"""``incident_lab snapshot`` and ``incident_lab verify``: preserve evidence, check it later."""

from __future__ import annotations

import sys
import time

import click

from incident_lab.cli.app import echo_json, echo_listed, json_option, progress_enabled
from incident_lab.errors import CheckFailed, PartialResult
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES


class _Progress:
    """``read 412.0/1024.0 MB (40%)  183.2 MB/s`` on stderr, redrawn at most 5 times a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last_draw < 0.2 and done < total:
            return
        self.last_draw = now
        rate = done / max(now - self.start, 1e-6) / 1e6
        pct = f" ({100 * done // total}%)" if total else ""
        sys.stderr.write(f"\rread {done / 1e6:,.1f}/{total / 1e6:,.1f} MB{pct}  {rate:,.1f} MB/s ")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _print_summary(summary: dict[str, object]) -> None:
    counts = summary["counts"]
    assert isinstance(counts, dict)
    click.echo(f"bundle: {summary['bundle']}")
    click.echo(f"incident: {summary['incident_id']}  collected: {summary['collected_at']}")
    click.echo(
        f"records: {counts['read']} read, {counts['accepted']} accepted, "
        f"{counts['rejected']} rejected, {counts['filtered_out']} filtered out"
    )
    time_range = summary["time_range"]
    if isinstance(time_range, dict) and time_range.get("first_started_at"):
        click.echo(f"sessions: {time_range['first_started_at']} .. {time_range['last_started_at']}")
    models = summary["model_versions_seen"]
    if isinstance(models, list) and models:
        shown = ", ".join(f"{m['name']} {m['version']} ({m['sessions']})" for m in models[:5])
        click.echo(f"models: {shown}")
    if summary["signed"]:
        click.echo("signed: manifest.sig")
    warnings = summary.get("warnings")
    echo_listed("warning", [str(w) for w in warnings] if isinstance(warnings, list) else [])


@click.command()
@click.option(
    "--from",
    "sources",
    multiple=True,
    metavar="PATH",
    help="Log file or directory (repeatable; more paths may follow).",
)
@click.argument("more_sources", nargs=-1, metavar="[PATH]...")
@click.option(
    "--format",
    "fmt",
    metavar="F",
    help="Force a reader (default: detect per file; see 'incident_lab plugins').",
)
@click.option(
    "--last", type=int, metavar="N", help="Keep the N most recent sessions by started_at."
)
@click.option(
    "--since",
    metavar="T",
    help="Keep sessions started within 30m/2h/1d, or after an RFC 3339 time.",
)
@click.option(
    "--session", "sessions", multiple=True, metavar="ID", help="Keep this session id (repeatable)."
)
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="ID",
    help="Keep sessions of this actor.user_id (repeatable).",
)
@click.option(
    "--model-version",
    "model_versions",
    multiple=True,
    metavar="V",
    help="Keep sessions of this agent.model.version; recorded as declared (repeatable).",
)
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The policy in force; its SHA-256 is recorded as declared.",
)
@click.option(
    "--incident-id", metavar="ID", help="Incident id for the manifest (default: the bundle's name)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Bundle directory (default: ./incident_<UTC timestamp>). Must not exist.",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False),
    metavar="KEY",
    help="Ed25519 private key (PEM) to sign manifest.json with.",
)
@click.option(
    "--max-line-bytes",
    type=int,
    default=DEFAULT_MAX_LINE_BYTES,
    show_default=True,
    metavar="N",
    help="Reject longer lines without loading them.",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Read symlinks in a --from directory that lead outside it (default: rejected, unread).",
)
@json_option("the summary")
def snapshot(
    sources: tuple[str, ...],
    more_sources: tuple[str, ...],
    fmt: str | None,
    last: int | None,
    since: str | None,
    sessions: tuple[str, ...],
    users: tuple[str, ...],
    model_versions: tuple[str, ...],
    policy: str | None,
    incident_id: str | None,
    out: str | None,
    sign_key: str | None,
    max_line_bytes: int,
    follow_symlinks: bool,
    as_json: bool,
) -> None:
    """Preserve evidence: write a verifiable incident bundle from agent logs.

    Writes incident_<UTC timestamp>/ (or --out): trajectories.jsonl (the selected
    sessions, normalised and validated), metrics.json, manifest.json (sources,
    filters, hashes, counts), rejects.jsonl (every record not accepted, with file,
    line and reason) and timeline.jsonl. Sources are only read. The bundle appears
    atomically; an existing one is never overwritten.

    \b
    Example:
      incident_lab snapshot --from /var/log/agent/ --last 500
      incident_lab snapshot --from sessions.jsonl.gz --since 2h --policy policy.yaml \\
          --incident-id INC-1234 --sign-key oncall.pem --json

    \b
    Exit codes:
      0  bundle written, every record accepted
      5  bundle written and complete, but some records were rejected (see rejects.jsonl)
      3  no bundle written: bad usage, missing file, nothing to read, bundle exists
    """
    from incident_lab.evidence.snapshot import take_snapshot

    all_sources = list(sources) + list(more_sources)
    progress = _Progress() if progress_enabled() else None
    try:
        result = take_snapshot(
            all_sources,
            fmt=fmt,
            last=last,
            since=since,
            sessions=sessions,
            users=users,
            model_version=model_versions,
            policy=policy,
            incident_id=incident_id,
            out=out,
            sign_key=sign_key,
            max_line_bytes=max_line_bytes,
            progress=progress,
            follow_symlinks=follow_symlinks,
        )
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        echo_json(result.summary)
    else:
        _print_summary(result.summary)
    duplicates = result.summary.get("duplicate_session_ids") or {}
    if isinstance(duplicates, dict) and duplicates:
        shown = ", ".join(f"{sid} ({n}x)" for sid, n in list(duplicates.items())[:5])
        click.echo(
            f"incident_lab: warning: {len(duplicates)} session id(s) appear more than once "
            f"in the bundle: {shown} (every copy is kept; a command that picks a session "
            "by id takes the first)",
            err=True,
        )
    rejected = result.summary["counts"]["rejected"]
    if rejected:
        raise PartialResult(
            f"bundle complete, but {rejected} input record(s) were rejected",
            path=str(result.bundle / "rejects.jsonl"),
            hint="each row there names the file, line and reason",
        )


@click.command()
@click.argument("bundle", type=click.Path(), metavar="DIR")
@click.option(
    "--pubkey",
    type=click.Path(dir_okay=False),
    metavar="KEY",
    help="Ed25519 public key (PEM); manifest.sig must verify with it.",
)
@json_option("the report")
def verify(bundle: str, pubkey: str | None, as_json: bool) -> None:
    """Recompute a bundle's hashes, sizes, counts, schema and metrics; fail on any change.

    Prints one line per discrepancy (changed, missing, added, renamed, manifest
    edited, signature, timeline chain). Files under followup/ are listed but never
    fail the check.

    \b
    Example:
      incident_lab verify incident_2026-02-01T12-00-00Z
      incident_lab verify incident_2026-02-01T12-00-00Z --pubkey oncall.pub.pem --json

    \b
    Exit codes:
      0  the bundle is intact
      6  discrepancies found (each listed)
      3  DIR is not a directory, or the key cannot be read
    """
    from incident_lab.evidence.verify import verify_bundle

    report = verify_bundle(bundle, pubkey=pubkey)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.problems:
            click.echo(line)
        for path in report.followup:
            click.echo(f"follow-up artifact: {path}")
        for note in report.notes:
            click.echo(f"note: {note}")
        if report.ok:
            stats = report.stats
            click.echo(
                f"OK: {bundle}: {stats.get('sessions')} sessions, {stats.get('rejects')} rejects, "
                f"{stats.get('timeline_events')} timeline events, signature {stats.get('signature')}"
            )
    if not report.ok:
        count = len(report.problems)
        raise CheckFailed(
            f"{count} {'discrepancy' if count == 1 else 'discrepancies'} found",
            path=bundle,
            hint="the bundle is not as collected",
        )
