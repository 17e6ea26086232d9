"""``regression_suite add`` / ``remove`` / ``list``: curate the suites that gate a release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import echo_json, json_option, scenarios_dir_option
from incident_lab.errors import IncidentLabError, InputError, UsageError
from incident_lab.scenarios.io import check_id, default_scenarios_dir, scenario_path
from incident_lab.scenarios.suitefile import add_to_suite
from regression_suite.suites import (
    DEFAULT_SUITE,
    list_suites,
    load_suite,
    remove_from_suite,
    resolve_detailed,
    suite_path,
)


def scenario_file(base: Path, scenario_id: str) -> Path:
    """Return the file of ``scenario_id`` (library or ``variants/``).

    Raises:
        UsageError: the id is invalid or no such scenario exists.
    """
    check_id(scenario_id)
    for variant in (False, True):
        path = scenario_path(base, scenario_id, variant=variant)
        if path.is_file():
            return path
    raise UsageError(
        f"no scenario {scenario_id!r} in {base}",
        hint="'incident_lab list' shows the library; 'incident_lab add --from BUNDLE/trajectories.jsonl' creates one",
    )


def _lint_problems(base: Path, path: Path) -> list[str]:
    """Lint problems of one scenario file (schema, taxonomy, secrets, reproduction...)."""
    from incident_lab.scenarios.lint import lint_library

    report = lint_library(base)
    mine = path.resolve()
    return [f"{p.field}: {p.message}" for p in report.problems if Path(p.path).resolve() == mine]


def _echo_edit(
    base: Path,
    scenario_id: str,
    suite: str,
    status: str,
    messages: dict[str, str],
    *,
    as_json: bool,
) -> None:
    """Print the outcome of ``add``/``remove``: JSON, or ``messages[status]`` and the suite file."""
    target = suite_path(base, suite)
    if as_json:
        echo_json({"scenario": scenario_id, "suite": suite, "status": status, "path": str(target)})
        return
    click.echo(f"{messages[status]} ({target})")


@click.command()
@click.option("--scenario", "scenario_id", required=True, metavar="ID", help="Scenario id.")
@click.option(
    "--suite", default=DEFAULT_SUITE, show_default=True, metavar="NAME", help="Suite to add to."
)
@scenarios_dir_option
@json_option("the result")
def add(scenario_id: str, suite: str, scenarios_dir: Path | None, as_json: bool) -> None:
    """Add a scenario to a suite (default release_gate), so it gates every release.

    The scenario must exist and lint: valid schema and taxonomy, no unredacted
    secret, and it must reproduce (an expectation fails against its own
    recording). The suite file is created if it does not exist.

    \b
    Example:
      regression_suite add --scenario inc-20260201-mail-exfil-injected-doc
      regression_suite add --scenario inc-20260201-mail-exfil-injected-doc --suite nightly --json
    """
    base = scenarios_dir or default_scenarios_dir()
    path = scenario_file(base, scenario_id)
    problems = _lint_problems(base, path)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"scenario {scenario_id!r} does not lint, not added: {problems[0]}{more}",
            path=str(path),
            hint="run 'incident_lab lint' and fix the scenario, then add it again",
        )
    status = add_to_suite(scenario_id, suite, base)
    messages = {
        "created": f"created suite {suite} with {scenario_id}",
        "added": f"added {scenario_id} to suite {suite}",
        "unchanged": f"{scenario_id} is already in suite {suite}",
    }
    _echo_edit(base, scenario_id, suite, status, messages, as_json=as_json)


@click.command()
@click.option("--scenario", "scenario_id", required=True, metavar="ID", help="Scenario id.")
@click.option(
    "--suite", default=DEFAULT_SUITE, show_default=True, metavar="NAME", help="Suite to edit."
)
@scenarios_dir_option
@json_option("the result")
def remove(scenario_id: str, suite: str, scenarios_dir: Path | None, as_json: bool) -> None:
    """Remove a scenario from a suite.

    The id leaves the suite's explicit list; if a selector of the suite would
    still pick it, it is added to the suite's ``exclude`` list. The scenario file
    itself is kept (retire it with 'incident_lab tag ID --status retired').

    \b
    Example:
      regression_suite remove --scenario inc-20260201-mail-exfil-injected-doc --suite nightly
      regression_suite remove --scenario inc-20260201-mail-exfil-injected-doc --suite nightly --json
    """
    base = scenarios_dir or default_scenarios_dir()
    status = remove_from_suite(scenario_id, suite, base)
    messages = {
        "removed": f"removed {scenario_id} from suite {suite}",
        "excluded": f"removed {scenario_id} from suite {suite} (added to exclude: a selector matches it)",
        "unchanged": f"{scenario_id} was not in suite {suite}",
    }
    _echo_edit(base, scenario_id, suite, status, messages, as_json=as_json)


def _suite_row(base: Path, name: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "path": str(suite_path(base, name))}
    try:
        suite = load_suite(name, base)
        resolution = resolve_detailed(suite, base)
    except IncidentLabError as exc:
        row.update({"error": exc.render()})
        return row
    variants = sum(resolution.variant_counts.values())
    row.update(
        {
            "description": suite["description"],
            "scenarios": len(resolution.scenarios) - variants,
            "variants": variants,
            "repeats": suite["repeats"],
            "cases": len(resolution.scenarios) * suite["repeats"],
            "target": suite["target"],
            "error": None,
        }
    )
    return row


def _scenario_rows(base: Path, name: str) -> dict[str, Any]:
    suite = load_suite(name, base)
    resolution = resolve_detailed(suite, base)
    rows = []
    for scenario in resolution.scenarios:
        taxonomy = scenario.get("taxonomy") or {}
        parent = (scenario.get("variant") or {}).get("parent")
        rows.append(
            {
                "id": scenario["id"],
                "parent": parent,
                "title": scenario.get("title"),
                "status": scenario.get("status"),
                "severity": taxonomy.get("severity"),
                "failure_mode": taxonomy.get("failure_mode"),
                "tags": list(taxonomy.get("tags") or []),
                "variants": None if parent else resolution.variant_counts.get(scenario["id"], 0),
            }
        )
    return {
        "suite": name,
        "path": suite["path"],
        "target": suite["target"],
        "repeats": suite["repeats"],
        "cases": len(resolution.scenarios) * suite["repeats"],
        "scenarios": rows,
        "skipped": [{"id": sid, "reason": why} for sid, why in resolution.skipped],
    }


@click.command("list")
@click.option("--suite", metavar="NAME", help="List this suite's resolved scenarios.")
@scenarios_dir_option
@json_option("the suites (or the suite's scenarios)")
def list_(suite: str | None, scenarios_dir: Path | None, as_json: bool) -> None:
    """List the suites, or the scenarios a suite resolves to with their variant counts.

    \b
    Example:
      regression_suite list
      regression_suite list --suite release_gate --json
    """
    base = scenarios_dir or default_scenarios_dir()
    if not base.is_dir():
        # A mistyped library must not read as "no suites" with exit 0.
        raise InputError(
            "no such scenarios directory",
            path=str(base),
            hint="pass --scenarios-dir or set INCIDENT_LAB_SCENARIOS",
        )
    if suite is None:
        rows = [_suite_row(base, name) for name in list_suites(base)]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo(f"no suites in {base}/suites", err=True)
        for row in rows:
            if row["error"]:
                click.echo(f"{row['name']}  INVALID: {row['error']}")
                continue
            click.echo(
                f"{row['name']}  {row['scenarios']} scenarios, {row['variants']} variants, "
                f"x{row['repeats']} = {row['cases']} cases"
                + (f", target {row['target']}" if row["target"] else "")
            )
        return
    listing = _scenario_rows(base, suite)
    if as_json:
        echo_json(listing)
        return
    click.echo(f"suite {suite} ({listing['path']}): {listing['cases']} cases")
    for row in listing["scenarios"]:
        if row["parent"]:
            continue
        click.echo(
            f"  {row['id']}  {row['severity']}  {row['failure_mode']}  {row['status']}  "
            f"+{row['variants']} variants  {' '.join(str(row['title'] or '').split())}".rstrip()
        )
    ids = {r["id"] for r in listing["scenarios"]}
    orphans = [r for r in listing["scenarios"] if r["parent"] and r["parent"] not in ids]
    for row in orphans:
        click.echo(f"  {row['id']}  (variant of {row['parent']})  {row['severity']}")
    for row in listing["skipped"]:
        click.echo(f"  {row['id']}  skipped: {row['reason']}")
