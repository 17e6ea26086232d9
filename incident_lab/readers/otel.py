"""Reader for OpenTelemetry GenAI telemetry written by an OTLP/JSON file exporter.

Input: the collector ``file`` exporter's JSONL (one ``{"resourceSpans": [...]}`` or
``{"resourceLogs": [...]}`` export request per line) or one such JSON document, in one
file or several (a file exporter writes traces and logs to separate files; rotation
splits them further). :meth:`OtelReader.read_group` reads several files as one body
of telemetry; :func:`incident_lab.readers.read_paths` uses it for every ``otel`` file
of one call.

- GenAI log records (the older per-message events ``gen_ai.system.message``,
  ``gen_ai.user.message``, ``gen_ai.assistant.message``, ``gen_ai.tool.message``,
  ``gen_ai.choice``, and the newer ``gen_ai.client.inference.operation.details``)
  are joined to their span by trace and span id. Records whose span is not in the
  input become a span of their own, so their content is still read.
- Spans carrying ``gen_ai.*`` attributes are grouped into sessions by
  ``gen_ai.conversation.id`` (inherited from the nearest ancestor span that has
  one), else by trace id; traces whose chat history extends another trace's are
  then stitched together (one conversation without a parent span is one session,
  not one per model call).
- Each session is replayed in time order (:mod:`.otel_steps`): a span's inputs at
  its start, its outputs at its end; the history each chat call repeats is merged,
  not repeated.
- A session whose GenAI spans carry no content at all is a reject naming the
  setting that turns content capture on; an AI SDK call recorded with content off
  beside calls with content is a reject of its own, the rest of its session read
  (:func:`.otel_vercel.off_calls`); tools the model called but that no
  definition describes are inferred (:mod:`.tool_inference`).

A session is only complete at the end of the input (a later trace may continue its
history; a logs file read after the spans adds their content), so spans are not held
as objects until then: they are spooled by trace (bounded memory, then an anonymous
temporary file, :mod:`.span_spool`), each trace is grouped on its own, and each
session is built from its spooled spans, one at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers import otel_adk, otel_agents_sdk, otel_pydantic_ai, otel_vercel
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    finish,
    json_attr,
    nanos_to_rfc3339,
    str_or_none,
    tool_entry,
)
from incident_lab.readers.otel_steps import (
    CONTENT_OFF,
    LEGACY_EVENTS,
    attribute_events,
    join_log,
    lend_details,
    operation,
    session_steps,
)
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
    "gen_ai.tool.json_schema",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "enduser.id",
    "user.id",
    "tenant.id",
}
_NEVER = 1 << 62  # no such record (sorts after every input position)
_OPENINFERENCE = (b'"openinference.span.kind"', b'"llm.input_messages.', b'"llm.output_messages.')


class OtelReader:
    """OTLP/JSON trace and log exports with OpenTelemetry GenAI semantic conventions."""

    name = _FMT
    description = (
        "OpenTelemetry GenAI spans and log events from OTLP/JSON file exports "
        "(resourceSpans/resourceLogs)"
    )

    def sniff(self, path: str, head: bytes) -> float:
        """Sure when the file opens with an OTLP export and is not OpenInference-only."""
        if b'"gen_ai.' not in head and any(marker in head for marker in _OPENINFERENCE):
            return 0.0  # OpenInference spans: the openinference reader's
        start = head[:4096].lstrip()
        if start.startswith(b"{") and (b'"resourceSpans"' in start or b'"resourceLogs"' in start):
            return 1.0
        if (b'"resourceSpans"' in head or b'"resourceLogs"' in head) and b'"gen_ai.' in head:
            return 0.8
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield the rejects of ``path``, then one record per session."""
        yield from self.read_group([path], max_line_bytes=max_line_bytes)

    def read_group(
        self, paths: list[str], *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    ) -> Iterator[Record]:
        """Read several files as one body of telemetry (spans in one, logs in another).

        A session is reported at the file and line of its earliest span. Spans and log
        records are spooled by trace as they are read (:mod:`.span_spool`), so memory
        holds one trace or session at a time, not the input.
        """
        traces = KeyedSpool()
        firsts: dict[str, list[int]] = {}  # trace -> [first span, first GenAI log record]
        seq = 0
        for item in iter_exports(paths, max_line_bytes=max_line_bytes):
            if isinstance(item, Record):
                yield item
                continue
            seq += 1
            if "span" in item:  # a log record, joined to its span by trace and span id
                trace = item["trace"] or f"log {item['path']}:{item['line']}"
                first = firsts.setdefault(trace, [_NEVER, _NEVER])
                if first[1] == _NEVER and _is_genai_log(item):
                    first[1] = seq
            else:
                trace = item["trace"]
                first = firsts.setdefault(trace, [_NEVER, _NEVER])
                first[0] = min(first[0], seq)
            traces.add(trace, (seq, item))
        # Traces in the order of their first span, then those made of log records only.
        ranked = sorted(firsts, key=firsts.__getitem__)
        firsts.clear()
        yield from _sessions(traces, ranked, paths)


def _is_genai(span: dict[str, Any]) -> bool:
    return any(key.startswith("gen_ai.") for key in span["attrs"]) or any(
        str(ev["name"]).startswith("gen_ai.") for ev in span["events"]
    )


def _is_genai_log(log: dict[str, Any]) -> bool:
    return str(log["name"] or "").startswith("gen_ai.") or any(
        key.startswith("gen_ai.") for key in log["attrs"]
    )


def _join_logs(
    items: list[tuple[int, dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[tuple[int, Record]]]:
    """Attach each GenAI log record of one trace to its span; spans are made for records
    that have none. ``items`` are ``(input position, span or log record)``."""
    spans = [item for _seq, item in items if "span" not in item]
    children = otel_adk.model_calls(spans)
    outer, ran = otel_vercel.ran_in(spans)
    for member in spans:
        _guard(member, lend_details, member)
        _guard(member, otel_adk.lend_legacy, member, children)
        _guard(member, otel_vercel.lend, member, outer, ran)
    index = {(s["trace"], s["id"]): s for s in spans}
    rejects: list[tuple[int, Record]] = []
    for seq, log in items:
        if "span" not in log:
            continue
        key = (log["trace"] or f"log {log['path']}:{log['line']}", log["span"] or log["where"])
        span = index.get(key)
        if not _is_genai_log(log):
            if span is not None:
                span["other_logs"] = span.get("other_logs", 0) + 1
            else:
                reason = (
                    "log record is not a GenAI event (no gen_ai.* event name or "
                    "attribute) and its span is not in the input"
                )
                rejects.append(
                    (seq, Record(log["path"], log["line"], entry=log["where"], reason=reason))
                )
            continue
        if span is None:
            span = {
                "trace": key[0],
                "id": key[1],
                "parent": None,
                "name": "gen_ai log records (span not in the input)",
                "start": log["time"],
                "end": log["time"],
                "attrs": {},
                "events": [],
                "status": {},
                "kind": None,
                "resource": log["resource"],
                "scope": log["scope"],
                "path": log["path"],
                "line": log["line"],
                "from_logs_only": True,
            }
            index[key] = span
            spans.append(span)
        _guard(span, join_log, span, log)
    for member in spans:
        _guard(member, otel_adk.seal, member)
    return spans, rejects


def _guard(span: dict[str, Any], fn: Callable[..., None], *args: Any) -> None:
    """``fn(*args)``, which reads ``span``'s attributes (or a log record of it); one that
    cannot be read (JSON nested too deeply, an unforeseen shape) marks the span
    ``unreadable``: its session is a reject saying why (:func:`_build`), the rest is read."""
    try:
        fn(*args)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        why = "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        span.setdefault("unreadable", f"span {str(span['name'])[:80]!r} cannot be read: {why}")


def _sessions(traces: KeyedSpool, ranked: list[str], paths: list[str]) -> Iterator[Record]:
    """Group spans into sessions and build each; traces without GenAI spans are rejects."""
    order = {p: i for i, p in enumerate(paths)}
    others: dict[str, list[tuple[str, int]]] = defaultdict(list)  # group -> (trace, spans)

    def split(
        trace: str, items: list[Any]
    ) -> tuple[list[tuple[int, Record]], list[Record], dict[str, list[dict[str, Any]]]]:
        members, rejects = _join_logs(items)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if not members:
            return rejects, [], groups
        genai = [s for s in members if _is_genai(s) or "unreadable" in s]
        if not genai:
            first = earliest(members, order)
            logs = sum(s.get("other_logs", 0) for s in members)
            with_logs = f" and {logs} log record(s)" if logs else ""
            openinference = any("openinference.span.kind" in s["attrs"] for s in members)
            hint = " (OpenInference spans: read them with --format openinference)"
            reject = Record(
                first["path"],
                first["line"],
                entry=f"trace {trace}",
                reason=f"trace has {len(members)} span(s){with_logs} and none carries "
                "gen_ai.* attributes" + (hint if openinference else ""),
            )
            return rejects, [reject], groups
        index = {(s["trace"], s["id"]): s for s in members}
        convs = {conversation(s, index) for s in genai} - {None}
        for span in genai:
            conv = conversation(span, index) or (next(iter(convs)) if len(convs) == 1 else None)
            groups[f"conversation\0{conv}" if conv else f"trace\0{trace}"].append(span)
        if len(members) > len(genai):
            for key in groups:
                others[key].append((trace, len(members) - len(genai)))
        return rejects, [], groups

    found = spooled_sessions(traces, ranked, split, session_steps)
    yield from build_sessions(found, order, partial(_build, others=others))


def _tools(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for span in members:
        for item in as_list(json_attr(span["attrs"].get("gen_ai.tool.definitions"))):
            item = as_dict(item)
            fn = as_dict(item.get("function")) or item
            name = str_or_none(fn.get("name"))
            if name and name not in tools:
                schema = fn.get("parameters", fn.get("inputSchema"))  # inputSchema: ai 7
                tools[name] = tool_entry(name, fn.get("description"), schema)
    for span in members:
        name = str_or_none(span["attrs"].get("gen_ai.tool.name"))
        if operation(span) == "execute_tool" and name and name not in tools:
            description = span["attrs"].get("gen_ai.tool.description")
            schema = json_attr(span["attrs"].get("gen_ai.tool.json_schema"))  # Strands
            tools[name] = tool_entry(name, description, schema)
    return list(tools.values())


def _first(members: list[dict[str, Any]], *keys: str, last: bool = False) -> str | None:
    order = reversed(members) if last else iter(members)
    for span in order:
        for key in keys:
            value = str_or_none(span["attrs"].get(key)) or str_or_none(span["resource"].get(key))
            if value:
                return value
    return None


def _not_read(
    members: list[dict[str, Any]], found: tuple[list[tuple[str, Any]], int]
) -> str | None:
    """Why a session is a reject before its steps are read: a span that cannot be read
    (:func:`_guard`), or content capture off in a tool's own spans; else None."""
    if bad := next((s["unreadable"] for s in members if "unreadable" in s), None):
        return str(bad)
    for module in (otel_agents_sdk, otel_pydantic_ai, otel_adk):
        if module.content_off(members):
            return f"{len(members)} GenAI span(s) and no message content: {module.CONTENT_OFF}"
    return otel_vercel.content_off(members, found)


def _build(
    first: dict[str, Any],
    kind: str,
    sid: str,
    stitched: list[str],
    members: list[dict[str, Any]],
    others: dict[str, list[tuple[str, int]]],
) -> Record | list[Record]:
    """One session's records (the rejects of its calls recorded with content off, then
    the session); ``others``: the non-GenAI spans of each group's trace."""
    path, line = first["path"], first["line"]
    extra = {t: n for k in stitched for t, n in others.pop(k, ())}
    entry = f"{kind} {sid}"
    unread = any("unreadable" in s for s in members)  # a reject: _not_read says why
    found: tuple[list[Any], int] = ([], 0) if unread else otel_vercel.off_calls(members)
    if reason := _not_read(members, found):
        return Record(path, line, reason=f"{kind} {sid!r}: {reason}", entry=entry)
    rejects, members = _calls_off(path, line, kind, sid, members, found)
    traj = session_trajectory(
        (path, line), sid, kind, members, session_steps, ("GenAI", CONTENT_OFF)
    )
    if isinstance(traj, Record):
        return [*rejects, traj]
    steps = traj["steps"]
    model = {
        "name": _first(members, "gen_ai.request.model", "gen_ai.response.model"),
        "version": _first(members, "gen_ai.response.model", last=True),
        "provider": _first(members, "gen_ai.provider.name", "gen_ai.system"),
    }
    tools = _tools(members)
    traj["agent"] = {
        "name": otel_agents_sdk.agent_name(members) or _first(members, "gen_ai.agent.name"),
        "model": model,
        "tools": complete_tools(tools, steps),
    }
    user, tenant = _first(members, "enduser.id", "user.id"), _first(members, "tenant.id")
    if user or tenant:
        traj["actor"] = {"user_id": user, "tenant_id": tenant}
    traj["x_otel"] = {
        "grouped_by": "history" if len(stitched) > 1 else kind,
        "trace_ids": sorted({s["trace"] for s in members}),
        "resource": members[0]["resource"],
        "spans": [_span_summary(s) for s in members],
    }
    files = sorted(
        {s["path"] for s in members} | {f for s in members for f in s.get("log_files", ())}
    )
    if len(files) > 1 or files != [path]:
        traj["x_otel"]["files"] = files
    if extra:
        traj["x_otel"]["non_genai_spans_by_trace"] = extra
    if handoffs := otel_agents_sdk.handoffs(members):
        traj["x_otel"]["handoffs"] = handoffs
    return [*rejects, finish(traj, fmt=_FMT, path=path, line=line, entry=entry)]


def _calls_off(
    path: str,
    line: int | None,
    kind: str,
    sid: str,
    members: list[dict[str, Any]],
    found: tuple[list[tuple[str, list[dict[str, Any]]]], int],
) -> tuple[list[Record], list[dict[str, Any]]]:
    """A reject for each call of a session recorded with content off while others have
    it (:func:`.otel_vercel.off_calls`, naming the call's span ids), and the spans left
    to read: not calls with null arguments or a session without that call's answer
    (``found``: :func:`.otel_vercel.off_calls` of ``members``)."""
    off, judged = found
    rejects = []
    for whose, call in off:
        ids = [str(s["id"]) for s in call]
        rejects.append(
            Record(
                path,
                line,
                reason=f"{kind} {sid!r}: one of its {judged} calls has no message content and is "
                f"left out of the session ({len(ids)} span(s): {', '.join(ids)}): "
                + otel_vercel.why_off(whose),
                entry=f"{kind} {sid} call {ids[0]}",
            )
        )
    dropped = {id(s) for _, call in off for s in call}
    return rejects, [s for s in members if id(s) not in dropped]


def _mapped(span: dict[str, Any]) -> set[str] | frozenset[str]:
    """The attributes read into steps (an ``events`` attribute too when it held GenAI events)."""
    return _MAPPED | {"events"} if attribute_events(span) else _MAPPED


def _span_summary(s: dict[str, Any]) -> dict[str, Any]:
    summary = {
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
        "attributes": {k: v for k, v in s["attrs"].items() if k not in _mapped(s)} or None,
        "events": [
            e
            for e in s["events"]
            if e["name"] not in LEGACY_EVENTS and e["name"] != "gen_ai.choice"
        ]
        or None,
    }
    if s.get("log_records"):
        summary["log_records"] = s["log_records"]
    if s.get("other_logs"):
        summary["other_log_records"] = s["other_logs"]
    if s.get("from_logs_only"):
        summary["from_logs_only"] = True
    return summary


@hookimpl
def register_readers() -> list[OtelReader]:
    """Register the OpenTelemetry GenAI span and log reader."""
    return [OtelReader()]
