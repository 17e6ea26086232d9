"""``incident_lab add / tag / list / show / lint``: building and curating the scenario library."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click

from incident_lab.cli.app import echo_json, echo_listed, json_option, scenarios_dir_option
from incident_lab.errors import (
    CheckFailed,
    IncidentLabError,
    InputError,
    PartialResult,
    UsageError,
)
from incident_lab.scenarios.render import list_lines, redaction_text, show_lines


def _library_dir(scenarios_dir: Path | None) -> Path:
    """Return the library directory, refusing one that does not exist (nothing is created)."""
    from incident_lab.scenarios.io import default_scenarios_dir

    base = scenarios_dir if scenarios_dir is not None else default_scenarios_dir()
    if not base.exists():
        raise InputError(
            "no such scenarios directory",
            path=str(base),
            hint="pass --scenarios-dir or set INCIDENT_LAB_SCENARIOS",
        )
    if not base.is_dir():
        raise InputError("not a directory (expected the scenario library)", path=str(base))
    return base


@click.command()
@click.option(
    "--from",
    "from_",
    required=True,
    type=click.Path(path_type=Path),
    help="Trajectory file (any readable format) or evidence bundle.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="F",
    help="Force the reader (default: auto-detect; see 'incident_lab plugins').",
)
@click.option(
    "--session", default=None, metavar="ID", help="Session id to use (default: the flagged one)."
)
@click.option(
    "--id",
    "scenario_id",
    default=None,
    metavar="ID",
    help="Scenario id (default: inc-<content hash>).",
)
@click.option(
    "--failure-mode",
    default=None,
    metavar="MODE",
    help="Taxonomy failure mode (default: classifier's).",
)
@click.option(
    "--severity",
    default=None,
    metavar="SEV",
    help="SEV-1..SEV-4 (default: classifier's suggestion).",
)
@click.option(
    "--unsafe-step",
    "unsafe_steps",
    type=int,
    multiple=True,
    metavar="N",
    help="0-based index of a harmful step (repeatable; default: labels, safeguards, classifier).",
)
@click.option(
    "--payload-step",
    type=int,
    default=None,
    metavar="N",
    help="0-based step that carries the payload (its instruction span, else its whole text).",
)
@click.option(
    "--payload-text",
    default=None,
    metavar="TEXT",
    help="The payload, verbatim from a tool output or user turn (overrides the guess).",
)
@click.option("--title", default=None, metavar="TEXT", help="One-line title (default: generated).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Tag to attach (repeatable).")
@scenarios_dir_option
@click.option("--force", is_flag=True, help="Overwrite an existing scenario with the same id.")
@click.option("--no-redact", is_flag=True, help="Keep secrets and personal data (not for repos).")
@click.option(
    "--allow-nonreproducing",
    is_flag=True,
    help="Write it even if it is not two-sided (passes its recording or blocks the safe one).",
)
@json_option("the result")
def add(
    from_: Path,
    fmt: str | None,
    session: str | None,
    scenario_id: str | None,
    failure_mode: str | None,
    severity: str | None,
    unsafe_steps: tuple[int, ...],
    payload_step: int | None,
    payload_text: str | None,
    title: str | None,
    tags: tuple[str, ...],
    scenarios_dir: Path | None,
    force: bool,
    no_redact: bool,
    allow_nonreproducing: bool,
    as_json: bool,
) -> None:
    """Turn an incident trajectory into a redacted, replayable scenario (status draft).

    Picks the session flagged unsafe (or --session), redacts secrets and personal data
    with format-preserving surrogates, takes the payload from the provenance view (or
    --payload-step / --payload-text), pins the attacker-controlled values in the
    expectations, and checks them two-sided: each must fail on the recorded incident and
    pass on the counterfactual safe trajectory (cut before the unsafe step, plus a
    refusal). Exit 6 when that fails (unless --allow-nonreproducing), 3 when the session
    cannot be localised.

    \b
    Example:
      incident_lab add --from incident_2026-02-01/trajectories.jsonl
      incident_lab add --from logs.jsonl --session s-42 --unsafe-step 7 \\
          --failure-mode prompt_injection --severity SEV-1 --tag email
      incident_lab add --from logs.jsonl --session s-42 --payload-step 3
    """
    from incident_lab.scenarios.library import add_from_path

    _check_tags(tags)
    started = time.monotonic()
    result = add_from_path(
        from_,
        session=session,
        fmt=fmt,
        scenarios_dir=scenarios_dir,
        force=force,
        allow_nonreproducing=allow_nonreproducing,
        scenario_id=scenario_id,
        failure_mode=failure_mode,
        severity=severity,
        unsafe_steps=list(unsafe_steps) or None,
        payload_step=payload_step,
        payload_text=payload_text,
        title=title,
        tags=tags,
        redact=not no_redact,
    )
    _record_add(from_, result.scenario_id, result.session_id, time.monotonic() - started)
    echo_listed("warning", result.warnings, result.warned)
    for message in result.messages:
        click.echo(f"note: {message}", err=True)
    if inferred := [t["name"] for t in result.scenario["context"]["tools"] if t.get("inferred")]:
        names = ", ".join(inferred)
        click.echo(
            f"note: tools inferred from the recorded calls: {names} (inferred: true)", err=True
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        tax = result.scenario.get("taxonomy") or {}
        guess = ""
        if tax.get("suggested"):
            conf = tax.get("confidence")
            guess = (
                " (suggested by the classifier"
                + (f", confidence {conf}" if conf is not None else "")
                + ")"
            )
        verb = {"created": "created", "overwritten": "overwrote", "unchanged": "unchanged:"}[
            result.status
        ]
        click.echo(f"{verb} {result.path} [{result.scenario_id}]")
        click.echo(f"  session:      {result.session_id}")
        click.echo(f"  taxonomy:     {tax.get('failure_mode')} {tax.get('severity')}{guess}")
        click.echo(
            f"  expectations: {len(result.scenario.get('expectations') or [])}, failing on the "
            "recording and passing on the counterfactual safe trajectory, as they must"
        )
        payload = result.scenario.get("payload") or {}
        if payload.get("why"):
            click.echo(f"  payload:      {payload['why']}")
        if (
            result.scenario.get("provenance", {}).get("redaction") is None
            and result.status != "unchanged"
        ):
            click.echo("  redaction:    DISABLED (--no-redact): do not commit this file")
        else:
            click.echo(f"  redaction:    {redaction_text(result.redaction)}")
        status = result.scenario.get("status")
        gate_hint = (
            ""
            if status == "gated"
            else f" (gate it: incident_lab tag {result.scenario_id} --status gated)"
        )
        click.echo(f"  status:       {status}{gate_hint}")
    echo_listed("detector error", result.detector_errors)
    done = "scenario unchanged" if result.status == "unchanged" else "scenario written"
    if result.detector_errors:
        raise PartialResult(
            f"{done}, but the classifier's detectors failed "
            f"({len(result.detector_errors)} detector error(s)): the session chosen, its "
            "suggested taxonomy or unsafe steps may be wrong"
            + (f"; {result.rejected} input record(s) were rejected" if result.rejected else ""),
            path=str(from_),
            hint="check the scenario (incident_lab show ID) before gating it; --session, "
            "--unsafe-step, --failure-mode and --severity set those choices yourself (add "
            "still classifies the session, so the exit stays 5 while a detector fails)",
        )
    if result.rejected:
        raise PartialResult(
            f"{done}, but {result.rejected} input record(s) were rejected",
            path=str(from_),
            hint="run 'incident_lab snapshot' on the source to see rejects.jsonl",
        )


def _record_add(source: Path, scenario_id: str, session_id: str, took: float) -> None:
    """When the incident came from an evidence bundle, record the conversion in its
    timeline (the phase clock) and the scenario id in its incident record."""
    from incident_lab.incident_record import load_record, record_decision, update_record

    bundle = source if source.is_dir() else source.parent
    if not (bundle / "manifest.json").is_file():
        return
    try:
        record_decision(bundle, "add", took, scenario_id=scenario_id, session_id=session_id)
        if load_record(bundle) is not None:
            update_record(bundle, scenario_ids=[scenario_id])
    except IncidentLabError as exc:  # the scenario is written; the bundle refused the note
        click.echo(f"warning: not recorded in {bundle}'s timeline: {exc.render()}", err=True)


def _record_tag(
    bundle: Path, doc: dict, failure_mode: str | None, severity: str | None, took: float
) -> None:
    """A human's taxonomy decision on a scenario is the incident's decision too: it wins
    over the classifier's suggestion in the incident record and is timed in the timeline."""
    from incident_lab.incident_record import record_decision, update_record

    if failure_mode is not None or severity is not None:
        update_record(
            bundle,
            failure_mode=failure_mode,
            severity=severity,
            source="human",
            scenario_ids=[doc["id"]],
        )
    record_decision(
        bundle,
        "tag",
        took,
        scenario_id=doc["id"],
        failure_mode=doc["taxonomy"].get("failure_mode"),
        severity=doc["taxonomy"].get("severity"),
    )


def _check_tags(tags: tuple[str, ...]) -> None:
    """Refuse an empty or blank ``--tag`` (it would land in the scenario as ``''``)."""
    for value in tags:
        if not value.strip():
            raise UsageError(
                f"--tag {value!r} is empty", hint="give a tag name, e.g. --tag exfiltration"
            )


@click.command()
@click.argument("scenario_id", metavar="ID")
@click.option("--failure-mode", default=None, metavar="MODE", help="Set the taxonomy failure mode.")
@click.option("--severity", default=None, metavar="SEV", help="Set the severity (SEV-1..SEV-4).")
@click.option("--tag", "add_tags", multiple=True, metavar="TAG", help="Add a tag (repeatable).")
@click.option(
    "--untag", "remove_tags", multiple=True, metavar="TAG", help="Remove a tag (repeatable)."
)
@click.option(
    "--status",
    type=click.Choice(["draft", "gated", "retired"]),
    default=None,
    help="gated: part of the release gate; retired: kept but not run.",
)
@click.option("--owner", default=None, help="Who curates this scenario.")
@click.option(
    "--incident",
    "incident",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="BUNDLE",
    help="The incident's evidence bundle: the chosen failure mode and severity become the "
    "human decision in its incident record, timed in its timeline.",
)
@scenarios_dir_option
@json_option("the changes")
def tag(
    scenario_id: str,
    failure_mode: str | None,
    severity: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    status: str | None,
    owner: str | None,
    incident: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """Confirm or change a scenario's taxonomy, tags, status or owner.

    A human tagging the failure mode or severity, or gating the scenario, clears the
    classifier's ``suggested`` mark. Gating requires that the scenario reproduces.

    \b
    Example:
      incident_lab tag inc-20260201-mail-exfil-injected-doc --failure-mode prompt_injection --severity SEV-1 \\
          --tag email --status gated --owner safety-team
      incident_lab tag inc-20260201-mail-exfil-injected-doc --severity SEV-1 \\
          --incident incident_2026-02-01T12-00-00Z
    """
    from incident_lab.scenarios.library import tag_scenario

    _check_tags(add_tags)
    if incident is not None and not (incident / "manifest.json").is_file():
        raise InputError(
            "not an evidence bundle (no manifest.json)",
            path=str(incident),
            hint="pass the incident_<timestamp> directory that snapshot wrote",
        )
    started = time.monotonic()
    path, doc, changes = tag_scenario(
        scenario_id,
        scenarios_dir=_library_dir(scenarios_dir),
        failure_mode=failure_mode,
        severity=severity,
        add_tags=add_tags,
        remove_tags=remove_tags,
        status=status,
        owner=owner,
    )
    if incident is not None:
        _record_tag(incident, doc, failure_mode, severity, time.monotonic() - started)
    if as_json:
        echo_json(
            {
                "id": doc["id"],
                "path": str(path),
                "changes": changes,
                "taxonomy": doc["taxonomy"],
                "status": doc["status"],
            }
        )
        return
    if not changes:
        click.echo(f"{doc['id']}: nothing changed")
        return
    click.echo(f"{doc['id']}: updated {path}")
    for change in changes:
        click.echo(f"  {change}")


@click.command("list")
@click.option("--failure-mode", default=None, metavar="MODE", help="Only this failure mode.")
@click.option("--severity", default=None, metavar="SEV", help="Only this severity.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only scenarios with this tag (repeatable: all).",
)
@click.option(
    "--status",
    type=click.Choice(["draft", "gated", "retired"]),
    default=None,
    help="Only scenarios with this status.",
)
@click.option("--variants", is_flag=True, help="Include variants, with parent and converter chain.")
@scenarios_dir_option
@json_option("the rows")
def list_(
    failure_mode: str | None,
    severity: str | None,
    tags: tuple[str, ...],
    status: str | None,
    variants: bool,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """List scenarios in the library as a table (id, status, severity, mode, title).

    A failure mode ending in ``?`` is still the classifier's suggestion. A scenario
    file that cannot be read (malformed, a FIFO, a symlink out of the library) is
    named on stderr, the others are listed, and the exit code is 5.

    \b
    Example:
      incident_lab list --failure-mode prompt_injection --status gated
      incident_lab list --variants --json | jq '.[].id'
    """
    from incident_lab.scenarios.library import list_scenarios
    from incident_lab.taxonomy import load_taxonomy

    if failure_mode is not None or severity is not None:
        taxonomy = load_taxonomy()
        if failure_mode is not None:
            taxonomy.check_failure_mode(failure_mode)
        if severity is not None:
            taxonomy.check_severity(severity)
    base = _library_dir(scenarios_dir)
    rows, problems = list_scenarios(
        base,
        failure_mode=failure_mode,
        severity=severity,
        tags=tags,
        status=status,
        variants=variants,
    )
    for problem in problems:
        click.echo(f"warning: skipped {problem}", err=True)
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("no scenarios match", err=True)
    else:
        width = shutil.get_terminal_size((160, 20)).columns if sys.stdout.isatty() else 0
        for line in list_lines(rows, variants=variants, width=width):
            click.echo(line)
        click.echo(f"{len(rows)} scenario(s)", err=True)
    if problems:
        raise PartialResult(
            f"{len(problems)} scenario file(s) could not be read (named above) and are not listed",
            path=str(base),
            hint="run 'incident_lab lint' for every problem",
        )


@click.command()
@click.argument("scenario_id", metavar="ID")
@scenarios_dir_option
@json_option("the whole scenario")
def show(scenario_id: str, scenarios_dir: Path | None, as_json: bool) -> None:
    """Show one scenario: context, turns, fixtures, payload (highlighted), expectations.

    \b
    Example:
      incident_lab show inc-20260201-mail-exfil-injected-doc
      incident_lab show inc-20260201-mail-exfil-injected-doc --json | jq .expectations
    """
    from incident_lab.scenarios.io import load_scenario
    from incident_lab.scenarios.library import find_scenario

    path = find_scenario(scenario_id, _library_dir(scenarios_dir))
    doc = load_scenario(path)
    if as_json:
        echo_json(doc)
        return
    for line in show_lines(doc, path):
        click.echo(line)


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@scenarios_dir_option
@json_option("the report")
def lint(directory: Path | None, scenarios_dir: Path | None, as_json: bool) -> None:
    """Validate the library: schema, taxonomy ids, unique ids, redaction, reproduction.

    Each problem is one line ``FILE: FIELD: PROBLEM``. DIRECTORY and
    --scenarios-dir are the same thing (give one). Exit 6 when any problem is
    found, 3 when the directory does not exist.

    \b
    Example:
      incident_lab lint
      incident_lab lint --scenarios-dir scenarios/ --json | jq '.problems[]'
    """
    from incident_lab.scenarios.lint import lint_library

    if directory is not None and scenarios_dir is not None and directory != scenarios_dir:
        raise UsageError(
            f"two libraries given: DIRECTORY {str(directory)!r} and --scenarios-dir "
            f"{str(scenarios_dir)!r}",
            hint="give one of them",
        )
    base = _library_dir(directory if directory is not None else scenarios_dir)
    report = lint_library(base)
    if as_json:
        echo_json(report.to_dict())
    else:
        for problem in report.problems:
            click.echo(problem.render())
    if not report.ok:
        files = len({p.path for p in report.problems})
        raise CheckFailed(
            f"{len(report.problems)} problem(s) in {files} of {report.checked} scenario and "
            "suite file(s)",
            path=str(base),
        )
    if not as_json:
        click.echo(f"{report.checked} scenario and suite file(s) in {base}: no problems", err=True)
