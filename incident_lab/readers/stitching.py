"""Sessions from spans: conversation ids inherited from ancestors, traces stitched by history.

Shared by the ``otel`` and ``openinference`` readers. Without a parent span every model
call is a trace of its own and each call's input repeats the conversation so far;
:func:`stitch` puts such traces back together.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from incident_lab.readers.base import Record
from incident_lab.readers.mapping import guarded, str_or_none
from incident_lab.readers.otel_steps import SpanMappingError
from incident_lab.readers.span_spool import KeyedSpool

#: What :func:`~incident_lab.readers.mapping.guarded` turns into a reject when building.
_MAPPING_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError)
_DIGEST = 16  # bytes per step key in a history
StepsOf = Callable[[list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]


def history(members: list[dict[str, Any]], steps_of: StepsOf) -> bytes:
    """The step keys of a trace group as one string of 16-byte digests (empty when the group
    cannot be mapped: building the session reports why). What :func:`stitch` compares,
    without holding the text."""
    try:
        keys = [k for k, _step in steps_of(members)]
    except (SpanMappingError, *_MAPPING_ERRORS):
        return b""
    return b"".join(
        hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=_DIGEST).digest()
        for k in keys
    )


def stitch(
    keys: Iterable[str],
    traced: dict[str, tuple[int, bytes]],
) -> Iterator[list[str]]:
    """Merge trace groups whose steps extend another's history; yield each session's group keys.

    ``keys`` are the group keys in input order; ``traced`` gives each trace group
    (``trace\0<id>``) its earliest span start and :func:`history`. Without a parent
    span every model call is a trace of its own, and each call's input repeats the
    conversation so far: a trace whose steps start with all the steps of an earlier
    one continues that conversation. Conversation-id groups are explicit and never
    merged; they come first, in input order, then the trace groups' sessions by start.
    Lookup is by a running hash of each prefix, so stitching stays linear in the
    number of steps; only keys and digests are held, never the spans.
    """
    sessions: list[list[str]] = []
    by_history: dict[int, list[int]] = defaultdict(list)
    histories: list[bytes] = []
    pending = []
    for key in keys:
        if not key.startswith("trace\0"):
            yield [key]
            continue
        start, steps = traced[key]
        pending.append((start, key, steps))
    pending.sort(key=lambda item: (item[0], item[1]))
    for _start, key, steps in pending:
        target = None
        running = 0
        prefixes = []
        for i in range(0, len(steps), _DIGEST):
            running = hash((running, steps[i : i + _DIGEST]))
            prefixes.append((i + _DIGEST, running))
        for length, digest in reversed(prefixes):
            if length < 2 * _DIGEST:
                break
            for idx in by_history.get(digest, ()):
                if histories[idx] == steps[:length]:
                    target = idx
                    break
            if target is not None:
                break
        if target is None or not steps:
            sessions.append([key])
            histories.append(steps)
        else:
            old = histories[target]
            by_history[_digest(old)].remove(target)
            sessions[target].append(key)
            histories[target] = steps if len(steps) >= len(old) else old
            by_history[_digest(histories[target])].append(target)
            continue
        by_history[_digest(steps)].append(len(sessions) - 1)
    yield from sessions


def _digest(steps: bytes) -> int:
    running = 0
    for i in range(0, len(steps), _DIGEST):
        running = hash((running, steps[i : i + _DIGEST]))
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


#: What one trace gives :func:`spooled_sessions`: rejects of its log records (with their
#: place among all log records), rejects of the trace itself, and its spans by group key.
Split = Callable[
    [str, list[Any]],
    tuple[list[tuple[int, Record]], list[Record], dict[str, list[dict[str, Any]]]],
]


def earliest(spans: list[dict[str, Any]], order: dict[str, int]) -> dict[str, Any]:
    """The span read first: by input file (``order``: path to position), then line."""
    return min(spans, key=lambda s: (order.get(s["path"], 0), s["line"]))


def spooled_sessions(
    traces: KeyedSpool, ranked: Iterable[str], split: Split, steps_of: StepsOf
) -> Iterator[Record | tuple[list[str], list[dict[str, Any]]]]:
    """The sessions of spooled traces: rejects first, then ``(group keys, spans)`` per session.

    ``traces`` holds every span (and log record) under its trace id; ``ranked`` is the
    order in which traces are taken back and ``split`` into group keys (conversation or
    trace), one trace in memory at a time. Grouped spans go to a second spool; trace
    groups keep only their start and :func:`history` for :func:`stitch`. Log-record
    rejects come out in their input order, then trace rejects in ``ranked`` order, then
    one ``(keys, spans)`` per session with the spans of its groups in stitch order.
    """
    groups = KeyedSpool()
    traced: dict[str, tuple[int, bytes]] = {}
    log_rejects: list[tuple[int, Record]] = []
    trace_rejects: list[Record] = []
    try:
        for trace in ranked:
            for_logs, for_trace, by_key = split(trace, traces.take(trace))
            log_rejects.extend(for_logs)
            trace_rejects.extend(for_trace)
            for key, members in by_key.items():
                if key.startswith("trace\0"):
                    traced[key] = (min(s["start"] for s in members), history(members, steps_of))
                for span in members:
                    groups.add(key, span)
        traces.close()
        log_rejects.sort(key=lambda item: item[0])
        yield from (record for _seq, record in log_rejects)
        yield from trace_rejects
        del log_rejects[:], trace_rejects[:]
        for keys in stitch(groups.keys(), traced):
            yield keys, [span for key in keys for span in groups.take(key)]
    finally:
        traces.close()
        groups.close()


#: ``build(first span, kind, id, group keys, spans)``: one session's record.
#: A session's build: its record, or its records (rejects of parts of it, then the session).
Build = Callable[
    [dict[str, Any], str, str, list[str], list[dict[str, Any]]], "Record | list[Record]"
]


def build_sessions(
    found: Iterable[Record | tuple[list[str], list[dict[str, Any]]]],
    order: dict[str, int],
    build: Build,
) -> Iterator[Record]:
    """Pass on the rejects of :func:`spooled_sessions` and ``build`` each session, reported
    at its earliest span (``order``: input path to position); a mapping bug is a reject."""
    for item in found:
        if isinstance(item, Record):
            yield item
            continue
        stitched, members = item
        kind, _, sid = stitched[0].partition("\0")
        first = earliest(members, order)
        where = {"path": first["path"], "line": first["line"], "entry": f"{kind} {sid}"}
        record, bug = guarded(build, first, kind, sid, stitched, members, **where)
        if isinstance(record, list):
            yield from record
        else:
            yield record or bug  # type: ignore[misc]
