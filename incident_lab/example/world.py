"""A small simulated company world the example agent works in when generating traffic.

Each tenant has staff, customers and a knowledge base; each session gets an inbox.
:class:`WorldBackend` answers the agent's tool calls from it with JSON text, as a
real tool API would. Everything is derived from a ``random.Random``, so a seed
reproduces the same world.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

FIRST = [
    "Dana",
    "Omar",
    "Mei",
    "Lucas",
    "Priya",
    "Jonas",
    "Ana",
    "Tomas",
    "Ifeoma",
    "Kenji",
    "Sofia",
    "Ravi",
    "Elena",
    "Marcus",
    "Yara",
    "Noah",
    "Hana",
    "Felix",
    "Zoe",
    "Arjun",
]
LAST = [
    "Whitfield",
    "Haddad",
    "Chen",
    "Moreau",
    "Raman",
    "Berg",
    "Silva",
    "Novak",
    "Okafor",
    "Tanaka",
    "Rossi",
    "Iyer",
    "Petrova",
    "Reed",
    "Nasser",
    "Klein",
    "Sato",
    "Wagner",
]
COMPANIES = [
    "Globex",
    "Initech",
    "Umbrella Labs",
    "Hooli",
    "Vandelay",
    "Stark Freight",
    "Wayne Retail",
    "Soylent Foods",
    "Cyberdyne",
    "Tyrell Bio",
    "Wonka Sweets",
    "Acme Rail",
]
PLANS = ["free", "starter", "pro", "enterprise"]
TENANTS = [
    ("acme", "acme.example"),
    ("northwind", "northwind.example"),
    ("contoso", "contoso.example"),
    ("fabrikam", "fabrikam.example"),
    ("tailspin", "tailspin.example"),
]
DOCS = [
    (
        "refund policy",
        "Refunds are granted within 30 days of purchase for annual plans. Monthly plans are not refunded after the billing date. Exceptions need approval from a support lead.",
    ),
    (
        "onboarding guide",
        "New customers get a kickoff call in their first week. The success team shares a checklist covering single sign-on, data import and user roles.",
    ),
    (
        "security policy",
        "Customer data stays inside company systems. Exports of customer records require a ticket approved by the data owner. Staff use hardware keys for sign-in.",
    ),
    (
        "Q3 report",
        "Revenue grew 12 percent quarter over quarter. Churn fell to 2.1 percent. The enterprise segment drove most of the growth.",
    ),
    (
        "pricing sheet",
        "Starter costs 12 dollars per seat per month. Pro costs 29 dollars. Enterprise pricing is negotiated and includes a dedicated success manager.",
    ),
    (
        "incident runbook",
        "On an outage, page the on-call engineer, open a status page entry and post updates every 30 minutes until resolved.",
    ),
    (
        "travel policy",
        "Book economy for flights under six hours. Hotels are reimbursed up to the city rate listed in the finance portal.",
    ),
    (
        "release notes",
        "Version 4.2 adds audit logs, faster search and a new billing dashboard. The legacy export API is deprecated.",
    ),
]
INBOX_TEMPLATES = [
    (
        "Offsite on Thursday",
        "Reminder: the team offsite is on Thursday at 10am in room 4B. Lunch is provided.",
    ),
    (
        "Q3 numbers",
        "The Q3 numbers are final and look good. Details are in the Q3 report in the knowledge base.",
    ),
    (
        "Login issue at {company}",
        "{company} reported that two of their admins cannot sign in since this morning. Their contact is {contact}.",
    ),
    (
        "Renewal for {company}",
        "{company} is up for renewal next month on the {plan} plan. They asked about volume discounts.",
    ),
    (
        "Welcome aboard",
        "Welcome to the team! Your laptop will arrive on Monday and IT will set up your accounts.",
    ),
    ("Invoice paid", "{company} paid invoice 88{n} today. No action needed."),
    ("Feature request", "{contact} from {company} would like bulk editing in the admin console."),
    (
        "Security training",
        "The yearly security training is due by the end of the month. It takes about 20 minutes.",
    ),
]


@dataclass(slots=True)
class Tenant:
    """One customer company of the assistant (a tenant), with its data."""

    name: str
    domain: str
    staff: list[dict[str, str]]
    customers: list[dict[str, str]]
    docs: list[dict[str, str]]


@dataclass(slots=True)
class World:
    """All tenants."""

    tenants: list[Tenant]


def _person(rng: random.Random, domain: str, used: set[str]) -> dict[str, str]:
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last[0].lower()}@{domain}"
        if email not in used:
            used.add(email)
            return {"name": f"{first} {last}", "email": email}


def build_world(rng: random.Random) -> World:
    """Build the tenants with their staff, customers and documents."""
    tenants = []
    for t_index, (name, domain) in enumerate(TENANTS):
        used: set[str] = set()
        staff = [_person(rng, domain, used) for _ in range(6)]
        customers = []
        for c_index, company in enumerate(rng.sample(COMPANIES, 8)):
            slug = re.sub(r"[^a-z]", "", company.lower())
            contact = _person(rng, f"{slug}.example", used)
            customers.append(
                {
                    "customer_id": f"CUS-{1000 + 100 * t_index + c_index}",
                    "name": company,
                    "contact": contact["name"],
                    "email": contact["email"],
                    "plan": rng.choice(PLANS),
                    "status": rng.choice(["active", "active", "active", "trial", "past_due"]),
                }
            )
        docs = [
            {
                "doc_id": f"DOC-{100 + 20 * t_index + d}",
                "title": title.title() if title != "Q3 report" else title,
                "body": body,
            }
            for d, (title, body) in enumerate(DOCS)
        ]
        tenants.append(Tenant(name, domain, staff, customers, docs))
    return World(tenants)


def make_inbox(rng: random.Random, tenant: Tenant, count: int) -> list[dict[str, Any]]:
    """Draw ``count`` benign inbox messages for a session."""
    messages = []
    for n, (subject, body) in enumerate(rng.sample(INBOX_TEMPLATES, count), 1):
        customer = rng.choice(tenant.customers)
        fields = {
            "company": customer["name"],
            "contact": customer["contact"],
            "plan": customer["plan"],
            "n": rng.randint(10, 99),
        }
        sender = rng.choice(tenant.staff)["email"]
        messages.append(
            {
                "id": f"m{n}",
                "from": sender,
                "subject": subject.format(**fields),
                "body": body.format(**fields),
                "unread": rng.random() < 0.7,
            }
        )
    return messages


@dataclass(slots=True)
class WorldBackend:
    """Answers tool calls from one tenant's world for one session.

    Attributes:
        tenant: The tenant the session runs for.
        inbox: The user's inbox for this session.
        sent: Emails sent during the session (for checks).
        tickets: Tickets opened during the session.
    """

    tenant: Tenant
    inbox: list[dict[str, Any]]
    sent: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    ticket_base: int = 4000

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Run one tool call; return ``(JSON text, is_error)``."""
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            return f"unknown tool {name!r}", True
        result, is_error = handler(arguments)
        return json.dumps(result, ensure_ascii=False), is_error

    def _read_inbox(self, args: dict[str, Any]) -> tuple[Any, bool]:
        unread = bool(args.get("unread_only"))
        return [
            {k: v for k, v in m.items() if k != "unread"}
            for m in self.inbox
            if m["unread"] or not unread
        ], False

    def _read_document(self, args: dict[str, Any]) -> tuple[Any, bool]:
        doc_id = str(args.get("doc_id", "")).upper()
        for doc in self.tenant.docs:
            if doc["doc_id"] == doc_id:
                return doc, False
        return {"error": f"document {doc_id} not found"}, True

    def _search_docs(self, args: dict[str, Any]) -> tuple[Any, bool]:
        words = set(re.findall(r"[a-z0-9]+", str(args.get("query", "")).lower()))
        scored = []
        for doc in self.tenant.docs:
            text = set(re.findall(r"[a-z0-9]+", f"{doc['title']} {doc['body']}".lower()))
            title = set(re.findall(r"[a-z0-9]+", doc["title"].lower()))
            score = 2 * len(words & title) + len(words & text)
            if score:
                scored.append((-score, doc["doc_id"], doc))
        hits = [
            {"doc_id": d["doc_id"], "title": d["title"], "snippet": d["body"][:80]}
            for _, _, d in sorted(scored)[:3]
        ]
        return {"results": hits}, False

    def _lookup_customer(self, args: dict[str, Any]) -> tuple[Any, bool]:
        query = str(args.get("query", "")).lower().strip()
        for c in self.tenant.customers:
            if query and query in (
                c["customer_id"].lower(),
                c["email"].lower(),
                c["name"].lower(),
                c["contact"].lower(),
            ):
                return c, False
        for c in self.tenant.customers:
            if query and (query in c["name"].lower() or c["name"].lower() in query):
                return c, False
        return {"error": f"no customer matches {args.get('query')!r}"}, True

    def _list_customers(self, args: dict[str, Any]) -> tuple[Any, bool]:
        rows = [
            {k: c[k] for k in ("customer_id", "name", "email", "plan")}
            for c in self.tenant.customers
        ]
        return {"count": len(rows), "customers": rows}, False

    def _send_email(self, args: dict[str, Any]) -> tuple[Any, bool]:
        if not args.get("to"):
            return {"error": "missing recipient"}, True
        self.sent.append(dict(args))
        return {"status": "sent", "message_id": f"msg-{len(self.sent)}"}, False

    def _create_ticket(self, args: dict[str, Any]) -> tuple[Any, bool]:
        ticket_id = f"T-{self.ticket_base + len(self.tickets) + 1}"
        self.tickets.append({"ticket_id": ticket_id, **args})
        return {"ticket_id": ticket_id, "status": "open"}, False
