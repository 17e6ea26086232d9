"""``regression_suite run`` (the release gate) and ``regression_suite generate``.

``run`` drives pytest in-process with the project's plugin, so every scenario ×
variant × repeat is a pytest item and JUnit XML is pytest's own. The user's
conftest files, ini options and third-party pytest plugins are kept out of the
run (``--noconftest``, an empty config file, plugin autoload off) so they cannot
change a verdict; :mod:`regression_suite.pytest_run` holds that machinery. Exit
codes: 0 OK, 1 WARN, 2 BLOCK; 3 usage/config/input error; 4 unreachable target
or internal error (never a verdict).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from incident_lab.atomic import write_text_atomic
from incident_lab.cli.app import echo_json, json_option, scenarios_dir_option
from incident_lab.errors import IncidentLabError, InputError, UsageError
from incident_lab.scenarios.io import default_scenarios_dir
from regression_suite.pytest_run import Controller, gate_args, gc_tuned, raise_for, run_pytest
from regression_suite.suites import DEFAULT_SUITE, load_suite, resolve

DEFAULT_REPORT_DIR = "gate-report"


def _check_baseline(baseline: str | None) -> None:
    if not baseline:
        return
    from incident_lab.gate_report import load_report

    load_report(Path(baseline))  # InputError (exit 3) before a long run, not after


def _summary_lines(report: dict[str, Any], paths: list[Path]) -> list[str]:
    lines = [
        f"verdict: {report['verdict']} (exit {report['exit_code']})",
        report.get("headline", ""),
    ]
    for reason in report.get("reasons") or []:
        lines.append(f"  {str(reason.get('level', '')).upper()}: {reason.get('message', '')}")
    s = report.get("summary") or {}
    lines.append(
        f"items: {s.get('passed', 0)} passed, {s.get('failed', 0)} failed, "
        f"{s.get('errors', 0)} errors"
    )
    if paths:
        lines.append("reports: " + ", ".join(str(p) for p in paths))
    return [line for line in lines if line]


def _json_summary(report: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """What ``run --json`` prints: the verdict, its reasons (spooled during the run, read
    back here), the counts, versions and report paths."""
    return {
        "verdict": report["verdict"],
        "exit_code": report["exit_code"],
        "headline": report.get("headline"),
        "reasons": list(report.get("reasons") or ()),
        "summary": report.get("summary"),
        "versions": report.get("versions"),
        "reports": [str(p) for p in paths],
    }


@click.command("run")
@click.option(
    "--suite", default=DEFAULT_SUITE, show_default=True, metavar="NAME", help="Suite to run."
)
@click.option("--target", metavar="SPEC", help="System under test; overrides the suite's target.")
@click.option(
    "--repeats",
    type=click.IntRange(1, 10000),
    metavar="K",
    help="Runs per case (default: the suite's).",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 512),
    default=0,
    metavar="N",
    help="Processes for CPU-bound targets (pytest-xdist).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 4096),
    default=8,
    show_default=True,
    metavar="N",
    help="Cases in flight for I/O-bound targets.",
)
@click.option(
    "--shard", metavar="I/N", help="Run shard I of N (cases split by a hash of their id)."
)
@click.option(
    "--baseline", type=click.Path(dir_okay=False), help="A previous report.json to compare with."
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_REPORT_DIR,
    show_default=True,
    help="Where report.json, report.html and junit.xml go.",
)
@click.option("-k", "keyword", metavar="EXPR", help="Only cases matching the pytest -k expression.")
@click.option(
    "--warn-exit-code",
    type=click.IntRange(0, 2),
    default=1,
    show_default=True,
    help="Exit code of a WARN verdict.",
)
@scenarios_dir_option
@click.option(
    "--record",
    is_flag=True,
    help="Also write the produced trajectories to <report-dir>/trajectories.jsonl "
    "and record the report in the gate history (see --db, 'regression_suite history').",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Gate history for --record (default $REGRESSION_SUITE_HISTORY or .regression_suite/history.sqlite).",
)
@click.option(
    "--summary-md",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GITHUB_STEP_SUMMARY",
    help="Append a Markdown job summary (verdict, failing scenarios, bypassing converters, "
    "report files) to this file (default $GITHUB_STEP_SUMMARY when set).",
)
@click.option(
    "--annotations/--no-annotations",
    default=None,
    help="Print GitHub Actions annotations (::error file=...) on the scenario files that "
    "block (::warning for those that warn); default on when GITHUB_ACTIONS=true.",
)
@click.option(
    "--scenario-cache",
    type=click.Choice(["on", "off", "verify"]),
    help="Compiled scenario cache: on (unchanged files are not parsed again), off, or verify "
    "(every cached file's content checked); default $INCIDENT_LAB_SCENARIO_CACHE or on.",
)
@json_option("the report summary")
@gc_tuned
def run_(
    suite: str,
    target: str | None,
    repeats: int | None,
    workers: int,
    concurrency: int,
    shard: str | None,
    baseline: str | None,
    report_dir: Path,
    keyword: str | None,
    warn_exit_code: int,
    scenarios_dir: Path | None,
    record: bool,
    db: Path | None,
    summary_md: Path | None,
    annotations: bool | None,
    scenario_cache: str | None,
    as_json: bool,
) -> int:
    """Run the release gate: replay a suite on a target and give the verdict.

    Exit code 0 OK, 1 WARN (see --warn-exit-code), 2 BLOCK; 3 for a usage,
    suite or scenario error and 4 for an unreachable target or internal error,
    so an error never looks like a verdict. pytest's progress and failures
    (with the difference from each recorded incident) go to stderr.

    \b
    Example:
      regression_suite run --suite release_gate --target example:patched
      regression_suite run --target http://127.0.0.1:8000/agent --concurrency 32 --repeats 5
      regression_suite run --shard 1/4 --report-dir gate-1 --json
    """
    from regression_suite.run_report import finish
    from regression_suite.runner import parse_shard
    from regression_suite.targets import resolve_target

    base = (scenarios_dir or default_scenarios_dir()).resolve()
    loaded = load_suite(suite, base)
    # unknown scenarios, invalid files: exit 3 before any run; each scenario is kept as a
    # stub and loaded again when its case runs, so the library is never all in memory
    scenarios = resolve(loaded, base, slim=True, cache=scenario_cache)
    if shard:
        parse_shard(shard)
    spec = target or loaded["target"]
    if not spec:
        raise UsageError(
            f"no target: suite {suite!r} sets none",
            hint="pass --target, e.g. --target example:patched or --target python:my_agent:run",
        )
    _check_baseline(baseline or loaded["baseline"])
    if db is not None and not record:
        raise UsageError(
            "--db only applies with --record", hint="add --record to keep this run in the history"
        )
    history_db: Path | None = None
    if record:
        from regression_suite.history import check_db, default_db

        history_db = (db or default_db()).resolve()
        check_db(history_db)  # a bad --db fails now, not after the run
    resolved = resolve_target(spec)
    args = gate_args(
        suite=suite, base=base, spec=spec, repeats=repeats,
        workers=workers, concurrency=concurrency, shard=shard, keyword=keyword, record=record,
        warn_exit_code=warn_exit_code,
    )  # fmt: skip
    if baseline:
        args += ["--gate-baseline", str(Path(baseline).resolve())]
    controller = Controller(resolved, spec, loaded, scenarios)
    del scenarios  # held by the run's state until its cases are built, then let go
    try:
        code = run_pytest(args, controller, workers=workers)
        raise_for(controller.state, code)
        report = finish(
            controller.state,
            report_dir,
            extra_options={
                "workers": workers,
                **({"history_db": str(history_db)} if history_db is not None else {}),
            },
            skip_reporters=("github",),  # the step summary is --summary-md's, below
        )
        if history_db is not None:
            _record(report, history_db, report_dir)
    finally:
        resolved.close()
        if controller.state is not None:
            controller.state.trajectories.close()
    paths = controller.state.report_paths
    if summary_md is not None:
        paths.append(_write_summary(report, list(paths), summary_md))
    if annotations is None:
        annotations = os.environ.get("GITHUB_ACTIONS") == "true"
    if annotations:
        _annotate(report, base, err=as_json)
    if as_json:
        echo_json(_json_summary(report, paths))
    else:
        for line in _summary_lines(report, paths):
            click.echo(line)
    return int(report["exit_code"])


def _write_summary(report: dict[str, Any], paths: list[Path], summary_md: Path) -> Path:
    from regression_suite.reports import report_write_error
    from regression_suite.reports.markdown_report import append_step_summary

    try:
        return append_step_summary(report, paths, summary_md)
    except OSError as exc:
        raise report_write_error(exc, summary_md) from None


def _annotate(report: dict[str, Any], base: Path, *, err: bool) -> None:
    """Print ``::error``/``::warning`` commands on the scenario files that block or warn
    (on stderr with ``--json``, which keeps stdout for the JSON)."""
    from incident_lab.scenarios.io import scenario_path
    from regression_suite.reports.markdown_report import github_annotations

    files: dict[str, str] = {}
    here = Path.cwd()
    for reason in report["reasons"]:
        sid = reason.get("scenario_id")
        if not sid or sid in files:
            continue
        try:
            path = scenario_path(base, sid)
        except IncidentLabError:
            continue
        if path.is_file():
            files[sid] = os.path.relpath(path, here)
    for line in github_annotations(report, files):
        click.echo(line, err=err)


def _check_target_kind(spec: str) -> None:
    """Refuse a target spec whose kind no plugin provides (without importing the target)."""
    from regression_suite.targets import get_target_kinds, scheme_of

    kinds = get_target_kinds()
    names = set(kinds) | {a for k in kinds.values() for a in getattr(k, "aliases", ())}
    if scheme_of(spec) not in names:
        raise UsageError(
            f"unknown target kind in {spec!r}", hint="one of: " + ", ".join(sorted(names))
        )


@click.command()
@click.option(
    "--suite",
    default=DEFAULT_SUITE,
    show_default=True,
    metavar="NAME",
    help="Suite the module runs.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The pytest module to write.",
)
@click.option(
    "--target",
    metavar="SPEC",
    help="Target written into the module (default: the suite's, or $REGRESSION_SUITE_TARGET).",
)
@scenarios_dir_option
@click.option("--force", is_flag=True, help="Overwrite a different existing file.")
@json_option("the result")
def generate(
    suite: str,
    out: Path,
    target: str | None,
    scenarios_dir: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write a small pytest module that runs a suite from its files.

    The module stores only the suite name, the library's relative path and the
    target spec; scenarios are read when the tests run, so scenario text never
    enters Python source and editing a scenario needs no regeneration.

    \b
    Example:
      regression_suite generate --suite release_gate --out tests/test_regressions.py
      REGRESSION_SUITE_TARGET=example:patched pytest tests/test_regressions.py
    """
    from regression_suite.generated import render_module

    base = scenarios_dir or default_scenarios_dir()
    loaded = load_suite(suite, base)
    count = len(resolve(loaded, base))
    if out.suffix != ".py" or not (out.name.startswith("test_") or out.name.endswith("_test.py")):
        raise UsageError(
            f"--out {out} would never be collected by pytest",
            hint="name it test_<something>.py, e.g. tests/test_regressions.py",
        )
    if target:
        _check_target_kind(target)
    source = render_module(suite, base, out, target)
    status = "created"
    if out.exists():
        if out.read_text("utf-8", errors="replace") == source:
            status = "unchanged"
        elif not force:
            raise UsageError(
                f"{out} exists with different content", hint="pass --force to overwrite"
            )
        else:
            status = "overwritten"
    if status != "unchanged":
        try:
            write_text_atomic(out, source)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", path=str(out)) from None
    if as_json:
        echo_json({"suite": suite, "out": str(out), "status": status, "scenarios": count})
        return
    click.echo(f"{status} {out}: suite {suite} ({count} scenarios, loaded at test time)")


def _record(report: dict[str, Any], db: Path, report_dir: Path | None) -> None:
    """``--record``: store the finished run in the history, then redraw its ``report.html``
    so the trend chart includes it."""
    from regression_suite.history import record_report
    from regression_suite.reports import write_reports

    record_report(report, db)
    if report_dir is not None and (Path(report_dir) / "report.html").is_file():
        write_reports(report, Path(report_dir), ["html"])
