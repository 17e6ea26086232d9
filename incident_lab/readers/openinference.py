"""Reader for OpenInference spans (Arize Phoenix; LlamaIndex, LangChain, OpenAI instrumentations).

OpenInference writes chat content as flattened span attributes, exported as OTLP/JSON
like any other trace (see :mod:`.otlp_json`):

- ``openinference.span.kind``: ``LLM``, ``TOOL``, ``AGENT``, ``CHAIN``, ...;
- an LLM span's ``llm.input_messages.<i>.message.role`` / ``.content`` /
  ``.contents.<j>.message_content.text`` / ``.tool_calls.<k>.tool_call.id`` /
  ``.tool_call.function.name`` / ``.tool_call.function.arguments`` /
  ``.tool_call_id``, the same under ``llm.output_messages``, the tools offered under
  ``llm.tools.<i>.tool.json_schema``, and ``llm.model_name`` / ``llm.provider``;
- a TOOL span's ``tool.name``, ``tool.description``, ``tool.parameters`` (the
  parameter schema), ``tool.id`` and its call in ``input.value``, its result in
  ``output.value``;
- ``session.id`` and ``user.id`` on any span (inherited by its descendants).

Spans are grouped by ``session.id``, else by trace, and traces that continue another
trace's chat history are stitched, exactly as the ``otel`` reader does; steps are
placed and merged the same way (an LLM span's inputs at its start, outputs at its
end, repeated history merged).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    content_output,
    finish,
    langchain_tool_message,
    nanos_to_rfc3339,
    output_text,
    str_or_none,
    tool_call_step,
    tool_entry,
)
from incident_lab.readers.otel_steps import SpanMappingError, session_steps, with_alternatives
from incident_lab.readers.otlp_json import iter_exports
from incident_lab.readers.span_spool import KeyedSpool
from incident_lab.readers.stitching import (
    build_sessions,
    conversation,
    earliest,
    session_trajectory,
    spooled_sessions,
)
from incident_lab.readers.tool_inference import complete_tools
from incident_lab.trajectory import compact_json

_FMT = "openinference"
_KIND = "openinference.span.kind"
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_MARKERS = (b'"openinference.span.kind"', b'"llm.input_messages.', b'"llm.output_messages.')
#: Why a session has no content, and the settings that hide it.
CONTENT_HIDDEN = (
    "the instrumentation hid inputs and outputs. Unset (or set to false) "
    "OPENINFERENCE_HIDE_INPUTS, OPENINFERENCE_HIDE_OUTPUTS, "
    "OPENINFERENCE_HIDE_INPUT_MESSAGES, OPENINFERENCE_HIDE_OUTPUT_MESSAGES and "
    "OPENINFERENCE_HIDE_INPUT_TEXT/OUTPUT_TEXT (or the TraceConfig fields of the same names)"
)
#: Dotted attribute names nest at most this deep (real ones: about 8 levels).
_MAX_DEPTH = 16
_MAPPED_PREFIXES = ("llm.input_messages.", "llm.output_messages.", "llm.tools.")
_MAPPED = {"input.value", "output.value", "tool.parameters", "tool.name", "tool.description"}


class OpenInferenceReader:
    """OpenInference LLM/TOOL/AGENT spans from OTLP/JSON trace exports."""

    name = _FMT
    description = "OpenInference spans (llm.input_messages.*, tool.*) from OTLP/JSON trace exports"

    def sniff(self, path: str, head: bytes) -> float:
        """Sure for an OTLP trace export whose spans carry OpenInference attributes."""
        if b'"resourceSpans"' not in head or b'"gen_ai.' in head:
            return 0.0
        return 0.95 if any(marker in head for marker in _MARKERS) else 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield the rejects of ``path``, then one record per session."""
        yield from self.read_group([path], max_line_bytes=max_line_bytes)

    def read_group(
        self, paths: list[str], *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    ) -> Iterator[Record]:
        """Read several trace files as one (a conversation may span files).

        Spans are spooled by trace as they are read (:mod:`.span_spool`): memory holds
        one trace or session at a time, not the input.
        """
        traces = KeyedSpool()
        logs: list[Record] = []
        for item in iter_exports(paths, max_line_bytes=max_line_bytes):
            if isinstance(item, Record):
                yield item
            elif "span" in item:  # a log record
                logs.append(
                    Record(
                        item["path"],
                        item["line"],
                        entry=item["where"],
                        reason="OTLP log record: the openinference reader reads spans only",
                    )
                )
            else:
                traces.add(item["trace"], item)
        yield from logs
        del logs
        yield from _sessions(traces, paths)


def unflatten(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Rebuild the list flattened under ``prefix`` (``prefix.<i>.a.b`` -> ``[{"a": {"b": v}}]``)."""
    tree: dict[str, Any] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix + "."):
            continue
        node = tree
        parts = key[len(prefix) + 1 :].split(".", _MAX_DEPTH)  # the rest stays one name
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    result = _as_lists(tree)
    return result if isinstance(result, list) else []


def _as_lists(node: Any) -> Any:
    """Turn dicts whose keys are all integers into lists ordered by index."""
    if not isinstance(node, dict):
        return node
    items = {k: _as_lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _message_steps(message: Any, stamp: dict[str, str]) -> list[dict[str, Any]]:
    msg = as_dict(as_dict(message).get("message"))
    role = msg.get("role")
    text = msg.get("content")
    if not isinstance(text, str):
        parts = [as_dict(as_dict(c).get("message_content")) for c in as_list(msg.get("contents"))]
        text = "\n".join(
            p["text"]
            for p in parts
            if p.get("type", "text") == "text" and isinstance(p.get("text"), str)
        )
    if role == "tool":
        call_id = str_or_none(msg.get("tool_call_id"))
        return [{"type": "tool_result", "call_id": call_id, "output": text} | stamp]
    if role not in _ROLES:
        raise SpanMappingError(
            f"message role {compact_json(role)[:40]} is not system/user/assistant/tool"
        )
    steps: list[dict[str, Any]] = []
    calls = [as_dict(as_dict(c).get("tool_call")) for c in as_list(msg.get("tool_calls"))]
    if text or not calls:
        steps.append({"type": "message", "role": _ROLES[role], "content": text} | stamp)
    for call in calls:
        fn = as_dict(call.get("function"))
        name = str_or_none(fn.get("name"))
        if name:
            steps.append(
                tool_call_step(name, fn.get("arguments"), str_or_none(call.get("id"))) | stamp
            )
    return steps


def _kind(span: dict[str, Any]) -> str:
    kind = span["attrs"].get(_KIND)
    if isinstance(kind, str):
        return kind.upper()
    return "LLM" if any(k.startswith(_MAPPED_PREFIXES[:2]) for k in span["attrs"]) else ""


def _timeline(span: dict[str, Any]) -> list[tuple[int, int, str, list[dict[str, Any]]]]:
    attrs = span["attrs"]
    start = {"timestamp": t} if (t := nanos_to_rfc3339(span["start"])) else {}
    end = {"timestamp": t} if (t := nanos_to_rfc3339(span["end"])) else {}
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    kind = _kind(span)
    if kind == "LLM":
        for message in unflatten(attrs, "llm.input_messages"):
            inputs.extend(_message_steps(message, {}))
        choices = unflatten(attrs, "llm.output_messages")  # n > 1: one message per choice
        if choices:
            first = _message_steps(choices[0], end)
            outputs.extend(
                with_alternatives(first, choices[1:], end, _message_steps, "x_openinference")
            )
    elif kind == "TOOL" and not _is_handoff(span):
        name = _tool_name(span)
        call_id = _call_id(span) or span.get("adopted_call_id")
        calls = [tool_call_step(name, attrs.get("input.value"), call_id) | start]
        failed = span["status"].get("code") in (2, "2", "STATUS_CODE_ERROR")
        if "output.value" in attrs or failed:
            reply = _tool_message(attrs)
            output = content_output(reply["content"]) if reply else ""
            output = output or output_text(attrs.get("output.value"))
            failed = failed or bool(reply and reply.get("status") == "error")
            if failed and not output:
                output = str(span["status"].get("message") or "error")
            result = {"type": "tool_result", "call_id": call_id, "name": name, "output": output}
            outputs.append(result | {"is_error": failed} | end)
    return [
        (span["start"], 0, "input", inputs),
        (span["start"], 0, "tool", calls),
        (span["end"] or span["start"], 1, "output", outputs),
    ]


def _tool_name(span: dict[str, Any]) -> str:
    return (
        str_or_none(span["attrs"].get("tool.name")) or str_or_none(span["name"]) or "unknown_tool"
    )


def _call_id(span: dict[str, Any]) -> str | None:
    attrs = span["attrs"]
    recorded = str_or_none(attrs.get("tool.id")) or str_or_none(attrs.get("tool_call.id"))
    return recorded or str_or_none(as_dict(_tool_message(attrs)).get("tool_call_id"))


def _tool_message(attrs: dict[str, Any]) -> dict[str, Any] | None:
    """The LangChain ``ToolMessage`` a TOOL span's ``output.value`` holds, serialised as
    ``{"type": "tool", "data": {"content": ..., "tool_call_id": ..., "status": ...}}``
    (what openinference-instrumentation-langchain records for ``tool.invoke(tool_call)``);
    None for any other output."""
    value = attrs.get("output.value")
    if not (isinstance(value, str) and value.startswith('{"type": "tool"')):
        return None
    try:
        return langchain_tool_message(json.loads(value))
    except ValueError:
        return None


def _is_handoff(span: dict[str, Any]) -> bool:
    """An agent handing the conversation to another (openai-agents' ``handoff to <agent>``
    TOOL span: no ``tool.name``, the agents in ``input.value``/``output.value``). It is
    not a call the model made (that is the LLM's ``transfer_to_<agent>`` call)."""
    name = span["name"] if isinstance(span["name"], str) else ""
    return "tool.name" not in span["attrs"] and name.startswith("handoff to ")


def _output_calls(span: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls an LLM span's output messages carry (none if they cannot be read)."""
    try:
        steps = [
            step
            for message in unflatten(span["attrs"], "llm.output_messages")
            for step in _message_steps(message, {})
        ]
    except SpanMappingError:
        return []
    return [s for s in steps if s["type"] == "tool_call" and s.get("call_id")]


def _calls_made(members: list[dict[str, Any]]) -> list[tuple[int, str, str, str]]:
    """``(end time, tool name, canonical arguments, call id)`` of every tool call an LLM
    span's output carries, oldest first."""
    made = [
        (span["end"] or span["start"], call["name"], compact_json(call["arguments"]), call)
        for span in members
        if _kind(span) == "LLM"
        for call in _output_calls(span)
    ]
    return sorted(((t, n, a, c["call_id"]) for t, n, a, c in made), key=lambda c: c[0])


def adopt_call_ids(members: list[dict[str, Any]]) -> None:
    """Give each TOOL span that records no call id the id of the LLM call it ran.

    Some instrumentations (openai-agents') record a function's span without the id of
    the model's tool call, so the call and its result would be read twice (once from
    the LLM span, once from the TOOL span). The TOOL span takes the id of the latest
    call not yet taken, of the same tool, made by an LLM span that ended before it
    started; a call with the same arguments is preferred. Kept as ``adopted_call_id``.
    """
    tools = [s for s in members if _kind(s) == "TOOL" and not _is_handoff(s) and not _call_id(s)]
    made = _calls_made(members) if tools else []
    for span in sorted(tools, key=lambda s: s["start"]):
        name = _tool_name(span)
        call = tool_call_step(name, span["attrs"].get("input.value"), None)
        same = [c for c in made if c[1] == name and c[0] <= span["start"]]
        candidates = [c for c in same if c[2] == compact_json(call["arguments"])] or same
        if candidates:
            span["adopted_call_id"] = candidates[-1][3]
            made.remove(candidates[-1])


def _steps(members: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    adopt_call_ids(members)
    return session_steps(members, _timeline)


def _sessions(traces: KeyedSpool, paths: list[str]) -> Iterator[Record]:
    order = {p: i for i, p in enumerate(paths)}

    def split(
        trace: str, members: list[Any]
    ) -> tuple[list[tuple[int, Record]], list[Record], dict[str, list[dict[str, Any]]]]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if not any(_kind(s) for s in members):
            first = earliest(members, order)
            reject = Record(
                first["path"],
                first["line"],
                entry=f"trace {trace}",
                reason=f"trace has {len(members)} span(s) and none carries "
                "openinference.span.kind or llm.* messages",
            )
            return [], [reject], groups
        index = {(s["trace"], s["id"]): s for s in members}
        for span in members:
            sid = conversation(span, index, "session.id")
            groups[f"session\0{sid}" if sid else f"trace\0{trace}"].append(span)
        return [], [], groups

    yield from build_sessions(spooled_sessions(traces, traces.keys(), split, _steps), order, _build)


def _tools(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for span in members:
        for item in unflatten(span["attrs"], "llm.tools"):
            schema = as_dict(item).get("tool", {})
            raw = as_dict(schema).get("json_schema")
            try:
                parsed = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                parsed = None
            fn = as_dict(as_dict(parsed).get("function")) or as_dict(parsed)
            name = str_or_none(fn.get("name"))
            if name and name not in tools:
                tools[name] = tool_entry(name, fn.get("description"), fn.get("parameters"))
    for span in members:
        attrs = span["attrs"]
        name = str_or_none(attrs.get("tool.name"))
        if _kind(span) == "TOOL" and name and name not in tools:
            try:
                params = json.loads(attrs["tool.parameters"])
            except (KeyError, TypeError, ValueError):
                params = None
            tools[name] = tool_entry(name, attrs.get("tool.description"), params)
    return list(tools.values())


def _first(members: list[dict[str, Any]], *keys: str, last: bool = False) -> str | None:
    for span in reversed(members) if last else members:
        for key in keys:
            value = str_or_none(span["attrs"].get(key))
            if value:
                return value
    return None


def _invocation_params(members: list[dict[str, Any]]) -> dict[str, Any]:
    """The first non-empty JSON object among the spans' ``llm.invocation_parameters``."""
    for span in members:
        try:
            params = as_dict(json.loads(span["attrs"].get("llm.invocation_parameters", "")))
        except (TypeError, ValueError):
            continue
        if params:
            return params
    return {}


def _build(
    first: dict[str, Any], kind: str, sid: str, stitched: list[str], members: list[dict[str, Any]]
) -> Record:
    path, line = first["path"], first["line"]
    kind = "history" if len(stitched) > 1 else kind
    traj = session_trajectory(
        (path, line), sid, kind, members, _steps, ("OpenInference", CONTENT_HIDDEN)
    )
    if isinstance(traj, Record):
        return traj
    steps, entry = traj["steps"], f"{kind} {sid}"
    params = _invocation_params(members)
    tools = _tools(members)
    traj["agent"] = {
        "name": _first(members, "agent.name"),
        "model": {
            "name": str_or_none(params.get("model"))
            or _first(members, "llm.request.model_name", "llm.model_name"),
            "version": _first(members, "llm.response.model_name", "llm.model_name", last=True),
            "provider": _first(members, "llm.provider", "llm.system"),
        },
        "tools": complete_tools(tools, steps),
    }
    user = _first(members, "user.id")
    if user:
        traj["actor"] = {"user_id": user}
    traj["x_openinference"] = {
        "grouped_by": kind,
        "trace_ids": sorted({s["trace"] for s in members}),
        "resource": members[0]["resource"],
        "files": sorted({s["path"] for s in members}),
        "spans": [
            {
                "trace_id": s["trace"],
                "span_id": s["id"],
                "parent_span_id": s["parent"],
                "name": s["name"],
                "kind": _kind(s) or None,
                "start": nanos_to_rfc3339(s["start"]),
                "end": nanos_to_rfc3339(s["end"]),
                "status": s["status"] or None,
                "scope": s["scope"] or None,
                "line": s["line"],
                **({"adopted_call_id": s["adopted_call_id"]} if "adopted_call_id" in s else {}),
                **({"handoff": True} if _kind(s) == "TOOL" and _is_handoff(s) else {}),
                "attributes": {
                    k: v
                    for k, v in s["attrs"].items()
                    if k not in _MAPPED and not k.startswith(_MAPPED_PREFIXES)
                }
                or None,
            }
            for s in members
        ],
    }
    return finish(traj, fmt=_FMT, path=path, line=line, entry=entry)


@hookimpl
def register_readers() -> list[OpenInferenceReader]:
    """Register the OpenInference span reader."""
    return [OpenInferenceReader()]
