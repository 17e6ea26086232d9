"""Reader for OpenTelemetry GenAI spans written by an OTLP/JSON file exporter.

Input: the collector ``file`` exporter's JSONL (one ``{"resourceSpans": [...]}`` export
request per line) or one such JSON document. Spans carrying ``gen_ai.*`` attributes
are grouped into sessions by ``gen_ai.conversation.id`` (inherited from the nearest
ancestor span that has one), else by trace id, and replayed in time order:

- a span's inputs (``gen_ai.system_instructions``, ``gen_ai.input.messages``, the
  tool call of an ``execute_tool`` span, older ``gen_ai.*.message`` span events) are
  placed at its start, its outputs (``gen_ai.output.messages``, the tool result,
  ``gen_ai.choice`` events) at its end;
- each chat span repeats the history, so steps already seen are merged, not repeated
  (messages by role and text, tool calls and results by call id).

Spans are held in memory until the end of the file (grouping needs every span).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record, iter_json_documents
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    finish,
    guarded,
    nanos_to_rfc3339,
    output_text,
    str_or_none,
    text_of,
    tool_call_step,
)
from incident_lab.trajectory import canonical_json, new_trajectory

__all__ = ["OtelReader", "any_value"]

_FMT = "otel"
_MAPPED = {
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.agent.name",
    "gen_ai.conversation.id",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.description",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "enduser.id",
    "user.id",
    "tenant.id",
}
_LEGACY_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class _Bad(Exception):
    """A session cannot be mapped (the message names why)."""


class OtelReader:
    """OTLP/JSON trace exports with OpenTelemetry GenAI semantic-convention spans."""

    name = _FMT
    description = "OpenTelemetry GenAI spans from an OTLP/JSON file exporter (resourceSpans)"

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the file opens with an OTLP ``resourceSpans`` export."""
        start = head[:4096].lstrip()
        if start.startswith(b"{") and b'"resourceSpans"' in start:
            return 1.0
        if b'"resourceSpans"' in head and b'"gen_ai.' in head:
            return 0.8
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield line-level rejects as met, then one record per session at end of file."""
        spans: list[dict[str, Any]] = []
        for line_no, obj, reject in iter_json_documents(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            found, bug = guarded(list, _spans_of(obj, line_no), path=path, line=line_no)
            if bug is not None:
                yield bug
                continue
            for item in found or ():
                if isinstance(item, str):
                    entry, _, reason = item.partition("\0")
                    yield Record(path, line_no, reason=reason, entry=entry or None)
                else:
                    spans.append(item)
        yield from _sessions(path, spans)


def any_value(value: Any) -> Any:
    """Decode an OTLP/JSON ``AnyValue`` (``{"stringValue": ...}`` etc.) into plain JSON."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "arrayValue" in value:
        return [any_value(v) for v in as_list(as_dict(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return _attributes(as_dict(value["kvlistValue"]).get("values"))
    return None


def _attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in as_list(items):
        if isinstance(kv, dict) and isinstance(kv.get("key"), str):
            out[kv["key"]] = any_value(kv.get("value"))
    return out


def _spans_of(obj: Any, line: int) -> Iterator[dict[str, Any] | str]:
    """Yield the spans of one export request, or ``"entry\\0reason"`` problems."""
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceSpans"), list):
        if isinstance(obj, dict) and ("resourceLogs" in obj or "resourceMetrics" in obj):
            yield "\0OTLP logs/metrics export: the otel reader reads traces (resourceSpans) only"
        else:
            yield "\0no resourceSpans array: not an OTLP/JSON trace export"
        return
    for i, rs in enumerate(obj["resourceSpans"]):
        rs = as_dict(rs)
        resource = _attributes(as_dict(rs.get("resource")).get("attributes"))
        scopes = as_list(rs.get("scopeSpans")) or as_list(rs.get("instrumentationLibrarySpans"))
        for j, ss in enumerate(scopes):
            ss = as_dict(ss)
            scope = as_dict(ss.get("scope") or ss.get("instrumentationLibrary"))
            for k, sp in enumerate(as_list(ss.get("spans"))):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                trace = str_or_none(as_dict(sp).get("traceId"))
                if trace is None:
                    yield f"{where}\0span has no traceId"
                    continue
                yield {
                    "trace": trace,
                    "id": str_or_none(sp.get("spanId")) or where,
                    "parent": str_or_none(sp.get("parentSpanId")),
                    "name": sp.get("name"),
                    "start": _nanos(sp.get("startTimeUnixNano")),
                    "end": _nanos(sp.get("endTimeUnixNano")),
                    "attrs": _attributes(sp.get("attributes")),
                    "events": [
                        {
                            "name": as_dict(ev).get("name"),
                            "time": _nanos(as_dict(ev).get("timeUnixNano")),
                            "attrs": _attributes(as_dict(ev).get("attributes")),
                        }
                        for ev in as_list(sp.get("events"))
                    ],
                    "status": as_dict(sp.get("status")),
                    "kind": sp.get("kind"),
                    "resource": resource,
                    "scope": {k2: v for k2, v in scope.items() if k2 in ("name", "version")},
                    "line": line,
                }


def _nanos(value: Any) -> int:
    try:
        return int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


def _is_genai(span: dict[str, Any]) -> bool:
    return any(key.startswith("gen_ai.") for key in span["attrs"]) or any(
        str(ev["name"]).startswith("gen_ai.") for ev in span["events"]
    )


def _sessions(path: str, spans: list[dict[str, Any]]) -> Iterator[Record]:
    """Group spans into sessions and build each; traces without GenAI spans are rejects."""
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_trace[span["trace"]].append(span)
    index = {(s["trace"], s["id"]): s for s in spans}
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    others: dict[str, dict[str, int]] = defaultdict(dict)
    for trace, members in by_trace.items():
        genai = [s for s in members if _is_genai(s)]
        if not genai:
            lines = sorted({s["line"] for s in members})
            yield Record(
                path,
                lines[0],
                entry=f"trace {trace}",
                reason=f"trace has {len(members)} span(s) and none carries gen_ai.* attributes",
            )
            continue
        convs = {_conversation(s, index) for s in genai} - {None}
        keys = set()
        for span in genai:
            conv = _conversation(span, index) or (next(iter(convs)) if len(convs) == 1 else None)
            key = f"conversation\0{conv}" if conv else f"trace\0{trace}"
            sessions[key].append(span)
            keys.add(key)
        if len(members) > len(genai):
            for key in keys:
                others[key][trace] = len(members) - len(genai)
    for key, members in sessions.items():
        kind, _, sid = key.partition("\0")
        line = min(s["line"] for s in members)
        record, bug = guarded(
            _build,
            path,
            sid,
            kind,
            members,
            others.get(key, {}),
            line,
            path=path,
            line=line,
            entry=f"{kind} {sid}",
        )
        yield record or bug  # type: ignore[misc]


def _conversation(span: dict[str, Any], index: dict[tuple[str, str], dict[str, Any]]) -> str | None:
    """The span's conversation id, or its nearest ancestor's."""
    seen = 0
    while span is not None and seen < 256:
        conv = str_or_none(span["attrs"].get("gen_ai.conversation.id"))
        if conv:
            return conv
        parent = span["parent"]
        span = index.get((span["trace"], parent)) if parent else None  # type: ignore[assignment]
        seen += 1
    return None


def _json_attr(value: Any) -> Any:
    """Attributes holding structures arrive as JSON strings or as decoded arrays/maps."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _operation(span: dict[str, Any]) -> str:
    op = span["attrs"].get("gen_ai.operation.name")
    if isinstance(op, str):
        return op
    name = span["name"] if isinstance(span["name"], str) else ""
    return name.split(" ", 1)[0]


def _parts_steps(message: Any, stamp: dict[str, str]) -> list[dict[str, Any]]:
    """Map a semconv message ``{role, parts: [...]}`` to steps."""
    if not isinstance(message, dict):
        raise _Bad(f"message is a {type(message).__name__}, expected an object")
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
            result = part.get("response", part.get("result"))
            calls.append(
                {
                    "type": "tool_result",
                    "call_id": _clean_id(part.get("id")),
                    "output": output_text(result),
                }
                | stamp
            )
        else:
            leftover.append(part)
    if role == "tool":
        if text or leftover:
            steps.append({"type": "tool_result", "call_id": None, "output": text} | stamp)
    elif role in _ROLES:
        if text or leftover or not calls:
            step = {"type": "message", "role": _ROLES[role], "content": text} | stamp
            if leftover:
                step["x_otel"] = {"parts": leftover}
            steps.append(step)
    else:
        raise _Bad(f"message role {canonical_json(role)[:40]} is not system/user/assistant/tool")
    return steps + calls


def _clean_id(value: Any) -> str | None:
    text = str_or_none(value)
    return text.strip() if text else None


def _legacy_steps(event: dict[str, Any], stamp: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Map an older event-based GenAI span event to ``("input"|"output", steps)``."""
    attrs = dict(event["attrs"])
    body = _json_attr(attrs.pop("gen_ai.event.content", None))
    if isinstance(body, dict):
        attrs = body | attrs
    name = event["name"]
    if name == "gen_ai.choice":
        if attrs.get("index") not in (None, 0):  # only the first choice continues the session
            return "output", []
        msg = _json_attr(attrs.get("message"))
        msg = msg if isinstance(msg, dict) else {"content": attrs.get("content")}
        msg = {"role": "assistant", **msg}
        return "output", _openai_like(msg, stamp)
    role = _LEGACY_ROLES[name]
    msg = {"role": role, "content": _json_attr(attrs.get("content")), "id": attrs.get("id")}
    msg["tool_calls"] = _json_attr(attrs.get("tool_calls"))
    return "input", _openai_like(msg, stamp)


def _openai_like(msg: dict[str, Any], stamp: dict[str, str]) -> list[dict[str, Any]]:
    """Steps from an older-convention message (OpenAI-like ``content`` + ``tool_calls``)."""
    text, _others = text_of(msg.get("content"))
    role = msg.get("role")
    if role == "tool":
        return [
            {"type": "tool_result", "call_id": _clean_id(msg.get("id")), "output": text} | stamp
        ]
    steps: list[dict[str, Any]] = []
    calls = as_list(msg.get("tool_calls"))
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
        return canonical_json(["c", ident])
    if step["type"] == "tool_result":
        return canonical_json(["r", step.get("call_id") or step["output"]])
    return canonical_json(["m", step.get("role"), step.get("content")])


def _timeline(span: dict[str, Any]) -> list[tuple[int, int, str, list[dict[str, Any]]]]:
    """The span's inputs at its start and outputs at its end, as ``(time, order, kind, steps)``."""
    attrs = span["attrs"]
    start = {"timestamp": t} if (t := nanos_to_rfc3339(span["start"])) else {}
    end = {"timestamp": t} if (t := nanos_to_rfc3339(span["end"])) else {}
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    system = _json_attr(attrs.get("gen_ai.system_instructions"))
    if system:
        text, _ = text_of(system)
        inputs.append({"type": "message", "role": "system", "content": text})
    for message in as_list(_json_attr(attrs.get("gen_ai.input.messages"))):
        inputs.extend(_parts_steps(message, {}))
    for message in as_list(_json_attr(attrs.get("gen_ai.output.messages"))):
        outputs.extend(_parts_steps(message, end))
    for event in span["events"]:
        if event["name"] in _LEGACY_ROLES or event["name"] == "gen_ai.choice":
            kind, steps = _legacy_steps(event, {})
            (inputs if kind == "input" else outputs).extend(
                s | end if kind == "output" else s for s in steps
            )
    if _operation(span) == "execute_tool":
        name = str_or_none(attrs.get("gen_ai.tool.name")) or "unknown_tool"
        call_id = _clean_id(attrs.get("gen_ai.tool.call.id"))
        inputs.append(
            tool_call_step(name, attrs.get("gen_ai.tool.call.arguments"), call_id) | start
        )
        status = span["status"]
        failed = status.get("code") in (2, "2", "STATUS_CODE_ERROR") or "error.type" in attrs
        result = attrs.get("gen_ai.tool.call.result")
        if result is not None or failed:
            output = output_text(_json_attr(result)) if result is not None else ""
            if failed and not output:
                output = str(status.get("message") or attrs.get("error.type") or "error")
            outputs.append(
                {
                    "type": "tool_result",
                    "call_id": call_id,
                    "name": name,
                    "output": output,
                    "is_error": failed,
                }
                | end
            )
    return [
        (span["start"], 0, "input", inputs),
        (span["end"] or span["start"], 1, "output", outputs),
    ]


def _merge(
    steps: list[dict[str, Any]], keys: list[str], kind: str, new: list[dict[str, Any]]
) -> None:
    """Merge ``new`` steps into ``steps`` without repeating history already present."""
    if kind == "output":
        tail = set(keys[-len(new) :]) if new else set()
        for step in new:
            key = _step_key(step)
            if key not in tail:
                steps.append(step)
                keys.append(key)
        return
    pos = 0
    for step in new:
        key = _step_key(step)
        try:
            pos = keys.index(key, pos) + 1
        except ValueError:
            steps.insert(pos, step)
            keys.insert(pos, key)
            pos += 1


def _tools(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for span in members:
        for item in as_list(_json_attr(span["attrs"].get("gen_ai.tool.definitions"))):
            item = as_dict(item)
            fn = as_dict(item.get("function")) or item
            name = str_or_none(fn.get("name"))
            if name and name not in tools:
                tool = {"name": name}
                if isinstance(fn.get("description"), str):
                    tool["description"] = fn["description"]
                if isinstance(fn.get("parameters"), dict):
                    tool["parameters"] = fn["parameters"]
                tools[name] = tool
    for span in members:
        name = str_or_none(span["attrs"].get("gen_ai.tool.name"))
        if _operation(span) == "execute_tool" and name and name not in tools:
            tool = {"name": name}
            if isinstance(span["attrs"].get("gen_ai.tool.description"), str):
                tool["description"] = span["attrs"]["gen_ai.tool.description"]
            tools[name] = tool
    return list(tools.values())


def _first(members: list[dict[str, Any]], *keys: str, last: bool = False) -> str | None:
    order = reversed(members) if last else iter(members)
    for span in order:
        for key in keys:
            value = str_or_none(span["attrs"].get(key)) or str_or_none(span["resource"].get(key))
            if value:
                return value
    return None


def _build(
    path: str, sid: str, kind: str, members: list[dict[str, Any]], others: dict[str, int], line: int
) -> Record:
    members.sort(key=lambda s: (s["start"], s["line"], s["end"]))
    entry = f"{kind} {sid}"
    try:
        moments = sorted(
            (item for span in members for item in _timeline(span)), key=lambda m: (m[0], m[1])
        )
    except _Bad as exc:
        return Record(path, line, reason=f"{kind} {sid!r}: {exc}", entry=entry)
    steps: list[dict[str, Any]] = []
    keys: list[str] = []
    for _time, _order, moment_kind, new in moments:
        _merge(steps, keys, moment_kind, new)
    names = {
        s["call_id"]: s["name"] for s in steps if s["type"] == "tool_call" and s.get("call_id")
    }
    for step in steps:
        if step["type"] == "tool_result" and not step.get("name"):
            step["name"] = names.get(step.get("call_id"))
    traj = new_trajectory(sid, steps=steps)
    starts = [s["start"] for s in members if s["start"]]
    if starts and (started := nanos_to_rfc3339(min(starts))):
        traj["started_at"] = started
    model = {
        "name": _first(members, "gen_ai.request.model", "gen_ai.response.model"),
        "version": _first(members, "gen_ai.response.model", last=True),
        "provider": _first(members, "gen_ai.provider.name", "gen_ai.system"),
    }
    traj["agent"] = {
        "name": _first(members, "gen_ai.agent.name"),
        "model": model,
        "tools": _tools(members),
    }
    user, tenant = _first(members, "enduser.id", "user.id"), _first(members, "tenant.id")
    if user or tenant:
        traj["actor"] = {"user_id": user, "tenant_id": tenant}
    traj["x_otel"] = {
        "grouped_by": kind,
        "trace_ids": sorted({s["trace"] for s in members}),
        "resource": members[0]["resource"],
        "spans": [
            {
                "trace_id": s["trace"],
                "span_id": s["id"],
                "parent_span_id": s["parent"],
                "name": s["name"],
                "operation": _operation(s),
                "start": nanos_to_rfc3339(s["start"]),
                "end": nanos_to_rfc3339(s["end"]),
                "status": s["status"] or None,
                "scope": s["scope"] or None,
                "line": s["line"],
                "attributes": {k: v for k, v in s["attrs"].items() if k not in _MAPPED} or None,
                "events": [
                    e
                    for e in s["events"]
                    if e["name"] not in _LEGACY_ROLES and e["name"] != "gen_ai.choice"
                ]
                or None,
            }
            for s in members
        ],
    }
    if others:
        traj["x_otel"]["non_genai_spans_by_trace"] = others
    return finish(traj, fmt=_FMT, path=path, line=line, entry=entry)


@hookimpl
def register_readers() -> list[OtelReader]:
    """Register the OpenTelemetry GenAI span reader."""
    return [OtelReader()]
