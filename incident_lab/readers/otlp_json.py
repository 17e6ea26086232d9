"""OTLP/JSON exports as the collector's ``file`` exporter writes them: spans and log records.

Each line (or a whole-file document) is one export request, ``{"resourceSpans": [...]}``
or ``{"resourceLogs": [...]}``. :func:`iter_exports` reads one or several such files
and yields every span and log record as a plain dict (attribute ``AnyValue``\\ s
decoded), tagged with its file and line, plus the rejects met on the way, one at a
time. The ``otel`` and ``openinference`` readers build sessions
from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from incident_lab.readers.base import Record, iter_json_documents
from incident_lab.readers.mapping import as_dict, as_list, guarded, str_or_none


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
        return attributes(as_dict(value["kvlistValue"]).get("values"))
    return None


def attributes(items: Any) -> dict[str, Any]:
    """Decode an OTLP ``KeyValue`` list into a dict."""
    out: dict[str, Any] = {}
    for kv in as_list(items):
        if isinstance(kv, dict) and isinstance(kv.get("key"), str):
            out[kv["key"]] = any_value(kv.get("value"))
    return out


def iter_exports(paths: list[str], *, max_line_bytes: int) -> Iterator[dict[str, Any] | Record]:
    """Every span, log record and reject of ``paths`` (OTLP/JSON lines or documents), in order.

    Spans are dicts with ``trace``, ``id``, ``parent``, ``name``, ``start``, ``end``,
    ``attrs``, ``events``, ``status``, ``kind``, ``resource``, ``scope``, ``path``,
    ``line``; log records are dicts with ``trace``, ``span``, ``name``, ``time``,
    ``attrs``, ``body``, ``resource``, ``scope``, ``path``, ``line``, ``where`` (a
    ``span`` key tells them apart); lines or items that are neither are rejects. One
    line's items are decoded at a time: nothing is held across lines.
    """
    for path in paths:
        for line_no, obj, reject in iter_json_documents(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            found: list[dict[str, Any] | Record] | None
            found, bug = guarded(list, _items(obj, path, line_no), path=path, line=line_no)
            if bug is not None:
                yield bug
                continue
            yield from found or ()


def _items(obj: Any, path: str, line: int) -> Iterator[dict[str, Any] | Record]:
    if isinstance(obj, dict) and isinstance(obj.get("resourceSpans"), list):
        yield from _spans(obj["resourceSpans"], path, line)
    if isinstance(obj, dict) and isinstance(obj.get("resourceLogs"), list):
        yield from _logs(obj["resourceLogs"], path, line)
    if not isinstance(obj, dict) or not (
        isinstance(obj.get("resourceSpans"), list) or isinstance(obj.get("resourceLogs"), list)
    ):
        what = "metrics export" if isinstance(obj, dict) and "resourceMetrics" in obj else "line"
        yield Record(
            path,
            line,
            reason=f"OTLP {what} without resourceSpans or resourceLogs: not a trace or log export",
        )


def _scopes(resource_item: Any, new: str, old: str) -> tuple[dict[str, Any], list[Any]]:
    item = as_dict(resource_item)
    resource = attributes(as_dict(item.get("resource")).get("attributes"))
    return resource, as_list(item.get(new)) or as_list(item.get(old))


def _scope(scope_item: dict[str, Any]) -> dict[str, Any]:
    scope = as_dict(scope_item.get("scope") or scope_item.get("instrumentationLibrary"))
    return {k: v for k, v in scope.items() if k in ("name", "version")}


def _spans(items: list[Any], path: str, line: int) -> Iterator[dict[str, Any] | Record]:
    for i, rs in enumerate(items):
        resource, scopes = _scopes(rs, "scopeSpans", "instrumentationLibrarySpans")
        for j, ss in enumerate(scopes):
            ss = as_dict(ss)
            for k, sp in enumerate(as_list(ss.get("spans"))):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                trace = str_or_none(as_dict(sp).get("traceId"))
                if trace is None:
                    yield Record(path, line, reason="span has no traceId", entry=where)
                    continue
                yield {
                    "trace": trace,
                    "id": str_or_none(sp.get("spanId")) or where,
                    "parent": str_or_none(sp.get("parentSpanId")),
                    "name": sp.get("name"),
                    "start": nanos(sp.get("startTimeUnixNano")),
                    "end": nanos(sp.get("endTimeUnixNano")),
                    "attrs": attributes(sp.get("attributes")),
                    "events": [
                        {
                            "name": str_or_none(as_dict(ev).get("name")),
                            "time": nanos(as_dict(ev).get("timeUnixNano")),
                            "attrs": attributes(as_dict(ev).get("attributes")),
                        }
                        for ev in as_list(sp.get("events"))
                    ],
                    "status": as_dict(sp.get("status")),
                    "kind": sp.get("kind"),
                    "resource": resource,
                    "scope": _scope(ss),
                    "path": path,
                    "line": line,
                }


def _logs(items: list[Any], path: str, line: int) -> Iterator[dict[str, Any]]:
    for i, rl in enumerate(items):
        resource, scopes = _scopes(rl, "scopeLogs", "instrumentationLibraryLogs")
        for j, sl in enumerate(scopes):
            sl = as_dict(sl)
            for k, lr in enumerate(as_list(sl.get("logRecords"))):
                lr = as_dict(lr)
                attrs = attributes(lr.get("attributes"))
                # The event name: the LogRecord field (OTLP >= 1.5), else the older attribute.
                name = str_or_none(lr.get("eventName")) or str_or_none(attrs.get("event.name"))
                yield {
                    "trace": str_or_none(lr.get("traceId")),
                    "span": str_or_none(lr.get("spanId")),
                    "name": name,
                    "time": nanos(lr.get("timeUnixNano")) or nanos(lr.get("observedTimeUnixNano")),
                    "attrs": attrs,
                    "body": any_value(lr.get("body")),
                    "resource": resource,
                    "scope": _scope(sl),
                    "path": path,
                    "line": line,
                    "where": f"resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]",
                }


def nanos(value: Any) -> int:
    """An OTLP ``*UnixNano`` value (int or decimal string) as an int; 0 when absent or bad."""
    try:
        return int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0
