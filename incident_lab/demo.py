"""The end-to-end demo: one prompt-injection incident, from production log to release gate.

:func:`run_demo` runs the real code paths, in a fresh work directory, in the
order of the on-call playbook (``PLAYBOOK.md``)::

    production   the example agent (vulnerable) serves ~300 sessions; one is an injection
    phase 2      incident_lab snapshot        -> incident_<ts>/ evidence bundle
    phase 3      incident_lab classify        -> the incident session, failure mode, severity
    phase 5      incident_lab add             -> scenarios/<id>.yaml (redacted, replayable)
                 regression_suite add         -> scenarios/suites/release_gate.yaml
    gate         regression_suite run example:vulnerable -> BLOCK
                 regression_suite run example:patched    -> OK on the literal scenario
    phase 6      incident_lab variants        -> scenarios/variants/*.yaml, suite variants: all
                 regression_suite run example:patched    -> which rewrites still bypass

Each step is timed. The gate steps run the ``regression_suite`` command itself, in its
own process (``python -m regression_suite``); the pytest output of each gate run is kept
in ``<report dir>/pytest.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.errors import (
    EXIT_BLOCK,
    EXIT_OK,
    EXIT_WARN,
    CheckFailed,
    IncidentLabError,
    UsageError,
)

#: File that marks a directory as a demo work directory (``--force`` may clear only those).
MARKER = ".incident_lab_demo"
SUITE = "release_gate"

Narrate = Callable[[str], None]


@dataclass(slots=True)
class Step:
    """One timed step of the demo.

    Attributes:
        phase: The playbook phase (``production``, ``2 preserve evidence``, ...).
        title: What ran, as the command a user would type.
        seconds: Wall time of the step.
        facts: What it produced (paths, counts, verdicts).
    """

    phase: str
    title: str
    seconds: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "phase": self.phase,
            "title": self.title,
            "seconds": round(self.seconds, 3),
            "facts": self.facts,
        }


@dataclass(slots=True)
class DemoResult:
    """What the demo did.

    Attributes:
        workdir: The work directory.
        steps: Every step, in order.
        scenario_id: The scenario created from the incident.
        verdicts: ``vulnerable``, ``patched`` and ``patched_with_variants`` gate
            summaries (verdict, exit code, headline, reasons, report paths).
        bypass: Bypass rates per converter and chain of the last gate run.
        seconds: Total wall time.
    """

    workdir: Path
    steps: list[Step]
    scenario_id: str
    verdicts: dict[str, dict[str, Any]]
    bypass: dict[str, Any]
    seconds: float

    def phase_seconds(self) -> dict[str, float]:
        """Wall time per playbook phase, in order of first appearance."""
        out: dict[str, float] = {}
        for step in self.steps:
            out[step.phase] = round(out.get(step.phase, 0.0) + step.seconds, 3)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON ``incident_lab demo --json`` prints."""
        return {
            "workdir": str(self.workdir),
            "scenario_id": self.scenario_id,
            "verdicts": self.verdicts,
            "bypass": self.bypass,
            "phases": self.phase_seconds(),
            "steps": [s.to_dict() for s in self.steps],
            "seconds": round(self.seconds, 3),
        }


def prepare_workdir(path: Path, *, force: bool = False) -> Path:
    """Create ``path`` for a demo run, refusing to reuse a directory with anything in it.

    Args:
        path: The work directory.
        force: Clear a previous demo's directory (one holding :data:`MARKER`) first.
            A non-empty directory without the marker is never cleared.

    Returns:
        The resolved, empty, marked directory.

    Raises:
        UsageError: ``path`` is a file, or a non-empty directory that is not a
            previous demo's (or is one, without ``force``).
    """
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file", hint="pass --workdir with a directory path")
    if path.is_dir() and any(path.iterdir()):
        if not (path / MARKER).is_file():
            raise UsageError(
                f"{path} is not empty and was not made by the demo",
                hint="pass --workdir with a new or empty directory",
            )
        if not force:
            raise UsageError(f"{path} holds a previous demo run", hint="pass --force to replace it")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text(
        "made by 'incident_lab demo'; --force may delete this directory\n", "utf-8"
    )
    return path


@contextlib.contextmanager
def _timed(steps: list[Step], phase: str, title: str, narrate: Narrate) -> Iterator[Step]:
    step = Step(phase, title)
    narrate(f"  $ {title}")
    start = time.perf_counter()
    yield step
    step.seconds = time.perf_counter() - start
    steps.append(step)
    for key, value in step.facts.items():
        if isinstance(value, str | int | float) and not key.startswith("_"):
            narrate(f"      {key}: {value}")
    narrate(f"      ({step.seconds:.2f} s)")


def _regression_suite(args: list[str], log: Path | None = None) -> tuple[int, Any]:
    """Run ``regression_suite ARGS --json`` in its own process, as a user would; return
    (exit code, the JSON it printed). The demo drives the gate through its command line, so
    incident_lab never imports regression_suite. Its stderr (pytest's output for ``run``)
    goes to ``log`` when given.

    Raises:
        IncidentLabError: the command failed (an exit code that is not a gate verdict 0-2),
            with the command's own exit code and its error line.
    """
    command = [sys.executable, "-m", "regression_suite", *args, "--json"]
    env = {**os.environ, "PYTHONUTF8": "1"}
    proc = subprocess.run(command, capture_output=True, encoding="utf-8", env=env, check=False)
    if log is not None:
        log.write_text(proc.stderr, "utf-8")
    if proc.returncode not in (EXIT_OK, EXIT_WARN, EXIT_BLOCK):
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        error = IncidentLabError(
            f"'regression_suite {args[0]}' failed (exit {proc.returncode}): "
            + (lines[-1] if lines else "no error message"),
            hint=f"see {log}" if log is not None else None,
        )
        error.exit_code = proc.returncode
        raise error
    text = proc.stdout.strip()
    return proc.returncode, (json.loads(text) if text else None)


def _gate(workdir: Path, target: str, name: str) -> dict[str, Any]:
    report_dir = workdir / f"gate-{name}"
    report_dir.mkdir()
    args = [
        "run",
        "--suite",
        SUITE,
        "--target",
        target,
        "--scenarios-dir",
        str(workdir / "scenarios"),
    ]
    args += ["--report-dir", str(report_dir)]
    code, summary = _regression_suite(args, report_dir / "pytest.log")
    report = json.loads((report_dir / "report.json").read_text("utf-8"))
    return {
        "target": target,
        "verdict": report["verdict"],
        "exit_code": code,
        "headline": report["headline"],
        "reasons": [r["message"] for r in report["reasons"]],
        "report_dir": str(report_dir),
        "report_html": str(report_dir / "report.html"),
        "_report": report,
        "_summary": summary,
    }


def _pick_incident(classifications: list[Any]) -> Any:
    from incident_lab.classify.followup import classification_errors
    from incident_lab.text import quote

    crashed = classification_errors(classifications)
    if crashed:  # the example log's classification is known: a crash is no result
        raise CheckFailed(
            f"{len(crashed)} detector error(s) classifying the example log; "
            f"first: {quote(crashed[0], 300)}"
        )
    flagged = [c for c in classifications if c.incident]
    if not flagged:
        raise CheckFailed("the classifier found no incident in the example log")
    injection = [c for c in flagged if c.top == "prompt_injection"] or flagged
    return max(injection, key=lambda c: c.ranked[0].score if c.ranked else 0.0)


def _set_suite_variants(workdir: Path, value: str) -> Path:
    import yaml

    from incident_lab.atomic import write_text_atomic
    from incident_lab.scenarios.io import load_yaml

    path = workdir / "scenarios" / "suites" / f"{SUITE}.yaml"
    doc = load_yaml(path)
    doc["variants"] = value
    write_text_atomic(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def _first_line(text: str, limit: int = 150) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _narrate_verdict(narrate: Narrate, gate: dict[str, Any]) -> None:
    narrate(f"      verdict {gate['verdict']} (exit {gate['exit_code']}): {gate['headline']}")
    for reason in gate["reasons"][:3]:
        narrate(f"        {_first_line(reason)}")


def _narrate_bypass(narrate: Narrate, bypass: dict[str, Any]) -> None:
    through = [r["converter"] for r in bypass["converters"] if r["bypasses"]]
    held = [r["converter"] for r in bypass["converters"] if r["runs"] and not r["bypasses"]]
    narrate(
        f"      rewrites that still get through ({len(through)} converters): {', '.join(through) or 'none'}"
    )
    narrate(f"      rewrites the patch stops ({len(held)} converters): {', '.join(held) or 'none'}")


def _production(
    workdir: Path, steps: list[Step], narrate: Narrate, sessions: int, seed: int
) -> Path:
    from incident_lab.example.traffic import generate_log

    log = workdir / "production" / "agent-sessions.jsonl"
    with _timed(
        steps, "production", "example agent (vulnerable) serves production traffic", narrate
    ) as s:
        summary = generate_log(log, sessions=sessions, incidents=1, seed=seed)
        s.facts.update(
            log=str(log),
            sessions=summary["sessions"],
            benign=summary["benign"],
            incidents=summary["incidents"],
        )
    return log


def _preserve(workdir: Path, log: Path, steps: list[Step], narrate: Narrate) -> Path:
    from incident_lab.evidence.snapshot import take_snapshot

    bundle = workdir / "incident_demo"
    title = f"incident_lab snapshot --from {log.relative_to(workdir)} --last 500"
    with _timed(steps, "2 preserve evidence", title, narrate) as s:
        result = take_snapshot([log], last=500, out=bundle, incident_id="incident_demo")
        counts = result.summary.get("counts", {})
        s.facts.update(
            bundle=str(result.bundle),
            accepted=counts.get("accepted"),
            rejected=counts.get("rejected"),
        )
    return Path(result.bundle)


def _classify(bundle: Path, steps: list[Step], narrate: Narrate) -> Any:
    from incident_lab.classify import classify_many
    from incident_lab.incident_record import record_decision

    with _timed(steps, "3 classify", f"incident_lab classify {bundle.name}", narrate) as s:
        lines = (bundle / "trajectories.jsonl").read_text("utf-8").splitlines()
        trajs = [json.loads(line) for line in lines if line.strip()]
        started = time.monotonic()
        found = classify_many(trajs)
        chosen = _pick_incident(found)
        record_decision(
            bundle,
            "classify",
            time.monotonic() - started,
            session_id=chosen.session_id,
            failure_mode=chosen.top,
        )
        s.facts.update(
            sessions=len(found),
            flagged=sum(c.incident for c in found),
            session=chosen.session_id,
            failure_mode=chosen.top,
            severity=chosen.severity.level if chosen.severity else "unknown",
        )
    return chosen


def _convert(workdir: Path, bundle: Path, session: str, steps: list[Step], narrate: Narrate) -> str:
    from incident_lab.incident_record import record_decision
    from incident_lab.scenarios.library import add_from_path

    scenarios = workdir / "scenarios"
    title = f"incident_lab add --from {bundle.name}/trajectories.jsonl --session {session}"
    with _timed(steps, "5 convert to regression", title, narrate) as s:
        started = time.monotonic()
        added = add_from_path(
            bundle / "trajectories.jsonl", session=session, scenarios_dir=scenarios
        )
        record_decision(bundle, "add", time.monotonic() - started, scenario_id=added.scenario_id)
        s.facts.update(
            scenario=added.scenario_id, path=str(added.path), redacted=sum(added.redaction.values())
        )
    with _timed(
        steps,
        "5 convert to regression",
        f"regression_suite add --scenario {added.scenario_id}",
        narrate,
    ) as s:
        _regression_suite(
            ["add", "--scenario", added.scenario_id, "--scenarios-dir", str(scenarios)]
        )
        s.facts.update(suite=str(scenarios / "suites" / f"{SUITE}.yaml"))
    return added.scenario_id


def _variants(
    workdir: Path, scenario_id: str, steps: list[Step], narrate: Narrate, seed: int
) -> None:
    from incident_lab.scenarios.io import load_scenario
    from incident_lab.variants import generate_variants, write_variants

    scenarios = workdir / "scenarios"
    title = f"incident_lab variants --scenario {scenario_id} --seed {seed}"
    with _timed(steps, "6 stress-test variants", title, narrate) as s:
        parent = load_scenario(scenarios / f"{scenario_id}.yaml")
        variants = generate_variants(parent, depth=1, n=50, seed=seed)
        write_variants(scenarios, variants)
        suite = _set_suite_variants(workdir, "all")
        s.facts.update(variants=len(variants), suite=f"{suite.name}: variants: all")


def build_incident_library(
    workdir: Path,
    *,
    narrate: Narrate | None = None,
    sessions: int = 300,
    seed: int = 0,
    steps: list[Step] | None = None,
) -> str:
    """Run the demo up to phase 5: log, snapshot, classify, add, and the release_gate suite.

    Leaves ``workdir/scenarios/`` with the incident's scenario in ``release_gate``
    (what a team's repository holds after the ten-minute path); used by the demo
    and by the CI example's test.

    Args:
        workdir: An existing directory (the demo's, or any empty one).
        narrate: Called with each line of the story (default: silent).
        sessions: Production sessions to generate (one is the incident).
        seed: Seed of the log.
        steps: A list the timed steps are appended to.

    Returns:
        The scenario id.
    """
    say = narrate or (lambda _line: None)
    timed = steps if steps is not None else []
    log = _production(workdir, timed, say, sessions, seed)
    bundle = _preserve(workdir, log, timed, say)
    chosen = _classify(bundle, timed, say)
    return _convert(workdir, bundle, chosen.session_id, timed, say)


def run_demo(
    workdir: Path,
    *,
    force: bool = False,
    narrate: Narrate | None = None,
    sessions: int = 300,
    seed: int = 0,
) -> DemoResult:
    """Run the whole loop on the bundled example agent in ``workdir``.

    Args:
        workdir: A new or empty directory (see :func:`prepare_workdir`).
        force: Replace a previous demo run in ``workdir``.
        narrate: Called with each line of the story (default: silent).
        sessions: Production sessions to generate (one is the incident).
        seed: Seed of the log and of the variants.

    Returns:
        The steps with timings, the scenario id and the three gate verdicts.

    Raises:
        UsageError: ``workdir`` cannot be used.
        CheckFailed: the loop did not hold: the vulnerable agent was not blocked,
            or the patched one did not pass its incident's literal scenario.
    """
    say = narrate or (lambda _line: None)
    started = time.perf_counter()
    workdir = prepare_workdir(Path(workdir), force=force)
    steps: list[Step] = []
    say(f"incident-lab demo in {workdir}")
    scenario_id = build_incident_library(
        workdir, narrate=say, sessions=sessions, seed=seed, steps=steps
    )
    verdicts: dict[str, dict[str, Any]] = {}
    for name, target, phase in (
        ("vulnerable", "example:vulnerable", "gate: the release that had the incident"),
        ("patched", "example:patched", "gate: the patched release"),
    ):
        title = f"regression_suite run --suite {SUITE} --target {target}"
        with _timed(steps, phase, title, say) as s:
            verdicts[name] = _gate(workdir, target, name)
            s.facts.update(report=verdicts[name]["report_html"])
        _narrate_verdict(say, verdicts[name])
    _variants(workdir, scenario_id, steps, say, seed)
    title = f"regression_suite run --suite {SUITE} --target example:patched  (with variants)"
    with _timed(steps, "6 stress-test variants", title, say) as s:
        verdicts["patched_with_variants"] = _gate(workdir, "example:patched", "variants")
        s.facts.update(report=verdicts["patched_with_variants"]["report_html"])
    _narrate_verdict(say, verdicts["patched_with_variants"])
    bypass = verdicts["patched_with_variants"]["_report"]["bypass"]
    _narrate_bypass(say, bypass)
    for gate in verdicts.values():
        gate.pop("_report", None)
        gate.pop("_summary", None)
    result = DemoResult(
        workdir, steps, scenario_id, verdicts, bypass, time.perf_counter() - started
    )
    if verdicts["vulnerable"]["verdict"] != "BLOCK" or verdicts["patched"]["verdict"] != "OK":
        raise CheckFailed(
            f"the loop did not hold: vulnerable -> {verdicts['vulnerable']['verdict']}, "
            f"patched -> {verdicts['patched']['verdict']} (expected BLOCK, OK)",
            hint=f"see the reports in {workdir}",
        )
    return result
