"""What an Inspect AI sample's ``events`` say that its ``messages`` do not.

The sample's ``messages`` are the top-level agent's conversation. An agent run as a tool
(``as_tool()``) or handed off to (``handoff()``) runs in a span of type ``agent`` under
the span of the tool call that started it (type ``tool``; a ``handoff`` span around that
one for a handoff). Its own model calls and tool calls are in the events only: an
``as_tool()`` agent's answer is the tool's result, and a handoff relays the sub-agent's
turns into the parent's messages through its output filter (by default
``content_only``: tool calls written out as text, tool results as *user* messages,
reasoning removed), keeping each message's id. This module finds those sub-agents (their
``model`` and ``tool`` events in order, nested ones in place) and the ids of the messages
they produced, so that the reader maps the events instead of the relayed copies.

It also finds the exit status of a tool call's sandbox command (a ``sandbox`` event,
action ``exec``, in the tool's span): ``bash()`` and ``python()`` return a command's
output whatever its status, which the reader keeps as data (a non-zero status is no
failure to inspect).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incident_lab.readers.mapping import as_dict, as_list, str_or_none, text_of


@dataclass
class SubAgent:
    """An agent run by a tool call: its name, the tool event that ran it, whether that
    was a handoff, and its items (``model`` and ``tool`` event objects in order).

    A handoff (a ``handoff`` span around the tool's, or a tool event naming the agent)
    relays the agent's turns after the transfer's result; an ``as_tool()`` agent runs
    before its tool's result."""

    name: str | None
    tool: dict[str, Any]
    handoff: bool
    items: list[dict[str, Any]] = field(default_factory=list)
    #: Where each item is in the sample's ``events`` (for messages about it).
    positions: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """What the events add to the messages, keyed for the reader's mapping."""

    #: Every sub-agent, outermost first within each run.
    agents: list[SubAgent] = field(default_factory=list)
    #: Sub-agents by the message id of the tool result that ran them (a tool may run
    #: several agents in turn: in the order they ran).
    by_message: dict[str, list[SubAgent]] = field(default_factory=dict)
    #: Sub-agents by the identity (``id()``) of the tool event object that ran them.
    by_tool: dict[int, list[SubAgent]] = field(default_factory=dict)
    #: Ids of the messages produced inside a sub-agent (relayed copies are not read):
    #: the kind of event that produced each (``model`` or ``tool``) and the outermost
    #: agent it ran within (whose copies of it can follow its tool result).
    inside: dict[str, tuple[str, SubAgent]] = field(default_factory=dict)
    #: Exit status of the one sandbox command a tool call ran, by call id.
    exit_codes: dict[str, int] = field(default_factory=dict)
    #: Sub-agent tool events (by ``id()``) that stopped the sample: no result to read.
    stopped: set[int] = field(default_factory=set)
    #: The top-level messages that are relayed copies of a sub-agent's, by id.
    relayed: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Span:
    kind: str | None
    name: str | None
    parent: str | None


def _nearest(spans: dict[str, _Span], kind: str) -> dict[str, str | None]:
    """For every span, the closest span of ``kind`` enclosing it (itself included), in
    one pass: each walk up stops at a span already answered, so every span is walked
    once (a log's spans nested 10,000 deep read in linear time). A span whose parents
    loop back finds the first span of ``kind`` along the loop, as a walk up would."""
    near: dict[str, str | None] = {}
    for start in spans:
        path: list[str] = []
        on_path: dict[str, int] = {}
        span_id: str | None = start
        while span_id is not None and span_id in spans and span_id not in near:
            if span_id in on_path:  # a loop: above its last span comes its first again
                loop = path[on_path[span_id] :]
                span_id = next((s for s in loop if spans[s].kind == kind), None)
                break
            on_path[span_id] = len(path)
            path.append(span_id)
            span_id = spans[span_id].parent
        else:
            span_id = near.get(span_id) if span_id is not None else None
        for above in reversed(path):
            if spans[above].kind == kind:
                span_id = above
            near[above] = span_id
    return near


def _index(events: list[Any]) -> tuple[dict[str, _Span], dict[str, dict[str, Any]]]:
    """Every span, and the tool event of each ``tool`` span (the first tool event of that
    name after the span opens: the event itself carries its parent's span id)."""
    spans: dict[str, _Span] = {}
    tool_of: dict[str, dict[str, Any]] = {}
    pending: str | None = None
    for event in events:
        event = as_dict(event)
        if event.get("event") == "span_begin" and (span_id := str_or_none(event.get("id"))):
            kind = str_or_none(event.get("type"))
            spans[span_id] = _Span(
                kind, str_or_none(event.get("name")), str_or_none(event.get("parent_id"))
            )
            if kind == "tool":
                pending = span_id
        elif event.get("event") == "tool" and pending is not None:
            if spans[pending].name == str_or_none(event.get("function")):
                tool_of[pending] = event
            pending = None
    return spans, tool_of


def _produced(event: dict[str, Any]) -> str | None:
    """The id of the message a model or tool event produced."""
    if event.get("event") == "tool":
        return str_or_none(event.get("message_id"))
    choices = as_list(as_dict(event.get("output")).get("choices"))
    return str_or_none(as_dict(as_dict(choices[0]).get("message")).get("id")) if choices else None


def _stopped(event: dict[str, Any], last: bool, errored: bool) -> bool:
    """Whether a tool event is a call that stopped the sample: no error and an empty
    result, and inspect says it failed (a hard error, the sample's own) or it is the
    sample's last event of a call or a model turn in a sample that errored."""
    return (
        event.get("event") == "tool"
        and event.get("error") is None
        and not text_of(event.get("result"))[0]
        and (event.get("failed") is True or (errored and last))
    )


def _agents(
    spans: dict[str, _Span], tool_of: dict[str, dict[str, Any]], tool_near: dict[str, str | None]
) -> dict[str, SubAgent]:
    """Every agent span run by a tool call (under its ``tool`` span), by span id."""
    agents: dict[str, SubAgent] = {}
    for span_id, span in spans.items():
        tool_span = tool_near.get(span.parent or "")
        if span.kind == "agent" and tool_span is not None and tool_span in tool_of:
            tool = tool_of[tool_span]
            around = spans.get(spans[tool_span].parent or "")
            handoff = str_or_none(tool.get("agent")) is not None or (
                around is not None and around.kind == "handoff"
            )
            agents[span_id] = SubAgent(span.name, tool, handoff)
    return agents


def plan(events: Any, errored: bool = False) -> Plan:
    """Read the sub-agents and sandbox exit codes of one sample's events (``errored``:
    the sample stopped on an error)."""
    events = [as_dict(event) for event in as_list(events)]
    spans, tool_of = _index(events)
    tool_near, agent_near = _nearest(spans, "tool"), _nearest(spans, "agent")
    agents = _agents(spans, tool_of, tool_near)
    result = Plan(agents=list(agents.values()), exit_codes=_exit_codes(events, tool_near, tool_of))
    # the sample's last call or model turn: a tool event with a model event after it (the
    # next turn failed) returned, and its empty result stands (rev-ingest34b N1)
    last = max(
        (i for i, event in enumerate(events) if event.get("event") in ("model", "tool")),
        default=-1,
    )
    owner_of: dict[int, SubAgent] = {}  # the agent each sub-agent's tool event ran in
    for position, event in enumerate(events):
        if event.get("event") not in ("model", "tool"):
            continue
        owner = agents.get(agent_near.get(str_or_none(event.get("span_id")) or "") or "")
        if owner is not None:
            owner.items.append(event)
            owner.positions.append(position)
            if _stopped(event, position == last, errored):
                result.stopped.add(id(event))
            owner_of[id(event)] = owner
            if produced := _produced(event):
                result.inside[produced] = (str(event.get("event")), owner)
    roots: dict[int, SubAgent] = {}
    for agent in result.agents:  # outermost first
        outer = owner_of.get(id(agent.tool))
        roots[id(agent)] = agent if outer is None else roots.get(id(outer), outer)
    result.inside = {key: (kind, roots[id(sub)]) for key, (kind, sub) in result.inside.items()}
    for agent in result.agents:
        result.by_tool.setdefault(id(agent.tool), []).append(agent)
        message_id = str_or_none(agent.tool.get("message_id"))
        if message_id is not None:
            result.by_message.setdefault(message_id, []).append(agent)
    return result


def find_copies(found: Plan, messages: list[Any]) -> None:
    """The top-level messages that are relayed copies of a sub-agent's (``found.relayed``):
    a message with the id of one a sub-agent produced, where a copy of it can be — a
    handed-off agent's (the outermost one it ran within), after that agent's transfer
    result, with the role a relay gives it (``assistant`` for a model's turn, ``user``
    or ``tool`` for a tool's result). Another message with such an id (a crafted log) is
    read as it is."""
    index: dict[str, int] = {}
    for i, message in enumerate(messages):
        index.setdefault(str_or_none(as_dict(message).get("id")) or "", i)
    for i, message in enumerate(messages):
        copy_of = found.inside.get(str_or_none(as_dict(message).get("id")) or "")
        if copy_of is None:
            continue
        kind, root = copy_of
        ran = index.get(str_or_none(root.tool.get("message_id")) or "")
        roles = ("assistant",) if kind == "model" else ("user", "tool")
        if root.handoff and ran is not None and ran < i and message.get("role") in roles:
            found.relayed[message["id"]] = message


def drop_unmatched_handoffs(found: Plan, messages: list[Any]) -> None:
    """Without message ids on every message, a handed-off agent none of whose messages is
    found among them (its relayed copies cannot be told apart) is read from the messages
    only, as they are, with the agents it ran: one reading, not the copies and the
    events both. With every id present, such an agent's turns were filtered out of the
    messages and the events are their only record."""
    ids = [str_or_none(as_dict(message).get("id")) for message in messages]
    if all(ids):
        return
    present = set(ids) - {None}  # an event with no id matches no message with none
    dropped: set[int] = set()  # the agents not read from the events, and their items
    for sub in found.agents:  # outermost first
        unmatched = sub.handoff and not any(_produced(item) in present for item in sub.items)
        if unmatched or id(sub.tool) in dropped:
            dropped.add(id(sub))
            dropped.update(id(item) for item in sub.items)
    if not dropped:
        return
    found.agents = [sub for sub in found.agents if id(sub) not in dropped]
    found.by_tool = {
        key: [sub for sub in subs if id(sub) not in dropped] for key, subs in found.by_tool.items()
    }
    found.by_message = {
        key: [sub for sub in subs if id(sub) not in dropped]
        for key, subs in found.by_message.items()
    }


def _exit_codes(
    events: list[dict[str, Any]],
    tool_near: dict[str, str | None],
    tool_of: dict[str, dict[str, Any]],
) -> dict[str, int]:
    """The exit status of each tool call (by call id) that ran exactly one sandbox command."""
    codes: dict[str, list[Any]] = {}
    for event in events:
        if event.get("event") != "sandbox" or event.get("action") != "exec":
            continue
        tool_span = tool_near.get(str_or_none(event.get("span_id")) or "")
        call_id = str_or_none(tool_of[tool_span].get("id")) if tool_span in tool_of else None
        if call_id is not None:
            codes.setdefault(call_id, []).append(event.get("result"))
    return {
        call_id: found[0]
        for call_id, found in codes.items()
        if len(found) == 1 and type(found[0]) is int
    }


def first_message(event: dict[str, Any]) -> dict[str, Any]:
    """The message of a model event's first choice (empty when it has none)."""
    choices = as_list(as_dict(event.get("output")).get("choices"))
    return as_dict(as_dict(choices[0]).get("message")) if choices else {}


def answer_call(sub: SubAgent, found: Plan) -> str | None:
    """The id of the call that submitted the sub-agent's answer, if it ended with one.

    ``react()`` ends on its ``submit`` tool and removes that call from the agent's
    messages, its answer becoming the last message's text (as in a sample's own
    messages). It is the last call of the last turn, alone in that turn, without error,
    and either missing from the relayed copy of that turn (a handoff) or its result is
    the answer the tool returned (``as_tool()``).
    """
    if len(sub.items) < 2:
        return None
    turn, result = sub.items[-2], sub.items[-1]
    message = first_message(turn)
    calls = [as_dict(call) for call in as_list(message.get("tool_calls"))]
    call_id = str_or_none(result.get("id"))
    if (
        turn.get("event") != "model"
        or result.get("event") != "tool"
        or result.get("error") is not None
        or [str_or_none(call.get("id")) for call in calls] != [call_id]
    ):
        return None
    answer = text_of(result.get("result"))[0]
    if sub.handoff:
        copy = found.relayed.get(str_or_none(message.get("id")) or "")
        kept = {str_or_none(as_dict(c).get("id")) for c in as_list(as_dict(copy).get("tool_calls"))}
        submitted = (
            copy is not None and call_id not in kept and answer in text_of(copy.get("content"))[0]
        )
    else:
        submitted = text_of(sub.tool.get("result"))[0] == answer
    return call_id if submitted and answer else None
