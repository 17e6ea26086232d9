"""Phase durations from the bundle's timeline, against the playbook's budget.

With ``incident_lab respond`` the timeline holds explicit ``phase:<key>`` events
carrying ``seconds``; those are used as they are. Otherwise the ``duration_s`` of
the phase's decision events (``classify``, ``tag``, ``add``, ... recorded with
:func:`incident_lab.incident_record.record_decision`, and ``snapshot``'s own) are
added up, also ``recorded``. Otherwise each event is put in
a phase by its ``phase`` field or its action (``contain`` → contain, ``snapshot`` →
preserve, ``classify``/``tag`` → classify, ``ticket``/``notify`` → triage,
``convert``/``add`` → convert) and a phase lasts from the end of the previous one
(or the first event) to its own last event: those durations are marked
``inferred``. A phase whose events open the timeline has no start to measure from
(``instant``, no duration): the trigger time is not in the bundle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incident_lab.trajectory import parse_timestamp

#: ``(key, title, budget seconds)``: the playbook's ten minutes (2 minutes a phase).
PHASES: tuple[tuple[str, str, int], ...] = (
    ("contain", "Contain", 120),
    ("preserve", "Preserve evidence", 120),
    ("classify", "Classify incident", 120),
    ("triage", "Triage & notify", 120),
    ("convert", "Convert incident -> regression", 120),
)
_BY_ACTION = {
    "contain": "contain", "undo": "contain", "confirm": "contain",
    "snapshot": "preserve", "verify": "preserve",
    "classify": "classify", "tag": "classify",
    "ticket": "triage", "notify": "triage", "triage": "triage",
    "convert": "convert", "add": "convert", "regression_add": "convert",
}  # fmt: skip
_PHASE_ALIASES = {"notify": "triage", "preserve": "preserve", "evidence": "preserve"}


def phase_of(event: dict[str, Any]) -> str | None:
    """The playbook phase an event belongs to, or None."""
    keys = {k for k, _, _ in PHASES}
    phase = event.get("phase")
    if isinstance(phase, str):
        phase = _PHASE_ALIASES.get(phase, phase)
        if phase in keys:
            return phase
    action = str(event.get("action") or "")
    if action.startswith("phase:"):
        return action.split(":", 1)[1] if action.split(":", 1)[1] in keys else None
    return _BY_ACTION.get(action.split(":", 1)[0])


def _time(event: dict[str, Any]) -> datetime | None:
    try:
        return parse_timestamp(str(event.get("time")))
    except (ValueError, TypeError):
        return None


def phase_durations(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per playbook phase: ``key``, ``title``, ``budget_s``, ``seconds`` (or None),
    ``source`` (``recorded``/``inferred``/``none``), ``over_budget``, ``events``."""
    recorded = _recorded_seconds(events)
    last, counts = _last_event_times(events)
    times = [t for t in (_time(e) for e in events) if t is not None]
    rows, previous_end = [], min(times) if times else None
    for key, title, budget in PHASES:
        seconds, source = _phase_seconds(key, recorded, last, previous_end)
        if key in last:
            previous_end = max(previous_end, last[key]) if previous_end else last[key]
        rows.append(
            {
                "key": key,
                "title": title,
                "budget_s": budget,
                "seconds": None if seconds is None else round(seconds, 3),
                "source": source,
                "over_budget": seconds is not None and seconds > budget,
                "events": counts.get(key, 0),
            }
        )
    return rows


def _recorded_seconds(events: list[dict[str, Any]]) -> dict[str, float]:
    """Phase -> seconds the timeline states: ``phase:*`` events, else the sum of the
    durations that deciding commands record (``record_decision``)."""
    recorded: dict[str, float] = {}
    for event in events:
        if str(event.get("action", "")).startswith("phase:") and isinstance(
            event.get("seconds"), int | float
        ):
            recorded[str(event.get("phase") or event["action"].split(":", 1)[1])] = float(
                event["seconds"]
            )
    timed: dict[str, float] = {}
    for event in events:
        key = phase_of(event)
        if key is not None and isinstance(event.get("duration_s"), int | float):
            timed[key] = timed.get(key, 0.0) + float(event["duration_s"])
    for key, total in timed.items():
        recorded.setdefault(key, total)
    return recorded


def _last_event_times(
    events: list[dict[str, Any]],
) -> tuple[dict[str, datetime], dict[str, int]]:
    """Per phase: the time of its latest event, and how many events it has."""
    last: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for event in events:
        key, when = phase_of(event), _time(event)
        if key is None:
            continue
        counts[key] = counts.get(key, 0) + 1
        if when is not None and (key not in last or when > last[key]):
            last[key] = when
    return last, counts


def _phase_seconds(
    key: str,
    recorded: dict[str, float],
    last: dict[str, datetime],
    previous_end: datetime | None,
) -> tuple[float | None, str]:
    """A phase's duration and where it comes from: recorded, inferred from the end of the
    phase before, ``instant`` (its events open the timeline) or ``none``."""
    if key in recorded:
        return recorded[key], "recorded"
    if key in last and previous_end is not None and last[key] > previous_end:
        return (last[key] - previous_end).total_seconds(), "inferred"
    if key in last:
        return None, "instant"  # its events open the timeline: no start to measure from
    return None, "none"
