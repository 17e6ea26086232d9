"""``incident_lab demo``: the whole loop on the bundled example agent, narrated and timed."""

from __future__ import annotations

from pathlib import Path

import click

from incident_lab.cli.app import echo_json, json_option
from incident_lab.errors import UsageError


@click.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    default=Path("incident_lab_demo"),
    show_default=True,
    help="A new or empty directory for the log, bundle, scenarios and reports.",
)
@click.option("--force", is_flag=True, help="Replace a previous demo run in --workdir.")
@click.option(
    "--sessions",
    type=click.IntRange(10, 100000),
    default=300,
    show_default=True,
    help="Production sessions to generate.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the log and the variants."
)
@json_option("the steps, timings and verdicts")
def demo(workdir: Path, force: bool, sessions: int, seed: int, as_json: bool) -> None:
    """Run the whole loop on the bundled example agent, with timings per playbook phase.

    The vulnerable example agent serves production traffic with one prompt
    injection; the demo preserves the evidence (snapshot), classifies it, turns
    it into a scenario in the release gate, then runs the gate: the vulnerable
    agent is BLOCKed, the patched one passes the literal scenario, and generated
    variants show which rewrites of the attack still bypass its safeguard.
    Exit 0 when the loop held, 6 when it did not, 3 for an unusable --workdir.

    \b
    Example:
      incident_lab demo
      incident_lab demo --workdir /tmp/demo --force --json
    """
    from incident_lab.demo import run_demo

    if not workdir.exists():
        try:
            workdir.mkdir(parents=True)
        except OSError as exc:  # a parent is a file, read-only, no permission...
            raise UsageError(
                f"cannot create the demo directory: {exc.strerror or exc}",
                path=str(workdir),
                hint="pass --workdir with a new or empty directory you can write to",
            ) from None

    def say(line: str) -> None:
        click.echo(line, err=as_json)

    result = run_demo(workdir, force=force, narrate=say, sessions=sessions, seed=seed)
    say("")
    say("time per playbook phase:")
    for phase, seconds in result.phase_seconds().items():
        say(f"  {phase:<45} {seconds:6.2f} s")
    say(f"  {'total':<45} {result.seconds:6.2f} s")
    say(f"open {result.verdicts['patched_with_variants']['report_html']} for the full report")
    if as_json:
        echo_json(result.to_dict())
