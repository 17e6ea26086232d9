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
    str_or_none,
)
from incident_lab.readers.otel_steps import (
    LEGACY_EVENTS,
    SpanMappingError,
    json_attr,
    merge_steps,
    operation,
    span_timeline,
)
from incident_lab.trajectory import new_trajectory

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
            found: list[dict[str, Any] | str] | None
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
                            "name": str_or_none(as_dict(ev).get("name")),
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


def _tools(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for span in members:
        for item in as_list(json_attr(span["attrs"].get("gen_ai.tool.definitions"))):
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
        if operation(span) == "execute_tool" and name and name not in tools:
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
            (item for span in members for item in span_timeline(span)), key=lambda m: (m[0], m[1])
        )
    except SpanMappingError as exc:
        return Record(path, line, reason=f"{kind} {sid!r}: {exc}", entry=entry)
    steps: list[dict[str, Any]] = []
    keys: list[str] = []
    for _time, _order, moment_kind, new in moments:
        merge_steps(steps, keys, moment_kind, new)
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
                "operation": operation(s),
                "start": nanos_to_rfc3339(s["start"]),
                "end": nanos_to_rfc3339(s["end"]),
                "status": s["status"] or None,
                "scope": s["scope"] or None,
                "line": s["line"],
                "attributes": {k: v for k, v in s["attrs"].items() if k not in _MAPPED} or None,
                "events": [
                    e
                    for e in s["events"]
                    if e["name"] not in LEGACY_EVENTS and e["name"] != "gen_ai.choice"
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
