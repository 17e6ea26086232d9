"""What opentelemetry-instrumentation-openai-agents-v2 writes unlike other GenAI spans.

Tool calls as Python reprs (:func:`recover_parts`), an ``invoke_agent`` span holding the
agent's final history (:func:`is_agent_summary`), handoffs as ``agent_handoff`` spans
(:func:`handoffs`), chat spans named after a default agent (:func:`agent_name`), and no
content at all in its ``event_only`` mode (:func:`content_off`).

The official OpenTelemetry instrumentation of the OpenAI Agents SDK (0.1.0) fills
``gen_ai.output.messages`` with one text part per model output item; an item with no
text becomes ``str(item)``: on chat completions the message dict
(``{'content': None, ..., 'tool_calls': [{'id': 'call_1', 'function': {...}}]}``), on
the Responses API the pydantic model (``ResponseFunctionToolCall(arguments='{}',
call_id='call_1', name='transfer_to_mailpilot', ...)``). :func:`recover_parts` turns
those texts back into ``tool_call`` parts. They are parsed as data with :mod:`ast`
(a literal reader: nothing is evaluated or imported), only for spans of that
instrumentation's scope, only up to :data:`MAX_REPR_CHARS`, and never when the text holds
a prefixed string (``f'...'``, ``b'...'``: no repr has one, and on Python 3.11 an f-string
with many fields parses in quadratic time). Each text is parsed once (:func:`_parsed_repr`
is memoised: the session's steps are built twice).
"""

from __future__ import annotations

import ast
import copy
import functools
import io
import json
import tokenize
from typing import Any

from incident_lab.readers.mapping import GENAI_CONTENT_KEYS, as_dict, str_or_none

#: The instrumentation scope whose output texts may be reprs.
SCOPE = "opentelemetry.instrumentation.openai_agents"
#: The second half of the reject for a session of this instrumentation with no content.
CONTENT_OFF = (
    "content capture was off when it was recorded: opentelemetry-instrumentation-openai-"
    "agents-v2 writes no content with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="
    "event_only, no_content or false (it emits no events); set it to span_only or "
    "span_and_event (its default) where the agent runs"
)
#: The agent name the instrumentation puts on chat and tool spans when none is configured.
_DEFAULT_AGENT = "OpenAI Agent"
#: Longer texts are left as text (real reprs are a few hundred characters; parsing a
#: megabyte costs hundreds of megabytes).
MAX_REPR_CHARS = 64_000
_CALL_CLASS = "ResponseFunctionToolCall("
#: Token types of a repr (3.12 writes ``FSTRING_START`` for an f-string: not among them).
_PLAIN_TOKENS = frozenset(
    {
        tokenize.STRING,
        tokenize.NUMBER,
        tokenize.NAME,
        tokenize.OP,
        tokenize.NEWLINE,
        tokenize.NL,
        tokenize.ENDMARKER,
    }
)
#: The keywords ``ResponseFunctionToolCall`` writes: (required, all allowed).
_CALL_KEYS = (
    frozenset({"arguments", "call_id", "name", "type"}),
    frozenset(
        {"arguments", "call_id", "name", "type", "id", "status", "async_", "caller", "namespace"}
    ),
)
#: The keys a chat-completions ``ChatCompletionMessage`` repr has: (required, all allowed).
_CHAT_KEYS = (
    frozenset({"content", "role", "tool_calls"}),
    frozenset(
        {"content", "refusal", "role", "annotations", "audio", "function_call", "tool_calls"}
    ),
)
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError)


def _ours(span: dict[str, Any]) -> bool:
    return as_dict(span.get("scope")).get("name") == SCOPE


def content_off(members: list[dict[str, Any]]) -> bool:
    """True when every span is this instrumentation's and none holds any content.

    Content is a content attribute or a ``gen_ai.*`` event (a span event, or a per-message
    log record merged into its span): this instrumentation writes none of them with
    capture off, another instrumentation of the same agent may.
    """
    return all(_ours(s) and not _holds_content(s) for s in members)


def _holds_content(span: dict[str, Any]) -> bool:
    return any(k in span["attrs"] for k in GENAI_CONTENT_KEYS) or any(
        str(event["name"]).startswith("gen_ai.") for event in span["events"]
    )


def handoffs(members: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    """The ``agent_handoff`` spans' ``{"from", "to"}`` agents, in time order."""
    return [
        {
            "from": str_or_none(s["attrs"].get("gen_ai.handoff.from_agent")),
            "to": str_or_none(s["attrs"].get("gen_ai.handoff.to_agent")),
        }
        for s in members
        if _ours(s) and s["attrs"].get("gen_ai.operation.name") == "agent_handoff"
    ]


def agent_name(members: list[dict[str, Any]]) -> str | None:
    """The first agent invoked (an ``invoke_agent`` span's name), or None.

    The chat and tool spans carry the instrumentation's default name, not the agent's.
    """
    for span in members:
        name = str_or_none(span["attrs"].get("gen_ai.agent.name"))
        if _ours(span) and name and name != _DEFAULT_AGENT:
            return name
    return None


def is_agent_summary(scope: Any, operation: str) -> bool:
    """True for this instrumentation's ``invoke_agent`` span, whose messages are skipped.

    It holds the agent's whole final history and answer, but starts before the agent's
    chat spans (its history would be placed ahead of them): the chat spans hold the same
    messages, each at its time.
    """
    return operation == "invoke_agent" and as_dict(scope).get("name") == SCOPE


def recover_parts(message: Any) -> Any:
    """``message`` (a semconv ``{role, parts}`` output message) with repr texts made calls.

    A text part that is the repr of a chat-completions message with ``tool_calls`` or of
    a ``ResponseFunctionToolCall`` becomes ``tool_call`` parts (``id``, ``name``,
    ``arguments``); the message's text, if the repr held any, stays a text part. Any
    other part, and a text that does not parse or is not whole (a keyword or key the
    model does not write, a value that is not JSON: a spoof in the model's answer), is
    kept as it is.
    """
    parts = as_dict(message).get("parts")
    if not isinstance(parts, list):
        return message
    recovered: list[Any] = []
    for part in parts:
        text = as_dict(part).get("content") if as_dict(part).get("type") == "text" else None
        calls = _repr_parts(text) if isinstance(text, str) else None
        if calls is None:
            recovered.append(part)
        else:  # a copy: the memo's parts are shared
            recovered.extend(copy.deepcopy(calls))
    return message | {"parts": recovered}


def _repr_parts(text: str) -> list[dict[str, Any]] | None:
    """The parts a repr text stands for, or None when it is not one (do not mutate)."""
    if len(text) > MAX_REPR_CHARS or not text.startswith((_CALL_CLASS, "{'")):
        return None  # checked before the memo: it keeps repr-like texts under the limit only
    return _parsed_repr(text)


@functools.lru_cache(maxsize=64)
def _parsed_repr(text: str) -> list[dict[str, Any]] | None:
    """:func:`_repr_parts` of a repr-like text under the limit, memoised."""
    if _has_prefixed_string(text):
        return None
    if text.startswith(_CALL_CLASS):
        call = _call_keywords(text)
        return [_call_part(call)] if call is not None else None
    if "'tool_calls'" in text:
        return _chat_message_parts(text)
    return None


def _has_prefixed_string(text: str) -> bool:
    """True when a string token of ``text`` has a prefix, or it does not tokenize.

    :mod:`tokenize` runs in linear time; a Python 3.11 f-string is one ``STRING`` token.
    """
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.string[0] not in "'\"":
                return True
            if token.type not in _PLAIN_TOKENS:
                return True
    except (tokenize.TokenError, SyntaxError):
        return True
    return False


def _chat_message_parts(text: str) -> list[dict[str, Any]] | None:
    """The parts of a chat-completions message repr, or None unless every call is whole."""
    try:
        value = ast.literal_eval(text)
    except _PARSE_ERRORS:
        return None
    if not _is_chat_message(value):
        return None
    parts: list[dict[str, Any]] = []
    for call in value["tool_calls"]:
        if not _is_chat_call(call):
            return None
        parts.append(_call_part({"call_id": call["id"], **call["function"]}))
    if value["content"]:
        parts.insert(0, {"type": "text", "content": value["content"]})
    return parts


def _is_chat_message(value: Any) -> bool:
    """An assistant message with the keys ``ChatCompletionMessage`` writes, and calls."""
    return (
        isinstance(value, dict)
        and _CHAT_KEYS[0] <= value.keys() <= _CHAT_KEYS[1]
        and value["role"] == "assistant"
        and isinstance(value["content"], str | None)
        and isinstance(value["tool_calls"], list)
        and bool(value["tool_calls"])
    )


def _is_chat_call(call: Any) -> bool:
    return (
        isinstance(call, dict)
        and call.keys() == {"id", "function", "type"}
        and call["type"] == "function"
        and isinstance(call["id"], str)
        and isinstance(call["function"], dict)
        and call["function"].keys() == {"arguments", "name"}
        and _valid_call(call["function"]["name"], call["id"], call["function"]["arguments"])
    )


def _call_keywords(text: str) -> dict[str, Any] | None:
    """The keywords of a ``ResponseFunctionToolCall(...)`` repr, or None unless it is one.

    Its keyword set must be the model's (:data:`_CALL_KEYS`), ``type='function_call'``,
    and ``name``, ``call_id`` and ``arguments`` valid (:func:`_valid_call`).
    """
    try:
        tree = ast.parse(text, mode="eval")
    except _PARSE_ERRORS:
        return None
    body = tree.body
    if not (isinstance(body, ast.Call) and isinstance(body.func, ast.Name)) or body.args:
        return None
    out: dict[str, Any] = {}
    for keyword in body.keywords:
        try:
            out[str(keyword.arg)] = ast.literal_eval(keyword.value)
        except _PARSE_ERRORS:  # not a literal (caller=Caller(...)): kept as a name only
            out[str(keyword.arg)] = None
    if not _CALL_KEYS[0] <= out.keys() <= _CALL_KEYS[1] or out["type"] != "function_call":
        return None
    return out if _valid_call(out["name"], out["call_id"], out["arguments"]) else None


def _valid_call(name: Any, call_id: Any, arguments: Any) -> bool:
    """A non-empty str name, a str or None id, and str or JSON object/array arguments."""
    if not (isinstance(name, str) and name and isinstance(call_id, str | None)):
        return False
    if isinstance(arguments, str):
        return True
    if not isinstance(arguments, dict | list):
        return False
    try:  # the round trip drops what JSON has not: non-str keys, tuples, sets, inf, bytes
        return bool(json.loads(json.dumps(arguments, allow_nan=False)) == arguments)
    except (TypeError, ValueError, RecursionError):
        return False


def _call_part(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": str_or_none(call["call_id"]),
        "name": call["name"],
        "arguments": call["arguments"],
    }
