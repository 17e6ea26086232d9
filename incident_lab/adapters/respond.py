"""The guided ten-minute run: walk the playbook with a phase clock, on the record.

Each phase runs the same library code as its own command (contain, snapshot,
classify, ticket/notify, add + regression_suite add); the clock shows elapsed time
against the playbook's budget, and every phase start and end goes to the timeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incident_lab.adapters.config import Config
from incident_lab.adapters.contain import ACTIONS, actor_name, record_event, run_action
from incident_lab.classify.followup import classification_errors
from incident_lab.errors import EXIT_USAGE, ExternalError, IncidentLabError
from incident_lab.incident_record import SEVERITY_ORDER
from incident_lab.report.phases import PHASES
from incident_lab.text import quote

TOTAL_BUDGET = sum(b for _, _, b in PHASES)

#: Playbook phase 6, printed at the end with the commands that start each item.
FOLLOW_UP: tuple[str, ...] = (
    "Root cause analysis (RCA): incident_lab report {bundle}",
    "Blast radius estimation: incident_lab blast-radius --incident {bundle} --from <production logs>",
    "Update threat model",
    "Add stress-test variants: incident_lab variants --scenario {scenario}",
    "Review safeguards placement",
    "Decide: policy change vs system change",
)


def _mmss(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class Prompter:
    """How respond talks to the engineer (click in the CLI, scripted in tests)."""

    say: Callable[[str], None]
    confirm: Callable[[str, bool], bool]
    choose: Callable[[str, list[str], str], str]
    assume_yes: bool = False

    def ask_yes(self, question: str, default: bool = True) -> bool:
        """Ask a yes/no question (``--yes`` answers yes)."""
        return True if self.assume_yes else self.confirm(question, default)

    def pick(self, question: str, options: list[str], default: str) -> str:
        """Ask to pick one option (``--yes`` takes the default)."""
        return default if self.assume_yes else self.choose(question, options, default)


@dataclass
class PhaseClock:
    """Elapsed time per phase against the playbook's budget."""

    say: Callable[[str], None]
    incident_dir: Path
    clock: Callable[[], float] = time.monotonic
    start: float = field(default=0.0)
    durations: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = self.clock()

    @contextmanager
    def phase(self, key: str) -> Iterator[None]:
        """Time one phase, print its header and footer, and record both in the timeline."""
        index = [p[0] for p in PHASES].index(key)
        _, title, budget = PHASES[index]
        began = self.clock()
        self.say(
            f"\n== Phase {index + 1}/{len(PHASES)}: {title}  (budget {_mmss(budget)}; elapsed {_mmss(began - self.start)} of {_mmss(TOTAL_BUDGET)})"
        )
        record_event(
            self.incident_dir,
            {"kind": "phase", "action": f"phase:{key}", "phase": key, "result": "started"},
        )
        outcome = "done"
        try:
            yield
        except BaseException:
            outcome = "failed"
            raise
        finally:
            spent = self.clock() - began
            self.durations[key] = spent
            over = " OVER BUDGET" if spent > budget else ""
            self.say(
                f"   {title}: {outcome} in {_mmss(spent)} / {_mmss(budget)}{over}; total {_mmss(self.clock() - self.start)} / {_mmss(TOTAL_BUDGET)}"
            )
            record_event(
                self.incident_dir,
                {
                    "kind": "phase",
                    "action": f"phase:{key}",
                    "phase": key,
                    "result": outcome,
                    "seconds": round(spent, 3),
                    "budget_seconds": budget,
                },
            )


@dataclass
class RespondResult:
    """What the guided run produced."""

    incident_dir: Path
    contained: list[str] = field(default_factory=list)
    containment_failed: list[str] = field(default_factory=list)
    snapshot_exit_code: int | None = None
    session_id: str | None = None
    failure_mode: str | None = None
    severity: str | None = None
    ticket: Path | None = None
    notified: list[dict[str, Any]] = field(default_factory=list)
    scenario_id: str | None = None
    suite: str | None = None
    dry_run: bool = False
    durations: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "incident_dir": str(self.incident_dir),
            "contained": self.contained,
            "containment_failed": self.containment_failed,
            "snapshot_exit_code": self.snapshot_exit_code,
            "session_id": self.session_id,
            "failure_mode": self.failure_mode,
            "severity": self.severity,
            "ticket": str(self.ticket) if self.ticket else None,
            "notified": self.notified,
            "scenario_id": self.scenario_id,
            "suite": self.suite,
            "dry_run": self.dry_run,
            "phase_seconds": {k: round(v, 3) for k, v in self.durations.items()},
        }


def _contain(
    config: Config, incident_dir: Path, prompt: Prompter, result: RespondResult, dry_run: bool
) -> None:
    wanted = (config.raw.get("respond") or {}).get("contain")
    actions = [a for a in (wanted or ACTIONS) if a in config.contain]
    if not actions:
        prompt.say(
            "   no containment actions configured in incident_lab.toml: contain by hand (playbook §1)"
        )
        record_event(
            incident_dir,
            {
                "kind": "contain",
                "action": "contain",
                "result": "skipped",
                "reason": "no containment actions configured",
                "actor": actor_name(config),
            },
        )
        return
    for action in actions:
        backend = config.contain[action].get("backend")
        verb = "show (dry run)" if dry_run else "run"
        if not prompt.ask_yes(f"   {verb} containment '{action}' via {backend}?", True):
            prompt.say(f"   skipped {action}")
            continue
        try:
            done = run_action(action, config=config, incident_dir=incident_dir, dry_run=dry_run)
        except IncidentLabError as exc:
            # Containment > diagnosis: report loudly and keep going to the next action.
            prompt.say(f"   FAILED {action}: {exc.render()}")
            result.containment_failed.append(action)
            continue
        if dry_run:
            prompt.say(f"   DRY RUN, not run: {action} via {backend}")
            for op in done.event.get("operations") or []:
                shown = op.get("argv") or [
                    str((op.get("request") or {}).get("method")),
                    str((op.get("request") or {}).get("url")),
                ]
                prompt.say("     would run: " + " ".join(str(a) for a in shown))
            continue
        result.contained.append(action)
        prompt.say(
            f"   contained: {action} (undo: incident_lab contain --undo {action} --incident {incident_dir})"
        )


def _classify(bundle: Path, prompt: Prompter, result: RespondResult) -> dict[str, Any] | None:
    from incident_lab.classify import classify_many
    from incident_lab.classify.followup import write_classification
    from incident_lab.evidence.bundle import load_bundle
    from incident_lab.incident_record import derive_record, record_decision, update_record
    from incident_lab.taxonomy import load_taxonomy

    began = time.monotonic()
    trajs = list(load_bundle(bundle).iter_trajectories())
    results = classify_many(trajs)
    write_classification(bundle, results, bundle / "trajectories.jsonl")
    flagged = [c for c in results if c.top]
    flagged.sort(
        key=lambda c: (
            SEVERITY_ORDER.get(c.severity.level if c.severity else "", 9),
            -(c.ranked[0].score if c.ranked else 0),
        )
    )
    prompt.say(f"   {len(trajs)} sessions classified; {len(flagged)} flagged")
    crashed = [c for c in results if c.detector_errors]
    if crashed:  # a failed detector says nothing: its sessions may be missing from the flagged
        prompt.say(
            f"   detector error(s) in {len(crashed)} of {len(results)} session(s): the flagged "
            "list and suggestions may miss what they would have found"
        )
        lines = classification_errors(results)
        for line in lines[:3]:  # a batch detector's error is one line, not one per session
            prompt.say(f"   detector error: {quote(line, 300)}")
    suggested = derive_record(bundle)["suggestions"]
    _say_suggestions(prompt, suggested, flagged)
    taxonomy = load_taxonomy()
    thinking = time.monotonic()
    mode = prompt.pick(
        "   failure mode", sorted(taxonomy.failure_modes), suggested["failure_mode"] or "unknown"
    )
    severity = prompt.pick(
        "   severity", sorted(taxonomy.severities), suggested["severity"] or "SEV-2"
    )
    decided = time.monotonic()
    source = "accepted" if prompt.assume_yes else "human"
    record = update_record(bundle, failure_mode=mode, severity=severity, source=source)
    result.session_id = _session_to_add(record, flagged, trajs)
    result.failure_mode, result.severity = mode, severity
    prompt.say(
        f"   incident record: {mode} / {severity} ({source}); {len(record['sessions'])} session(s), "
        f"{len(record['victims'])} victim(s) in {len(record['tenants'])} tenant(s)"
        + (
            "; attacker value(s): " + ", ".join(v["value"] for v in record["attacker_values"][:3])
            if record["attacker_values"]
            else ""
        )
    )
    record_decision(
        bundle,
        "classify",
        time.monotonic() - began,
        failure_mode=mode,
        severity=severity,
        source=source,
        session_id=result.session_id,
        suggested=mode == suggested["failure_mode"],
        sessions=len(trajs),
        flagged=len(flagged),
        human_seconds=round(decided - thinking, 3),
    )
    return flagged[0].to_dict() if flagged else None


def _say_suggestions(prompt: Prompter, suggested: dict[str, Any], flagged: list[Any]) -> None:
    """The suggested modes and severities, and the five most severe flagged sessions."""
    if suggested["failure_modes"]:
        counts = ", ".join(f"{m} {n}" for m, n in suggested["failure_modes"].items())
        sevs = ", ".join(f"{s} {n}" for s, n in suggested["severities"].items())
        prompt.say(f"   suggested: {counts}; {sevs}")
    for c in flagged[:5]:
        best = c.ranked[0]
        sev = c.severity.level if c.severity else "?"
        prompt.say(f"   - {c.session_id}: {best.failure_mode} ({best.confidence:.2f}), {sev}")
    if not flagged:
        prompt.say("   no session shows incident signals: choose the mode and severity yourself")


def _session_to_add(
    record: dict[str, Any], flagged: list[Any], trajs: list[dict[str, Any]]
) -> str | None:
    """The record's first session, else the most severe flagged one, else the first."""
    first = record["sessions"][0]["session_id"] if record["sessions"] else None
    chosen = first or (flagged[0].session_id if flagged else None)
    if chosen is None and trajs:
        chosen = str(trajs[0]["session_id"])
    return chosen


def _triage(
    bundle: Path, config: Config, prompt: Prompter, result: RespondResult, dry_run: bool
) -> None:
    from incident_lab.adapters.notify import notify, route
    from incident_lab.adapters.ticket import write_ticket

    path, data = write_ticket(bundle)
    result.ticket = path
    prompt.say(f"   ticket: {path} ({len(data.placeholders)} field(s) for a human)")
    routed = route(data, config)
    for channel, audience in routed:
        who = f" -> {audience}" if audience else ""
        if channel not in config.notify:
            prompt.say(
                f"   NOT NOTIFIED: {channel}{who} (add [notify.{channel}] to incident_lab.toml, or notify by hand)"
            )
            result.notified.append({"channel": channel, "status": "not-configured"})
            continue
        verb = "build (dry run, send nothing)" if dry_run else "notify"
        if not prompt.ask_yes(f"   {verb} {channel}{who}?", True):
            result.notified.append({"channel": channel, "status": "declined"})
            continue
        for r in notify(bundle, config=config, via=[channel], dry_run=dry_run):
            prompt.say(f"   {r.channel}{who}: {r.status}: {r.detail}")
            result.notified.append(r.to_dict())


def _convert(
    bundle: Path, scenarios_dir: Path | None, suite: str, prompt: Prompter, result: RespondResult
) -> None:
    from incident_lab.scenarios.library import add_from_path
    from incident_lab.scenarios.suitefile import add_to_suite

    added = add_from_path(
        bundle / "trajectories.jsonl",
        session=result.session_id,
        scenarios_dir=scenarios_dir,
        failure_mode=result.failure_mode,
        severity=result.severity,
    )
    result.scenario_id = added.scenario_id
    prompt.say(f"   scenario {added.scenario_id}: {added.status} ({added.path})")
    from incident_lab.incident_record import update_record

    update_record(bundle, scenario_ids=[added.scenario_id])
    status = add_to_suite(added.scenario_id, suite, scenarios_dir)
    result.suite = suite
    prompt.say(f"   release gate suite '{suite}': {status}")
    record_event(
        bundle,
        {
            "kind": "convert",
            "action": "convert",
            "result": "ok",
            "scenario_id": added.scenario_id,
            "suite": suite,
            "suite_status": status,
        },
    )


def respond(
    sources: list[str],
    *,
    config: Config,
    prompt: Prompter,
    out: str | Path | None = None,
    last: int | None = None,
    since: str | None = None,
    fmt: str | None = None,
    scenarios_dir: str | Path | None = None,
    suite: str = "release_gate",
    dry_run: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> RespondResult:
    """Walk the playbook: contain, preserve, classify, triage & notify, convert.

    With ``dry_run`` nothing outside this machine changes: containment actions and
    notifications are dry runs (recorded as such, with what would have run); the
    evidence bundle, the incident record, the ticket and the scenario are written
    as usual, since they are local files. ``last`` and ``since`` select the sessions
    preserved, as ``snapshot --last/--since`` do.

    The classify phase writes the incident record (``followup/incident.json``) with
    the chosen mode and severity; the ticket and notifications read it.

    Raises:
        IncidentLabError: a phase that later phases depend on failed (snapshot,
            classification, scenario creation); containment and notification
            failures are reported and recorded but do not stop the run.
    """
    from incident_lab.evidence.bundle import default_bundle_name
    from incident_lab.evidence.snapshot import take_snapshot

    incident_dir = Path(out or default_bundle_name(datetime.now(UTC)))
    result = RespondResult(incident_dir, dry_run=dry_run)
    began = clock()
    ticker = PhaseClock(prompt.say, incident_dir, clock)
    record_event(
        incident_dir,
        {
            "kind": "respond",
            "action": "respond",
            "result": "started",
            "sources": list(sources),
            "actor": actor_name(config),
            "dry_run": dry_run,
        },
    )
    if dry_run:
        prompt.say("DRY RUN: containment and notifications are shown and recorded, not run")
    with ticker.phase("contain"):
        _contain(config, incident_dir, prompt, result, dry_run)
    try:
        with ticker.phase("preserve"):
            snap = take_snapshot(sources, out=incident_dir, last=last, since=since, fmt=fmt)
            result.snapshot_exit_code = snap.exit_code
            summary = snap.summary
            prompt.say(f"   bundle {snap.bundle}: {summary.get('counts', summary)}")
            for warning in summary.get("warnings") or []:
                prompt.say(f"   WARNING: {warning}")
        with ticker.phase("classify"):
            _classify(incident_dir, prompt, result)
        with ticker.phase("triage"):
            _triage(incident_dir, config, prompt, result, dry_run)
        with ticker.phase("convert"):
            _convert(
                incident_dir, Path(scenarios_dir) if scenarios_dir else None, suite, prompt, result
            )
    except IncidentLabError as exc:
        if exc.exit_code != EXIT_USAGE or not result.contained:
            raise
        # Exit 3 promises "nothing was done": not true once containment ran.
        raise ExternalError(
            f"containment ran ({', '.join(result.contained)}) and stays in place, "
            f"but the playbook stopped: {exc.render()}",
            hint="undo with 'incident_lab contain --undo ACTION' if needed; see the timeline",
        ) from exc
    result.durations = dict(ticker.durations)
    from incident_lab.incident_record import record_decision

    record_decision(
        incident_dir,
        "respond",
        clock() - began,
        result="dry-run" if dry_run else "ok",
        failure_mode=result.failure_mode,
        severity=result.severity,
        scenario_id=result.scenario_id,
    )
    prompt.say("\nWhat remains (playbook §6, asynchronous):")
    for item in FOLLOW_UP:
        prompt.say("  - " + item.format(bundle=incident_dir, scenario=result.scenario_id))
    return result
