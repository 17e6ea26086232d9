"""What the Vercel AI SDK (npm ``ai``) writes in its own OpenTelemetry spans.

With ``experimental_telemetry: { isEnabled: true }`` the SDK traces each call (scope
``ai``; every span has ``ai.operationId``): an outer ``ai.generateText`` /
``ai.streamText`` span, a ``….doGenerate`` / ``….doStream`` span per model call and an
``ai.toolCall`` span per tool run. Its content is in its own attributes, not the GenAI
conventions; :func:`lend` gives each span the GenAI attributes they stand for (never
over one it has):

- a model call's ``ai.prompt.messages`` (the SDK's messages: ``system`` text,
  ``user`` / ``assistant`` / ``tool`` parts ``text``, ``tool-call``, ``tool-result``)
  as ``gen_ai.input.messages``; ``ai.prompt.tools`` (one JSON string per tool) as
  ``gen_ai.tool.definitions``; ``ai.response.text`` and ``ai.response.toolCalls`` as
  ``gen_ai.output.messages``. A ``tool-result`` whose output is ``error-text`` /
  ``error-json`` / ``execution-denied`` is a failed result. Other parts (reasoning,
  files) are not read; text under a role other than system/user/assistant is a tool's.
- an ``ai.toolCall`` span as an ``execute_tool`` span: ``ai.toolCall.name`` / ``.id`` /
  ``.args`` / ``.result``; a tool that threw has an error status (its message is the
  result).
- the outer ``ai.generateText`` / ``ai.streamText`` spans repeat the first prompt and
  the last step's tool calls and text (ai 6.0.333 writes them there): their model-call
  spans are read instead; an outer span is read only when none of those is in the input.

``recordInputs: false`` drops ``ai.prompt*`` (no system prompt or user turn),
``recordOutputs: false`` ``ai.response.*`` content and ``ai.toolCall.args`` / ``.result``
(every call's arguments): a session recorded with either is a reject that says so
(:func:`content_off`), not a session without its prompts or arguments.

ai 7's OpenTelemetry integration is the package ``@ai-sdk/otel``
(``registerTelemetry(...)``; the call option is ``telemetry``, ``experimental_telemetry``
still accepted). Its ``LegacyOpenTelemetry`` writes the ``ai.*`` spans above (read as
they are); its ``OpenTelemetry`` writes GenAI-convention spans under scope ``gen_ai``, or
under the scope of the ``tracer`` it is given (``invoke_agent`` / ``chat`` /
``execute_tool``, and ``step <n>`` spans of operation ``agent_step``), which the GenAI
reader reads as they are; nothing is lent. Its ``recordInputs: false`` drops
``gen_ai.input.messages``, ``gen_ai.system_instructions`` and
``gen_ai.tool.call.arguments``, ``recordOutputs: false`` ``gen_ai.output.messages`` and
``gen_ai.tool.call.result`` (the answers; a failed tool's message), while the
``execute_tool`` spans stay. Those spans are known by what only ``@ai-sdk/otel`` writes
(:func:`marked_v7`: ``agent_step`` spans, ``gen_ai.execute_tool.duration``), whatever
their scope; a call with neither (``generateObject``, ``embed``) under a custom tracer's
scope is read as any GenAI spans.

Each SDK call of a session is judged on its own (:func:`off_calls`; its spans may be mixed
with ``ai.*`` ones, another instrumentation's, or another call's recorded with other
settings), if it has a ``chat``, ``invoke_agent`` or ``execute_tool`` span (or ai 6's
``ai.*`` spans; ai 7's ``embed`` writes ``embeddings`` spans that never carry content): a
call with either switch off is a reject of its own and left out of the session, not read
with null arguments or without its answers; a session whose every judged call is off is
one reject (:func:`content_off`). Spans of scope ``gen_ai`` without those marks (a tracer
an application named ``gen_ai``, ai 7's ``embed``) are judged only when a call holds no
content at all, and the reject names the generic setting, not the AI SDK's.
"""

from __future__ import annotations

import json
from typing import Any

from incident_lab.readers.mapping import as_dict, as_list, json_attr, str_or_none
from incident_lab.readers.otel_steps import CONTENT_OFF as GENERIC_CONTENT_OFF
from incident_lab.readers.otel_steps import attribute_events

#: The instrumentation scope the AI SDK writes its spans under.
SCOPE = "ai"
#: The scope ai 7's ``@ai-sdk/otel`` writes its GenAI-convention spans under.
SCOPE_V7 = "gen_ai"
#: The second half of the reject for a session recorded without content.
CONTENT_OFF = (
    "content capture was off when it was recorded: the AI SDK's telemetry settings "
    "(telemetry or experimental_telemetry) had "
    "recordInputs: false (drops the prompts: no system prompt or user turn) and/or "
    "recordOutputs: false (drops the answers, tool arguments and results); leave both at "
    "their default (true) where it runs"
)
_ROLES = frozenset({"system", "user", "assistant", "tool"})
_FAILED = frozenset({"error-text", "error-json", "execution-denied"})
#: Attributes that only exist when inputs (``recordInputs``) were recorded.
_INPUT_KEYS = ("ai.prompt.messages", "ai.prompt")
#: Attributes that only exist when outputs (``recordOutputs``) were recorded.
_OUTPUT_KEYS = (
    "ai.response.text",
    "ai.response.toolCalls",
    "ai.toolCall.args",
    "ai.toolCall.result",
)
#: What a model call that answered has whatever is recorded.
_ANSWERED = "ai.response.finishReason"
#: ai 7's (``@ai-sdk/otel``) attributes that only exist when inputs were recorded.
_INPUT_KEYS_V7 = (
    "gen_ai.input.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
)
#: ai 7's attributes that only exist when outputs were recorded.
_OUTPUT_KEYS_V7 = ("gen_ai.output.messages", "gen_ai.tool.call.result")
#: What an ai 7 model call that answered has whatever is recorded.
_ANSWERED_V7 = "gen_ai.response.finish_reasons"
_INPUTS = frozenset(_INPUT_KEYS + _INPUT_KEYS_V7)
_OUTPUTS = frozenset(_OUTPUT_KEYS + _OUTPUT_KEYS_V7)
_ANSWERED_ANY = frozenset({_ANSWERED, _ANSWERED_V7})


def ours(span: dict[str, Any]) -> bool:
    """True for a span of the AI SDK's tracer."""
    return as_dict(span.get("scope")).get("name") == SCOPE and "ai.operationId" in span["attrs"]


def _response(output: Any) -> dict[str, Any]:
    """A ``tool-result`` part's output as ``{"result": value}`` or ``{"error": value}``."""
    output = as_dict(output)
    kind = output.get("type")
    value = output.get("value", output.get("reason", kind))
    return {"error" if kind in _FAILED else "result": value}


def _part(part: Any) -> dict[str, Any] | None:
    part = as_dict(part)
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return {"type": "text", "content": part["text"]}
    if kind == "tool-call":
        args = json_attr(part.get("input"))
        return {"type": "tool_call", "id": part.get("toolCallId"), "name": part.get("toolName")} | {
            "arguments": {} if args is None else args
        }
    if kind == "tool-result":
        return {"type": "tool_call_response", "id": part.get("toolCallId")} | {
            "response": _response(part.get("output"))
        }
    return None


def _message(message: Any) -> dict[str, Any] | None:
    message = as_dict(message)
    content = message.get("content")
    if isinstance(content, str):
        parts = [{"type": "text", "content": content}] if content else []
    else:
        parts = [p for p in (_part(x) for x in as_list(content)) if p]
    if not parts:
        return None
    role = message.get("role")
    if not isinstance(role, str | None):
        raise ValueError(
            f"ai.prompt.messages: a message role is a {type(role).__name__}, not a string"
        )
    return {"role": role if role in _ROLES else "tool", "parts": parts}


def _tools(value: Any) -> list[dict[str, Any]]:
    found = []
    for item in as_list(json_attr(value)):
        tool = as_dict(json_attr(item))
        if str_or_none(tool.get("name")):
            entry = {"name": tool["name"], "description": tool.get("description")}
            found.append(entry | {"parameters": tool.get("inputSchema")})
    return found


def _answer(attrs: dict[str, Any], ran: frozenset[Any]) -> dict[str, Any] | None:
    """The model's answer; a tool call that has an ``ai.toolCall`` span (its id in ``ran``)
    is that span's call, not read twice."""
    parts: list[dict[str, Any]] = []
    text = attrs.get("ai.response.text")
    if isinstance(text, str) and text:
        parts.append({"type": "text", "content": text})
    for call in as_list(json_attr(attrs.get("ai.response.toolCalls"))):
        found = _part(as_dict(call) | {"type": "tool-call"})
        if found and str_or_none(found.get("name")) and found.get("id") not in ran:
            parts.append(found)
    return {"role": "assistant", "parts": parts} if parts else None


def _model_attrs(attrs: dict[str, Any], ran: frozenset[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    messages = [
        m for m in (_message(x) for x in as_list(json_attr(attrs.get("ai.prompt.messages")))) if m
    ]
    if messages:
        out["gen_ai.input.messages"] = json.dumps(messages)
    if tools := _tools(attrs.get("ai.prompt.tools")):
        out["gen_ai.tool.definitions"] = json.dumps(tools)
    if answer := _answer(attrs, ran):
        out["gen_ai.output.messages"] = json.dumps([answer])
    return out


def _tool_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"gen_ai.operation.name": "execute_tool"}
    for key, name in (("name", "name"), ("id", "call.id"), ("args", "call.arguments")):
        if f"ai.toolCall.{key}" in attrs:
            out[f"gen_ai.tool.{name}"] = attrs[f"ai.toolCall.{key}"]
    if "ai.toolCall.result" in attrs:
        out["gen_ai.tool.call.result"] = json_attr(attrs["ai.toolCall.result"])
    return out


def _model_call(span: dict[str, Any]) -> bool:
    return str(span["attrs"].get("ai.operationId")).endswith((".doGenerate", ".doStream"))


def ran_in(spans: list[dict[str, Any]]) -> tuple[set[tuple[Any, Any]], dict[Any, frozenset[Any]]]:
    """What :func:`lend` needs to know of a trace's spans: ``(trace, id)`` of the outer
    spans that are the parent of an AI SDK model-call span (their calls are read from
    those), and the call ids of each trace's ``ai.toolCall`` spans."""
    outer = {(s["trace"], s["parent"]) for s in spans if ours(s) and _model_call(s)}
    ran: dict[Any, set[Any]] = {}
    for span in spans:
        if ours(span) and "ai.toolCall.id" in span["attrs"]:
            ran.setdefault(span["trace"], set()).add(span["attrs"]["ai.toolCall.id"])
    return outer, {
        trace: frozenset(i for i in ids if isinstance(i, str)) for trace, ids in ran.items()
    }


def lend(span: dict[str, Any], outer: set[tuple[Any, Any]], ran: dict[Any, frozenset[Any]]) -> None:
    """Give an AI SDK model-call or tool span the GenAI attributes its own stand for,
    where it has none (``outer``, ``ran``: :func:`ran_in`).

    An outer span repeats its last step's tool calls and text: it is read only when none
    of its model-call spans is in the input. A model call's tool call that has an
    ``ai.toolCall`` span is read from that span only (the SDK's span times are whole
    milliseconds at the start: a tool span can seem to start before the model call that
    asked for it ends, and the call would be read again after its own result)."""
    if not ours(span) or (span["trace"], span["id"]) in outer:
        return
    attrs = span["attrs"]
    if "ai.toolCall.name" in attrs:
        found = _tool_attrs(attrs)
    else:
        found = _model_attrs(attrs, ran.get(span["trace"], frozenset()))
    for key, value in found.items():
        attrs.setdefault(key, value)


#: What only ai 7's ``@ai-sdk/otel`` writes: a ``step <n>`` span of operation
#: ``agent_step`` per step, ``gen_ai.execute_tool.duration`` on each ``execute_tool`` span.
_MARK_OPERATION, _MARK_KEY = "agent_step", "gen_ai.execute_tool.duration"


def marked_v7(span: dict[str, Any]) -> bool:
    """True for a span only ai 7's ``@ai-sdk/otel`` writes (:data:`_MARK_OPERATION`,
    :data:`_MARK_KEY`), whatever its scope (a custom ``tracer`` changes it)."""
    attrs = span["attrs"]
    return attrs.get("gen_ai.operation.name") == _MARK_OPERATION or _MARK_KEY in attrs


def _calls(members: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The spans of each SDK call: those under one ``invoke_agent`` span (ai 7), or under
    one span outside ``members`` (ai 6's outer ``ai.generateText`` span, which carries no
    GenAI attribute), by their topmost ancestor in ``members`` (found once per span: a
    chain of parents is walked once, not once per span in it)."""
    index = {(s["trace"], s["id"]): s for s in members}
    tops: dict[tuple[Any, Any], dict[str, Any]] = {}
    calls: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for span in members:
        top = _top(span, index, tops)
        root = top["attrs"].get("gen_ai.operation.name") == "invoke_agent" or not top.get("parent")
        key = (top["trace"], top["id"] if root else top["parent"])
        calls.setdefault(key, []).append(span)
    return list(calls.values())


def _top(
    span: dict[str, Any],
    index: dict[tuple[Any, Any], dict[str, Any]],
    tops: dict[tuple[Any, Any], dict[str, Any]],
) -> dict[str, Any]:
    """``span``'s topmost ancestor in ``index``, noting it in ``tops`` for every span on
    the way (a parent cycle ends at the span that closes it)."""
    chain: dict[tuple[Any, Any], None] = {}
    node = span
    while (key := (node["trace"], node["id"])) not in tops and key not in chain:
        chain[key] = None
        up = index.get((node["trace"], node["parent"])) if node.get("parent") else None
        if up is None:
            tops[key] = node
            break
        node = up
    top = tops.get(key, node)
    for seen in chain:
        tops[seen] = top
    return top


#: The operations of a call whose content can be off: an embeddings-only call (ai 7's
#: ``embed``, whose ``embeddings`` spans never carry content) is not judged.
_JUDGED = frozenset({"chat", "invoke_agent", "execute_tool"})


def _judged(span: dict[str, Any]) -> bool:
    return ours(span) or span["attrs"].get("gen_ai.operation.name") in _JUDGED


def _has_events(span: dict[str, Any]) -> bool:
    return any(str(e["name"]).startswith("gen_ai.") for e in span["events"]) or bool(
        attribute_events(span)
    )


def _own_keys(span: dict[str, Any]) -> set[str]:
    """A span's attribute keys in its own schema: an ai 6 span's ``ai.*`` ones (not the
    GenAI ones :func:`lend` gave it), any other span's GenAI ones."""
    if ours(span):
        return {key for key in span["attrs"] if not key.startswith("gen_ai.")}
    return set(span["attrs"])


def _call_off(spans: list[dict[str, Any]]) -> str | None:
    """Whose reject one SDK call is: ``"ai"`` when the AI SDK's spans (ai 6's ``ai.*`` or
    ai 7's marks, :func:`marked_v7`) show either switch off (no content; or a model call
    answered and no span holds its inputs, or none its outputs), ``"gen_ai"`` for a call
    of unmarked spans all of scope ``gen_ai`` that holds no content at all, else None.
    Content is any schema's input or output attribute, or a ``gen_ai.*`` event (of its
    own or as pydantic-ai's ``events`` attribute)."""
    if any(_has_events(span) for span in spans):
        return None
    keys = {key for span in spans for key in _own_keys(span)}
    inputs, outputs = keys & _INPUTS, keys & _OUTPUTS
    if any(ours(s) or marked_v7(s) for s in spans):
        off = not (inputs or outputs) or (bool(keys & _ANSWERED_ANY) and not (inputs and outputs))
        return "ai" if off else None
    scope_only = all(as_dict(s.get("scope")).get("name") == SCOPE_V7 for s in spans)
    return "gen_ai" if scope_only and not (inputs or outputs) else None


def off_calls(members: list[dict[str, Any]]) -> tuple[list[tuple[str, list[dict[str, Any]]]], int]:
    """The SDK calls (:func:`_calls`) recorded with content off, each with whose reject
    it is (:func:`_call_off`), and how many calls were judged (an embeddings-only call is
    not: ai 7's ``embeddings`` spans never carry content)."""
    judged = [call for call in _calls(members) if any(map(_judged, call))]
    return [(whose, call) for call in judged if (whose := _call_off(call))], len(judged)


def why_off(whose: str) -> str:
    """The second half of the reject of a call :func:`_call_off` judged ``whose``."""
    return CONTENT_OFF if whose == "ai" else GENERIC_CONTENT_OFF


def content_off(
    members: list[dict[str, Any]], found: tuple[list[tuple[str, Any]], int] | None = None
) -> str | None:
    """Why a whole session is a reject: every judged call of it (:func:`off_calls`)
    recorded with content off, or None. The AI SDK's settings are named only when a
    call's spans are the AI SDK's, else the generic setting. A session with some calls
    that have content is read without the others (:func:`off_calls`: each is a reject of
    its own). Fails towards "content present" (a ``gen_ai.*`` event, a call without an
    answered model call). ``found``: :func:`off_calls` of ``members``, if known."""
    off, judged = off_calls(members) if found is None else found
    if not off or len(off) < judged:
        return None
    why = why_off("ai" if any(whose == "ai" for whose, _ in off) else "gen_ai")
    return f"{len(members)} GenAI span(s) and no message content: {why}"
