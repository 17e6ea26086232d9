"""``incident_lab report``: the incident's report for the post-incident follow-up."""

from __future__ import annotations

from pathlib import Path

import click

from incident_lab.cli.app import echo_json, echo_listed, json_option, scenarios_dir_option
from incident_lab.errors import InputError, PartialResult


@click.command()
@click.argument("bundle", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where report.html and report.md go (default: DIR/followup).",
)
@click.option(
    "--gate-report",
    type=click.Path(path_type=Path),
    help="A gate report.json (or its directory) to include.",
)
@scenarios_dir_option
@json_option("the report document")
def report(
    bundle: Path,
    out: Path | None,
    gate_report: Path | None,
    scenarios_dir: Path | None,
    as_json: bool,
) -> None:
    """Write a self-contained report.html and report.md for an incident bundle.

    Sections: status (severity, failure mode, blast-radius risk, gate verdict),
    timeline with phase durations against the playbook budget (2 minutes a
    phase), metrics with charts (safeguard decisions, tool calls over time),
    classification with evidence, blast radius (from followup/blast_radius.json),
    scenarios and variants created, gate results, and the root cause by layer
    (pre-action, mid-trajectory, post-action, escalation) with the playbook's
    decision (policy change vs system change) left marked for a human.
    The HTML loads nothing from the network.

    \b
    Example:
      incident_lab report incident_2026-02-01T12-00-00Z
      incident_lab report incident_2026-02-01T12-00-00Z --gate-report gate-report/report.json --out rca/
    """
    from incident_lab.report import write_report
    from incident_lab.report.collect import collect_report
    from incident_lab.scenarios.io import default_scenarios_dir

    if scenarios_dir is not None and not scenarios_dir.is_dir():
        # Given explicitly: a typo must not silently drop the scenarios section.
        raise InputError(
            "no such scenarios directory",
            path=str(scenarios_dir),
            hint="pass --scenarios-dir or set INCIDENT_LAB_SCENARIOS",
        )
    if gate_report is not None and gate_report.is_dir():
        gate_report = gate_report / "report.json"
    doc = collect_report(
        bundle, scenarios_dir=scenarios_dir or default_scenarios_dir(), gate_report=gate_report
    )
    paths = write_report(doc, out or Path(doc["bundle"]) / "followup")
    if as_json:
        echo_json({**doc, "written": [str(p) for p in paths]})
    else:
        s = {k: ("-" if v is None else v) for k, v in doc["status"].items()}
        click.echo(
            f"incident {doc['incident_id']}: severity {s['severity']}, failure mode {s['failure_mode']}, "
            f"blast radius {s['blast_risk']}, gate {s['gate_verdict']}"
        )
        click.echo("written: " + ", ".join(str(p) for p in paths))
    crashed = doc["classification"]["detector_errors"]
    echo_listed("detector error", crashed)
    if crashed:  # as classify: a crashed detector's silence is no "no incident"
        raise PartialResult(
            f"report written, but a classifier detector raised ({len(crashed)} detector "
            "error(s)): its status and classification may miss a finding",
            path=str(bundle),
            hint="the detector errors are listed above and in the report's classification",
        )
