"""The ``regression_suite`` command: suites, the release gate, and its reports."""

from __future__ import annotations

import sys

import click

from incident_lab import __version__
from incident_lab.cli.app import LazyGroup, run

__all__ = ["cli", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("regression_suite.cli.suites:add", "Add a scenario to a suite (default release_gate)."),
    "remove": ("regression_suite.cli.suites:remove", "Remove a scenario from a suite."),
    "list": ("regression_suite.cli.suites:list_", "List suites or a suite's resolved scenarios."),
    "run": ("regression_suite.cli.gate:run_", "Run the release gate: verdict OK / WARN / BLOCK."),
    "generate": ("regression_suite.cli.gate:generate", "Write a pytest module that runs a suite."),
    "diff": (
        "regression_suite.cli.gate:diff",
        "Compare two gate reports: newly failing, fixed, changed.",
    ),
    "merge": (
        "regression_suite.cli.gate:merge",
        "Merge shard reports into one report and verdict.",
    ),
    "suite": ("regression_suite.cli.suite_settings:suite", "Change a suite's settings (variants)."),
    "history": (
        "regression_suite.cli.history:history",
        "Pass and bypass rates across releases; flag slow erosion.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="regression_suite")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Replay incident scenarios against a system under test and gate the release.

    \b
    Example:
      regression_suite add --scenario inc-20260201-mail-exfil-injected-doc
      regression_suite run --suite release_gate --target example:patched

    Exit codes: 0 OK, 1 WARN, 2 BLOCK (the gate's verdict); 3 usage, config or
    input error; 4 unreachable target or internal error; 6 a check found
    problems (diff --fail-on-new-failures, history --fail-on-erosion);
    130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run(cli, "regression_suite", argv))
