"""The example agent's tools: their specs (name, description, JSON-Schema parameters).

A :class:`ToolBackend` executes a call: the simulated world when generating traffic
(:mod:`incident_lab.example.world`), or a scenario's recorded fixtures when replaying
(:mod:`regression_suite.targets.example`).
"""

from __future__ import annotations

from typing import Any, Protocol


def _params(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


_STR = {"type": "string"}

TOOL_SPECS: tuple[dict[str, Any], ...] = (
    {
        "name": "read_inbox",
        "description": "List the user's inbox messages (sender, subject, body).",
        "parameters": _params({"unread_only": {"type": "boolean"}}, []),
    },
    {
        "name": "read_document",
        "description": "Read a document from the company knowledge base by id.",
        "parameters": _params({"doc_id": _STR}, ["doc_id"]),
    },
    {
        "name": "search_docs",
        "description": "Search the knowledge base; returns matching document ids and titles.",
        "parameters": _params({"query": _STR}, ["query"]),
    },
    {
        "name": "lookup_customer",
        "description": "Find one customer record by name, email or customer id.",
        "parameters": _params({"query": _STR}, ["query"]),
    },
    {
        "name": "list_customers",
        "description": "Export the tenant's customer list (names, emails, plans).",
        "parameters": _params({}, []),
    },
    {
        "name": "send_email",
        "description": "Send an email on the user's behalf.",
        "parameters": _params(
            {"to": _STR, "subject": _STR, "body": _STR}, ["to", "subject", "body"]
        ),
    },
    {
        "name": "create_ticket",
        "description": "Open a support ticket.",
        "parameters": _params(
            {"title": _STR, "description": _STR, "priority": {"enum": ["low", "normal", "high"]}},
            ["title"],
        ),
    },
)

TOOL_NAMES: tuple[str, ...] = tuple(t["name"] for t in TOOL_SPECS)

#: Tools that change the world; the action guard judges these before they run.
SIDE_EFFECT_TOOLS = frozenset({"send_email", "create_ticket"})


class ToolBackend(Protocol):
    """Executes the agent's tool calls."""

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Run ``name(**arguments)``; return ``(output text, is_error)``."""
        ...
