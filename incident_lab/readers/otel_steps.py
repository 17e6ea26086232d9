"""Steps from GenAI spans: what one span contributes to a session, and merging it in.

A span's inputs are placed at its start and its outputs at its end
(:func:`span_timeline`); :func:`merge_steps` adds them to the session without
repeating the history that every chat span carries again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from incident_lab.readers import (
    otel_adk,
    otel_agents_sdk,
    otel_langchain,
    otel_pydantic_ai,
    otel_strands,
    otel_vertexai,
)
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    content_output,
    converse_text,
    json_attr,
    nanos_to_rfc3339,
    output_text,
    str_or_none,
    text_of,
    tool_call_step,
)
from incident_lab.trajectory import compact_json

#: The second half of the reject for a session recorded with content capture off.
CONTENT_OFF = (
    "content capture was off when it was recorded. Turn it on where the instrumentation "
    "runs: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (content goes to log "
    "records: export and pass the logs file too), or with "
    "OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental set it to span_only, "
    "event_only or span_and_event (event_only writes content to log records only); "
    "if content went to log records, pass that file in the same --from"
)

LEGACY_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
#: Private link from a tool span's call without an id to its result (see :class:`CallIndex`).
_RESULT = "_span_result"
#: Private mark of a tool span's call whose arguments were not recorded (see :class:`CallIndex`).
_ANY_ARGUMENTS = "_span_without_arguments"
#: Message roles as trajectory roles. ``model`` is Gemini's role for the model's turns,
#: which opentelemetry-instrumentation-vertexai (2.2b0) writes as it is.
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "model": "assistant",
}


class SpanMappingError(Exception):
    """A span cannot be mapped into steps (the message names why)."""


def join_log(span: dict[str, Any], log: dict[str, Any]) -> None:
    """Attach a GenAI log record (an event emitted as an OTLP log) to its span.

    Per-message events become span events, their body merged into their attributes;
    the operation-details event (and any other record carrying ``gen_ai.*``
    attributes) lends its attributes to the span where the span has none.
    """
    span["log_records"] = span.get("log_records", 0) + 1
    if log["path"] != span["path"] and log["path"] not in span.setdefault("log_files", []):
        span["log_files"].append(log["path"])
    if span.get("from_logs_only") and log["time"]:
        span["start"] = min(span["start"] or log["time"], log["time"])
        span["end"] = max(span["end"], log["time"])
    name = log["name"]
    body = json_attr(log["body"])
    if (name in LEGACY_EVENTS or name == "gen_ai.choice") and not otel_adk.absorb(span, log, body):
        attrs = (body if isinstance(body, dict) else {"content": body}) | log["attrs"]
        span["events"].append({"name": name, "time": log["time"], "attrs": attrs})
    for key, value in log["attrs"].items():
        if otel_adk.fuller_tools(span, key, value):
            span["attrs"][key] = value
        elif key.startswith("gen_ai.") and key != "gen_ai.event.content":
            span["attrs"].setdefault(key, value)


#: The event of the newer conventions holding a call's messages as attributes.
DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def lend_details(span: dict[str, Any]) -> None:
    """Give the span the ``gen_ai.*`` attributes of its ``gen_ai.client.inference.operation.details``
    span events where it has none (Strands writes its content that way: as span events,
    not log records); the first event with a key wins, as for log records."""
    for event in span["events"]:
        if event["name"] == DETAILS_EVENT:
            for key, value in event["attrs"].items():
                if key.startswith("gen_ai."):
                    span["attrs"].setdefault(key, value)


def attribute_events(span: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-message GenAI events a span carries as one JSON array attribute, ``events``.

    pydantic-ai's legacy data format 1 (``event_mode="attributes"``, the Logfire way)
    writes each event as an object with its name under ``event.name`` and its body
    fields beside it. Only objects naming a per-message GenAI event are taken (as span
    events: ``{"name", "time", "attrs"}``); any other ``events`` attribute gives none, and
    so does a span that has such events of its own (they are read instead, never both).
    """
    if any(_is_message_event(event["name"]) for event in span["events"]):
        return []
    found: list[dict[str, Any]] = []
    for item in as_list(json_attr(span["attrs"].get("events"))):
        name = as_dict(item).get("event.name")
        if _is_message_event(name):
            attrs = {k: v for k, v in item.items() if k != "event.name"}
            found.append({"name": name, "time": None, "attrs": attrs})
    return found


def _is_message_event(name: Any) -> bool:
    return name in LEGACY_EVENTS or name == "gen_ai.choice"


def has_content(steps: list[dict[str, Any]]) -> bool:
    """True when any step holds recorded content (text, a tool call, or a tool output)."""
    for step in steps:
        if step["type"] == "message" and (step.get("content") or "").strip():
            return True
        if step["type"] == "tool_call" or (step["type"] == "tool_result" and step.get("output")):
            return True
    return False


def session_steps(
    members: list[dict[str, Any]], timeline: Callable[[dict[str, Any]], list[Any]] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The steps of a group of spans in time order, history merged: ``(key, step)`` pairs.

    ``timeline`` maps a span to its moments (default :func:`span_timeline`).

    Raises:
        SpanMappingError: a span cannot be mapped.
    """
    timeline = timeline or span_timeline
    moments = sorted(
        (item for span in members for item in timeline(span)), key=lambda m: (m[0], m[1])
    )
    steps: list[dict[str, Any]] = []
    keys: list[str] = []
    index = CallIndex()
    for _time, _order, moment_kind, new in moments:
        merge_steps(steps, keys, moment_kind, new, index)
    return list(zip(keys, steps, strict=True))


def operation(span: dict[str, Any]) -> str:
    """The span's ``gen_ai.operation.name``, else the first word of its name."""
    op = span["attrs"].get("gen_ai.operation.name")
    if isinstance(op, str):
        return op
    name = span["name"] if isinstance(span["name"], str) else ""
    return name.split(" ", 1)[0]


def _parts_steps(message: Any, stamp: dict[str, str]) -> list[dict[str, Any]]:
    """Map a semconv message ``{role, parts: [...]}`` to steps."""
    if not isinstance(message, dict):
        raise SpanMappingError(f"message is a {type(message).__name__}, expected an object")
    role = message.get("role")
    parts = message.get("parts")
    if parts is None and "content" in message:
        parts = [{"type": "text", "content": message["content"]}] if message["content"] else []
    text, others = text_of(as_list(parts))
    steps: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    leftover: list[Any] = []
    for part in others:
        ptype = as_dict(part).get("type")
        if ptype == "tool_call" and str_or_none(part.get("name")):
            calls.append(
                tool_call_step(part["name"], part.get("arguments"), _clean_id(part.get("id")))
                | stamp
            )
        elif ptype == "tool_call_response":
            response = part.get("response", part.get("result"))
            calls.append(_response_step(part.get("id"), response, stamp))
        else:
            leftover.append(part)
    if role == "tool":
        if (text or leftover) and not _repeats_a_response(text, leftover, calls):
            steps.append({"type": "tool_result", "call_id": None, "output": text} | stamp)
    elif isinstance(role, str) and role in _ROLES:
        if text or leftover or not calls:
            step: dict[str, Any] = {"type": "message", "role": _ROLES[role], "content": text}
            step.update(stamp)
            if leftover:
                step["x_otel"] = {"parts": leftover}
            steps.append(step)
    else:
        raise SpanMappingError(
            f"message role {compact_json(role)[:40]} is not system/user/assistant/tool"
        )
    return steps + calls


def _repeats_a_response(text: str, leftover: list[Any], calls: list[dict[str, Any]]) -> bool:
    """True when a tool message's text only repeats one of its ``tool_call_response`` parts
    (opentelemetry-instrumentation-openai-agents-v2 writes the output as both)."""
    return not leftover and any(c["type"] == "tool_result" and c["output"] == text for c in calls)


def _response_step(call_id: Any, response: Any, stamp: dict[str, str]) -> dict[str, Any]:
    """The result step of a recorded function response (see :func:`_response_text`)."""
    output, failed = _response_text(response)
    result = {"type": "tool_result", "call_id": _clean_id(call_id), "output": output}
    return result | ({"is_error": True} if failed else {}) | stamp


def _response_text(response: Any) -> tuple[str, bool]:
    """A tool response's text and whether it is an error.

    Gemini wraps a function's return value as ``{"result": value}`` and its exception
    as ``{"error": message}`` (google-genai's automatic function calling; the
    google-genai instrumentation records that object): the value itself is the output.
    Any other response is its text, or its canonical JSON.
    """
    if isinstance(response, dict) and len(response) == 1:
        ((key, value),) = response.items()
        if key in ("result", "output", "error"):
            return output_text(value), key == "error"
    text = converse_text(response)  # Strands: the tool's content blocks
    return (output_text(response) if text is None else text), False


def _clean_id(value: Any) -> str | None:
    text = str_or_none(value)
    return text.strip() if text else None


def _legacy_steps(
    span: dict[str, Any], event: dict[str, Any], stamp: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Map an older event-based GenAI span event to ``("input"|"output", steps)``.

    A tool message's content is its output as recorded, except a Vertex AI function
    response (:func:`otel_vertexai.structured_response`), read as a
    ``tool_call_response`` part is."""
    attrs = dict(event["attrs"])
    body = json_attr(attrs.pop("gen_ai.event.content", None))
    if isinstance(body, dict):
        attrs = body | attrs
    name = event["name"]
    if name == "gen_ai.choice":
        return "output", _openai_like(_choice_message(event), stamp)
    role = LEGACY_EVENTS[name]
    if role == "tool" and otel_vertexai.structured_response(span, attrs.get("content")):
        return "input", [_response_step(attrs.get("id"), attrs["content"], stamp)]
    msg = {"role": role, "content": json_attr(attrs.get("content")), "id": attrs.get("id")}
    msg["tool_calls"] = json_attr(attrs.get("tool_calls"))
    return "input", _openai_like(msg, stamp)


def _choice_attrs(event: dict[str, Any]) -> dict[str, Any]:
    attrs = dict(event["attrs"])
    body = json_attr(attrs.pop("gen_ai.event.content", None))
    return body | attrs if isinstance(body, dict) else attrs


def _choice_index(event: dict[str, Any]) -> Any:
    index = _choice_attrs(event).get("index")
    return int(index) if isinstance(index, str) and index.isdigit() else index


def _choice_message(event: dict[str, Any]) -> dict[str, Any]:
    """A ``gen_ai.choice`` event's message, as an OpenAI-like assistant message."""
    attrs = _choice_attrs(event)
    msg = json_attr(attrs.get("message"))
    msg = msg if isinstance(msg, dict) else {"content": attrs.get("content")}
    return {"role": "assistant", **msg}


def _gemini_calls(content: Any) -> list[dict[str, Any]]:
    """The Gemini ``function_call`` parts of a message's content as OpenAI-like tool calls.

    opentelemetry-instrumentation-vertexai's default events write a message's content as
    Gemini parts (``{"function_call": {"name", "args"}}``, ``{"text": ...}``) and the
    calls of a history message without ids; the id is the one it makes up for the same
    call in its ``gen_ai.choice`` event and ``gen_ai.input.messages``: the function's
    name and the index of its part among all the message's parts (its responses' ids
    count otherwise: :func:`otel_vertexai.pair_responses` pairs them).
    """
    calls: list[dict[str, Any]] = []
    for index, part in enumerate(as_list(content)):
        call = as_dict(as_dict(part).get("function_call"))
        name = str_or_none(call.get("name"))
        if name:
            function = {"name": name, "arguments": call.get("args")}
            calls.append({"id": f"{name}_{index}", "function": function})
    return calls


def _openai_like(msg: dict[str, Any], stamp: dict[str, str]) -> list[dict[str, Any]]:
    """Steps from an older-convention message (OpenAI-like ``content`` + ``tool_calls``)."""
    role = msg.get("role")
    if role == "tool":  # a JSON output (decoded from its string) is kept whole, as JSON
        output = content_output(msg.get("content"))
        return [
            {"type": "tool_result", "call_id": _clean_id(msg.get("id")), "output": output} | stamp
        ]
    text, _ = text_of(msg.get("content"))
    steps: list[dict[str, Any]] = []
    calls = as_list(msg.get("tool_calls")) or _gemini_calls(msg.get("content"))
    if text or not calls:
        steps.append(
            {"type": "message", "role": _ROLES.get(str(role), "user"), "content": text} | stamp
        )
    for call in calls:
        fn = as_dict(as_dict(call).get("function"))
        name = str_or_none(fn.get("name"))
        if name:
            steps.append(
                tool_call_step(name, fn.get("arguments"), _clean_id(call.get("id"))) | stamp
            )
    return steps


def _step_key(step: dict[str, Any]) -> str:
    if step["type"] == "tool_call":
        ident = step.get("call_id") or [step["name"], step["arguments"]]
        return compact_json(["c", ident])
    if step["type"] == "tool_result":
        return compact_json(["r", step.get("call_id") or step["output"]])
    return compact_json(["m", step.get("role"), step.get("content")])


def with_alternatives(
    steps: list[dict[str, Any]],
    others: list[Any],
    end: dict[str, str],
    mapper: Callable[[Any, dict[str, str]], list[dict[str, Any]]],
    key: str = "x_otel",
) -> list[dict[str, Any]]:
    """The first choice's steps, the other choices kept whole on its first step.

    Each output message (or ``gen_ai.choice`` event) is one alternative response of
    the same call (``n`` > 1): only the first continues the session, the others
    are kept as ``<key>.alternatives`` (never read as later turns, never dropped).
    With no step for the first choice, the first alternative takes its place.
    """
    if not others:
        return steps
    if not steps:
        first, *others = others
        steps = mapper(first, end)
        if not steps:
            steps = [{"type": "message", "role": "assistant", "content": ""} | end]
    head = steps[0]
    head[key] = as_dict(head.get(key)) | {"alternatives": list(others)}
    return steps


def _add_event_steps(
    span: dict[str, Any],
    end: dict[str, str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> None:
    """Steps of the span's legacy per-message events (outputs stamped with the span's end);
    ``gen_ai.choice`` events past index 0 are the first choice's alternatives."""
    chosen: list[dict[str, Any]] = []
    others: list[Any] = []
    for event in otel_strands.events(span, operation(span)) + attribute_events(span):
        if event["name"] == "gen_ai.choice" and _choice_index(event) not in (None, 0):
            others.append(_choice_message(event))
        elif event["name"] in LEGACY_EVENTS or event["name"] == "gen_ai.choice":
            kind, steps = _legacy_steps(span, event, {})
            if kind == "input":
                inputs.extend(steps)
            else:
                chosen.extend(s | end for s in steps)
    outputs.extend(with_alternatives(chosen, others, end, _openai_like))


def _add_tool_steps(
    span: dict[str, Any],
    start: dict[str, str],
    end: dict[str, str],
    calls: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> None:
    """An ``execute_tool`` span's call (at its start) and result or error (at its end)."""
    attrs, errored = otel_strands.tool_attrs(span, otel_pydantic_ai.tool_attrs(span))
    attrs, adk_error = otel_adk.tool_attrs(span, attrs)
    attrs, langchain_error = otel_langchain.tool_attrs(span, attrs)
    name = str_or_none(attrs.get("gen_ai.tool.name")) or "unknown_tool"
    call_id = _clean_id(attrs.get("gen_ai.tool.call.id"))
    call = tool_call_step(name, attrs.get("gen_ai.tool.call.arguments"), call_id) | start
    calls.append(call)
    status = span["status"]
    failed = errored or adk_error or langchain_error
    failed = failed or status.get("code") in (2, "2", "STATUS_CODE_ERROR")
    failed = failed or "error.type" in attrs
    recorded = attrs.get("gen_ai.tool.call.result")
    result: dict[str, Any] | None = None
    if recorded is not None or failed:
        output = output_text(json_attr(recorded)) if recorded is not None else ""
        if failed and not output:
            output = status.get("message") or _exception_text(span)
            output = str(output or attrs.get("error.type") or "error")
        result = {"type": "tool_result", "call_id": call_id, "name": name, "output": output}
        result |= {"is_error": failed} | end
        outputs.append(result)
    if call_id is None:
        call[_RESULT] = result
        if otel_adk.ours(span) and "gen_ai.tool.call.arguments" not in attrs:
            call[_ANY_ARGUMENTS] = True  # ADK's EVENT_ONLY: content in log records only


def _exception_text(span: dict[str, Any]) -> str:
    """``type: message`` of the span's first ``exception`` event (OTel's record of what was
    raised: the only record of a tool's error when the span has no status message)."""
    for event in span["events"]:
        if event["name"] == "exception":
            attrs = event["attrs"]
            parts = (str_or_none(attrs.get(k)) for k in ("exception.type", "exception.message"))
            return ": ".join(p for p in parts if p)
    return ""


def span_timeline(span: dict[str, Any]) -> list[tuple[int, int, str, list[dict[str, Any]]]]:
    """The span's inputs at its start and outputs at its end, as ``(time, order, kind, steps)``
    (an ``execute_tool`` span's call is a ``tool`` moment at its start)."""
    attrs = span["attrs"]
    start = {"timestamp": t} if (t := nanos_to_rfc3339(span["start"])) else {}
    end = {"timestamp": t} if (t := nanos_to_rfc3339(span["end"])) else {}
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    skip = otel_strands.skipped(span, operation(span))
    if skip == "all":
        return []
    if skip == "messages" or otel_agents_sdk.is_agent_summary(span.get("scope"), operation(span)):
        attrs = {}
    for message in as_list(json_attr(attrs.get("gen_ai.input.messages"))):
        inputs.extend(_parts_steps(otel_adk.untrusted_relay(span, message), {}))
    system = json_attr(attrs.get("gen_ai.system_instructions"))
    if system:
        text, _ = text_of(system)
        step = {"type": "message", "role": "system", "content": text}
        if step not in inputs:  # the agents-v2 instrumentation writes it in both places
            inputs.insert(0, step)
    choices = as_list(json_attr(attrs.get("gen_ai.output.messages")))
    if as_dict(span.get("scope")).get("name") == otel_agents_sdk.SCOPE:
        choices = [otel_agents_sdk.recover_parts(choice) for choice in choices]
    if choices:
        outputs.extend(
            with_alternatives(_parts_steps(choices[0], end), choices[1:], end, _parts_steps)
        )
    _add_event_steps(span, end, inputs, outputs)
    if otel_vertexai.ours(span):
        otel_vertexai.pair_responses(inputs)
    calls: list[dict[str, Any]] = []
    if operation(span) == "execute_tool":
        _add_tool_steps(span, start, end, calls, outputs)
    return [
        (span["start"], 0, "input", inputs),
        (span["start"], 0, "tool", calls),
        (span["end"] or span["start"], 1, "output", outputs),
    ]


class CallIndex:
    """The model's calls that an id-less ``execute_tool`` span may have run.

    Calls with an id, by name and arguments, in the order they joined the session, and
    the ids already answered by a result (:func:`merge_steps` keeps it up to date, so
    finding a call does not rescan the session).
    """

    def __init__(self) -> None:
        self.waiting: dict[str, deque[str]] = {}
        self.by_name: dict[str, deque[str]] = {}
        self.answered: set[str] = set()
        self.adopted: set[str] = set()
        #: ids of calls a tool span added before any model output named them
        self.ran_first: set[str] = set()

    def note(self, step: dict[str, Any]) -> None:
        """Record a step that joined the session."""
        ident = step.get("call_id")
        if ident is None:
            return
        if step["type"] == "tool_call":
            self.waiting.setdefault(_signature(step), deque()).append(ident)
            self.by_name.setdefault(step["name"], deque()).append(ident)
        elif step["type"] == "tool_result":
            self.answered.add(ident)

    def adopt(self, call: dict[str, Any]) -> None:
        """Give a tool span's call with no id the id of the model's call it ran.

        That is the earliest call with the same name and arguments, an id, no result yet
        and no tool span of its own (a call is taken off the index once adopted); for a
        span that recorded no arguments, the one such call of its name (none when
        several wait: which of them failed is not known). The span's result takes the
        id too.
        """
        if _RESULT not in call:
            return
        result = call.pop(_RESULT)
        if call.pop(_ANY_ARGUMENTS, False):
            ident = self._only_open(call["name"])
        else:
            ident = self._earliest_open(self.waiting.get(_signature(call), deque()))
        if ident is None:
            return
        self.adopted.add(ident)
        call["call_id"] = ident
        if result is not None:
            result["call_id"] = ident

    def _is_open(self, ident: str) -> bool:
        return ident not in self.answered and ident not in self.adopted

    def _earliest_open(self, queue: deque[str]) -> str | None:
        while queue:
            ident = queue.popleft()
            if self._is_open(ident):
                return ident
        return None

    def _only_open(self, name: str) -> str | None:
        waiting = deque(i for i in self.by_name.get(name, ()) if self._is_open(i))
        self.by_name[name] = waiting
        return waiting[0] if len(waiting) == 1 else None


def _signature(call: dict[str, Any]) -> str:
    return compact_json([call["name"], call["arguments"]])


_TOOL_STEPS = ("tool_call", "tool_result")


def _ended_before(
    step: dict[str, Any],
    key: str,
    steps: list[dict[str, Any]],
    keys: list[str],
    pos: int,
    matched: set[int],
) -> bool:
    """True for a tool call or result with a call id found in the run of tool calls and
    results that ends just before ``pos``: parallel calls' spans start and end in any
    order, the history keeps the calls' (a step without an id is never: its key is its
    output text or arguments, which two calls may share)."""
    if step["type"] not in _TOOL_STEPS or not step.get("call_id"):
        return False
    start = pos
    while start > 0 and steps[start - 1]["type"] in _TOOL_STEPS:
        start -= 1
    for i in range(start, pos):
        if keys[i] == key and i not in matched:
            matched.add(i)
            return True
    return False


def merge_steps(
    steps: list[dict[str, Any]],
    keys: list[str],
    kind: str,
    new: list[dict[str, Any]],
    index: CallIndex | None = None,
) -> None:
    """Merge ``new`` steps into ``steps`` without repeating history already present.

    ``input``: a span's history; a step not yet present goes after the last one found
    (steps before the first one found go just before it; with none found, at the end:
    a second agent's own instructions are not put ahead of the first agent's). The
    results of parallel calls are recorded in the order they ended, the history keeps
    the calls' order: a call or result found in the run of tool steps just before where
    the history has got to is not new (only one with a call id: without one, its key
    is its output or arguments, which two calls may share).
    ``output``: a span's answer, appended unless the session already ends with it; a
    call a tool span added first (its span starts in the same millisecond as the model
    call that asked for it: OTel JS start times are whole milliseconds) is that span's,
    once.
    ``tool``: a tool span's own call, appended (at its time) unless already present; a
    call without an id first takes the id of the model's call it ran (``index``, which
    every step added is noted in).
    """
    index = CallIndex() if index is None else index
    if kind == "tool":
        for step in new:
            index.adopt(step)
            key = _step_key(step)
            if key not in keys:
                steps.append(step)
                keys.append(key)
                index.note(step)
                if step["type"] == "tool_call" and step.get("call_id"):
                    index.ran_first.add(step["call_id"])
        return
    if kind == "output":
        tail = set(keys[-len(new) :]) if new else set()
        for step in new:
            key = _step_key(step)
            if step["type"] == "tool_call" and step.get("call_id") in index.ran_first:
                index.ran_first.discard(step["call_id"])  # its tool span's, read already
            elif key not in tail:
                steps.append(step)
                keys.append(key)
                index.note(step)
        return
    new_keys = [_step_key(step) for step in new]
    known = set(keys)
    pos = next((keys.index(k) for k in new_keys if k in known), len(keys))
    matched: set[int] = set()
    for step, key in zip(new, new_keys, strict=True):
        try:
            pos = keys.index(key, pos) + 1
            matched.add(pos - 1)
        except ValueError:
            if _ended_before(step, key, steps, keys, pos, matched):
                continue  # parallel calls end in any order, the history keeps theirs
            steps.insert(pos, step)
            keys.insert(pos, key)
            index.note(step)
            pos += 1
