"""``regression_suite suite set``: change a suite's settings without hand-editing its YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from incident_lab.cli.app import echo_json, json_option, scenarios_dir_option
from incident_lab.errors import ConfigError, UsageError


def set_variants(
    mode: str, count: int | None, suite_name: str, scenarios_dir: str | Path | None = None
) -> dict[str, Any]:
    """Set a suite's ``variants`` to ``none``, ``all`` or ``{sample: N}``, atomically.

    Returns:
        ``{"suite", "path", "variants", "previous", "status"}`` (``changed`` or ``unchanged``).

    Raises:
        UsageError: bad mode or count; the suite does not exist.
        ConfigError: the suite file is invalid (before or after the change).
    """
    from incident_lab.scenarios.io import default_scenarios_dir, library_lock
    from incident_lab.scenarios.suitefile import read_raw, suite_path, suite_problems, write_suite

    if mode not in ("all", "none", "sample"):
        raise UsageError(f"--variants {mode!r} is not one of all, none, sample")
    if mode == "sample" and (count is None or count < 1):
        raise UsageError(
            "--variants sample needs a positive number of variants per scenario",
            hint="e.g. regression_suite suite set --variants sample 5",
        )
    if mode != "sample" and count is not None:
        raise UsageError(f"a count only goes with --variants sample (got {mode} {count})")
    base = Path(scenarios_dir or default_scenarios_dir())
    path = suite_path(base, suite_name)
    if not path.is_file():
        raise UsageError(
            f"no suite {suite_name!r} in {base / 'suites'}",
            hint="'regression_suite list' shows the suites; 'regression_suite add' creates one",
        )
    wanted: Any = {"sample": count} if mode == "sample" else mode
    with library_lock(base):
        header, doc = read_raw(path)
        previous = doc.get("variants", "none")
        status = "unchanged"
        if previous != wanted:
            doc["variants"] = wanted
            problems = suite_problems(doc)
            if problems:
                raise ConfigError(
                    f"the change would make the suite invalid: {problems[0]}", path=str(path)
                )
            write_suite(path, header, doc)
            status = "changed"
    return {
        "suite": suite_name,
        "path": str(path),
        "variants": wanted,
        "previous": previous,
        "status": status,
    }


@click.group()
def suite() -> None:
    """Change a suite's settings (its YAML stays as written otherwise).

    \b
    Example:
      regression_suite suite set --variants all
      regression_suite suite set --suite nightly --variants sample 5
    """


@suite.command("set")
@click.option(
    "--variants",
    "mode",
    required=True,
    type=click.Choice(["all", "none", "sample"]),
    help="Run every generated variant, none, or a sample of N per scenario (give N after it).",
)
@click.argument("count", required=False, type=click.IntRange(min=1), metavar="[N]")
@click.option(
    "--suite", "suite_name", default="release_gate", show_default=True, help="Suite name."
)
@scenarios_dir_option
@json_option("the change")
def set_(
    mode: str, count: int | None, suite_name: str, scenarios_dir: Path | None, as_json: bool
) -> None:
    """Turn variants on or off in a suite: all, none, or a sample of N per scenario.

    The sample is deterministic (the same N variants each run). Exit 3 for an
    unknown suite or a bad count.

    \b
    Example:
      regression_suite suite set --variants all
      regression_suite suite set --variants sample 5 --suite nightly
      regression_suite suite set --variants none
    """
    out = set_variants(mode, count, suite_name, scenarios_dir)
    if as_json:
        echo_json(out)
        return
    shown = f"sample {count}" if mode == "sample" else mode
    click.echo(f"suite {suite_name}: variants {shown} ({out['status']}; {out['path']})")
