"""What pydantic-ai writes in its own OpenTelemetry spans unlike other GenAI spans.

pydantic-ai instruments itself (``Agent.instrument_all()``, ``logfire.instrument_pydantic_ai()``;
instrumentation scope ``pydantic-ai``). Its data formats 2 to 6 are GenAI semantic
conventions read as any other (``gen_ai.input.messages`` and so on). Two things are its own:

- pydantic-ai 1.x (and 0.x) names a tool span's arguments and output ``tool_arguments``
  and ``tool_response`` instead of ``gen_ai.tool.call.arguments`` / ``.result``
  (:func:`tool_attrs`). Only spans of its scope are read that way.
- ``InstrumentationSettings(include_content=False)`` keeps every message's shape (roles,
  part types, tool names and call ids) but no text, arguments or results: such a session
  is a reject that says so (:func:`content_off`), not a session of empty messages.

Its legacy data format 1 writes the older per-message events as one JSON array attribute
(``events``); :func:`incident_lab.readers.otel_steps.attribute_events` reads that for
any span.
"""

from __future__ import annotations

from typing import Any

from incident_lab.readers.mapping import as_dict, as_list, json_attr

#: The instrumentation scope pydantic-ai writes its spans under.
SCOPE = "pydantic-ai"
#: The second half of the reject for a session recorded without content.
CONTENT_OFF = (
    "content capture was off when it was recorded: pydantic-ai was instrumented with "
    "include_content=False (InstrumentationSettings, or logfire.instrument_pydantic_ai), "
    "which keeps the messages' roles, tool names and call ids but no text, arguments or "
    "results; leave include_content at its default (True) where the agent runs"
)
#: pydantic-ai 1.x names for what the GenAI conventions call the tool call's arguments/result.
_TOOL_ALIASES = (
    ("gen_ai.tool.call.arguments", "tool_arguments"),
    ("gen_ai.tool.call.result", "tool_response"),
)
#: Attributes holding messages as ``[{role, parts: [...]}]``.
_MESSAGE_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "pydantic_ai.all_messages")
#: Attributes that only exist when content was recorded.
_CONTENT_KEYS = (
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "tool_arguments",
    "tool_response",
    "final_result",
)
#: Attributes holding format 1's events as ``[{"event.name": ..., ...}]``.
_EVENT_KEYS = ("events", "all_messages_events")
#: The keys a message part keeps when content is off (anything else is content).
_SHAPE_KEYS = frozenset({"type", "id", "name"})
#: The keys a format-1 event keeps when content is off, beside ``content`` / ``message`` /
#: ``tool_calls`` (checked on their own).
_EVENT_SHAPE_KEYS = frozenset(
    {"event.name", "role", "id", "name", "index", "finish_reason", "gen_ai.system"}
    | {"gen_ai.message.index"}
)


def _is_ours(span: dict[str, Any]) -> bool:
    return as_dict(span.get("scope")).get("name") == SCOPE


def tool_attrs(span: dict[str, Any]) -> dict[str, Any]:
    """The span's attributes, with pydantic-ai 1.x's tool argument and output names read as
    the GenAI ones where those are absent (spans of its scope only)."""
    attrs = span["attrs"]
    if not _is_ours(span):
        return attrs
    missing = [(new, old) for new, old in _TOOL_ALIASES if new not in attrs and old in attrs]
    if not missing:
        return attrs
    return attrs | {new: attrs[old] for new, old in missing}


def _shape_only(message: Any) -> bool:
    """True when a message holds no content: no text, and parts with type, id and name only."""
    message = as_dict(message)
    if message.get("content") not in (None, "", []):
        return False
    return all(set(as_dict(part)) <= _SHAPE_KEYS for part in as_list(message.get("parts")))


def _no_content(value: Any) -> bool:
    """A format-1 ``content`` without content: absent, or ``{"kind": ...}`` alone (or a list of those)."""
    items = value if isinstance(value, list) else [value]
    return all(v is None or (isinstance(v, dict) and set(v) <= {"kind"}) for v in items)


def _call_shape_only(call: Any) -> bool:
    call = as_dict(call)
    return set(call) <= {"id", "type", "function"} and set(as_dict(call.get("function"))) <= {
        "name"
    }


def _event_shape_only(event: Any) -> bool:
    """True when a format-1 event holds no content (what ``include_content=False`` writes)."""
    if not isinstance(event, dict):
        return False
    for key, value in event.items():
        if key == "content":
            ok = _no_content(value)
        elif key == "message":
            ok = _event_shape_only(value)
        elif key == "tool_calls":
            ok = isinstance(value, list) and all(_call_shape_only(c) for c in value)
        else:
            ok = key in _EVENT_SHAPE_KEYS
        if not ok:
            return False
    return True


def content_off(members: list[dict[str, Any]]) -> bool:
    """True when every span is pydantic-ai's and none holds content (``include_content=False``).

    Fails towards "content present": any attribute that only content capture writes, any
    message part with a key beyond type, id and name, or any ``gen_ai.*`` event means
    content was recorded.
    """
    if not members or not all(_is_ours(span) for span in members):
        return False
    for span in members:
        attrs = span["attrs"]
        if any(key in attrs for key in _CONTENT_KEYS):
            return False
        for key in _MESSAGE_KEYS + _EVENT_KEYS:
            value = json_attr(attrs.get(key))
            if value is not None and not isinstance(value, list):
                return False
            shape_only = _event_shape_only if key in _EVENT_KEYS else _shape_only
            if not all(shape_only(message) for message in value or ()):
                return False
        if any(str(event["name"]).startswith("gen_ai.") for event in span["events"]):
            return False
    return True
