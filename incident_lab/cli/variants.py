"""``incident_lab variants``: write stress-test variants of a scenario's attack."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import echo_json, json_option, progress_enabled, scenarios_dir_option
from incident_lab.errors import UsageError
from incident_lab.scenarios.io import default_scenarios_dir, load_scenario, scenario_path


def _parse_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise UsageError("--converters is empty", hint="e.g. --converters base64,homoglyph")
    return names


def _find_scenario(directory: Path, scenario_id: str) -> Path:
    if not directory.is_dir():
        raise UsageError(
            f"scenarios directory {str(directory)!r} does not exist",
            hint="pass --scenarios-dir or set INCIDENT_LAB_SCENARIOS",
        )
    for variant in (False, True):
        path = scenario_path(directory, scenario_id, variant=variant)
        if path.exists():  # a FIFO or directory: refused by the input gate when loaded
            return path
    raise UsageError(
        f"unknown scenario id {scenario_id!r} in {directory}",
        hint="run 'incident_lab list' to see the scenario ids",
    )


def _converter_rows() -> list[dict[str, Any]]:
    from incident_lab.variants import get_converters

    return [
        {
            "name": c.name,
            "family": c.family,
            "reversible": c.reversible,
            "structural": c.structural,
            "description": c.description,
        }
        for c in get_converters().values()
    ]


@click.command()
@click.option("--scenario", "scenario_id", metavar="ID", help="Id of the parent scenario.")
@click.option(
    "--converters",
    metavar="A,B,...",
    help="Comma-separated converters to chain (default: every registered one).",
)
@click.option(
    "--depth", type=click.IntRange(1, 3), default=1, show_default=True, help="Longest chain."
)
@click.option(
    "--n", "count", type=click.IntRange(min=1), default=50, show_default=True,
    help="How many variants at most.",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Generation seed.")
@scenarios_dir_option
@click.option("--dry-run", is_flag=True, help="Generate and list, write nothing.")
@click.option("--force", is_flag=True, help="Overwrite variant files with other metadata.")
@click.option("--list-converters", is_flag=True, help="List the converters and exit.")
@json_option("the variants (or converters)")
def variants(
    scenario_id: str | None,
    converters: str | None,
    depth: int,
    count: int,
    seed: int,
    scenarios_dir: Path | None,
    dry_run: bool,
    force: bool,
    list_converters: bool,
    as_json: bool,
) -> None:
    """Generate stress-test variants of a scenario's attack and write them as scenarios.

    Each variant rewrites the scenario's payload with a chain of converters
    (base64, homoglyph, decompose, ...; see --list-converters), keeps the
    expectations (adjusted when the payload moved) and is written to
    <scenarios-dir>/variants/<parent>--v-<hash>.yaml with its parent, chain and
    seed. Chains go up to --depth, shortest first; duplicates are dropped; the
    same --seed always gives the same variants.

    \b
    Example:
      incident_lab variants --scenario inc-20260201-mail-exfil-injected-doc
      incident_lab variants --scenario inc-20260201-mail-exfil-injected-doc \\
          --converters base64,homoglyph,decompose --depth 2
      incident_lab variants --scenario inc-20260201-mail-exfil-injected-doc --n 200 --seed 7 --dry-run --json
    """
    if list_converters:
        rows = _converter_rows()
        if as_json:
            echo_json(rows)
        else:
            for row in rows:
                mark = "reversible" if row["reversible"] else ""
                click.echo(f"{row['name']:22} {row['family']:12} {mark:10} {row['description']}")
        return
    if not scenario_id:
        raise UsageError("--scenario is required", hint="e.g. incident_lab variants --scenario ID")
    from incident_lab.variants import generate_variants, write_variants

    directory = scenarios_dir if scenarios_dir is not None else default_scenarios_dir()
    path = _find_scenario(directory, scenario_id)
    parent = load_scenario(path)
    names = _parse_names(converters)
    if progress_enabled():
        click.echo(f"generating variants of {scenario_id} ...", err=True)
    failed: list[str] = []
    generated = generate_variants(parent, names, depth=depth, n=count, seed=seed, failed=failed)
    for reason in failed:
        click.echo(f"warning: skipped {reason}", err=True)
    if dry_run:
        results = [(scenario_path(directory, v["id"], variant=True), "dry-run") for v in generated]
    else:
        results = write_variants(directory, generated, force=force)
    rows = [
        {
            "id": v["id"],
            "converters": v["variant"]["converters"],
            "seed": v["variant"]["seed"],
            "path": str(p),
            "status": status,
            "adjustments": v["variant"].get("adjustments", []),
        }
        for v, (p, status) in zip(generated, results, strict=True)
    ]
    counts = dict(Counter(r["status"] for r in rows))
    if as_json:
        echo_json(
            {
                "parent": scenario_id,
                "seed": seed,
                "depth": depth,
                "requested": count,
                "generated": len(rows),
                "counts": counts,
                "variants": rows,
            }
        )
        return
    for row in rows:
        click.echo(f"{row['status']:11} {row['id']}  {' > '.join(row['converters'])}")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    where = "not written (dry run)" if dry_run else f"in {directory / 'variants'}"
    click.echo(f"{len(rows)} variants of {scenario_id} ({summary}) {where}", err=True)
    if len(rows) < count:
        click.echo(
            f"note: only {len(rows)} distinct variants exist with these converters and "
            f"--depth {depth}",
            err=True,
        )
