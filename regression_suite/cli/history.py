"""``regression_suite history``: pass and bypass rates per failure mode across releases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import echo_json, json_option
from incident_lab.errors import CheckFailed, UsageError


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{100 * value:4.0f}%"


def _print(result: dict[str, Any]) -> None:
    click.echo(
        f"history {result['db']}: {len(result['releases'])} release(s), suite {result['suite'] or '(all)'}"
    )
    for mode, data in result["failure_modes"].items():
        flag = "  ERODING" if data["eroding"] else ""
        click.echo(f"\n{mode}{flag}")
        click.echo("  release                          pass rate (runs)   bypass rate (runs)")
        for p in data["points"]:
            click.echo(
                f"  {str(p['release'])[:32]:<32} {_pct(p['pass_rate'])} ({p['scenario_runs']:>5})"
                f"      {_pct(p['bypass_rate'])} ({p['variant_runs']:>5})"
            )
        for reason in data["reasons"]:
            click.echo(f"  erosion: {reason}")


def _unknown_filter(
    result: dict[str, Any], db: Path | None, suite: str | None, failure_mode: str | None
) -> None:
    """Raise a usage error naming what the store does hold (a typo must not read as 'no erosion').

    Raises:
        UsageError: always.
    """
    from regression_suite.history import ALL_MODES, query

    every = query(db, last=1000)
    if suite and not result["releases"]:
        import sqlite3

        with sqlite3.connect(f"file:{every['db']}?mode=ro", uri=True) as conn:
            names = sorted(row[0] for row in conn.execute("SELECT DISTINCT suite FROM runs"))
        conn.close()
        raise UsageError(
            f"no recorded runs of suite {suite!r} in {every['db']}",
            hint="suites recorded: " + (", ".join(names) or "none"),
        )
    modes = sorted(m for m in every["failure_modes"] if m != ALL_MODES)
    raise UsageError(
        f"no recorded runs of failure mode {failure_mode!r} in {every['db']}",
        hint="failure modes recorded: " + (", ".join(modes) or "none"),
    )


@click.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History store (default $REGRESSION_SUITE_HISTORY or .regression_suite/history.sqlite).",
)
@click.option("--suite", metavar="NAME", help="Only runs of this suite.")
@click.option(
    "--last",
    type=click.IntRange(2, 1000),
    default=10,
    show_default=True,
    metavar="N",
    help="Releases to look at.",
)
@click.option("--failure-mode", metavar="MODE", help="Only this failure mode.")
@click.option(
    "--alpha",
    type=click.FloatRange(0.0, 0.5, min_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of the erosion test.",
)
@click.option("--fail-on-erosion", is_flag=True, help="Exit 6 when a failure mode is eroding.")
@json_option("the history")
def history(
    db: Path | None,
    suite: str | None,
    last: int,
    failure_mode: str | None,
    alpha: float,
    fail_on_erosion: bool,
    as_json: bool,
) -> None:
    """Show pass and bypass rates per failure mode over the last releases, and flag slow erosion.

    Runs get here with 'regression_suite run --record'. A release is the
    target version a run gated. Erosion is a downward trend of the pass rate
    (or an upward trend of the bypass rate) over the last N releases that the
    Cochran-Armitage trend test finds significant at --alpha, even when no
    single step between releases is. Exit 6 with --fail-on-erosion when any
    failure mode erodes.

    \b
    Example:
      regression_suite history
      regression_suite history --suite release_gate --last 8 --json
      regression_suite history --db ci-history.sqlite --fail-on-erosion
    """
    from regression_suite.history import MIN_RELEASES, query

    if fail_on_erosion and last < MIN_RELEASES:
        raise UsageError(
            f"--fail-on-erosion needs --last {MIN_RELEASES} or more: the trend test needs "
            f"{MIN_RELEASES} releases, so with --last {last} it could never fail",
            hint=f"use --last {MIN_RELEASES} or more (default 10)",
        )
    result = query(db, suite=suite, last=last, failure_mode=failure_mode, alpha=alpha)
    if (suite and not result["releases"]) or (failure_mode and not result["failure_modes"]):
        _unknown_filter(result, db, suite, failure_mode)
    if as_json:
        echo_json(result)
    else:
        _print(result)
    if fail_on_erosion and result["eroding"]:
        raise CheckFailed(
            f"safety is eroding for {', '.join(result['eroding'])}",
            hint="see 'regression_suite history' for the trend",
        )
