"""What OpenLLMetry's LangChain instrumentation writes in its tool spans unlike other GenAI spans.

opentelemetry-instrumentation-langchain (Traceloop's OpenLLMetry; instrumentation scope
``opentelemetry.instrumentation.langchain``) writes LangChain's chat model calls as GenAI
``chat`` spans, read as any other. Its ``execute_tool`` spans record LangChain's callback
payloads as they are: ``gen_ai.tool.call.arguments`` is
``{"input_str": ..., "inputs": {...}, "kwargs": {"tool_call_id": ...}}`` and
``gen_ai.tool.call.result`` is ``{"output": ...}``, the output being the serialised
``ToolMessage`` when the tool ran a model's call (``tool.invoke(tool_call)``, as agents
do). :func:`tool_attrs` reads those as the call's arguments, id and result; a
``ToolMessage`` whose status is ``error`` (``handle_tool_error``) is a failed call, though
the span's status and ``gen_ai.task.status`` say it succeeded.
"""

from __future__ import annotations

from typing import Any

from incident_lab.readers.mapping import (
    as_dict,
    content_output,
    json_attr,
    langchain_tool_message,
    output_text,
)

#: The instrumentation scope OpenLLMetry's LangChain instrumentation writes its spans under.
SCOPE = "opentelemetry.instrumentation.langchain"


def tool_attrs(span: dict[str, Any], attrs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """An OpenLLMetry LangChain tool span's ``attrs`` with the call's arguments, id and
    result read from LangChain's callback payloads, and whether its ToolMessage is an error."""
    if as_dict(span.get("scope")).get("name") != SCOPE:
        return attrs, False
    extra: dict[str, Any] = {}
    payload = as_dict(json_attr(attrs.get("gen_ai.tool.call.arguments")))
    if "input_str" in payload:
        inputs = payload.get("inputs")
        extra["gen_ai.tool.call.arguments"] = inputs if inputs else payload["input_str"]
    call_id = as_dict(payload.get("kwargs")).get("tool_call_id")
    result = as_dict(json_attr(attrs.get("gen_ai.tool.call.result")))
    message = langchain_tool_message(result.get("output"))
    failed = False
    if message is not None:
        extra["gen_ai.tool.call.result"] = content_output(message["content"])
        call_id = call_id or message.get("tool_call_id")
        failed = message.get("status") == "error"
    elif "output" in result:
        extra["gen_ai.tool.call.result"] = output_text(result["output"])
    if call_id and "gen_ai.tool.call.id" not in attrs:
        extra["gen_ai.tool.call.id"] = call_id
    return attrs | extra, failed
