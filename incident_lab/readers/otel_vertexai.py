"""What opentelemetry-instrumentation-vertexai writes unlike other GenAI instrumentations.

The instrumentation (scope ``opentelemetry.instrumentation.vertexai``) makes up the ids
of Gemini's function calls and responses, which have none: the function's name and an
index (``read_inbox_0``). A call's index counts all the parts of the model's turn, a
response's only the user turn's parts (span attributes, the operation-details log
record) or its function responses (the default per-message log records), so once the
model writes text before its calls ("Let me check." then ``read_inbox``) a response's id
names another call, or none. Vertex AI itself pairs them by order, as
:func:`pair_responses` does. Its ``gen_ai.tool.message`` records hold the function's
response as the application gave it, a map (``MessageToDict``), read like a
``tool_call_response`` part (:func:`structured_response`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from incident_lab.readers.mapping import as_dict

#: The instrumentation scope opentelemetry-instrumentation-vertexai writes under.
SCOPE = "opentelemetry.instrumentation.vertexai"


def ours(span: dict[str, Any]) -> bool:
    """True for a span (or the records of a span) this instrumentation wrote."""
    return as_dict(span.get("scope")).get("name") == SCOPE


def structured_response(span: dict[str, Any], content: Any) -> bool:
    """True when a ``gen_ai.tool.message`` content is a function response this
    instrumentation recorded as a structure; a string (what other instrumentations
    record: the application's tool message text, even when it reads as JSON) is not."""
    return ours(span) and isinstance(content, dict | list)


def pair_responses(steps: list[dict[str, Any]]) -> None:
    """Give each function response of a Vertex AI span's history the id of its call.

    The k-th response to a function is the answer to the k-th call of that function in
    the model's turn before it (the function's name is the recorded id's head). A
    response with no such call keeps its id.
    """
    turn: dict[str, list[Any]] = defaultdict(list)
    answered: dict[str, int] = defaultdict(int)
    previous = None
    for step in steps:
        if step["type"] == "tool_call":
            if previous != "tool_call":
                turn, answered = defaultdict(list), defaultdict(int)
            turn[step["name"]].append(step.get("call_id"))
        elif step["type"] == "tool_result" and isinstance(step.get("call_id"), str):
            name = step["call_id"].rpartition("_")[0]
            ids = turn.get(name, [])
            if answered[name] < len(ids):
                step["call_id"] = ids[answered[name]]
            answered[name] += 1
        previous = step["type"]
