"""What Strands Agents writes in its own OpenTelemetry spans unlike other GenAI spans.

Strands traces natively (scope ``strands.telemetry.tracer``): ``invoke_agent``,
``execute_event_loop_cycle``, ``chat`` and ``execute_tool`` spans. By default it writes
the older per-message span events, each message's ``content`` (a ``gen_ai.choice``'s
``message``) being its Bedrock-Converse content blocks as JSON: ``{"text": …}``,
``{"toolUse": {"toolUseId", "name", "input"}}``, ``{"toolResult": {"toolUseId", "status",
"content": [blocks]}}``. :func:`events` turns those into the OpenAI-like events the
reader maps (a tool message per ``toolResult``, ``tool_calls`` per ``toolUse``).

- An ``execute_tool`` span records its arguments as a ``gen_ai.tool.message`` event and
  its result as a ``gen_ai.choice`` event (not messages of the conversation):
  :func:`tool_attrs` reads them as the span's call arguments and result, and its
  ``gen_ai.tool.status`` (``error``) as the result's error.
- ``execute_event_loop_cycle`` spans repeat the chat spans' history (with its latest
  conventions as span attributes, the last message overwrites the input: a tool result
  placed at the cycle's start) and ``invoke_agent`` spans repeat the system prompt, the
  call's new user turn only (placed after the system prompt, not after the earlier
  turns, when a later call continues the history) and the final answer (with a
  trailing newline): :func:`skipped` says what is not read. The chat spans hold it all.
"""

from __future__ import annotations

import json
from typing import Any

from incident_lab.readers.mapping import as_dict, converse_text, json_attr, str_or_none

#: The instrumentation scope Strands writes its spans under.
SCOPE = "strands.telemetry.tracer"
_TOOL_EVENTS = ("gen_ai.tool.message", "gen_ai.choice")


def ours(span: dict[str, Any]) -> bool:
    """True for a span of Strands' own tracer."""
    return as_dict(span.get("scope")).get("name") == SCOPE


def skipped(span: dict[str, Any], operation: str) -> str | None:
    """What of a Strands span is not read: ``"all"`` of an event-loop cycle or agent span,
    the ``"messages"`` of a tool span (they restate its call and result, read by
    :func:`tool_attrs`); None for any other span."""
    if not ours(span):
        return None
    return {
        "execute_event_loop_cycle": "all",
        "invoke_agent": "all",
        "execute_tool": "messages",
    }.get(operation)


def _blocks(value: Any) -> list[dict[str, Any]] | None:
    """The content blocks of a Converse message body, or None when it is not one."""
    blocks = json_attr(value)
    if not isinstance(blocks, list) or not blocks:
        return None
    if not all(isinstance(b, dict) and len(b) == 1 for b in blocks):
        return None
    return blocks


def _tool_call(block: dict[str, Any]) -> dict[str, Any] | None:
    use = as_dict(block.get("toolUse"))
    name = str_or_none(use.get("name"))
    if not name:
        return None
    args = use.get("input")
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": use.get("toolUseId"), "function": {"name": name, "arguments": arguments}}


def _result_text(result: dict[str, Any]) -> str:
    content = result.get("content")
    text = converse_text(content)
    if text is not None:
        return text
    return content if isinstance(content, str) else json.dumps(content, sort_keys=True)


def _message(blocks: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """``(OpenAI-like message, tool results)`` of Converse blocks, or None when none is a
    text, toolUse or toolResult block (then the event is read as it is). Other blocks
    (images, reasoning) are not read, as the per-message events of other
    instrumentations' non-text parts are not."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif "toolUse" in block and (call := _tool_call(block)):
            calls.append(call)
        elif "toolResult" in block:
            result = as_dict(block["toolResult"])
            results.append(
                {"role": "tool", "id": result.get("toolUseId"), "content": _result_text(result)}
            )
    if not (texts or calls or results):
        return None
    message: dict[str, Any] = {"content": "\n".join(texts)}
    if calls:
        message["tool_calls"] = calls
    return message, results


def _converted(event: dict[str, Any]) -> list[dict[str, Any]]:
    """One legacy event with Converse blocks as the OpenAI-like events it stands for."""
    attrs = event["attrs"]
    key = "message" if event["name"] == "gen_ai.choice" else "content"
    blocks = _blocks(attrs.get(key))
    found = _message(blocks) if blocks else None
    if found is None:
        return [event]
    message, results = found
    out: list[dict[str, Any]] = []
    if message["content"] or "tool_calls" in message or not results:
        if event["name"] == "gen_ai.choice":
            body = attrs | {"message": {"role": "assistant", **message}}
        else:
            body = attrs | {"content": message["content"]}
            body |= {"tool_calls": message["tool_calls"]} if "tool_calls" in message else {}
        out.append(event | {"attrs": body})
    out += [
        {"name": "gen_ai.tool.message", "time": event["time"], "attrs": result}
        for result in results
    ]
    return out


def events(span: dict[str, Any], operation: str) -> list[dict[str, Any]]:
    """The span's events as the reader maps them: unchanged for other spans; for Strands',
    Converse content blocks made OpenAI-like, and none for a tool span (see
    :func:`tool_attrs`)."""
    if not ours(span):
        return span["events"]
    if operation == "execute_tool":
        return [e for e in span["events"] if e["name"] not in _TOOL_EVENTS]
    return [out for event in span["events"] for out in _converted(event)]


def _response(messages: Any) -> Any:
    """The ``response`` of the first ``tool_call_response`` part of a tool span's output."""
    for message in json_attr(messages) if isinstance(json_attr(messages), list) else ():
        for part in as_dict(message).get("parts") or ():
            if as_dict(part).get("type") == "tool_call_response" and "response" in part:
                return part["response"]
    return None


def tool_attrs(span: dict[str, Any], attrs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A Strands tool span's ``attrs`` with the call's arguments and result filled from
    its own events where absent, and whether its status says the tool failed."""
    if not ours(span):
        return attrs, False
    extra: dict[str, Any] = {}
    response = _response(attrs.get("gen_ai.output.messages"))
    if response is not None and "gen_ai.tool.call.result" not in attrs:
        extra["gen_ai.tool.call.result"] = response  # also what the model saw of an error
    for event in span["events"]:
        body = event["attrs"]
        if event["name"] == "gen_ai.tool.message" and "gen_ai.tool.call.arguments" not in attrs:
            extra["gen_ai.tool.call.arguments"] = body.get("content")
        elif event["name"] == "gen_ai.choice" and "gen_ai.tool.call.result" not in attrs:
            extra["gen_ai.tool.call.result"] = body.get("message")
    result = extra.get("gen_ai.tool.call.result", attrs.get("gen_ai.tool.call.result"))
    text = converse_text(json_attr(result)) if result is not None else None
    if text is not None:
        extra["gen_ai.tool.call.result"] = text
    return attrs | extra, attrs.get("gen_ai.tool.status") == "error"
