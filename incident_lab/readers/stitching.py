"""Sessions from spans: conversation ids inherited from ancestors, traces stitched by history.

Shared by the ``otel`` and ``openinference`` readers. Without a parent span every model
call is a trace of its own and each call's input repeats the conversation so far;
:func:`stitch` puts such traces back together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from incident_lab.readers.base import Record
from incident_lab.readers.mapping import str_or_none
from incident_lab.readers.otel_steps import SpanMappingError

#: What :func:`~incident_lab.readers.mapping.guarded` turns into a reject when building.
_MAPPING_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)
StepsOf = Callable[[list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]


def stitch(
    groups: dict[str, list[dict[str, Any]]],
    steps_of: StepsOf,
) -> Iterator[tuple[str, list[dict[str, Any]], list[str]]]:
    """Merge trace groups whose steps extend another's history; yield ``(key, spans, keys)``.

    Without a parent span every model call is a trace of its own, and each call's
    input repeats the conversation so far: a trace whose steps start with all the
    steps of an earlier one continues that conversation. Conversation-id groups
    are explicit and never merged. Lookup is by a running hash of each prefix, so
    stitching stays linear in the number of steps.
    """
    sessions: list[tuple[str, list[dict[str, Any]], list[str]]] = []
    by_history: dict[int, list[int]] = defaultdict(list)
    histories: list[list[str]] = []
    traced = []
    for key, members in groups.items():
        if not key.startswith("trace\0"):
            yield key, members, [key]
            continue
        try:
            keys = [k for k, _step in steps_of(members)]
        except (SpanMappingError, *_MAPPING_ERRORS):
            keys = []  # _build reports it
        traced.append((min(s["start"] for s in members), key, members, keys))
    traced.sort(key=lambda item: (item[0], item[1]))
    for _start, key, members, keys in traced:
        target = None
        running = 0
        prefixes = []
        for i, step_key in enumerate(keys):
            running = hash((running, step_key))
            prefixes.append((i + 1, running))
        for length, digest in reversed(prefixes):
            if length < 2:
                break
            for idx in by_history.get(digest, ()):
                if histories[idx] == keys[:length]:
                    target = idx
                    break
            if target is not None:
                break
        if target is None or not keys:
            sessions.append((key, list(members), [key]))
            histories.append(keys)
        else:
            old = histories[target]
            by_history[_digest(old)].remove(target)
            skey, smembers, sgroups = sessions[target]
            sessions[target] = (skey, smembers + members, [*sgroups, key])
            histories[target] = keys if len(keys) >= len(old) else old
            target_keys = histories[target]
            by_history[_digest(target_keys)].append(target)
            continue
        by_history[_digest(keys)].append(len(sessions) - 1)
    yield from sessions


def _digest(keys: list[str]) -> int:
    running = 0
    for step_key in keys:
        running = hash((running, step_key))
    return running


def conversation(
    span: dict[str, Any],
    index: dict[tuple[str, str], dict[str, Any]],
    attribute: str = "gen_ai.conversation.id",
) -> str | None:
    """The span's conversation id (``attribute``), or its nearest ancestor's."""
    seen = 0
    while span is not None and seen < 256:
        conv = str_or_none(span["attrs"].get(attribute))
        if conv:
            return conv
        parent = span["parent"]
        span = index.get((span["trace"], parent)) if parent else None  # type: ignore[assignment]
        seen += 1
    return None


def session_trajectory(
    where: tuple[str, int],
    session_id: str,
    kind: str,
    members: list[dict[str, Any]],
    steps_of: Callable[[list[dict[str, Any]]], Iterable[tuple[Any, dict[str, Any]]]],
    no_content: tuple[str, str],
) -> dict[str, Any] | Record:
    """The trajectory of one stitched session, or the reject that says why there is none.

    ``members`` (the session's spans) are put in time order and mapped to steps by
    ``steps_of``; a session with no message content is a reject naming the spans'
    kind and the setting that turns content capture on (``no_content``). Tool results are named
    after their calls (the instrumentations record the name on the call only) and the
    session starts at its earliest span.
    """
    from incident_lab.readers.mapping import nanos_to_rfc3339
    from incident_lab.readers.otel_steps import has_content
    from incident_lab.trajectory import new_trajectory

    path, line = where
    members.sort(key=lambda s: (s["start"], s["line"], s["end"]))
    entry = f"{kind} {session_id}"
    try:
        steps = [step for _key, step in steps_of(members)]
    except SpanMappingError as exc:
        return Record(path, line, reason=f"{kind} {session_id!r}: {exc}", entry=entry)
    if not has_content(steps):
        spans, setting = no_content
        reason = f"{kind} {session_id!r}: {len(members)} {spans} span(s) and no message content: "
        return Record(path, line, reason=reason + setting, entry=entry)
    names = {
        s["call_id"]: s["name"] for s in steps if s["type"] == "tool_call" and s.get("call_id")
    }
    for step in steps:
        if step["type"] == "tool_result" and not step.get("name"):
            step["name"] = names.get(step.get("call_id"))
    traj = new_trajectory(session_id, steps=steps)
    starts = [s["start"] for s in members if s["start"]]
    if starts and (started := nanos_to_rfc3339(min(starts))):
        traj["started_at"] = started
    return traj
