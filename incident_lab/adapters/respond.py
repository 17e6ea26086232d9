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
from incident_lab.errors import EXIT_USAGE, ExternalError, IncidentLabError
from incident_lab.report.phases import PHASES

__all__ = ["FOLLOW_UP", "PHASES", "PhaseClock", "Prompter", "RespondResult", "respond"]

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
            "phase_seconds": {k: round(v, 3) for k, v in self.durations.items()},
        }


def _contain(config: Config, incident_dir: Path, prompt: Prompter, result: RespondResult) -> None:
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
        if not prompt.ask_yes(f"   run containment '{action}' via {backend}?", True):
            prompt.say(f"   skipped {action}")
            continue
        try:
            run_action(action, config=config, incident_dir=incident_dir)
        except IncidentLabError as exc:
            # Containment > diagnosis: report loudly and keep going to the next action.
            prompt.say(f"   FAILED {action}: {exc.render()}")
            result.containment_failed.append(action)
            continue
        result.contained.append(action)
        prompt.say(
            f"   contained: {action} (undo: incident_lab contain --undo {action} --incident {incident_dir})"
        )


def _classify(bundle: Path, prompt: Prompter, result: RespondResult) -> dict[str, Any] | None:
    from incident_lab.classify import classify_many
    from incident_lab.classify.followup import write_classification
    from incident_lab.evidence.bundle import load_bundle

    trajs = list(load_bundle(bundle).iter_trajectories())
    results = classify_many(trajs)
    write_classification(bundle, results, bundle / "trajectories.jsonl")
    flagged = [c for c in results if c.top]
    order = {"SEV-1": 1, "SEV-2": 2, "SEV-3": 3, "SEV-4": 4}
    flagged.sort(
        key=lambda c: (
            order.get(c.severity.level if c.severity else "", 9),
            -(c.ranked[0].confidence if c.ranked else 0),
        )
    )
    prompt.say(f"   {len(trajs)} sessions classified; {len(flagged)} flagged")
    for c in flagged[:5]:
        best = c.ranked[0]
        sev = c.severity.level if c.severity else "?"
        prompt.say(f"   - {c.session_id}: {best.failure_mode} ({best.confidence:.2f}), {sev}")
    if not flagged:
        prompt.say("   no session shows incident signals: choose the mode and severity yourself")
    top = flagged[0] if flagged else None
    from incident_lab.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    modes = sorted(taxonomy.failure_modes)
    mode = prompt.pick("   failure mode", modes, top.top if top and top.top else "unknown")
    severity = prompt.pick(
        "   severity",
        sorted(taxonomy.severities),
        top.severity.level if top and top.severity else "SEV-2",
    )
    result.session_id = top.session_id if top else (trajs[0]["session_id"] if trajs else None)
    result.failure_mode, result.severity = mode, severity
    record_event(
        bundle,
        {
            "kind": "classify",
            "action": "classify",
            "result": "ok",
            "failure_mode": mode,
            "severity": severity,
            "session_id": result.session_id,
            "suggested": bool(top and top.top == mode),
        },
    )
    return top.to_dict() if top else None


def _triage(bundle: Path, config: Config, prompt: Prompter, result: RespondResult) -> None:
    from incident_lab.adapters.notify import notify, route
    from incident_lab.adapters.ticket import build_ticket, write_ticket

    path, data = write_ticket(bundle)
    result.ticket = path
    prompt.say(f"   ticket: {path} ({len(data.placeholders)} field(s) for a human)")
    data = build_ticket(bundle)
    data.severity = result.severity or data.severity
    routed = route(data, config)
    for channel, audience in routed:
        who = f" -> {audience}" if audience else ""
        if channel not in config.notify:
            prompt.say(
                f"   NOT NOTIFIED: {channel}{who} (add [notify.{channel}] to incident_lab.toml, or notify by hand)"
            )
            result.notified.append({"channel": channel, "status": "not-configured"})
            continue
        if not prompt.ask_yes(f"   notify {channel}{who}?", True):
            result.notified.append({"channel": channel, "status": "declined"})
            continue
        for r in notify(bundle, config=config, via=[channel]):
            prompt.say(f"   {r.channel}{who}: {r.status}: {r.detail}")
            result.notified.append(r.to_dict())


def _convert(
    bundle: Path, scenarios_dir: Path | None, suite: str, prompt: Prompter, result: RespondResult
) -> None:
    from incident_lab.scenarios.library import add_from_path
    from regression_suite.suites import add_to_suite

    added = add_from_path(
        bundle / "trajectories.jsonl",
        session=result.session_id,
        scenarios_dir=scenarios_dir,
        failure_mode=result.failure_mode,
        severity=result.severity,
    )
    result.scenario_id = added.scenario_id
    prompt.say(f"   scenario {added.scenario_id}: {added.status} ({added.path})")
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
    fmt: str | None = None,
    scenarios_dir: str | Path | None = None,
    suite: str = "release_gate",
    clock: Callable[[], float] = time.monotonic,
) -> RespondResult:
    """Walk the playbook: contain, preserve, classify, triage & notify, convert.

    Raises:
        IncidentLabError: a phase that later phases depend on failed (snapshot,
            classification, scenario creation); containment and notification
            failures are reported and recorded but do not stop the run.
    """
    from incident_lab.evidence.bundle import default_bundle_name

    incident_dir = Path(out or default_bundle_name(datetime.now(UTC)))
    result = RespondResult(incident_dir)
    ticker = PhaseClock(prompt.say, incident_dir, clock)
    record_event(
        incident_dir,
        {
            "kind": "respond",
            "action": "respond",
            "result": "started",
            "sources": list(sources),
            "actor": actor_name(config),
        },
    )
    with ticker.phase("contain"):
        _contain(config, incident_dir, prompt, result)
    try:
        _after_containment(
            sources, incident_dir, last, fmt, scenarios_dir, suite, ticker, config, prompt, result
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
    prompt.say("\nWhat remains (playbook §6, asynchronous):")
    for item in FOLLOW_UP:
        prompt.say("  - " + item.format(bundle=incident_dir, scenario=result.scenario_id))
    return result


def _after_containment(
    sources: list[str],
    incident_dir: Path,
    last: int | None,
    fmt: str | None,
    scenarios_dir: str | Path | None,
    suite: str,
    ticker: PhaseClock,
    config: Config,
    prompt: Prompter,
    result: RespondResult,
) -> None:
    from incident_lab.evidence.snapshot import take_snapshot

    with ticker.phase("preserve"):
        snap = take_snapshot(sources, out=incident_dir, last=last, fmt=fmt)
        result.snapshot_exit_code = snap.exit_code
        summary = snap.summary
        prompt.say(f"   bundle {snap.bundle}: {summary.get('counts', summary)}")
    with ticker.phase("classify"):
        _classify(incident_dir, prompt, result)
    with ticker.phase("triage"):
        _triage(incident_dir, config, prompt, result)
    with ticker.phase("convert"):
        _convert(
            incident_dir, Path(scenarios_dir) if scenarios_dir else None, suite, prompt, result
        )
