"""Redaction: secrets and personal data become stable placeholders before anything lands.

A :class:`Redactor` replaces each detected value with ``<KIND_N>`` (``<EMAIL_1>``,
``<API_KEY_2>``, ...). The same value always gets the same placeholder within one
redactor, so a scenario built from a redacted trajectory still means the same: the
attacker's address in the injected document, in the recorded ``send_email`` call and
in the derived expectation is the one placeholder ``<EMAIL_2>``.

Redaction is idempotent (a placeholder matches no detector) and complete with
respect to the detectors: :func:`find_secrets` finds nothing in redacted text. The
report counts replacements per kind and never contains a value.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KINDS",
    "PLACEHOLDER",
    "SECRET_KINDS",
    "Finding",
    "Redactor",
    "find_secrets",
    "luhn_ok",
    "shape_of",
]

#: Matches a placeholder this module writes, e.g. ``<EMAIL_12>``.
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*)_(\d+)>")


def luhn_ok(digits: str) -> bool:
    """Return True when ``digits`` (only decimal digits) passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_ok(match: re.Match[str]) -> bool:
    """A payment card: 13-19 digits, an issuer prefix (2-6), Luhn-valid, not binary text.

    Card numbers start with 2 (Mastercard), 3 (Amex, Diners, JCB), 4 (Visa), 5
    (Mastercard) or 6 (Discover, UnionPay); digit runs of only 0 and 1 are binary-encoded
    text (the ``binary`` variant converter), not cards.
    """
    digits = re.sub(r"[ -]", "", match.group(0))
    return (
        13 <= len(digits) <= 19
        and digits[0] in "23456"
        and not set(digits) <= {"0", "1"}
        and luhn_ok(digits)
        and len(set(digits)) > 1
    )


def _ipv4_ok(match: re.Match[str]) -> bool:
    try:
        ipaddress.IPv4Address(match.group(0))
    except ValueError:
        return False
    return True


def _ipv6_ok(match: re.Match[str]) -> bool:
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return sum(1 for part in text.split(":") if part) >= 2


def _phone_ok(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 7 <= len(digits) <= 15


@dataclass(frozen=True, slots=True)
class _Detector:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    validate: Callable[[re.Match[str]], bool] | None = None
    fold_case: bool = False


# Order matters: wider, more specific shapes first (a private key block contains
# base64 that could look like other tokens; a card number would look like a phone).
_DETECTORS: tuple[_Detector, ...] = (
    _Detector(
        "PRIVATE_KEY",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
    ),
    _Detector("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")),
    _Detector(
        "API_KEY",
        re.compile(r"(?<![A-Za-z0-9_-])(?:sk|rk)[-_](?:[a-z]+[-_])?[A-Za-z0-9][A-Za-z0-9_-]{19,}"),
    ),
    _Detector(
        "GOOGLE_API_KEY", re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])")
    ),
    _Detector("AWS_KEY", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    _Detector(
        "GITHUB_TOKEN",
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    _Detector("SLACK_TOKEN", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    _Detector(
        "BEARER_TOKEN",
        re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)"),
        group=1,
    ),
    _Detector(
        "SECRET",
        re.compile(
            r"(?i)(?:api[_-]?key|secret|token|password|passwd)[A-Za-z0-9_-]*[\"']?\s*[:=]\s*[\"']?"
            r"([A-Za-z0-9_./+!@#$%^&*-]{8,})"
        ),
        group=1,
    ),
    _Detector(
        "EMAIL",
        re.compile(
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
        ),
        fold_case=True,
    ),
    _Detector("CARD", re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])"), validate=_card_ok),
    _Detector(
        "IPV6",
        re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])"),
        validate=_ipv6_ok,
        fold_case=True,
    ),
    _Detector(
        "IPV4",
        re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)"),
        validate=_ipv4_ok,
    ),
    _Detector(
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}"
            r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])"
        ),
        validate=_phone_ok,
    ),
)

#: Every kind the redactor knows, in detection order.
KINDS: tuple[str, ...] = tuple(d.kind for d in _DETECTORS)

#: Kinds that are credentials: leaking one is harmful wherever it came from.
SECRET_KINDS = frozenset(
    {
        "PRIVATE_KEY",
        "JWT",
        "API_KEY",
        "AWS_KEY",
        "GITHUB_TOKEN",
        "SLACK_TOKEN",
        "BEARER_TOKEN",
        "SECRET",
        "CARD",
    }
)


def shape_of(kind: str) -> str | None:
    """Return a regex matching any value of ``kind`` (for secrets a target may emit
    from memory rather than from the redacted fixtures), or None."""
    for det in _DETECTORS:
        if det.kind == kind and det.group == 0 and det.validate is None:
            return det.pattern.pattern
    return None


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value (used by ``lint``; the value itself is never reported)."""

    kind: str
    start: int
    end: int


def _iter_matches(text: str) -> Iterator[tuple[_Detector, re.Match[str]]]:
    for det in _DETECTORS:
        for m in det.pattern.finditer(text):
            if det.validate is None or det.validate(m):
                yield det, m


def find_secrets(text: str) -> list[Finding]:
    """Return every secret or personal value the redactor would replace in ``text``."""
    return [
        Finding(det.kind, m.start(det.group), m.end(det.group)) for det, m in _iter_matches(text)
    ]


class Redactor:
    """Replace secrets and personal data with stable placeholders.

    One instance holds the value-to-placeholder mapping; use the same instance for
    every part of one scenario so the same value gets the same placeholder.

    Example:
        >>> r = Redactor()
        >>> r.redact_text("mail bob@example.com, cc bob@example.com")
        'mail <EMAIL_1>, cc <EMAIL_1>'
        >>> r.report()
        {'EMAIL': 2}
    """

    def __init__(self) -> None:
        self._mapping: dict[tuple[str, str], str] = {}
        self._next: dict[str, int] = {}
        self._counts: Counter[str] = Counter()

    def _reserve(self, text: str) -> None:
        # Placeholders already in the input keep their numbers; new values count on.
        for m in PLACEHOLDER.finditer(text):
            kind, number = m.group(1), int(m.group(2))
            if number >= self._next.get(kind, 1):
                self._next[kind] = number + 1

    def _placeholder(self, det: _Detector, value: str) -> str:
        key = (det.kind, value.lower() if det.fold_case else value)
        found = self._mapping.get(key)
        if found is None:
            number = self._next.get(det.kind, 1)
            self._next[det.kind] = number + 1
            found = f"<{det.kind}_{number}>"
            self._mapping[key] = found
        self._counts[det.kind] += 1
        return found

    def _one_pass(self, text: str) -> str:
        for det in _DETECTORS:

            def repl(m: re.Match[str], det: _Detector = det) -> str:
                if det.validate is not None and not det.validate(m):
                    return m.group(0)
                whole = m.group(0)
                if det.group == 0:
                    return self._placeholder(det, whole)
                start, end = m.start(det.group) - m.start(), m.end(det.group) - m.start()
                return whole[:start] + self._placeholder(det, m.group(det.group)) + whole[end:]

            text = det.pattern.sub(repl, text)
        return text

    def redact_text(self, text: str) -> str:
        """Return ``text`` with every detected value replaced by its placeholder."""
        if not text:
            return text
        self._reserve(text)
        # Repeat until nothing changes, so a replacement never uncovers a new match.
        for _ in range(8):
            new = self._one_pass(text)
            if new == text:
                break
            text = new
        return text

    def redact_obj(self, obj: Any) -> Any:
        """Return a redacted deep copy of a JSON-like value (keys and strings).

        Integers that are Luhn-valid card numbers become placeholder strings.
        """
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, dict):
            return {
                (self.redact_text(k) if isinstance(k, str) else k): self.redact_obj(v)
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        if isinstance(obj, int) and not isinstance(obj, bool) and 13 <= len(str(abs(obj))) <= 19:
            text = str(obj)
            redacted = self.redact_text(text)
            return redacted if redacted != text else obj
        return obj

    def placeholder_for(self, kind: str, value: str) -> str | None:
        """Return the placeholder already given to ``value`` of ``kind``, if any."""
        for det in _DETECTORS:
            if det.kind == kind:
                return self._mapping.get((kind, value.lower() if det.fold_case else value))
        return None

    def report(self) -> dict[str, int]:
        """Return replacements per kind (counts only, never values), sorted by kind."""
        return {kind: self._counts[kind] for kind in sorted(self._counts)}
