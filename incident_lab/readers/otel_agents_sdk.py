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
with many fields parses in quadratic time). Each text is parsed once (:func:`_repr_parts`
is memoised: the session's steps are built twice).
"""

from __future__ import annotations

import ast
import copy
import functools
import io
import tokenize
from typing import Any

from incident_lab.readers.mapping import as_dict, as_list, str_or_none

#: The instrumentation scope whose output texts may be reprs.
SCOPE = "opentelemetry.instrumentation.openai_agents"
#: The second half of the reject for a session of this instrumentation with no content.
CONTENT_OFF = (
    "content capture was off when it was recorded: opentelemetry-instrumentation-openai-"
    "agents-v2 writes no content with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="
    "event_only, no_content or false (it emits no events); set it to span_only or "
    "span_and_event (its default) where the agent runs"
)
#: Attributes that hold content when capture is on.
_CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
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
_PARSE_ERRORS = (SyntaxError, ValueError, TypeError, RecursionError, MemoryError)


def _ours(span: dict[str, Any]) -> bool:
    return as_dict(span.get("scope")).get("name") == SCOPE


def content_off(members: list[dict[str, Any]]) -> bool:
    """True when every span is this instrumentation's and none holds any content."""
    return all(_ours(s) and not any(k in s["attrs"] for k in _CONTENT_KEYS) for s in members)


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
    other part, and a text that does not parse, is kept as it is.
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


@functools.lru_cache(maxsize=64)
def _repr_parts(text: str) -> list[dict[str, Any]] | None:
    """The parts a repr text stands for, or None when it is not one (do not mutate)."""
    if len(text) > MAX_REPR_CHARS or not text.startswith((_CALL_CLASS, "{'")):
        return None
    if _has_prefixed_string(text):
        return None
    if text.startswith(_CALL_CLASS):
        call = _call_keywords(text)
        return [_call_part(call)] if call and str_or_none(call.get("name")) else None
    if text.startswith("{'") and "'tool_calls'" in text:
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
    try:
        value = ast.literal_eval(text)
    except _PARSE_ERRORS:
        return None
    calls = as_list(as_dict(value).get("tool_calls"))
    if not calls:
        return None
    parts: list[dict[str, Any]] = []
    for call in calls:
        fn = as_dict(as_dict(call).get("function"))
        if str_or_none(fn.get("name")):
            parts.append(_call_part({"call_id": call.get("id"), **fn}))
    if not parts:  # nothing recognisable: the text stays as it was
        return None
    if isinstance(content := value.get("content"), str) and content:
        parts.insert(0, {"type": "text", "content": content})
    return parts


def _call_keywords(text: str) -> dict[str, Any] | None:
    """The literal keyword values of ``Name(key=value, ...)`` (others are skipped)."""
    try:
        tree = ast.parse(text, mode="eval")
    except _PARSE_ERRORS:
        return None
    if not isinstance(tree.body, ast.Call):
        return None
    out: dict[str, Any] = {}
    for keyword in tree.body.keywords:
        try:
            out[str(keyword.arg)] = ast.literal_eval(keyword.value)
        except _PARSE_ERRORS:
            continue
    return out


def _call_part(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_call",
        "id": str_or_none(call.get("call_id")),
        "name": call["name"],
        "arguments": call.get("arguments"),
    }
