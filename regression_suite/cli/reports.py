"""``regression_suite diff`` and ``regression_suite merge``: reading gate reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import echo_json, json_option
from incident_lab.errors import CheckFailed
from incident_lab.gate_report import load_report
from regression_suite.reports import write_reports
from regression_suite.reports.compare import diff_reports, merge_reports


def _counts(row: dict[str, Any]) -> str:
    old, new = row.get("old"), row.get("new")
    if not old or not new:
        return ""
    return f" {old['passed']}/{old['runs']} -> {new['passed']}/{new['runs']} passed"


def _print_diff(result: dict[str, Any]) -> None:
    v = result["verdict"]
    click.echo(
        f"verdict: {v['old']} -> {v['new']}"
        if v["old"] != v["new"]
        else f"verdict: {v['new']} (unchanged)"
    )
    for field, change in result["versions"].items():
        click.echo(f"versions.{field}: {change['old']} -> {change['new']}")
    for key, label in (
        ("newly_failing", "newly failing"),
        ("fixed", "fixed"),
        ("changed", "changed"),
    ):
        rows = result[key]
        click.echo(f"{label} ({len(rows)}):")
        for row in rows:
            sig = " [significant regression]" if row.get("significant") else ""
            click.echo(f"  {row['scenario_id']}{_counts(row)}{sig}")
            for field, change in (row.get("changes") or {}).items():
                click.echo(f"      {field}: {change['old']!r} -> {change['new']!r}")
    for key, label in (("added", "only in NEW"), ("removed", "only in OLD")):
        if result[key]:
            click.echo(f"{label} ({len(result[key])}): {', '.join(result[key])}")


@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@json_option("the comparison")
@click.option(
    "--fail-on-new-failures",
    is_flag=True,
    help="Exit 6 when a scenario that passed in OLD fails in NEW (for CI).",
)
def diff(old: Path, new: Path, as_json: bool, fail_on_new_failures: bool) -> int:
    """Compare two gate reports: newly failing, fixed and changed scenarios.

    OLD and NEW are report.json files (or report directories). A drop in pass
    rate is flagged as a significant regression under the gate's rule (a
    unanimous flip, or a one-sided Fisher test below the significance level).
    Exit 0, or 6 with --fail-on-new-failures when anything newly fails.

    \b
    Example:
      regression_suite diff gate-main/report.json gate-pr/report.json
      regression_suite diff old/ new/ --json --fail-on-new-failures
    """
    result = diff_reports(load_report(old), load_report(new))
    if as_json:
        echo_json(result)
    else:
        _print_diff(result)
    if fail_on_new_failures and result["newly_failing"]:
        ids = ", ".join(r["scenario_id"] for r in result["newly_failing"])
        raise CheckFailed(f"{len(result['newly_failing'])} scenario(s) newly failing: {ids}")
    return 0


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the merged report.json and report.html.",
)
@click.option(
    "--baseline", type=click.Path(path_type=Path), help="Compare the merged run with this report."
)
@click.option("--allow-partial", is_flag=True, help="Merge even when some shards are missing.")
@click.option(
    "--warn-exit-code",
    type=click.IntRange(0, 2),
    help="Exit code of a WARN verdict, as in 'run' (default: as the shards ran).",
)
@json_option("the verdict and files")
def merge(
    shards: tuple[Path, ...],
    out: Path,
    baseline: Path | None,
    allow_partial: bool,
    warn_exit_code: int | None,
    as_json: bool,
) -> int:
    """Merge shard reports into one report and one verdict, recomputed from every item.

    Shards must come from one run: the same suite file (SHA-256), target and
    thresholds, with no item in two shards. The exit code is the merged
    verdict's: 0 OK, 1 WARN, 2 BLOCK, 4 target errors.

    \b
    Example:
      regression_suite run --shard 1/2 --report-dir gate-1
      regression_suite run --shard 2/2 --report-dir gate-2
      regression_suite merge gate-1 gate-2 --out gate
    """
    loaded = [(path, load_report(path)) for path in shards]
    report = merge_reports(
        loaded, allow_partial=allow_partial, baseline=baseline, warn_exit_code=warn_exit_code
    )
    files = write_reports(report, out)
    if as_json:
        echo_json(
            {
                "verdict": report["verdict"],
                "exit_code": report["exit_code"],
                "headline": report["headline"],
                "reasons": report["reasons"],
                "files": [str(f) for f in files],
            }
        )
    else:
        click.echo(report["headline"])
        for reason in report["reasons"]:
            click.echo(f"  {reason['level'].upper()}: {reason['message']}")
        click.echo(f"reports: {', '.join(str(f) for f in files)}", err=True)
    return int(report["exit_code"])
