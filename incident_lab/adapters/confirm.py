"""Confirm containment: did anything happen in the live log after containment began?"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from incident_lab.adapters.contain import read_timeline
from incident_lab.errors import CheckFailed, UsageError
from incident_lab.trajectory import parse_timestamp, to_rfc3339


@dataclass
class ConfirmReport:
    """What the live log shows after the containment time.

    Attributes:
        since: The containment time (RFC 3339).
        holding: True when no session, tool call or safeguard decision happened after it.
        sessions: Session ids active after ``since``.
        tool_calls: Tool name -> calls after ``since``.
        safeguard_decisions: ``safeguard:decision`` -> count after ``since``.
        read, rejected: Records read and rejected by the readers.
        rejects: ``path:line: reason`` per rejected record, the first
            :data:`~incident_lab.readers.base.MAX_WARNINGS_KEPT` of them (``rejected``
            counts all).
        warnings: ``path:line: warning`` per reader's warning (no record: counted in
            neither ``read`` nor ``rejected``), the first
            :data:`~incident_lab.readers.base.MAX_WARNINGS_KEPT` of them.
        warned: How many warnings the readers gave (all of them).
    """

    since: str
    holding: bool = True
    sessions: list[str] = field(default_factory=list)
    tool_calls: dict[str, int] = field(default_factory=dict)
    safeguard_decisions: dict[str, int] = field(default_factory=dict)
    read: int = 0
    rejected: int = 0
    rejects: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warned: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "since": self.since,
            "holding": self.holding,
            "sessions_after": self.sessions,
            "tool_calls_after": self.tool_calls,
            "safeguard_decisions_after": self.safeguard_decisions,
            "records_read": self.read,
            "records_rejected": self.rejected,
            "warnings": self.warnings,
            "warnings_total": self.warned,
        }


@dataclass
class Containment:
    """What the timeline says is in effect.

    Attributes:
        active: Successful containment events not undone since, in order.
        undone: Successful containment events a later successful undo reversed.
    """

    active: list[dict[str, Any]] = field(default_factory=list)
    undone: list[dict[str, Any]] = field(default_factory=list)

    @property
    def since(self) -> datetime | None:
        """Time of the first containment still in effect (None when none is)."""
        return parse_timestamp(str(self.active[0]["time"])) if self.active else None


def containment_state(incident_dir: Path) -> Containment:
    """Read the timeline's containment and undo events (dry runs and failures count for nothing)."""
    events = read_timeline(incident_dir)
    reversed_ids = {
        e.get("undoes") for e in events if e.get("kind") == "undo" and e.get("result") == "ok"
    }
    state = Containment()
    for event in events:
        if event.get("kind") == "contain" and event.get("result") == "ok":
            if event.get("event_id") in reversed_ids:
                state.undone.append(event)
            else:
                state.active.append(event)
    return state


def containment_time(incident_dir: Path) -> datetime:
    """Return the time of the first successful containment still in effect (not undone).

    Raises:
        CheckFailed: every recorded containment was undone: nothing is in effect.
        UsageError: the timeline records no successful containment.
    """
    state = containment_state(incident_dir)
    if state.since is not None:
        return state.since
    if state.undone:
        names = ", ".join(str(e.get("action")) for e in state.undone)
        raise CheckFailed(
            f"containment NOT IN EFFECT: every recorded action was undone ({names})",
            path=str(Path(incident_dir) / "timeline.jsonl"),
            hint="contain again ('incident_lab contain ACTION --incident DIR'), or pass --since TIME "
            "to check the log regardless",
        )
    raise UsageError(
        "the incident's timeline records no successful containment action",
        path=str(Path(incident_dir) / "timeline.jsonl"),
        hint="run 'incident_lab contain ACTION --incident DIR' first, or pass --since TIME",
    )


def _step_time(step: dict[str, Any], session_start: datetime | None) -> datetime | None:
    ts = step.get("timestamp")
    if ts:
        try:
            return parse_timestamp(str(ts))
        except ValueError:
            return session_start
    return session_start


def confirm_containment(paths: list[str], since: datetime, fmt: str | None = None) -> ConfirmReport:
    """Scan the live log(s) for activity at or after ``since``.

    A step counts when its own timestamp is at/after ``since``; a step without a
    timestamp takes its session's start time.
    """
    from incident_lab.readers import read_paths
    from incident_lab.readers.base import keep_sample

    report = ConfirmReport(to_rfc3339(since))
    tools: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    for _fmt, record in read_paths(paths, fmt):
        if record.warning is not None:
            report.warned += 1  # a reader's warning is no record
            keep_sample(report.warnings, record.told)
            continue
        report.read += 1
        if record.trajectory is None:
            report.rejected += 1
            keep_sample(report.rejects, f"{record.path}:{record.line}: {record.reason}")
            continue
        traj = record.trajectory
        start = None
        if traj.get("started_at"):
            try:
                start = parse_timestamp(str(traj["started_at"]))
            except ValueError:
                start = None
        active = start is not None and start >= since
        for step in traj.get("steps") or []:
            when = _step_time(step, start)
            if when is None or when < since:
                continue
            active = True
            if step.get("type") == "tool_call":
                tools[str(step.get("name"))] += 1
            elif step.get("type") == "safeguard":
                decisions[f"{step.get('safeguard')}:{step.get('decision')}"] += 1
        if active:
            report.sessions.append(str(traj.get("session_id")))
    report.tool_calls = dict(tools.most_common())
    report.safeguard_decisions = dict(decisions.most_common())
    report.holding = not report.sessions and not tools and not decisions
    return report
