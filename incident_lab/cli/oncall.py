"""On-call commands: ``contain``, ``confirm``, ``ticket``, ``notify`` and the guided ``respond``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from incident_lab.cli.app import echo_json, echo_listed, json_option, scenarios_dir_option
from incident_lab.errors import (
    EXIT_CHECK_FAILED,
    CheckFailed,
    ExternalError,
    InputError,
    PartialResult,
    UsageError,
)

if TYPE_CHECKING:
    from incident_lab.adapters.confirm import ConfirmReport

_CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="incident_lab.toml to use (default: $INCIDENT_LAB_CONFIG or ./incident_lab.toml).",
)


@click.command()
@click.argument(
    "action",
    required=False,
    type=click.Choice(["kill-switch", "scale-to-zero", "route-to-baseline", "disable-tools"]),
)
@click.option(
    "--incident",
    "incident",
    type=click.Path(file_okay=False),
    help="Incident directory whose timeline records the action (created if absent).",
)
@click.option(
    "--tool", "tools", multiple=True, help="With disable-tools: a tool to disable (repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Show and record what would run; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--undo", is_flag=True, help="Reverse recorded actions (all, or only ACTION) in reverse order."
)
@_CONFIG_OPTION
@json_option("the recorded timeline event(s)")
def contain(
    action: str | None,
    incident: str | None,
    tools: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    undo: bool,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Run a containment action (or undo recorded ones), recorded in the incident timeline.

    Actions map to backends (kubectl, command, http) in incident_lab.toml.
    A failed action is recorded as failed and exits 4: nothing claims success it did not get.

    \b
    Example:
      incident_lab contain scale-to-zero --incident incident_2026-02-01T12-00-00Z --yes
      incident_lab contain disable-tools --tool send_email --dry-run
      incident_lab contain --undo --incident incident_2026-02-01T12-00-00Z --yes
    """
    from incident_lab.adapters.config import load_config
    from incident_lab.adapters.contain import incident_dir_for, run_action, undo_actions

    config = load_config(config_path)
    if not undo and action is None:
        raise UsageError(
            "missing ACTION",
            hint="one of: kill-switch, scale-to-zero, route-to-baseline, disable-tools",
        )
    directory = incident_dir_for(incident, create=not undo)
    verb = "undo " + (action or "all recorded actions") if undo else action
    if not (yes or dry_run) and not click.confirm(
        f"Run '{verb}' now (recorded in {directory}/timeline.jsonl)?", err=True
    ):
        raise click.Abort()
    if undo:
        results = undo_actions(
            config=config, incident_dir=directory, action=action, dry_run=dry_run
        )
        events = [r.event for r in results]
    else:
        events = [
            run_action(
                action or "",
                config=config,
                incident_dir=directory,
                dry_run=dry_run,
                tools=list(tools),
            ).event
        ]
    if as_json:
        echo_json(events)
        return
    for event in events:
        label = "UNDONE" if event.get("kind") == "undo" else "CONTAINED"
        if event.get("dry_run"):
            label = "DRY RUN"
        click.echo(
            f"{label}: {event.get('action')} via {event.get('backend')} at {event.get('time')}",
            err=True,
        )
        for op in event.get("operations") or []:
            shown = (
                " ".join(op["argv"])
                if op.get("argv")
                else f"{op.get('request', {}).get('method')} {op.get('request', {}).get('url')}"
            )
            click.echo(f"  {shown}", err=True)
    click.echo(f"recorded in {directory}/timeline.jsonl", err=True)


def _parse_since(value: str) -> datetime:
    from incident_lab.evidence.filters import parse_since

    when = parse_since(value)
    if when > datetime.now(UTC) + timedelta(minutes=5):
        # Nothing can have happened after a future time: "holding" would be vacuous.
        raise UsageError(
            f"--since {value!r} is in the future",
            hint="give the time containment took effect (check the year and the time zone)",
        )
    return when


@click.command()
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    type=click.Path(),
    help="Live trajectory log(s), any supported format.",
)
@click.option("--since", "since", help="Containment time: RFC 3339 or a duration ago (15m, 2h).")
@click.option(
    "--incident",
    type=click.Path(file_okay=False),
    help="Take the time of the first successful containment from this incident's timeline, and record the check there.",
)
@click.option("--format", "fmt", metavar="F", help="Force a reader (default: auto-detect).")
@json_option("the report")
def confirm(
    sources: tuple[str, ...],
    since: str | None,
    incident: str | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    """Check that containment holds: nothing happened in the live log after containment.

    Exits 0 when holding, 6 when new sessions, tool calls or safeguard decisions
    appear, 5 when holding among the records read but some were rejected (they
    could hide activity), 3 for bad input, including a log with no records at all.

    \b
    Example:
      incident_lab confirm --from /var/log/agent/live.jsonl --incident incident_2026-02-01T12-00-00Z
      incident_lab confirm --from /var/log/agent/ --since 2026-02-01T12:04:00Z --json
    """
    from incident_lab.adapters.confirm import (
        confirm_containment,
        containment_state,
        containment_time,
    )

    if since is None and incident is None:
        raise UsageError(
            "give --since TIME or --incident DIR",
            hint="the containment time: e.g. --since 15m, or the incident directory of 'contain'",
        )
    undone: list[str] = []
    if incident:
        undone = [str(e.get("action")) for e in containment_state(Path(incident)).undone]
    if since:
        when = _parse_since(since)
    else:
        try:
            when = containment_time(Path(incident or ""))
        except CheckFailed:
            _record_confirm(incident or "", "not-in-effect", undone)
            raise
    report = confirm_containment(list(sources), when, fmt)
    echo_listed("warning", report.warnings, report.warned)
    if report.read == 0:
        # An empty file or directory proves nothing: never say HOLDING on no evidence.
        raise InputError(
            "nothing to read: the live log holds no records, so containment cannot be confirmed",
            path=", ".join(sources),
            hint="point --from at the log the agent is writing to now",
        )
    if incident:
        result = "holding" if report.holding else "not-holding"
        _record_confirm(incident, result, undone, report.to_dict())
    for line in report.rejects[:20]:
        click.echo(f"rejected: {line}", err=True)
    if as_json:
        echo_json(report.to_dict())
    else:
        _print_confirm(report, undone)
    if not report.holding:
        raise click.exceptions.Exit(EXIT_CHECK_FAILED)
    if report.rejected:
        raise PartialResult(
            f"holding among the records read, but {report.rejected} of {report.read} record(s) "
            "were rejected and could hide activity",
            hint="the rejected lines are listed above; fix or re-read them before relying on this",
        )


def _print_confirm(report: ConfirmReport, undone: list[str]) -> None:
    """``confirm``'s text report: the verdict with its counts, then what happened."""
    state = "HOLDING" if report.holding else "NOT HOLDING"
    warned = f"; {report.warned} reader warning(s)" if report.warned else ""
    click.echo(
        f"containment {state} since {report.since}: {len(report.sessions)} session(s) active, "
        f"{sum(report.tool_calls.values())} tool call(s), {sum(report.safeguard_decisions.values())} safeguard decision(s) "
        f"({report.read} records read, {report.rejected} rejected{warned})"
    )
    if undone:
        click.echo(f"  note: undone since, so not in effect: {', '.join(undone)}")
    for tool, n in report.tool_calls.items():
        click.echo(f"  tool {tool}: {n}")
    for key, n in report.safeguard_decisions.items():
        click.echo(f"  safeguard {key}: {n}")


def _record_confirm(
    incident: str, result: str, undone: list[str], report: dict[str, Any] | None = None
) -> None:
    """Record the check in the incident's timeline: its result, undone actions, report."""
    from incident_lab.adapters.contain import actor_name, record_event

    event = {"phase": "contain", "kind": "confirm", "actor": actor_name(), "result": result}
    record_event(Path(incident), event | {"undone": undone} | (report or {}))


@click.command()
@click.argument("bundle", type=click.Path(file_okay=False))
@json_option("the ticket fields")
def ticket(bundle: str, as_json: bool) -> None:
    """Write the playbook's ticket (followup/ticket.md) from a bundle.

    Fields the evidence does not answer are marked [TO FILL], never invented.

    \b
    Example:
      incident_lab ticket incident_2026-02-01T12-00-00Z
    """
    import hashlib

    from incident_lab.adapters.contain import actor_name, record_event
    from incident_lab.adapters.ticket import write_ticket

    path, data = write_ticket(bundle)
    record_event(
        Path(bundle),
        {
            "phase": "triage",
            "kind": "ticket",
            "actor": actor_name(),
            "result": "ok",
            "artifact": str(path.relative_to(bundle)),
            "artifact_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        },
    )
    if as_json:
        echo_json(dict(data.to_dict(), path=str(path)))
    else:
        click.echo(str(path))
        if data.placeholders:
            click.echo(
                f"{len(data.placeholders)} field(s) need a human: {', '.join(data.placeholders)}",
                err=True,
            )


@click.command()
@click.argument("bundle", type=click.Path(file_okay=False))
@click.option(
    "--via",
    "via",
    multiple=True,
    help="Channel: slack, pagerduty, jira, webhook (repeatable). Default: the routing rules.",
)
@click.option(
    "--resolve", is_flag=True, help="Send a resolve event (PagerDuty) instead of a trigger."
)
@click.option(
    "--force", is_flag=True, help="Send even if this incident was already delivered on the channel."
)
@click.option("--dry-run", is_flag=True, help="Build and record the payloads; send nothing.")
@_CONFIG_OPTION
@json_option("per-channel results")
def notify(
    bundle: str,
    via: tuple[str, ...],
    resolve: bool,
    force: bool,
    dry_run: bool,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Post the incident ticket to Slack, PagerDuty, Jira or a webhook.

    Without --via, the routing rules choose (default: page the Safety Lead for
    SEV-1/SEV-2; notify Infra/ProdSec when tools or data are involved). Retries
    429/5xx honouring Retry-After; the same incident never pages twice.

    \b
    Example:
      incident_lab notify incident_2026-02-01T12-00-00Z --via pagerduty
      incident_lab notify incident_2026-02-01T12-00-00Z --via pagerduty --resolve
    """
    from incident_lab.adapters.config import load_config
    from incident_lab.adapters.notify import notify as do_notify
    from incident_lab.adapters.notify import raise_for_failures

    config = load_config(config_path)
    results = do_notify(
        bundle,
        config=config,
        via=list(via) or None,
        event="resolve" if resolve else "trigger",
        force=force,
        dry_run=dry_run,
    )
    if as_json:
        echo_json([r.to_dict() for r in results])
    else:
        for r in results:
            who = f" ({r.audience})" if r.audience else ""
            click.echo(f"{r.channel}{who}: {r.status}: {r.detail}", err=True)
    raise_for_failures(results)


def _preflight(sources: list[str], *, fmt: str | None, suite: str, out: str | None) -> None:
    """Check respond's inputs before phase 1 runs anything (exit 3 means nothing was done).

    Raises:
        InputError: a ``--from`` path is missing or holds no file, or ``--out`` is a bundle.
        UsageError: an unknown ``--format`` or an invalid ``--suite`` name.
    """
    from incident_lab.readers import expand_paths, get_readers
    from incident_lab.scenarios.suitefile import suite_path

    get_readers(fmt)  # raises on an unknown --format
    suite_path(".", suite)  # raises on a name that is not a safe file name
    if not expand_paths(sources):
        raise InputError(
            "nothing to read: no files under " + ", ".join(sources),
            hint="check that --from points at the agent's session logs",
        )
    if out is not None and (Path(out) / "manifest.json").exists():
        raise InputError(
            "bundle already exists; an evidence bundle is never overwritten",
            path=out,
            hint="pass --out with a new directory name",
        )


@click.command()
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    type=click.Path(),
    help="Production log(s) to preserve, any supported format.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Incident directory (default: ./incident_<UTC timestamp>).",
)
@click.option(
    "--last", type=click.IntRange(min=1), help="Preserve only the N most recent sessions."
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Preserve sessions started within a duration (2h) or after an RFC 3339 time.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show and record what containment and notifications would do; run and send nothing.",
)
@click.option("--format", "fmt", metavar="F", help="Force a reader (default: auto-detect).")
@scenarios_dir_option
@click.option(
    "--suite",
    default="release_gate",
    show_default=True,
    help="Release-gate suite to add the scenario to.",
)
@click.option(
    "--yes",
    is_flag=True,
    help="Non-interactive: run every configured action and take the suggestions (drills, tests).",
)
@_CONFIG_OPTION
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the outcome as JSON on stdout (narration stays on stderr).",
)
def respond(
    sources: tuple[str, ...],
    out: str | None,
    last: int | None,
    since: str | None,
    dry_run: bool,
    fmt: str | None,
    scenarios_dir: Path | None,
    suite: str,
    yes: bool,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Walk the ten-minute playbook with a phase clock, every step in the timeline.

    Contain (configured actions, each confirmed) -> preserve (snapshot) -> classify
    (suggestions; you pick mode and severity, recorded in followup/incident.json) ->
    triage & notify (ticket and page from that record, routing) -> convert
    (scenario + release-gate suite), then the follow-up list. --dry-run shows
    what containment and notifications would do and records it; nothing runs.

    \b
    Example:
      incident_lab respond --from /var/log/agent/sessions.jsonl --since 2h
      incident_lab respond --from drill.jsonl --yes --dry-run --out incident_drill
    """
    from incident_lab.adapters.config import load_config
    from incident_lab.adapters.respond import Prompter
    from incident_lab.adapters.respond import respond as run_respond

    config = load_config(config_path)
    _preflight(list(sources), fmt=fmt, suite=suite, out=out)

    def choose(question: str, options: list[str], default: str) -> str:
        return str(click.prompt(question, type=click.Choice(options), default=default, err=True))

    prompter = Prompter(
        say=lambda text: click.echo(text, err=True),
        confirm=lambda q, d: click.confirm(q, default=d, err=True),
        choose=choose,
        assume_yes=yes,
    )
    result = run_respond(
        list(sources),
        config=config,
        prompt=prompter,
        out=out,
        last=last,
        since=since,
        fmt=fmt,
        scenarios_dir=scenarios_dir,
        suite=suite,
        dry_run=dry_run,
    )
    if as_json:
        echo_json(result.to_dict())
    if result.containment_failed:
        raise ExternalError(
            "the playbook ran, but containment FAILED for: " + ", ".join(result.containment_failed),
            hint="containment is NOT in place for those actions; see the timeline and act by hand",
        )
