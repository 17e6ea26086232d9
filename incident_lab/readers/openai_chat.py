"""Reader for OpenAI chat-completions logs: one request/response exchange per line.

Accepted line shapes (all JSON objects):

- ``{"request": {"model", "messages", "tools", ...}, "response": {"id", "model", "created",
  "choices": [{"message": {...}, "finish_reason"}], "usage"}, "metadata": {...}}``;
- the same with a Batch-API style ``body`` under ``request``/``response``;
- flattened: ``{"model", "messages", "tools", "choices", "id", "created", "user", ...}``.

An exchange whose wrapper, ``metadata`` or request carries ``session_id``,
``conversation_id`` or ``thread_id`` is grouped with the other exchanges of that
session: each exchange's ``messages`` repeat the history, so the session is the
longest history plus every response, merged in ``created`` order. Other exchanges
are one trajectory each.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incident_lab.hookspecs import hookimpl
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, Record, head_object, iter_json_lines
from incident_lab.readers.mapping import (
    as_dict,
    as_list,
    finish,
    guarded,
    normalise_timestamp,
    output_text,
    str_or_none,
    text_of,
    tool_call_step,
    tool_entry,
)
from incident_lab.trajectory import compact_json, new_trajectory, parse_timestamp

_FMT = "openai_chat"
_SESSION_KEYS = ("session_id", "conversation_id", "thread_id", "session")
_REQUEST_KEYS = {"messages", "tools", "functions", "model", "user", "metadata"}
_RESPONSE_KEYS = {"id", "choices", "created", "model", "usage", "system_fingerprint", "object"}
_WRAPPER_KEYS = {"request", "response", "metadata", "created", "timestamp", "user", *_SESSION_KEYS}
_MESSAGE_KEYS = {"role", "content", "tool_calls", "tool_call_id", "function_call"}
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class _Bad(Exception):
    """A record-level problem with the exchange on one line."""


class OpenAIChatReader:
    """OpenAI chat-completions request/response logs, one exchange per line."""

    name = _FMT
    description = (
        "OpenAI chat-completions logs (request messages + response choices), one exchange per line"
    )

    def sniff(self, path: str, head: bytes) -> float:
        """Sure for request/response pairs; fairly sure for flattened messages + choices."""
        first = head_object(head)
        if not isinstance(first, dict):
            return 0.0
        request, response = _split(first)
        if isinstance(request.get("messages"), list) and "choices" in response:
            return 0.95
        if isinstance(first.get("request"), dict) and isinstance(request.get("messages"), list):
            return 0.9
        if isinstance(first.get("messages"), list) and "steps" not in first:
            msgs = first["messages"]
            if msgs and all(isinstance(m, dict) and "role" in m for m in msgs[:3]):
                return 0.5
        return 0.0

    def read(self, path: str, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record]:
        """Yield ungrouped exchanges as met; grouped sessions at end of file."""
        sessions: dict[str, list[dict[str, Any]]] = {}
        for line_no, obj, reject in iter_json_lines(path, max_line_bytes=max_line_bytes):
            if reject is not None:
                yield reject
                continue
            exchange, bug = guarded(_exchange, obj, line_no, path=path, line=line_no)
            if bug is not None or exchange is None:
                yield bug  # type: ignore[misc]
                continue
            if isinstance(exchange, str):
                yield Record(path, line_no, reason=exchange, excerpt=compact_json(obj)[:200])
                continue
            if exchange["session"] is None:
                sid = str_or_none(exchange["response"].get("id")) or f"{Path(path).name}:{line_no}"
                yield _build(path, sid, [exchange])
            else:
                sessions.setdefault(exchange["session"], []).append(exchange)
        for sid, group in sessions.items():
            yield _build(path, sid, group)


def _split(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(request, response)`` of a wrapped or flattened exchange."""
    if isinstance(obj.get("request"), dict) or isinstance(obj.get("response"), dict):
        request = as_dict(obj.get("request"))
        response = as_dict(obj.get("response"))
        if "messages" not in request and isinstance(request.get("body"), dict):
            request = request["body"]
        if "choices" not in response and isinstance(response.get("body"), dict):
            response = response["body"]
        return request, response
    request = {k: obj[k] for k in _REQUEST_KEYS if k in obj}
    response = {k: obj[k] for k in _RESPONSE_KEYS - {"model"} if k in obj}
    return request, response


def _exchange(obj: Any, line: int) -> dict[str, Any] | str:
    """Normalise one line into an exchange dict, or return the reason it is rejected."""
    if not isinstance(obj, dict):
        return f"exchange is a JSON {type(obj).__name__}, expected an object"
    request, response = _split(obj)
    messages = request.get("messages")
    if not isinstance(messages, list):
        return "no request messages (expected request.messages or a top-level messages array)"
    wrapped = isinstance(obj.get("request"), dict) or isinstance(obj.get("response"), dict)
    metas = [obj, as_dict(obj.get("metadata")), as_dict(request.get("metadata"))]
    session = _lookup(metas, _SESSION_KEYS)
    created = response.get("created", obj.get("created", obj.get("timestamp")))
    when = normalise_timestamp(created) if created is not None else None
    choices = response.get("choices")
    if choices is not None and not isinstance(choices, list):
        return "response choices is not an array"
    choice0 = as_dict(choices[0]) if choices else {}
    try:
        history = [_message_steps(m, f"messages[{i}]", None) for i, m in enumerate(messages)]
        reply, reply_key = _reply(choice0, when) if choices else (None, "")
    except _Bad as exc:
        return str(exc)
    user = _lookup([*metas, request], ("user", "user_id"))
    tenant = _lookup(metas, ("tenant_id", "tenant"))
    info = _exchange_info(obj, request, response, line, when, choices, wrapped=wrapped)
    return {
        "line": line,
        "session": session,
        "created": when,
        "history": [(_identity(m), steps) for m, steps in zip(messages, history, strict=True)],
        "reply": reply,
        "reply_key": reply_key,
        "tools": request.get("tools"),
        "functions": request.get("functions"),
        "model": str_or_none(request.get("model", obj.get("model"))),
        "response_model": str_or_none(response.get("model")),
        "response": response,
        "user": user,
        "tenant": tenant,
        "info": {k: v for k, v in info.items() if v not in (None, {}, [])},
    }


def _reply(choice0: dict[str, Any], when: str | None) -> tuple[list[dict[str, Any]], str]:
    """The steps of the first choice's message, and that message's identity."""
    if not isinstance(choice0.get("message"), dict):
        raise _Bad("choices[0] has no message object")
    message = choice0["message"]
    return _message_steps(message, "choices[0].message", when), _identity(message)


def _exchange_info(
    obj: dict[str, Any],
    request: dict[str, Any],
    response: dict[str, Any],
    line: int,
    when: str | None,
    choices: list[Any] | None,
    *,
    wrapped: bool,
) -> dict[str, Any]:
    """What the exchange carries besides its messages (response id, usage, request
    parameters, other choices, metadata, unmapped fields), kept under the session."""
    known = _WRAPPER_KEYS if wrapped else _REQUEST_KEYS | _RESPONSE_KEYS | _WRAPPER_KEYS
    choice0 = as_dict(choices[0]) if choices else {}
    return {
        "line": line,
        "id": response.get("id"),
        "created": when,
        "model": response.get("model"),
        "finish_reason": choice0.get("finish_reason"),
        "usage": response.get("usage"),
        "system_fingerprint": response.get("system_fingerprint"),
        "request_params": {k: v for k, v in request.items() if k not in _REQUEST_KEYS},
        "response_extra": {
            k: v for k, v in response.items() if k not in _RESPONSE_KEYS | {"error"}
        },
        "error": response.get("error", obj.get("error")),
        "other_choices": (choices or [])[1:],
        "metadata": {**as_dict(request.get("metadata")), **as_dict(obj.get("metadata"))},
        "extra": {k: v for k, v in obj.items() if k not in known},
    }


def _lookup(holders: list[dict[str, Any]], keys: tuple[str, ...]) -> str | None:
    """The first non-empty string id found under ``keys`` in ``holders``, in order."""
    for holder in holders:
        for key in keys:
            value = str_or_none(holder.get(key))
            if value:
                return value
    return None


def _identity(msg: Any) -> str:
    """What makes two copies of a message the same one (logs add or drop null fields)."""
    msg = as_dict(msg)
    calls = [
        (
            as_dict(c).get("id"),
            as_dict(as_dict(c).get("function")).get("name"),
            as_dict(as_dict(c).get("function")).get("arguments"),
        )
        for c in as_list(msg.get("tool_calls"))
    ]
    return compact_json(
        [msg.get("role"), text_of(msg.get("content"))[0], calls, msg.get("tool_call_id")]
    )


def _sort_key(ex: dict[str, Any]) -> tuple[datetime, int]:
    return (parse_timestamp(ex["created"]) if ex["created"] else _EARLIEST, ex["line"])


def _message_steps(msg: Any, where: str, when: str | None) -> list[dict[str, Any]]:
    """Map one chat message to steps (a message, tool calls, or a tool result): one
    mapper per role."""
    if not isinstance(msg, dict):
        raise _Bad(f"{where} is not an object")
    role = msg.get("role")
    x: dict[str, Any] = {k: v for k, v in msg.items() if k not in _MESSAGE_KEYS and v is not None}
    text, others = text_of(msg.get("content"))
    if others:
        x["content_parts"] = others
    stamp = {"timestamp": when} if when else {}
    if role in ("system", "developer", "user"):
        return [_prompt_step(role, text, x, stamp)]
    if role == "tool" or role == "function":
        return [_tool_result_step(msg, text, others, x)]
    if role != "assistant":
        raise _Bad(
            f"{where}.role is {compact_json(role)[:40]}, expected system/developer/user/assistant/tool"
        )
    return _assistant_steps(msg, where, text, others, x, stamp)


def _extra(x: dict[str, Any]) -> dict[str, Any]:
    return {"x_openai_chat": x} if x else {}


def _prompt_step(role: str, text: str, x: dict[str, Any], stamp: dict[str, str]) -> dict[str, Any]:
    """A system, developer (kept as system, noted) or user message."""
    if role == "developer":
        x["role"] = "developer"
    step = {"type": "message", "role": "user" if role == "user" else "system", "content": text}
    return step | stamp | _extra(x)


def _tool_result_step(
    msg: dict[str, Any], text: str, others: list[Any], x: dict[str, Any]
) -> dict[str, Any]:
    """A ``tool`` (or legacy ``function``) message: the result of a call."""
    step = {
        "type": "tool_result",
        "call_id": str_or_none(msg.get("tool_call_id")),
        "name": str_or_none(msg.get("name")),
        "output": text if not others else output_text(msg.get("content")),
    }
    x.pop("name", None)
    return step | _extra(x)


def _assistant_steps(
    msg: dict[str, Any],
    where: str,
    text: str,
    others: list[Any],
    x: dict[str, Any],
    stamp: dict[str, str],
) -> list[dict[str, Any]]:
    """The assistant's message (its refusal when it has no text), then its tool calls and
    a legacy ``function_call``."""
    calls = msg.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise _Bad(f"{where}.tool_calls is not an array")
    legacy = msg.get("function_call")
    steps: list[dict[str, Any]] = []
    refusal = msg.get("refusal")
    if isinstance(refusal, str) and refusal and not text:
        text = refusal  # the refusal text stays under x_openai_chat.refusal too
    if text or others or not (calls or legacy):
        steps.append({"type": "message", "role": "assistant", "content": text} | stamp | _extra(x))
    steps += [
        _tool_call(call, f"{where}.tool_calls[{i}]", stamp) for i, call in enumerate(as_list(calls))
    ]
    if isinstance(legacy, dict):
        name = str_or_none(legacy.get("name"))
        if name is None:
            raise _Bad(f"{where}.function_call has no name")
        steps.append(tool_call_step(name, legacy.get("arguments"), None) | stamp)
    return steps


def _tool_call(call: Any, where: str, stamp: dict[str, str]) -> dict[str, Any]:
    """One entry of ``tool_calls``; fields other than id/type/function are kept."""
    function = as_dict(as_dict(call).get("function"))
    name = str_or_none(function.get("name"))
    if not isinstance(call, dict) or name is None:
        raise _Bad(f"{where} has no function.name")
    extra = {k: v for k, v in call.items() if k not in ("id", "type", "function")}
    if call.get("type") not in (None, "function"):
        extra["type"] = call.get("type")
    step = tool_call_step(name, function.get("arguments"), str_or_none(call.get("id")))
    return step | stamp | _extra(extra)


def _tools(exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Union of the tools offered across exchanges, first definition of a name wins."""
    tools: dict[str, dict[str, Any]] = {}
    for ex in exchanges:
        for item in as_list(ex["tools"]) + [
            {"type": "function", "function": f} for f in as_list(ex["functions"])
        ]:
            item = as_dict(item)
            function = as_dict(item.get("function"))
            kind = item.get("type", "function")
            name = str_or_none(function.get("name")) or str_or_none(item.get("name"))
            name = name or str_or_none(kind)
            if name is None or name in tools:
                continue
            tool = tool_entry(name, function.get("description"), function.get("parameters"))
            extra = {k: v for k, v in item.items() if k not in ("type", "function")}
            extra.update(
                {
                    k: v
                    for k, v in function.items()
                    if k not in ("name", "description", "parameters")
                }
            )
            if kind != "function":
                extra["type"] = kind
            if extra:
                tool["x_openai_chat"] = extra
            tools[name] = tool
    return list(tools.values())


def _build(path: str, sid: str, exchanges: list[dict[str, Any]]) -> Record:
    """Merge a session's exchanges into one trajectory record."""
    exchanges.sort(key=_sort_key)
    first_line = min(ex["line"] for ex in exchanges)

    def build() -> Record:
        merged: list[tuple[str, list[dict[str, Any]]]] = []
        rewrites: list[dict[str, Any]] = []
        for ex in exchanges:
            history = ex["history"]
            common = 0
            while (
                common < min(len(merged), len(history)) and merged[common][0] == history[common][0]
            ):
                common += 1
            if common < len(merged):
                rewrites.append({"line": ex["line"], "diverges_at_message": common})
            merged.extend(history[common:])
            if ex["reply"] is not None:
                merged.append((ex["reply_key"], ex["reply"]))
        steps = [step for _key, group in merged for step in group]
        names = {
            s["call_id"]: s["name"] for s in steps if s["type"] == "tool_call" and s.get("call_id")
        }
        for step in steps:
            if step["type"] == "tool_result" and step.get("name") is None:
                step["name"] = names.get(step.get("call_id"))
        last = exchanges[-1]
        traj = new_trajectory(sid, steps=steps)
        starts = [ex["created"] for ex in exchanges if ex["created"]]
        if starts:
            traj["started_at"] = min(starts)
        model: dict[str, Any] = {"name": exchanges[0]["model"] or last["response_model"]}
        versions = [ex["response_model"] for ex in exchanges if ex["response_model"]]
        if versions:
            model["version"] = versions[-1]
        traj["agent"] = {"model": model, "tools": _tools(exchanges)}
        user = next((ex["user"] for ex in exchanges if ex["user"]), None)
        tenant = next((ex["tenant"] for ex in exchanges if ex["tenant"]), None)
        if user or tenant:
            traj["actor"] = {"user_id": user, "tenant_id": tenant}
        x: dict[str, Any] = {"exchanges": [ex["info"] for ex in exchanges]}
        if len(set(versions)) > 1:
            x["response_models"] = sorted(set(versions))
        if rewrites:
            x["history_rewrites"] = rewrites
        traj["x_openai_chat"] = x
        return finish(traj, fmt=_FMT, path=path, line=first_line)

    record, bug = guarded(build, path=path, line=first_line)
    if bug is not None:
        bug.reason = f"session {sid!r}: {bug.reason}"
    return record or bug  # type: ignore[return-value]


@hookimpl
def register_readers() -> list[OpenAIChatReader]:
    """Register the OpenAI chat-completions log reader."""
    return [OpenAIChatReader()]
