"""``incident_lab blast-radius``: how far did the incident spread (playbook phase 6)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import (
    echo_json,
    echo_listed,
    json_option,
    progress_enabled,
    scenarios_dir_option,
)
from incident_lab.errors import InputError, PartialResult, UsageError


def _print_summary(result: dict[str, Any], written: Path | None) -> None:
    s, scanned, risk = result["summary"], result["scanned"], result["risk"]
    exposure, harm = result["exposure"], result["harm"]
    click.echo(
        f"incident {result['incident']}: {scanned['sessions']} session(s) scanned, "
        f"{s['incident_sessions']} of them the incident's own"
    )
    click.echo(
        f"exposure: {exposure['sessions']} session(s) received the payload or a rewrite of it "
        f"({exposure['users']} user(s), {exposure['tenants']} tenant(s))"
    )
    click.echo(
        f"harm: {harm['sessions']} session(s) where the harmful call executed "
        f"({harm['users']} user(s), {harm['tenants']} tenant(s)"
        + (f": {', '.join(harm['tenant_ids'][:10])}" if harm["tenant_ids"] else "")
        + f"); attempts blocked {harm['attempts_blocked']}, failed {harm['attempts_failed']}"
    )
    click.echo(f"risk (from harm): {risk['level'].upper()} ({risk['reason']})")
    if s["sessions"]:
        click.echo(f"first seen {s['first_seen']}, last seen {s['last_seen']}")
    for m in result["matches"][:20]:
        own = " [incident]" if m["incident_session"] else ""
        own += " [HARM]" if m["harm"] else f" [{m['tool_state']}]" if m["tool_state"] else ""
        click.echo(
            f"  {m['score']:.2f}  {m['session_id']}{own}  {m['actor']}@{m['tenant']}  {m['started_at']}"
        )
        for reason in m["reasons"]:
            click.echo(f"        - {reason}")
    if len(result["matches"]) > 20:
        click.echo(f"  ... {len(result['matches']) - 20} more (see --json or --out)")
    for key, label in (
        ("by_day", "day"),
        ("by_model", "model"),
        ("by_policy_hash", "policy_hash"),
        ("by_tenant", "tenant"),
    ):
        if result[key]:
            rows = ", ".join(f"{r[label]}: {r['sessions']}" for r in result[key][:10])
            click.echo(f"by {label}: {rows}")
    if written is not None:
        click.echo(f"written: {written}")


@click.command("blast-radius")
@click.option(
    "--incident",
    required=True,
    metavar="DIR_OR_SCENARIO",
    help="An evidence bundle, a scenario file, or a scenario id.",
)
@click.option(
    "--from",
    "sources",
    required=True,
    multiple=True,
    metavar="LOG",
    help="Log file or directory to search (repeatable; gzip ok).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.5,
    show_default=True,
    help="Jaccard similarity for a payload near-duplicate.",
)
@click.option(
    "--session",
    "sessions",
    multiple=True,
    metavar="ID",
    help="The bundle's incident session(s) (default: followup/incident.json's, else the labelled ones).",
)
@click.option(
    "--format", "fmt", metavar="F", help="Force the log format (both engines; local files)."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: stream on this machine; dask: run on a Dask cluster (extra 'dask').",
)
@click.option(
    "--scheduler",
    metavar="ADDR",
    help="Dask scheduler address (tcp://...) or name; default: local threads.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for blast_radius.json (default: the bundle's followup/ when --incident is a bundle).",
)
@scenarios_dir_option
@json_option("the full result")
def blast_radius(
    incident: str,
    sources: tuple[str, ...],
    threshold: float,
    sessions: tuple[str, ...],
    fmt: str | None,
    engine: str,
    scheduler: str | None,
    out: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """Find the sessions in production logs that match the incident's signature.

    Two answers, each with sessions, users and tenants. Exposure: sessions
    that received the payload or a rewrite of it (MinHash over shingles of
    normalised text: base64/hex/URL/binary/Morse decoded, homoglyphs,
    zero-width and tag characters, leetspeak, spacing and case undone;
    ROT13/Caesar/reversed forms indexed). Harm: sessions where the harmful
    call happened (same tool, the attacker-controlled value, executed: not
    blocked, not failed). The risk level (isolated, localized, moderate,
    systemic) comes from harm. With a bundle, the incident sessions are those
    of its incident record (followup/incident.json). Also prints counts by day,
    model version, policy hash and tenant, first/last seen. A reader's warnings
    are printed on stderr (``warning: FILE:LINE: ...``) and listed under
    ``warnings``; they change no count and no exit code. Exit 5 when some log
    lines were rejected.

    \b
    Example:
      incident_lab blast-radius --incident incident_2026-02-01T12-00-00Z --from /var/log/agent/
      incident_lab blast-radius --incident inc-20260201-mail-exfil-injected-doc \\
          --from sessions-2026-02.jsonl.gz --threshold 0.6 --json
      incident_lab blast-radius --incident incident_2026-02-01T12-00-00Z \\
          --from s3://logs/agent/2026-02/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from incident_lab.blast import blast_radius as run_search
    from incident_lab.blast import write_result
    from incident_lab.blast.signature import load_signature

    if scheduler is not None and engine != "dask":
        raise UsageError(
            "--scheduler only applies to --engine dask",
            hint="add --engine dask, or drop --scheduler",
        )
    began = time.monotonic()
    signature = load_signature(incident, sessions=list(sessions), scenarios_dir=scenarios_dir)
    say = (lambda msg: click.echo(msg, err=True)) if progress_enabled() else None
    result = run_search(
        signature,
        list(sources),
        threshold=threshold,
        engine=engine,
        fmt=fmt,
        scheduler=scheduler,
        progress=say,
    )
    # A reader's warnings: on stderr like classify's, and in the result (no records).
    echo_listed("warning", result["warnings"], result["scanned"]["warnings"])
    if result["scanned"]["records"] == 0 and not result["scanned"]["rejected"]:
        # No record at all is no evidence: never report risk NONE, nor overwrite a result.
        raise InputError(
            "nothing to read: the logs hold no records, so the blast radius is unknown",
            path=", ".join(sources),
            hint="check that --from points at the agent's session logs",
        )
    target = out
    if target is None and signature.source.get("kind") == "bundle":
        target = Path(signature.source["path"]) / "followup"
    written = write_result(result, target) if target is not None else None
    if signature.source.get("kind") == "bundle":
        from incident_lab.incident_record import record_decision

        record_decision(
            Path(signature.source["path"]),
            "blast-radius",
            time.monotonic() - began,
            exposure_sessions=result["exposure"]["sessions"],
            harm_sessions=result["harm"]["sessions"],
            harm_users=result["harm"]["users"],
            harm_tenants=result["harm"]["tenants"],
            risk=result["risk"]["level"],
            scanned_sessions=result["scanned"]["sessions"],
        )
    if as_json:
        echo_json(result)
    else:
        _print_summary(result, written)
    rejected = result["scanned"]["rejected"]
    if rejected:
        first = result["rejects"][0] if result["rejects"] else {}
        where = str(first.get("source")) if first else "?"
        if first.get("line") is not None:
            where += f":{first.get('line')}"
        raise PartialResult(
            f"search complete, but {rejected} log record(s) were rejected (first: {where}: {first.get('reason')})",
            hint="the result lists up to 100 of them under 'rejects'",
        )
