"""Reader for the seed family's incident JSON: one incident with its conversation and verdicts.

An incident is an object with ``incident_id``, ``environment`` (``model``,
``tools_available``) and turns under ``conversation`` or ``trajectory``, or
``sessions[]`` each holding its own turns. A turn has ``role`` or ``speaker``,
``content``, an optional ``action {tool, params, result}`` and a per-turn verdict:
``status`` (``safe``/``unsafe``), ``violation`` (true = unsafe), ``compliant``
(false = unsafe) or ``is_attack`` (true = unsafe).

A file holds one incident object, a JSON array of incidents, or JSONL of incidents.
Each session becomes one trajectory; an unsafe turn's step (its tool call when it
acted, else its message) is listed in ``labels.unsafe_steps``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import (
    DEFAULT_MAX_LINE_BYTES,
    Record,
    head_object,
    iter_json_documents,
)
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    finish,
    guarded,
    normalise_timestamp,
    output_text,
    str_or_none,
    tool_call_step,
)
from incident_lab.trajectory import compact_json, new_trajectory

_FMT = "seed_incident"
_TURN_KEYS = ("conversation", "trajectory", "turns")
_ROLES = {
    "user": "user",
    "human": "user",
    "customer": "user",
    "attacker": "user",
    "adversary": "user",
    "red_team": "user",
    "assistant": "assistant",
    "agent": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "bot": "assistant",
    "system": "system",
    "tool": "tool",
}
_TURN_MAPPED = {"role", "speaker", "content", "action", "timestamp"}
_INCIDENT_MAPPED = {"incident_id", "environment", "sessions", *_TURN_KEYS}


class SeedIncidentReader:
    """Seed-family incident JSON (object, array or JSONL of incidents)."""

    name = _FMT
    description = "incident JSON of the seed family (incident_id, environment, conversation/trajectory/sessions)"

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the first record is an incident: ``incident_id`` plus turns or sessions."""
        first = head_object(head)
        if isinstance(first, dict):
            has_turns = any(key in first for key in (*_TURN_KEYS, "sessions"))
            return 0.9 if "incident_id" in first and has_turns else 0.0
        if isinstance(first, list):
            first = first[0] if first else None
            return 0.9 if isinstance(first, dict) and "incident_id" in first else 0.0
        start = head[:4096].lstrip()
        if start[:1] in (b"{", b"[") and b'"incident_id"' in start:
            return 0.85
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield one record per session of every incident, in file order."""
        for line_no, obj, reject in iter_json_documents(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            if isinstance(obj, list):
                for i, incident in enumerate(obj):
                    yield from _incident(path, None, f"[{i}]", incident)
            else:
                yield from _incident(path, line_no, None, obj)


def turn_verdict(turn: dict[str, Any]) -> str | None:
    """Return ``"unsafe"``/``"safe"`` from a turn's verdict fields, or None when it has none."""
    status = turn.get("status")
    if isinstance(status, str) and status.lower() in ("safe", "unsafe"):
        return status.lower()
    for key, unsafe_when in (("violation", True), ("is_attack", True), ("compliant", False)):
        if isinstance(turn.get(key), bool):
            return "unsafe" if turn[key] is unsafe_when else "safe"
    return None


def _incident(path: str, line: int | None, entry: str | None, incident: Any) -> Iterator[Record]:
    if not isinstance(incident, dict):
        yield Record(path, line, reason="incident is not a JSON object", entry=entry)
        return
    iid = str_or_none(incident.get("incident_id"))
    if iid is None:
        yield Record(
            path,
            line,
            reason="incident has no incident_id",
            entry=entry,
            excerpt=compact_json(incident)[:200],
        )
        return
    sessions = incident.get("sessions")
    if sessions is not None and (not isinstance(sessions, list) or not sessions):
        yield Record(path, line, reason="sessions is not a non-empty array", entry=entry)
        return
    # Each session of the incident, or the incident itself when it is one session.
    units = enumerate(sessions) if sessions is not None else [(None, incident)]
    for i, session in units:
        where = entry if i is None else f"{entry or ''}sessions[{i}]"
        if not isinstance(session, dict):
            yield Record(path, line, reason="session is not an object", entry=where)
            continue
        sid = iid
        if i is not None:
            sid += ":" + (
                str_or_none(session.get("session_id")) or str_or_none(session.get("id")) or str(i)
            )
        record, bug = guarded(
            _build, path, line, where, incident, session, sid, path=path, line=line, entry=where
        )
        yield record or bug  # type: ignore[misc]


def _session_verdict(verdicts: list[tuple[str, str | None]]) -> str | None:
    """The session's verdict: judged by how the agent behaved, not by what it was sent.

    Unsafe when any agent/tool/system turn is unsafe; safe when every judged agent turn
    is safe (an attack the agent resisted is a safe session whose attack turn is still
    listed in ``unsafe_steps`` and ``attack_steps``); unknown when only attack turns
    are judged; none when no turn carries a verdict.
    """
    agent = [v for role, v in verdicts if role != "user" and v is not None]
    if "unsafe" in agent:
        return "unsafe"
    if agent:
        return "safe"
    user = [v for role, v in verdicts if role == "user" and v is not None]
    if "unsafe" in user:
        return "unknown"
    return "safe" if user else None


def _turns(holder: dict[str, Any]) -> list[Any] | None:
    for key in _TURN_KEYS:
        if isinstance(holder.get(key), list):
            turns: list[Any] = holder[key]
            return turns
    return None


def _tools(env: dict[str, Any]) -> list[dict[str, Any]]:
    tools = []
    for item in as_list(env.get("tools_available") or env.get("tools")):
        if isinstance(item, str) and item:
            tools.append({"name": item})
        elif isinstance(item, dict) and str_or_none(item.get("name")):
            tools.append(item)
    return tools


def _model(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            k: str_or_none(v) if k in ("name", "version", "provider") else v
            for k, v in value.items()
        }
    return {"name": str_or_none(value)}


def _build(
    path: str,
    line: int | None,
    entry: str | None,
    incident: dict[str, Any],
    session: dict[str, Any],
    sid: str,
) -> Record:
    turns = _turns(session)
    if turns is None:
        return Record(
            path,
            line,
            entry=entry,
            reason="no turns: expected conversation, trajectory or sessions[] with turns",
        )
    mapped = _Mapped()
    for n, turn in enumerate(turns):
        problem = mapped.add_turn(n, turn)
        if problem:
            return Record(path, line, entry=entry, reason=problem)
    env = as_dict(incident.get("environment"))
    traj = new_trajectory(sid, steps=mapped.steps)
    started = _started_at(incident, session)
    if started:
        traj["started_at"] = started
    traj["agent"] = _agent(env)
    user = str_or_none(session.get("user_id")) or str_or_none(session.get("user"))
    if user:
        traj["actor"] = {"user_id": user}
    traj["labels"] = mapped.labels()
    traj["x_seed_incident"] = _incident_extras(incident, session, env)
    return finish(traj, fmt=_FMT, path=path, line=line, entry=entry)


class _Mapped:
    """The steps of one session's turns, with the unsafe and attack steps and each turn's
    (role, verdict). A turn maps to a message (or a tool result for a ``tool`` turn), then a
    tool call and its result when it acted."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.unsafe: list[int] = []
        self.attacks: list[int] = []
        self.verdicts: list[tuple[str, str | None]] = []

    def add_turn(self, n: int, turn: Any) -> str | None:
        """Map turn ``n``; return why it cannot be read, if it cannot."""
        if not isinstance(turn, dict):
            return f"turn {n} is not an object"
        raw_role = turn.get("role", turn.get("speaker"))
        role = _ROLES.get(str(raw_role).lower()) if isinstance(raw_role, str) else None
        if role is None:
            return (
                f"turn {n}: role/speaker {compact_json(raw_role)[:40]} is not one of "
                f"{', '.join(sorted(_ROLES))}"
            )
        action = turn.get("action")
        if action is not None and not (
            isinstance(action, dict) and str_or_none(action.get("tool"))
        ):
            return f"turn {n}: action has no tool name"
        stamp = {"timestamp": ts} if (ts := normalise_timestamp(turn.get("timestamp"))) else {}
        x = {k: v for k, v in turn.items() if k not in _TURN_MAPPED}
        if role != raw_role:
            x["speaker"] = raw_role
        message_at = self._message(role, turn.get("content"), action, stamp, x)
        acted_at = None
        if isinstance(action, dict):
            acted_at = self._action(n, action, stamp, x if message_at is None else {})
        self._verdict(role, turn_verdict(turn), acted_at if acted_at is not None else message_at)
        return None

    def _message(
        self, role: str, content: Any, action: Any, stamp: dict[str, Any], x: dict[str, Any]
    ) -> int | None:
        """A ``tool`` turn's tool_result, or the turn's message (none for a silent action)."""
        text = content if isinstance(content, str) else output_text(content)
        step: dict[str, Any]
        if role == "tool":
            step = {"type": "tool_result", "call_id": None, "output": text} | stamp
        elif text or action is None:
            step = {"type": "message", "role": role, "content": text} | stamp
        else:
            return None
        if x:
            step["x_seed_incident"] = x
        self.steps.append(step)
        return len(self.steps) - 1

    def _action(
        self, n: int, action: dict[str, Any], stamp: dict[str, Any], turn_x: dict[str, Any]
    ) -> int:
        """The turn's tool call (its unmapped turn fields kept when it has no message), then
        the call's result when the action carries one; returns the call's index."""
        call_id = str_or_none(action.get("call_id")) or f"turn-{n}"
        extra = {
            k: v for k, v in action.items() if k not in ("tool", "params", "result", "call_id")
        }
        call = tool_call_step(action["tool"], action.get("params"), call_id) | stamp
        if extra or turn_x:
            call["x_seed_incident"] = extra | ({"turn": turn_x} if turn_x else {})
        self.steps.append(call)
        acted_at = len(self.steps) - 1
        if "result" in action:
            self.steps.append(
                {
                    "type": "tool_result",
                    "call_id": call_id,
                    "name": action["tool"],
                    "output": output_text(action["result"]),
                }
                | stamp
            )
        return acted_at

    def _verdict(self, role: str, verdict: str | None, at: int | None) -> None:
        """An unsafe turn marks its step (its call when it acted); a user's is an attack."""
        self.verdicts.append((role, verdict))
        if verdict == "unsafe":
            self.unsafe.append(at)  # type: ignore[arg-type]
            if role == "user":
                self.attacks.append(at)  # type: ignore[arg-type]

    def labels(self) -> dict[str, Any]:
        labels: dict[str, Any] = {"unsafe_steps": sorted(set(self.unsafe))}
        if self.attacks:
            labels["attack_steps"] = sorted(set(self.attacks))
        verdict = _session_verdict(self.verdicts)
        if verdict:
            labels["verdict"] = verdict
        return labels


def _started_at(incident: dict[str, Any], session: dict[str, Any]) -> str | None:
    """The first start-like time field, the session's before the incident's."""
    return next(
        (
            t
            for k in ("started_at", "timestamp", "created_at", "start_time")
            for t in (normalise_timestamp(session.get(k)), normalise_timestamp(incident.get(k)))
            if t
        ),
        None,
    )


def _agent(env: dict[str, Any]) -> dict[str, Any]:
    agent: dict[str, Any] = {"model": _model(env.get("model")), "tools": _tools(env)}
    if isinstance(env.get("agent"), str):
        agent["name"] = env["agent"]
    if isinstance(env.get("policy"), dict):
        agent["policy"] = env["policy"]
    return agent


def _incident_extras(
    incident: dict[str, Any], session: dict[str, Any], env: dict[str, Any]
) -> dict[str, Any]:
    """The incident's (and session's, environment's) fields no step or field maps."""
    x_inc = {k: v for k, v in incident.items() if k not in _INCIDENT_MAPPED}
    env_extra = {
        k: v for k, v in env.items() if k not in ("model", "tools_available", "policy", "agent")
    }
    if env_extra:
        x_inc["environment"] = env_extra
    if session is not incident:
        x_inc["session"] = {
            k: v
            for k, v in session.items()
            if k not in (*_TURN_KEYS, "session_id", "id", "user_id", "user")
        }
    x_inc["incident_id"] = incident["incident_id"]
    return x_inc


@hookimpl
def register_readers() -> list[SeedIncidentReader]:
    """Register the seed incident JSON reader."""
    return [SeedIncidentReader()]
