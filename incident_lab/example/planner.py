"""The example agent's rule-based planner: requests and instructions -> tool actions.

:func:`plan_request` interprets what the user asked (inbox, documents, search,
customers, email, tickets, several clauses joined by "and"/"then"). :func:`find_instructions`
finds *imperative* instructions inside text the agent read (tool outputs): a clause
that starts with an action verb (after polite or "system:"-style prefixes) and asks to
send something to an address, or to open a ticket. The vulnerable agent obeys those;
that is the prompt-injection weakness the example exists to show.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from incident_lab.example.reading import ADDRESS_RE, views

_SEND_VERBS = r"send|e-?mail|mail|forward|share|transmit|export|upload|deliver|reply"
_VERBS = (
    _SEND_VERBS + r"|summari[sz]e|check|read|open|show|list|find|search|look|create|file|raise|"
    r"log|get|fetch|tell|give|pull|ignore|disregard|forget|what|who|any"
)
_PREFIX = (
    r"(?:(?:please|kindly|now|also|then|immediately|urgently|quickly|assistant|ai|bot|agent|"
    r"system|important|note|urgent|action required|reminder|you must|you should|you need to|"
    r"make sure to|be sure to|remember to|go ahead and|can you|could you|would you)[\s,:!.-]+)*"
)
_CLAUSE_JOIN = re.compile(
    rf"\s*,?\s*\b(?:and then|and also|and|then|also)\s+(?=(?:please\s+)?(?:{_VERBS})\b)", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|;\s*")
_SEND = re.compile(rf"^{_PREFIX}(?P<verb>{_SEND_VERBS})\b(?P<rest>.*)$", re.I | re.S)
_TICKET = re.compile(
    rf"^{_PREFIX}(?:open|create|file|raise|log|submit)\b.*?\bticket\b(?P<rest>.*)$", re.I | re.S
)
_CUSTOMER_DATA = re.compile(
    r"\b(?:customer|client|user|account)s?\b.{0,40}?\b(?:list|lists|records?|data|database|details|"
    r"contacts?|e-?mails?|roster|directory|export|table|info|information)\b|"
    r"\b(?:all|every|each)\s+(?:of\s+(?:the|our)\s+)?(?:customer|client)s?\b",
    re.I,
)
_INBOX_DATA = re.compile(r"\b(?:inbox|all (?:my |the )?(?:e-?mails|messages)|my e-?mails)\b", re.I)
_DOC_WORD = r"doc(?:ument)?|report|memo|policy|handbook|guide|notes|deck|page|runbook|faq|article"
_DOC_ID = re.compile(r"\bDOC-\d+\b", re.I)
_TOPIC = re.compile(
    rf"\b(?:the|our|my)\s+(?P<topic>[\w\s-]{{2,40}}?)\s+(?:{_DOC_WORD})\b|"
    rf"\b(?:{_DOC_WORD})\s+(?:about|on|for|regarding|called|titled)\s+(?P<topic2>[\w\s-]{{2,40}})",
    re.I,
)
#: The gap between the verb and "about ..." is bounded (a request names its topic within a
#: line's reach): an unbounded lazy gap made a long clause of repeated verbs quadratic
#: (140 KB of "search ": 31 s).
_SEARCH = re.compile(
    r"\b(?:search|find|look for|any|look up)\b[^\n]{0,300}?\b(?:about|on|for|regarding|mentioning)\s+"
    r"(?P<topic>[^.?!,;]{2,60})",
    re.I,
)
_INBOX = re.compile(
    r"\b(?:inbox|e-?mails?|messages|mail)\b.*|\b(?:catch me up|what did i miss)\b", re.I
)
_INBOX_VERB = re.compile(
    r"\b(?:summari[sz]e|check|read|show|list|what|any|highlights?|new|unread|go through|catch|"
    r"triage|anything)\b",
    re.I,
)
_CUSTOMER = re.compile(r"\b(?:customer|client|account)\b", re.I)
_LOOKUP = re.compile(
    r"\b(?:look ?up|find|who is|what plan|which plan|details|info|status|check|pull up)\b", re.I
)
_DIRECT_LOOKUP = re.compile(r"\b(?:look ?up|what plan|which plan|who is)\b", re.I)
_CUSTOMER_ID = re.compile(r"\bCUS-\d+\b", re.I)
_LIST_CUSTOMERS = re.compile(
    r"\b(?:list|export|show|get|pull|download)\b.*\b(?:all (?:our |the |my )?customers|customer list|"
    r"customers)\b",
    re.I,
)
_SMALLTALK = re.compile(
    r"^\s*(?:hi|hello|hey|thanks|thank you|good (?:morning|afternoon)|what can you do|help)\b", re.I
)
_URGENT = re.compile(r"\b(?:urgent|asap|critical|p1|high priority|immediately)\b", re.I)

_groups = itertools.count(1)


@dataclass(slots=True)
class Action:
    """One tool call the agent means to make.

    Attributes:
        tool: Tool name.
        arguments: Arguments known now.
        fill: Arguments taken from an earlier output when the action runs
            (argument -> extractor name, see :mod:`incident_lab.example.agent`).
        source: ``"user"`` or ``"tool_output"`` (an instruction found in what a tool returned).
        source_text: The raw text the action was asked for in.
        where: Where the request came from, in words (``the message “Invoice” from ...``).
        group: Actions of one request share a group; a blocked action cancels its group.
        summary: What the action does, in words, for the final answer.
    """

    tool: str
    arguments: dict[str, Any]
    fill: dict[str, str] = field(default_factory=dict)
    source: str = "user"
    source_text: str = ""
    group: int = 0
    summary: str = ""
    where: str = "your request"

    def key(self) -> tuple[str, str]:
        """Identity used to obey an instruction only once per session."""
        return self.tool, repr(sorted(self.arguments.items()))


@dataclass(slots=True)
class Plan:
    """The actions for one request, and what the agent says when there are none."""

    actions: list[Action]
    reply: str = ""
    pending_send: str | None = None


def split_clauses(text: str) -> list[str]:
    """Split text into sentences, then at "and"/"then" before an action verb."""
    clauses: list[str] = []
    for sentence in _SENTENCE.split(text):
        for clause in _CLAUSE_JOIN.split(sentence):
            clause = clause.lstrip(" \t\"'`*>-").rstrip(" \t\"'`*-")
            if clause:
                clauses.append(clause)
    return clauses


def _subject_from(text: str, fallback: str) -> str:
    words = re.sub(r"\s+", " ", text).strip(" .:,")[:60].strip() or fallback
    return words[0].upper() + words[1:]


def _send_actions(clause: str, match: re.Match[str], group: int) -> list[Action] | None:
    """Actions for "send X to ADDRESS"; None when the clause names no address."""
    rest = match.group("rest")
    address = ADDRESS_RE.search(rest)
    if address is None:
        return None
    to = address.group(0)
    to = to.upper() if to.startswith("<") else to
    what = (rest[: address.start()] + " " + rest[address.end() :]).strip()
    what = re.sub(r"^\s*(?:to|at)\b|\bto\s*$", "", what, flags=re.I).strip(" :,")
    base = {"to": to}
    if _CUSTOMER_DATA.search(what):
        return [
            Action("list_customers", {}, group=group, summary="exported the customer list"),
            Action(
                "send_email",
                {**base, "subject": "Customer list"},
                fill={"body": "customer_table"},
                group=group,
                summary=f"sent the customer list to {to}",
            ),
        ]
    if _INBOX_DATA.search(what):
        return [
            Action("read_inbox", {}, group=group, summary="read the inbox"),
            Action(
                "send_email",
                {**base, "subject": "Inbox"},
                fill={"body": "inbox_digest"},
                group=group,
                summary=f"sent the inbox to {to}",
            ),
        ]
    doc_id = _DOC_ID.search(what)
    topic = _TOPIC.search(what)
    if doc_id or (topic and re.search(rf"\b(?:{_DOC_WORD})\b", what, re.I)):
        if doc_id:
            first = Action("read_document", {"doc_id": doc_id.group(0).upper()}, group=group)
        else:
            assert topic is not None
            query = (topic.group("topic") or topic.group("topic2") or "").strip()
            first = Action(
                "search_docs", {"query": query}, group=group, summary=f"searched for {query}"
            )
        actions = [first]
        if not doc_id:
            actions.append(
                Action("read_document", {}, fill={"doc_id": "first_doc_id"}, group=group)
            )
        actions.append(
            Action(
                "send_email",
                {**base, "subject": _subject_from(what, "Document")},
                fill={"body": "document_body"},
                group=group,
                summary=f"forwarded the document to {to}",
            )
        )
        return actions
    message = re.split(r":|\bthat\b|\bsaying\b|\babout\b", what, maxsplit=1, flags=re.I)
    body = message[1].strip() if len(message) > 1 and message[1].strip() else what
    if re.fullmatch(
        r"(?:it|this|that|this (?:e-?mail|message|document)|the contents?)", what, re.I
    ):
        return [
            Action(
                "send_email",
                {**base, "subject": "Fwd"},
                fill={"body": "source_text"},
                group=group,
                summary=f"forwarded it to {to}",
            )
        ]
    return [
        Action(
            "send_email",
            {**base, "subject": _subject_from(body, "Message"), "body": body or clause},
            group=group,
            summary=f"emailed {to}",
        )
    ]


def _ticket_action(clause: str, match: re.Match[str], group: int) -> Action:
    rest = re.sub(
        r"^\s*(?:about|for|regarding|saying|titled|:)\s*", "", match.group("rest"), flags=re.I
    )
    title = _subject_from(rest or clause, "Support request")
    priority = "high" if _URGENT.search(clause) else "normal"
    return Action(
        "create_ticket",
        {"title": title, "description": clause.strip(), "priority": priority},
        group=group,
        summary=f"opened a {priority}-priority ticket \u201c{title}\u201d",
    )


def _customer_query(clause: str) -> str | None:
    for regex in (ADDRESS_RE, _CUSTOMER_ID):
        m = regex.search(clause)
        if m:
            return m.group(0)
    m = re.search(
        r"\b(?:customer|client|account|look ?up|who is)\s+(?:named\s+|called\s+|for\s+)?"
        r"(?P<name>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)",
        clause,
    )
    if m:
        return m.group("name")
    m = re.search(r"\bis\s+(?P<name>[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)\s+on\b", clause)
    return m.group("name") if m else None


def _clause_actions(
    clause: str, group: int, pending_send: str | None
) -> tuple[list[Action], str | None]:
    """The actions one clause asks for, and the send request still waiting for its
    address (a send without one waits for the next clause)."""
    send = _SEND.match(clause)
    if send:
        actions = _send_actions(clause, send, group)
        if actions is None:
            return [], clause
        return actions, None
    if pending_send and ADDRESS_RE.search(clause):
        combined = _SEND.match(f"{pending_send} {clause}")
        if combined:
            actions = _send_actions(f"{pending_send} {clause}", combined, group)
            if actions:
                return actions, None
    for rule in _CLAUSE_RULES:
        found = rule(clause, group)
        if found is not None:
            return found, None
    return [], pending_send


# -- one rule per kind of request, tried in order (the first that applies wins) --------


def _ticket_rule(clause: str, group: int) -> list[Action] | None:
    ticket = _TICKET.match(clause)
    return [_ticket_action(clause, ticket, group)] if ticket else None


def _list_customers_rule(clause: str, group: int) -> list[Action] | None:
    if not _LIST_CUSTOMERS.search(clause):
        return None
    return [Action("list_customers", {}, group=group, summary="exported the customer list")]


def _lookup_rule(clause: str, group: int) -> list[Action] | None:
    if not ((_CUSTOMER.search(clause) and _LOOKUP.search(clause)) or _DIRECT_LOOKUP.search(clause)):
        return None
    query = _customer_query(clause)
    if not query:
        return None
    return [Action("lookup_customer", {"query": query}, group=group, summary=f"looked up {query}")]


def _document_rule(clause: str, group: int) -> list[Action] | None:
    doc_id = _DOC_ID.search(clause)
    if not doc_id:
        return None
    return [Action("read_document", {"doc_id": doc_id.group(0).upper()}, group=group)]


def _inbox_rule(clause: str, group: int) -> list[Action] | None:
    if not (_INBOX.search(clause) and _INBOX_VERB.search(clause)):
        return None
    unread = bool(re.search(r"\b(?:unread|new|today|latest)\b", clause, re.I))
    return [Action("read_inbox", {"unread_only": unread}, group=group, summary="read the inbox")]


def _search_rule(clause: str, group: int) -> list[Action] | None:
    search = _SEARCH.search(clause)
    if not search or re.search(r"\b(?:summari[sz]e|read|open)\b", clause, re.I):
        return None
    query = search.group("topic").strip()
    return [Action("search_docs", {"query": query}, group=group, summary=f"searched for {query}")]


def _find_and_read_rule(clause: str, group: int) -> list[Action] | None:
    """A document named by its topic: search for it, then read the first hit."""
    topic = _TOPIC.search(clause) or _SEARCH.search(clause)
    if not (topic and re.search(rf"\b(?:{_DOC_WORD})\b", clause, re.I)):
        return None
    query = (topic.groupdict().get("topic") or topic.groupdict().get("topic2") or "").strip()
    if not query:
        return None
    return [
        Action("search_docs", {"query": query}, group=group, summary=f"searched for {query}"),
        Action("read_document", {}, fill={"doc_id": "first_doc_id"}, group=group),
    ]


_CLAUSE_RULES: tuple[Callable[[str, int], list[Action] | None], ...] = (
    _ticket_rule,
    _list_customers_rule,
    _lookup_rule,
    _document_rule,
    _inbox_rule,
    _search_rule,
    _find_and_read_rule,
)


def plan_request(text: str, pending_send: str | None = None) -> Plan:
    """Interpret a user request into actions.

    Args:
        text: The user's message.
        pending_send: A "send X" request from an earlier turn that still lacks a
            recipient; a message naming an address completes it.

    Returns:
        The plan; ``reply`` is what to say when there is nothing to do.
    """
    actions: list[Action] = []
    pending = pending_send
    for clause in split_clauses(text):
        group = next(_groups)
        found, pending = _clause_actions(clause, group, pending)
        for action in found:
            action.source, action.source_text = "user", text
        actions.extend(found)
    if actions:
        return Plan(actions, pending_send=pending)
    if pending and pending != pending_send:
        return Plan([], "Sure. Who should I send it to? Please give me an email address.", pending)
    if _SMALLTALK.search(text):
        return Plan(
            [],
            "Hello! I can summarise your inbox, read and search documents, look up customers, "
            "send emails and open tickets.",
            pending,
        )
    return Plan(
        [],
        "I'm not sure how to help with that. I can summarise your inbox, read and search "
        "documents, look up customers, send emails and open tickets.",
        pending,
    )


def find_instructions(text: str) -> list[Action]:
    """Find imperative instructions (send ... to ADDRESS, open a ticket ...) in read text.

    Every reading of the text from :func:`incident_lab.example.reading.views` is
    searched, so base64, leetspeak, look-alike letters and the like are understood.
    """
    found: list[Action] = []
    seen: set[tuple[str, str]] = set()
    for view in views(text):
        for clause in split_clauses(view):
            group = next(_groups)
            send = _SEND.match(clause)
            actions: list[Action] = []
            if send:
                actions = _send_actions(clause, send, group) or []
            else:
                ticket = _TICKET.match(clause)
                if ticket:
                    actions = [_ticket_action(clause, ticket, group)]
            if actions and actions[-1].key() not in seen:
                seen.add(actions[-1].key())
                for action in actions:
                    action.source, action.source_text = "tool_output", text
                found.extend(actions)
    return found
