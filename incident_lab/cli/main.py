"""The ``incident_lab`` command: the on-call engineer's and the curator's tool."""

from __future__ import annotations

import os
import sys

import click

from incident_lab import __version__
from incident_lab.cli.app import LazyGroup, run

COMMANDS: dict[str, tuple[str, str]] = {
    "snapshot": (
        "incident_lab.cli.evidence:snapshot",
        "Preserve evidence: write a verifiable incident bundle.",
    ),
    "verify": (
        "incident_lab.cli.evidence:verify",
        "Recompute a bundle's hashes, counts and schema; fail on any change.",
    ),
    "plugins": ("incident_lab.cli.plugins:plugins", "List loaded plugins and their hooks."),
    "classify": (
        "incident_lab.cli.classify:classify",
        "Rank failure modes per session, with evidence and a severity.",
    ),
    "add": (
        "incident_lab.cli.scenarios:add",
        "Turn an incident trajectory into a redacted scenario.",
    ),
    "tag": (
        "incident_lab.cli.scenarios:tag",
        "Set a scenario's failure mode, severity, tags or status.",
    ),
    "list": ("incident_lab.cli.scenarios:list_", "List scenarios in the library."),
    "show": ("incident_lab.cli.scenarios:show", "Show one scenario: turns, payload, expectations."),
    "lint": ("incident_lab.cli.scenarios:lint", "Validate the scenario library."),
    "variants": (
        "incident_lab.cli.variants:variants",
        "Generate stress-test variants of a scenario's attack.",
    ),
    "contain": (
        "incident_lab.cli.oncall:contain",
        "Run (or undo) a containment action, recorded in the timeline.",
    ),
    "confirm": ("incident_lab.cli.oncall:confirm", "Check that containment holds in the live log."),
    "ticket": (
        "incident_lab.cli.oncall:ticket",
        "Write the playbook's incident ticket from a bundle.",
    ),
    "notify": (
        "incident_lab.cli.oncall:notify",
        "Post the ticket to Slack, PagerDuty, Jira or a webhook.",
    ),
    "respond": (
        "incident_lab.cli.oncall:respond",
        "Walk the ten-minute playbook with a phase clock.",
    ),
    "demo": ("incident_lab.cli.demo:demo", "Run the whole loop on the bundled example agent."),
    "blast-radius": (
        "incident_lab.cli.blast:blast_radius",
        "Find the sessions in production logs that match the incident.",
    ),
    "report": (
        "incident_lab.cli.report:report",
        "Write the incident's self-contained report.html and report.md.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="incident_lab")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Preserve evidence of an AI-agent safety incident and turn it into a regression test.

    \b
    Example (the ten-minute path):
      incident_lab snapshot --from /var/log/agent/ --last 500
      incident_lab classify incident_2026-02-01T12-00-00Z
      incident_lab add --from incident_2026-02-01T12-00-00Z/trajectories.jsonl
      regression_suite add --scenario <id printed by add>

    Exit codes: 0 ok, 3 bad usage or input, 4 external failure or bug,
    5 done with rejected records, 6 a check found problems, 130 interrupted.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    # No command does linear algebra; without this, numpy (blast radius's MinHash and
    # its pandas aggregation import it) starts one spinning OpenBLAS thread per core:
    # ~0.1 s CPU per run for nothing. A value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(run(cli, "incident_lab", argv))
