"""Reader for event-per-line JSONL: one step per line, grouped into sessions by ``session_id``.

An event is a ``trajectory/v1`` step plus an envelope::

    {"session_id": "s-1", "timestamp": "2026-02-01T12:00:03Z", "type": "tool_call",
     "name": "send_email", "arguments": {"to": "x@example.com"}, "call_id": "c1",
     "actor": {"user_id": "u-1"}, "agent": {"name": "mail"}, "unsafe": true}

``type`` is a step type or ``session`` (metadata only, no step). Steps are ordered
by timestamp, then by line; an event without a timestamp keeps the time of the
event before it in the same session. A session with an inconsistent event is
rejected as a whole, naming the bad line and listing every other line it held.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import (
    DEFAULT_MAX_LINE_BYTES,
    Record,
    head_object,
    iter_json_lines,
)
from incident_lab.readers.mapping import finish, guarded
from incident_lab.trajectory import (
    STEP_TYPES,
    compact_json,
    new_trajectory,
    parse_timestamp,
    to_rfc3339,
    validation_errors,
)

_SESSION_FIELDS = ("actor", "agent", "labels")
_ENVELOPE = {"session_id", "timestamp", "unsafe", "target_call_id", "started_at", *_SESSION_FIELDS}
_EVENT_TYPES = (*STEP_TYPES, "session")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class EventsReader:
    """Event-per-line JSONL, grouped into one trajectory per ``session_id``."""

    name = "events"
    description = "event-per-line JSONL (one step per line with a session_id), grouped by session"

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the first line is an event: a ``session_id`` and a step ``type``, no ``steps``."""
        first = head_object(head)
        if (
            isinstance(first, dict)
            and isinstance(first.get("session_id"), str)
            and first.get("type") in _EVENT_TYPES
            and "steps" not in first
        ):
            return 0.9
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield line-level rejects as met, then one record per session at end of file."""
        sessions: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for line_no, obj, reject in iter_json_lines(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            if not isinstance(obj, dict):
                yield Record(
                    path, line_no, reason=f"event is a JSON {_kind(obj)}, expected an object"
                )
                continue
            sid = obj.get("session_id")
            if not isinstance(sid, str) or not sid:
                yield Record(
                    path,
                    line_no,
                    reason="event has no session_id (a non-empty string)",
                    excerpt=compact_json(obj)[:200],
                )
                continue
            sessions.setdefault(sid, []).append((line_no, obj))
        for sid, events in sessions.items():
            first_line = events[0][0]
            record, bug = guarded(_session, path, sid, events, path=path, line=first_line)
            if bug is not None:
                lines = line_ranges([ln for ln, _ in events])
                bug.reason = f"session {sid!r} (lines {lines}): {bug.reason}"
            yield record or bug  # type: ignore[misc]


def _kind(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def line_ranges(lines: list[int]) -> str:
    """Compress sorted-or-not line numbers into ``"3-5, 9"``."""
    out: list[str] = []
    nums = sorted(set(lines))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(out)


def _merge_session_field(
    merged: dict[str, dict[str, Any]],
    seen_at: dict[tuple[str, str], int],
    field: str,
    value: Any,
    line: int,
) -> str | None:
    """Merge an event's actor/agent/labels into the session's; return a conflict, if any."""
    if not isinstance(value, dict):
        return f"{field} is a {_kind(value)}, expected an object"
    target = merged.setdefault(field, {})
    for key, item in value.items():
        if key in target and compact_json(target[key]) != compact_json(item):
            return (
                f"{field}.{key} is {compact_json(item)[:80]} here but "
                f"{compact_json(target[key])[:80]} at line {seen_at[(field, key)]}"
            )
        if key not in target:
            target[key] = item
            seen_at[(field, key)] = line
    return None


def _session(path: str, sid: str, events: list[tuple[int, dict[str, Any]]]) -> Record:
    """Build one session's trajectory, or the reject that names its first bad line."""
    session = _Session(sid)
    for line, ev in events:
        session.add_event(line, ev)
    session.order_steps()
    session.link_safeguards()
    if session.problems:
        return _rejected(path, sid, events, session.problems)
    return session.trajectory(path, [ln for ln, _ in events])


class _Session:
    """One session's events folded in line order: envelope fields merged, steps checked
    and ordered by time, and every problem met on the way (line, message)."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.problems: list[tuple[int, str]] = []
        self.merged: dict[str, dict[str, Any]] = {}
        self.seen_at: dict[tuple[str, str], int] = {}
        self.started_at: str | None = None
        self.keyed: list[tuple[datetime, int, dict[str, Any]]] = []
        self.last = _EARLIEST
        self.steps: list[dict[str, Any]] = []
        self.step_lines: list[int] = []
        self.calls: dict[str, tuple[int, int]] = {}
        self.unsafe: list[int] = []

    def add_event(self, line: int, ev: dict[str, Any]) -> None:
        """Read one event's time, session fields and step (a ``session`` event has none)."""
        ts_text = self._timestamp(line, ev)
        for field in _SESSION_FIELDS:
            if field in ev:
                conflict = _merge_session_field(self.merged, self.seen_at, field, ev[field], line)
                if conflict:
                    self.problems.append((line, conflict))
        if "started_at" in ev and self.started_at is None:
            self.started_at = ev["started_at"]
        step = self._step(line, ev, ts_text)
        if step is not None:
            self.keyed.append((self.last, line, ev | {"_step": step}))

    def _timestamp(self, line: int, ev: dict[str, Any]) -> str | None:
        """The event's timestamp in RFC 3339; one without keeps the time of the event before."""
        raw_ts = ev.get("timestamp")
        if raw_ts is None:
            return None
        try:
            if not isinstance(raw_ts, str):
                raise ValueError
            when = parse_timestamp(raw_ts)
        except ValueError:
            self.problems.append((line, f"timestamp {compact_json(raw_ts)[:60]} is not RFC 3339"))
            return None
        self.last = when
        return to_rfc3339(when)

    def _step(self, line: int, ev: dict[str, Any], ts_text: str | None) -> dict[str, Any] | None:
        """The ``trajectory/v1`` step an event carries, checked as a one-step trajectory."""
        etype = ev.get("type")
        if etype not in _EVENT_TYPES:
            self.problems.append(
                (line, f"type {compact_json(etype)[:40]} is not one of {', '.join(_EVENT_TYPES)}")
            )
            return None
        if etype == "session":
            return None
        step = {k: v for k, v in ev.items() if k not in _ENVELOPE}
        if ts_text is not None:
            step["timestamp"] = ts_text
        step_problems = [
            p.replace("steps/0/", "").replace("steps/0", "step")
            for p in validation_errors(new_trajectory(self.sid, steps=[step]))
        ]
        if step_problems:
            self.problems.append((line, "; ".join(step_problems[:2])))
            return None
        if ev.get("unsafe") not in (None, True, False):
            self.problems.append((line, "unsafe must be true or false"))
        return step

    def order_steps(self) -> None:
        """Steps by time then line; index tool calls by call_id (a reused id is a problem)."""
        self.keyed.sort(key=lambda item: (item[0], item[1]))
        for _when, line, ev in self.keyed:
            step = ev["_step"]
            call_id = step.get("call_id")
            if step["type"] == "tool_call" and isinstance(call_id, str):
                if call_id in self.calls:
                    self.problems.append(
                        (
                            line,
                            f"call_id {call_id!r} already used by the tool_call at line "
                            f"{self.calls[call_id][1]}",
                        )
                    )
                self.calls[call_id] = (len(self.steps), line)
            if ev.get("unsafe") is True:
                self.unsafe.append(len(self.steps))
            self.steps.append(step)
            self.step_lines.append(line)

    def link_safeguards(self) -> None:
        """Resolve each safeguard's ``target_call_id`` to a step index and check the index."""
        for (_when, line, ev), step in zip(self.keyed, self.steps, strict=True):
            if step["type"] != "safeguard":
                continue
            ref = ev.get("target_call_id")
            if ref is not None:
                if isinstance(ref, str) and ref in self.calls:
                    step["target_step"] = self.calls[ref][0]
                else:
                    self.problems.append(
                        (line, f"target_call_id {compact_json(ref)[:60]} names no tool_call")
                    )
            target = step.get("target_step")
            if isinstance(target, int) and target >= len(self.steps):
                self.problems.append(
                    (
                        line,
                        f"target_step {target} does not exist (session has {len(self.steps)} steps)",
                    )
                )

    def trajectory(self, path: str, all_lines: list[int]) -> Record:
        """The session as a trajectory: merged fields, unsafe labels, start time, line map."""
        traj = new_trajectory(self.sid, steps=self.steps)
        traj.update(
            {field: self.merged[field] for field in _SESSION_FIELDS if field in self.merged}
        )
        if self.unsafe:
            labels = traj.setdefault("labels", {})
            known = (
                labels.get("unsafe_steps") if isinstance(labels.get("unsafe_steps"), list) else []
            )
            labels["unsafe_steps"] = sorted(set(known) | set(self.unsafe))
        started_at = self.started_at
        if started_at is None:
            stamps = [s["timestamp"] for s in self.steps if "timestamp" in s]
            started_at = min(stamps, key=parse_timestamp) if stamps else None
        if started_at is not None:
            traj["started_at"] = started_at
        traj["x_events"] = {"lines": line_ranges(all_lines), "step_lines": self.step_lines}
        return finish(traj, fmt="events", path=path, line=min(all_lines))


def _rejected(
    path: str, sid: str, events: list[tuple[int, dict[str, Any]]], problems: list[tuple[int, str]]
) -> Record:
    """The session's reject: its first bad line, up to five problems, its other lines."""
    problems = sorted(problems)
    bad_line = problems[0][0]
    detail = "; ".join(f"line {ln}: {msg}" for ln, msg in problems[:5])
    if len(problems) > 5:
        detail += f"; and {len(problems) - 5} more problems"
    others = [ln for ln, _ in events if ln != bad_line]
    tail = f"; its other lines {line_ranges(others)} are rejected with it" if others else ""
    bad_event = next(ev for ln, ev in events if ln == bad_line)
    return Record(
        path,
        bad_line,
        reason=f"session {sid!r} rejected: {detail}{tail}",
        excerpt=compact_json(bad_event)[:200],
    )


@hookimpl
def register_readers() -> list[EventsReader]:
    """Register the event-per-line JSONL reader."""
    return [EventsReader()]
