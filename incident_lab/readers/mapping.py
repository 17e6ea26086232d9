"""Building ``trajectory/v1`` pieces from foreign log shapes, shared by the readers.

Every reader maps some producer's JSON into steps; the same small decisions recur
(chat content given as a list of parts, tool arguments given as a JSON string that
may not parse, Unix or nanosecond timestamps) and are made once here so that every
format answers them the same way. :func:`finish` is the last stage of every reader:
it stamps the ``source`` block and turns a schema violation into a rejected record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from incident_lab.readers.base import Record
from incident_lab.trajectory import compact_json, parse_timestamp, to_rfc3339, validate_trajectory

__all__ = ["finish"]

#: Key that holds tool-call arguments which are not a JSON object (kept verbatim).
RAW_ARGUMENTS_KEY = "_raw"
#: Prefix of the reject reason when a reader met a shape its mapping did not expect.
MAPPING_BUG = "reader could not map this record"
#: The OpenTelemetry GenAI attributes that exist only when content was recorded: a span
#: with none of them was written with content capture off.
GENAI_CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)
_TEXT_PART_TYPES = {"text", "input_text", "output_text"}
T = TypeVar("T")


def as_dict(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is a dict, else an empty dict (for optional sub-objects)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else an empty list (for optional arrays)."""
    return value if isinstance(value, list) else []


def str_or_none(value: Any) -> str | None:
    """Return a non-empty string form of a scalar id/name, or None.

    Numbers become strings (sample ids are often integers); other types give None.
    """
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return str(value)
    return None


def output_text(value: Any) -> str:
    """Render a tool output or message body as text (non-strings as canonical JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return compact_json(value)


def json_attr(value: Any) -> Any:
    """Decode a structured attribute. Attributes holding structures arrive as JSON strings or as decoded arrays/maps."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def converse_text(value: Any) -> str | None:
    """The text of a list of Bedrock-Converse content blocks, or None when it is not one.

    Strands (and Bedrock) write a tool's output as ``[{"text": ...}, {"json": ...}]``:
    each item a single-key object. Texts are joined with newlines, ``json`` blocks as
    canonical JSON; any other shape (an empty list, another key, a second key) is None,
    and the caller keeps the value as it is.
    """
    if not isinstance(value, list) or not value:
        return None
    texts: list[str] = []
    for block in value:
        if not isinstance(block, dict) or len(block) != 1:
            return None
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif "json" in block:
            texts.append(compact_json(block["json"]))
        else:
            return None
    return "\n".join(texts)


def langchain_tool_message(value: Any) -> dict[str, Any] | None:
    """The fields (``content``, ``tool_call_id``, ``status``, ...) of a LangChain
    ``ToolMessage`` in either of LangChain's serialisations, or None for anything else.

    ``messages_to_dict`` writes ``{"type": "tool", "data": {...}}`` (what
    openinference-instrumentation-langchain records); ``dumpd`` writes
    ``{"lc": 1, "type": "constructor", "id": [..., "ToolMessage"], "kwargs": {...}}``
    (what OpenLLMetry's opentelemetry-instrumentation-langchain records).
    """
    value = as_dict(value)
    if value.get("type") == "tool":
        fields = as_dict(value.get("data"))
    elif value.get("lc") == 1 and as_list(value.get("id"))[-1:] == ["ToolMessage"]:
        fields = as_dict(value.get("kwargs"))
    else:
        return None
    return fields if "content" in fields else None


def content_output(content: Any) -> str:
    """A tool message's ``content`` as the call's output: its text, or, when it holds
    any part that is not text (an image, a JSON block, a map, a part with keys beside its
    text), the whole content as canonical JSON, so that no part is dropped."""
    if isinstance(content, dict):
        return output_text(content)
    text, others = text_of(content)
    loose = isinstance(content, list) and any(
        isinstance(p, dict) and "type" not in p and set(p) - {"text", "content"} for p in content
    )
    return output_text(content) if others or loose else text


def text_of(content: Any) -> tuple[str, list[Any]]:
    """Flatten chat ``content`` into ``(text, other_parts)``.

    ``content`` may be a string, None, or a list of parts (OpenAI ``{"type": "text",
    "text": ...}``, OTel ``{"type": "text", "content": ...}``, Inspect
    ``ContentText``). Text parts are joined with newlines; every other part (images,
    audio, reasoning, unknown) is returned untouched so the caller can preserve it.
    """
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    parts = content if isinstance(content, list) else [content]
    texts: list[str] = []
    others: list[Any] = []
    for part in parts:
        body = part.get("text", part.get("content")) if isinstance(part, dict) else None
        if isinstance(part, str):
            texts.append(part)
        elif (
            isinstance(part, dict)
            and str(part.get("type", "text")) in _TEXT_PART_TYPES
            and isinstance(body, str)
        ):
            texts.append(body)
        else:
            others.append(part)
    return "\n".join(texts), others


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None]:
    """Turn tool-call arguments into an object, flagging what could not be parsed.

    Returns:
        ``(arguments, problem)``. An object passes through; a JSON string holding an
        object is parsed; anything else is kept verbatim as ``{"_raw": raw}`` and
        ``problem`` says why, so the call is flagged rather than dropped.
    """
    if isinstance(raw, dict):
        return raw, None
    if raw is None or raw == "":
        return {}, None
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            return {RAW_ARGUMENTS_KEY: raw}, f"arguments are not valid JSON: {exc}"
        if isinstance(parsed, dict):
            return parsed, None
        return {
            RAW_ARGUMENTS_KEY: raw
        }, f"arguments are JSON {type(parsed).__name__}, not an object"
    return {RAW_ARGUMENTS_KEY: raw}, f"arguments are a {type(raw).__name__}, not an object"


def tool_call_step(
    name: str, raw_arguments: Any, call_id: str | None, **extra: Any
) -> dict[str, Any]:
    """Build a ``tool_call`` step; unparsable arguments set ``arguments_error``."""
    arguments, problem = parse_arguments(raw_arguments)
    step: dict[str, Any] = {"type": "tool_call", "name": name, "arguments": arguments}
    step["call_id"] = call_id
    if problem:
        step["arguments_error"] = problem
    step.update({k: v for k, v in extra.items() if v is not None})
    return step


def tool_entry(name: str, description: Any = None, parameters: Any = None) -> dict[str, Any]:
    """A trajectory ``tools`` entry: the name, then the description if it is a string and
    the parameters schema if it is an object."""
    tool: dict[str, Any] = {"name": name}
    if isinstance(description, str):
        tool["description"] = description
    if isinstance(parameters, dict):
        tool["parameters"] = parameters
    return tool


def unix_to_rfc3339(seconds: Any) -> str | None:
    """Format Unix seconds (int/float, or a numeric string) as RFC 3339 UTC, or None."""
    if isinstance(seconds, bool):
        return None
    try:
        value = float(seconds)
        return to_rfc3339(datetime.fromtimestamp(value, UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def nanos_to_rfc3339(nanos: Any) -> str | None:
    """Format Unix nanoseconds (OTLP ``*UnixNano``, int or decimal string) as RFC 3339."""
    if isinstance(nanos, bool):
        return None
    try:
        value = int(nanos)
    except (TypeError, ValueError):
        return None
    if value <= 0:
        return None
    return unix_to_rfc3339(value / 1e9)


def normalise_timestamp(value: Any) -> str | None:
    """Return ``value`` as RFC 3339 UTC when it is one (or Unix seconds), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return unix_to_rfc3339(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_rfc3339(parse_timestamp(value))
    except ValueError:
        return None


def finish(
    traj: dict[str, Any],
    *,
    fmt: str,
    path: str,
    line: int | None = None,
    entry: str | None = None,
    excerpt: str | None = None,
) -> Record:
    """Stamp ``source`` on ``traj`` and validate it: an accepted or a rejected record."""
    traj["source"] = {"format": fmt, "path": path, "line": line, "entry": entry}
    problems = validate_trajectory(traj)
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return Record(
            path,
            line,
            reason="schema: " + "; ".join(problems[:3]) + more,
            entry=entry,
            excerpt=excerpt if excerpt is not None else compact_json(traj)[:200],
        )
    return Record(path, line, trajectory=traj, entry=entry)


def guarded(
    fn: Callable[..., T], *args: Any, path: str, line: int | None, entry: str | None = None
) -> tuple[T | None, Record | None]:
    """Run one record's mapping ``fn(*args)``; an unforeseen shape becomes a reject.

    Readers check types explicitly; this is the last line of defence so that one
    odd record can never abort a whole snapshot. The reason starts with
    :data:`MAPPING_BUG` so that tests (and users) can tell it from ordinary rejects.

    Returns:
        ``(result, None)`` on success, ``(None, reject)`` otherwise.
    """
    try:
        return fn(*args), None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        return None, Record(
            path, line, reason=f"{MAPPING_BUG}: {type(exc).__name__}: {exc}", entry=entry
        )
