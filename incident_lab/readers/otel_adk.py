"""What Google ADK writes in its own OpenTelemetry spans unlike other GenAI spans.

ADK (google-adk) traces natively (scope ``gcp.vertex.agent``; no instrumentation
package). Its default schema (2, ``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN`` unset) writes
``invoke_workflow`` / ``invoke_agent`` / ``generate_content`` / ``execute_tool`` spans
with the GenAI conventions, content only with
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY`` (span attributes) or
``EVENT_ONLY`` (a ``gen_ai.client.inference.operation.details`` log record per model call;
its tool spans then record no arguments: the call is the model's call of that name, and
its spans' tool definitions no parameters: the record's are read instead, :func:`fuller_tools`);
they are read as any other. What is ADK's own:

- Schema 1 (``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``) records content in ADK's own
  attributes: a ``call_llm`` span's ``gcp.vertex.agent.llm_request`` (the Gemini request:
  ``config.system_instruction``, ``config.tools`` and ``contents``) and
  ``gcp.vertex.agent.llm_response`` (the Gemini response's ``content``), an
  ``execute_tool`` span's ``gcp.vertex.agent.tool_call_args`` / ``tool_response``.
  :func:`lend_legacy` gives the span the GenAI attributes they stand for (never over one
  it has); ``{}`` (what ``ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS=false`` writes) is none.
- A tool span's result is the function's return value as ADK hands it to the model:
  ``{"result": value}`` for a value that is not an object, and ``{"error": message}``
  read as a failed result (:func:`tool_attrs`), as in a ``tool_call_response`` part.
- A failed tool span's call id is ``<not specified>``: it is no id (the span's call is
  then the model's call of that name and arguments).
- Schema 1 also logs per-message events (``gen_ai.system.message``, ``gen_ai.user.message``,
  ``gen_ai.choice``) whose content is a Gemini ``Content``, or ``<elided>`` with content
  capture off (not a message): :func:`absorb` reads them as the span's GenAI attributes
  where its ``call_llm`` content is not there already.
- Without content, every span still has tool names and call ids: such a session is a
  reject that says so (:func:`content_off`), not a session of calls without arguments.
"""

from __future__ import annotations

import json
from typing import Any

from incident_lab.readers.mapping import GENAI_CONTENT_KEYS, as_dict, as_list, json_attr

#: The instrumentation scope ADK writes its spans under.
SCOPE = "gcp.vertex.agent"
#: The second half of the reject for a session recorded without content.
CONTENT_OFF = (
    "content capture was off when it was recorded: ADK records message content only with "
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY (span attributes), "
    "EVENT_ONLY or SPAN_AND_EVENT (log records: export and pass the logs too), or, with "
    "ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1, unless ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS is "
    "false; set it where the agent runs"
)
_PLACEHOLDER = "<not specified>"
_ELIDED = "<elided>"
#: Gemini content roles; any other (``function``, none) is read as a tool's, not the user's.
_ROLES = {"user": "user", "model": "assistant"}
_PREFIX = "gcp.vertex.agent."
#: How ADK opens another agent's turns relayed to the current agent as a ``role='user'``
#: Content (flows/llm_flows/context/_fencing.py: a preamble part, then each turn fenced as
#: ``[agent] said:`` / ``called tool`` / ``tool returned result:``), and its quote fence.
_RELAY_PREAMBLE = "For context:"
_RELAY_FENCE = "<<<BEGIN_QUOTED_AGENT_CONTENT>>>"


def ours(span: dict[str, Any]) -> bool:
    """True for a span of ADK's own tracer."""
    return as_dict(span.get("scope")).get("name") == SCOPE


def _legacy(attrs: dict[str, Any], key: str) -> Any:
    """The decoded ``gcp.vertex.agent.<key>`` attribute; None when absent or ``{}``."""
    value = json_attr(attrs.get(_PREFIX + key))
    return None if value in (None, {}, "", _PLACEHOLDER) else value


def _part(part: dict[str, Any]) -> dict[str, Any] | None:
    """A Gemini content part as a GenAI message part (None for other kinds of part)."""
    if isinstance(part.get("text"), str):
        return {"type": "text", "content": part["text"]}
    if call := as_dict(part.get("function_call")):
        args = call.get("args")
        return {"type": "tool_call", "id": call.get("id"), "name": call.get("name")} | {
            "arguments": {} if args is None else args
        }
    if response := as_dict(part.get("function_response")):
        return {"type": "tool_call_response", "id": response.get("id")} | {
            "response": response.get("response")
        }
    return None


def _message(content: Any) -> dict[str, Any] | None:
    """A Gemini ``Content`` as a GenAI message: ``user`` and ``model`` as the user's and the
    assistant's, function responses only, another agent's relayed turns (:func:`relayed`)
    or any other role as a tool's (text of unknown origin is never taken for the user's)."""
    content = as_dict(content)
    parts = [p for p in (_part(as_dict(x)) for x in as_list(content.get("parts"))) if p]
    if not parts:
        return None
    role = _ROLES.get(str(content.get("role")), "tool")
    if all(p["type"] == "tool_call_response" for p in parts):
        role = "tool"
    if role == "user" and relayed([p["content"] for p in parts if p["type"] == "text"]):
        role = "tool"  # another agent's turns, relayed by ADK: not the user speaking
    return {"role": role, "parts": parts}


def relayed(texts: list[str]) -> bool:
    """True when a user-role message's text parts are another agent's turns as ADK relays
    them: a ``For context:`` part followed by others, or ADK's quote fence anywhere (ADK
    elides the fence from what it quotes, so it is never the quoted agent's own)."""
    if any(_RELAY_FENCE in text for text in texts):
        return True
    return len(texts) > 1 and texts[0].lstrip().startswith(_RELAY_PREAMBLE)


def untrusted_relay(span: dict[str, Any], message: Any) -> Any:
    """An ADK span's GenAI input message, as a tool's (another agent's: untrusted) when it
    is a user-role relay (:func:`relayed`); any other message as it is."""
    if not ours(span) or not isinstance(message, dict) or message.get("role") != "user":
        return message
    parts = [as_dict(p) for p in as_list(message.get("parts"))]
    texts = [
        p["content"] for p in parts if p.get("type") == "text" and isinstance(p.get("content"), str)
    ]
    return message | {"role": "tool"} if relayed(texts) else message


def _tools(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for tool in as_list(config.get("tools")):
        for decl in as_list(as_dict(tool).get("function_declarations")):
            decl = as_dict(decl)
            schema = decl.get("parameters_json_schema") or decl.get("parameters")
            entry = {"name": decl.get("name"), "description": decl.get("description")}
            found.append(entry | {"parameters": schema})
    return found


def _llm_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """The GenAI attributes a schema-1 ``call_llm`` span's request and response stand for."""
    out: dict[str, Any] = {}
    request = as_dict(_legacy(attrs, "llm_request"))
    config = as_dict(request.get("config"))
    system = config.get("system_instruction")
    if isinstance(system, str) and system:
        out["gen_ai.system_instructions"] = json.dumps([{"type": "text", "content": system}])
    messages = [m for m in (_message(c) for c in as_list(request.get("contents"))) if m]
    if messages:
        out["gen_ai.input.messages"] = json.dumps(messages)
    if tools := _tools(config):
        out["gen_ai.tool.definitions"] = json.dumps(tools)
    answer = _message(as_dict(_legacy(attrs, "llm_response")).get("content"))
    if answer:
        out["gen_ai.output.messages"] = json.dumps([answer | {"role": "assistant"}])
    return out


def _model_call(span: dict[str, Any], children: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """Where a ``call_llm`` span's content is read: its ``generate_content`` child (the model
    call itself: the ``call_llm`` span stays open while the tools run, so its end is after
    their results), else the span."""
    return children.get((span["trace"], span["id"]), span)


def model_calls(spans: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """``generate_content`` spans by ``(trace, parent)``: where :func:`lend_legacy` puts a
    ``call_llm`` span's content. Of any scope: with a Gemini model and
    opentelemetry-instrumentation-google-genai installed, ADK leaves that span to the
    instrumentation (ADK's own wins when both are there)."""
    found = [s for s in spans if str(s["name"]).startswith("generate_content")]
    return {(s["trace"], s["parent"]): s for s in sorted(found, key=ours)}


def lend_legacy(span: dict[str, Any], children: dict[Any, dict[str, Any]]) -> None:
    """Give an ADK span the GenAI attributes its schema-1 content stands for, where it has
    none (a ``call_llm`` span's to the model call it made: :func:`_model_call`;
    ``children``: :func:`model_calls`), and drop the ``<not specified>`` call id."""
    if not ours(span):
        return
    attrs = span["attrs"]
    if attrs.get("gen_ai.tool.call.id") == _PLACEHOLDER:
        del attrs["gen_ai.tool.call.id"]
    target = _model_call(span, children)["attrs"]
    for key, value in _llm_attrs(attrs).items():
        target.setdefault(key, value)
    for key, legacy in (("arguments", "tool_call_args"), ("result", "tool_response")):
        if _legacy(attrs, legacy) not in (None, {"result": _PLACEHOLDER}):
            attrs.setdefault(f"gen_ai.tool.call.{key}", attrs[_PREFIX + legacy])


def tool_attrs(span: dict[str, Any], attrs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """An ADK tool span's ``attrs`` with its result unwrapped from ``{"result": value}`` /
    ``{"error": message}``, and whether it was an error object."""
    if not ours(span):
        return attrs, False
    recorded = json_attr(attrs.get("gen_ai.tool.call.result"))
    if not (isinstance(recorded, dict) and len(recorded) == 1):
        return attrs, False
    ((key, value),) = recorded.items()
    if key not in ("result", "error") or value == _PLACEHOLDER:
        return attrs, False
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return attrs | {"gen_ai.tool.call.result": text}, key == "error"


def _no_parameters(value: Any) -> bool:
    tools = json_attr(value)
    return isinstance(tools, list) and all(as_dict(t).get("parameters") is None for t in tools)


def fuller_tools(span: dict[str, Any], key: str, value: Any) -> bool:
    """True when a log record's ``gen_ai.tool.definitions`` should replace its ADK span's:
    without content the span's have no parameters (``null``), the record's have them."""
    if not ours(span) or key != "gen_ai.tool.definitions" or key not in span["attrs"]:
        return False
    return _no_parameters(span["attrs"][key]) and not _no_parameters(value)


def absorb(span: dict[str, Any], log: dict[str, Any], body: Any) -> bool:
    """True when an ADK per-message log record (schema 1) is read here, not as an event.

    Its content is ``<elided>`` with content capture off (dropped: not a message), the
    system prompt's text, or a Gemini ``Content`` (``parts`` with ``text``,
    ``function_call``, ``function_response``): those are added to the span's
    ``gen_ai.system_instructions`` / ``gen_ai.input.messages`` / ``gen_ai.output.messages``
    (a ``gen_ai.choice`` the latter, as the assistant's; an input's role is its content's:
    ADK logs each content of the request as a ``gen_ai.user.message``), unless the span had that attribute before its
    records (its ``call_llm`` content, :func:`lend_legacy`, which they repeat).
    """
    if not ours(log):
        return False
    content = as_dict(body).get("content") if isinstance(body, dict) else None
    if content == _ELIDED:
        return True
    message: dict[str, Any] | None = None
    if isinstance(content, str) and log["name"] == "gen_ai.system.message":
        key, message = "gen_ai.system_instructions", {"type": "text", "content": content}
    elif isinstance(content, dict):
        key = (
            "gen_ai.output.messages" if log["name"] == "gen_ai.choice" else "gen_ai.input.messages"
        )
        message = _message(content)
        if message is not None and log["name"] == "gen_ai.choice":
            message["role"] = "assistant"  # the model's answer, whatever role it claims
    if message is None:
        return False
    built = span.setdefault("adk_from_logs", {})
    if key in span["attrs"] and key not in built:
        return True
    built.setdefault(key, []).append(message)
    return True


def seal(span: dict[str, Any]) -> None:
    """Give the span the attributes its per-message records were read as (:func:`absorb`
    collects them; encoded once, when all its records are in: linear in their number)."""
    for key, messages in span.pop("adk_from_logs", {}).items():
        span["attrs"][key] = json.dumps(messages)


def content_off(members: list[dict[str, Any]]) -> bool:
    """True when every span is ADK's and none holds content (no content attribute, no
    ``gen_ai.*`` event); fails towards "content present"."""
    if not members or not all(ours(span) for span in members):
        return False
    for span in members:
        if any(span["attrs"].get(key) not in (None, "", "{}") for key in GENAI_CONTENT_KEYS):
            return False
        if any(str(event["name"]).startswith("gen_ai.") for event in span["events"]):
            return False
    return True
