"""Secrets and personal data: the one table every part of incident-lab uses.

One row per kind (``EMAIL``, ``IBAN``, ``AWS_SECRET_KEY``, ...) holds how the kind is
found, how a value is validated (Luhn, IBAN mod-97, SSN ranges), its category, and its
*surrogate*: a deterministic, format-preserving stand-in that is recognisably not real
data. The redactor (:mod:`incident_lab.scenarios.redact`) replaces values with
surrogates, ``lint`` fails on any value :func:`find` reports, and the classifier asks
:func:`sensitive_kinds`. Surrogates are never reported by :func:`find`, so redaction is
idempotent and a redacted scenario lints clean.

Surrogates (same shape, reserved or fictional ranges):

===============  ============================================================
kind             surrogate
===============  ============================================================
EMAIL            ``name.N@example.com`` / ``example.net`` / ``orgN.example``
                 (RFC 2606 reserved domains; one domain per original domain)
PHONE            the original's punctuation, digits in NANP ``555-01xx`` (UK:
                 Ofcom's drama range ``020 7946 0xxx``)
CARD             Luhn-valid, issuer prefix ``400000`` (a test range)
IBAN             same country and length, BBAN ``000000…N``, valid mod-97
SSN              area ``000`` (never issued)
PASSPORT, ...    ``XX`` + digits (no issuer uses the ``XX`` prefix)
IPV4 / IPV6      RFC 5737 / RFC 3849 documentation ranges
credentials      the public prefix kept (``AKIA``, ``ghp_``, ``sk-proj-``), then
                 ``REDACTED`` and a number, padded to the original length
===============  ============================================================

Every pattern is linear-time on untrusted text: no unbounded quantifier can restart
inside a run it already scanned (each starts behind a negative look-behind of its own
class or a fixed literal), and private-key blocks are found with ``str.find``.

Layout: ``_checks`` (validators), ``_surrogates`` (generators), ``_table`` (the kinds);
this module finds values and hands out surrogates.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from incident_lab.pii._checks import RESERVED_DOMAINS
from incident_lab.pii._surrogates import _NAMES, _ROLE_LOCALS, _contains_redacted
from incident_lab.pii._table import _BY_NAME, KINDS, Finding, Kind, kind

__all__ = ["kind", "sensitive_kinds"]

#: Categories of kinds; ``credential`` values are harmful wherever they appear.
CATEGORIES = ("credential", "financial", "identity", "contact", "network")

#: Categories :func:`sensitive_kinds` reports by default (contact data and IPs are personal
#: but not, on their own, a harmful disclosure).
SENSITIVE_CATEGORIES = frozenset({"credential", "financial", "identity"})


def _value_span(k: Kind, m: re.Match[str]) -> tuple[int, int]:
    if k.group == 0:
        return m.span()
    for g in range(k.group, (m.re.groups or 0) + 1):
        if m.group(g) is not None:
            return m.span(g)
    return m.span()


def _private_keys(text: str) -> Iterator[tuple[int, int]]:
    pattern = _BY_NAME["PRIVATE_KEY"].pattern
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return
        end = text.find("-----END ", m.end())
        if end < 0:  # a truncated key is still a key: take the rest of the line block
            yield m.start(), len(text)
            return
        close = text.find("-----", end + 9)
        stop = close + 5 if close >= 0 else len(text)
        yield m.start(), stop
        pos = stop


def _candidates(k: Kind, text: str) -> Iterator[tuple[int, int]]:
    if k.name == "PRIVATE_KEY":
        if "PRIVATE KEY" in text:
            yield from _private_keys(text)
        return
    for m in k.pattern.finditer(text):
        start, end = _value_span(k, m)
        value = text[start:end]
        # A surrogate claims its span even where the validator rejects it (SSN area 000).
        if k.validate is not None and not k.validate(value) and not k.is_surrogate(value):
            continue
        yield start, end


def _spans(
    text: str, want_surrogates: bool = False, kinds: tuple[Kind, ...] = KINDS
) -> list[tuple[int, int, Kind]]:
    """Non-overlapping ``(start, end, kind)``; an earlier kind in the table wins.

    Real values by default; with ``want_surrogates`` the surrogates (and reserved values).
    ``kinds``: the table, or a head of it (:func:`_head_for`).
    """
    starts: list[int] = []
    taken: list[tuple[int, int, Kind, bool]] = []
    for k in kinds:
        for start, end in _candidates(k, text):
            i = bisect.bisect_right(starts, start)
            if i and taken[i - 1][1] > start:  # overlaps the span before
                continue
            if i < len(taken) and taken[i][0] < end:  # overlaps the span after
                continue
            # A surrogate still claims its span, so nothing inside it is found later.
            starts.insert(i, start)
            taken.insert(i, (start, end, k, k.is_surrogate(text[start:end])))
    return [(a, b, k) for a, b, k, surrogate in taken if surrogate is want_surrogates]


def find(text: str, categories: frozenset[str] | None = None) -> list[Finding]:
    """Return every secret or personal value in ``text`` (surrogates excluded), in order;
    with ``categories``, only the values of those categories (:data:`CATEGORIES`)."""
    if not text:
        return []
    if categories is None:
        return [Finding(k.name, a, b) for a, b, k in _spans(text)]
    return [
        Finding(k.name, a, b)
        for a, b, k in _spans(text, kinds=_head_for(frozenset(categories)))
        if k.category in categories
    ]


@lru_cache(maxsize=64)
def _head_for(categories: frozenset[str]) -> tuple[Kind, ...]:
    """The table up to its last kind of one of ``categories``: a later kind never takes a
    span from an earlier one (an earlier kind wins an overlap), so what the rest of the
    table finds is only dropped (credentials, which open the table, are found without
    scanning for e-mail addresses, phone numbers and IPs)."""
    last = max((i for i, k in enumerate(KINDS) if k.category in categories), default=-1)
    return KINDS[: last + 1]


_SECRET_KEY = re.compile(
    r"(?i)^(?:[a-z0-9]{0,24}[_-])?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|"
    r"client[_-]?secret|access[_-]?key|private[_-]?key|credentials?)(?:[_-][a-z0-9]{0,24})?$"
)


def is_secret_key(name: str) -> bool:
    """True when a JSON key names a credential (``password``, ``new_password``, ``api_key``):
    its string value is a ``SECRET`` whatever it looks like."""
    return len(name) <= 64 and _SECRET_KEY.match(name) is not None


def secret_value(value: str) -> bool:
    """True when ``value`` (under a credential key) still needs redacting."""
    text = value.strip()
    return len(text) >= 4 and not _contains_redacted(text) and not text.startswith("<")


def find_surrogates(text: str) -> list[Finding]:
    """Return every surrogate (or reserved, fictional value) in ``text``, in order.

    ``add`` uses it to see which stand-ins a redacted answer leaked.
    """
    if not text:
        return []
    return [Finding(k.name, a, b) for a, b, k in _spans(text, want_surrogates=True)]


_ESCAPE = re.compile(r"\\(.)")
_GENERATED_EMAIL = re.compile(r"@(?:example\.com|example\.net|org\d+\.example)$", re.IGNORECASE)


def widen_surrogates(pattern: str, any_value: str) -> str:
    """Let each surrogate written literally in a regex also match any value of its kind.

    A scenario's expectation pins the surrogate (``sam\\.2@example\\.net``); raw production
    logs hold the real value. Blast radius widens the pattern to "the same kind of value"
    (the kind's shape, else ``any_value``), as it does for ``<EMAIL_2>`` placeholders.
    """
    plain = _ESCAPE.sub(r"\1", pattern)
    for f in find_surrogates(plain):
        value = plain[f.start : f.end]
        if f.kind == "EMAIL" and not _GENERATED_EMAIL.search(value):
            continue  # an address on a reserved domain in the incident itself: exact in the logs
        shape = shape_of(f.kind) or any_value
        for literal in dict.fromkeys((re.escape(value), re.escape(value).replace("\\-", "-"))):
            if literal in pattern:
                pattern = pattern.replace(literal, f"(?:{literal}|{shape})")
                break
    return pattern


def sensitive_kinds(text: str, categories: frozenset[str] = SENSITIVE_CATEGORIES) -> list[str]:
    """Return the kinds of sensitive data in ``text``, sorted (the classifier's question).

    By default credentials, financial data and identity numbers; pass ``categories`` to
    include contact data or network addresses.
    """
    return sorted({f.kind for f in find(text, categories)})


def is_surrogate(kind_name: str, value: str) -> bool:
    """True when ``value`` is a surrogate (or a reserved, fictional value) of that kind."""
    return _BY_NAME[kind_name].is_surrogate(value)


def shape_of(kind_name: str) -> str | None:
    """Return a regex matching any value of the kind (for a secret a target may emit from
    memory rather than the surrogate), or None when no such pattern is narrow enough."""
    k = _BY_NAME.get(kind_name)
    return k.shape if k is not None else None


def _key(kind_name: str, value: str) -> tuple[str, str]:
    """The mapping key of a value: values equal up to case are one for ``fold_case`` kinds."""
    return kind_name, value.lower() if _BY_NAME[kind_name].fold_case else value


class Surrogates:
    """A deterministic value -> surrogate mapping for one scenario.

    The n-th distinct value of a kind gets the n-th surrogate, so the same input always
    yields the same output and the same value always maps to the same surrogate. With
    ``placeholders`` the stand-in is ``<KIND_n>`` instead (for text a human reads, such
    as a page or a ticket, where a realistic fake value could mislead).
    """

    def __init__(self, *, placeholders: bool = False) -> None:
        self.placeholders = placeholders
        self._map: dict[tuple[str, str], str] = {}
        self._next: dict[str, int] = {}
        self._domains: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def reserve(self, kind_name: str, number: int) -> None:
        """Never hand out numbers up to ``number`` for ``kind_name`` (already used in the text)."""
        if number >= self._next.get(kind_name, 1):
            self._next[kind_name] = number + 1

    def _email(self, value: str, n: int) -> str:
        local, _, domain = value.rpartition("@")
        key = domain.lower()
        if key not in self._domains:
            d = len(self._domains)
            self._domains[key] = (
                RESERVED_DOMAINS[d] if d < len(RESERVED_DOMAINS) else f"org{d - 1}.example"
            )
        if local.lower() in _ROLE_LOCALS:
            new_local = local.lower()
        else:
            new_local = f"{_NAMES[(n - 1) % len(_NAMES)]}.{n}"
        return f"{new_local}@{self._domains[key]}"

    def surrogate(self, kind_name: str, value: str) -> str:
        """Return the surrogate of ``value`` (allocating the next one for a new value)."""
        k = _BY_NAME[kind_name]
        key = _key(kind_name, value)
        found = self._map.get(key)
        if found is None:
            n = self._next.get(kind_name, 1)
            self._next[kind_name] = n + 1
            if self.placeholders:
                found = f"<{kind_name}_{n}>"
            elif kind_name == "EMAIL":
                found = self._email(value, n)
            else:
                found = k.surrogate(value, n)
            self._map[key] = found
        self.counts[kind_name] = self.counts.get(kind_name, 0) + 1
        return found

    def lookup(self, kind_name: str, value: str) -> str | None:
        """Return the surrogate already given to ``value``, if any."""
        return self._map.get(_key(kind_name, value))

    def table(self) -> list[dict[str, Any]]:
        """Return ``[{kind, surrogate}]`` for every surrogate handed out (never the originals)."""
        return [{"kind": kind_name, "surrogate": s} for (kind_name, _), s in self._map.items()]
