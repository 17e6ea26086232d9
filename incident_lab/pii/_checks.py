"""Validators of the secrets/PII table: checksums, issued ranges, real top-level domains."""

from __future__ import annotations

import base64
import ipaddress
import re
from functools import lru_cache
from typing import Any

#: Reserved e-mail domains (RFC 2606) that surrogates use; ``example.org`` is left out of
#: the rotation because its ROT13 (``rknzcyr.bet``) ends in a real top-level domain.
RESERVED_DOMAINS = ("example.com", "example.net")
_RESERVED_TLDS = (".example", ".invalid", ".test", ".localhost")


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


def _luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError("unreachable")  # pragma: no cover


def _iban_number(iban: str) -> int:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved))


def iban_ok(value: str) -> bool:
    """Return True when ``value`` (spaces allowed) is an IBAN with a valid mod-97 checksum."""
    iban = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    return _iban_number(iban) % 97 == 1


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


#: Card numbers come as one run or in these groupings (Visa/MC 4-4-4-4[-3], Amex 4-6-5,
#: Diners 4-6-4); two-digit or eight-digit groups are hex or binary text, not cards.
_CARD_GROUPS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 1)})


def _card_ok(value: str) -> bool:
    groups = tuple(len(g) for g in re.split(r"[ -]", value))
    digits = _digits(value)
    return (
        13 <= len(digits) <= 19
        and (len(groups) == 1 or groups in _CARD_GROUPS)
        and digits[0] in "23456"
        and len(set(digits)) > 2
        and luhn_ok(digits)
    )


def _ssn_ok(value: str) -> bool:
    d = _digits(value)
    area, group, serial = d[:3], d[3:5], d[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _ipv4_ok(value: str) -> bool:
    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return not (addr.is_loopback or addr.is_unspecified or value.startswith("255."))


def _ipv6_ok(value: str) -> bool:
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return sum(1 for part in value.split(":") if part) >= 2 and not addr.is_loopback


def _phone_ok(value: str) -> bool:
    return 7 <= len(_digits(value)) <= 15


def _has_digit(value: str) -> bool:
    return any(ch.isdigit() for ch in value)


def _email_reserved(value: str) -> bool:
    domain = value.rpartition("@")[2].lower().rstrip(".")
    return domain.endswith(_RESERVED_TLDS) or any(
        domain == d or domain.endswith("." + d) for d in (*RESERVED_DOMAINS, "example.org")
    )


#: Private-use top-level domains of internal mail systems (real addresses, not on the PSL).
_PRIVATE_TLDS = frozenset({"local", "internal", "lan", "corp", "home", "intranet", "localdomain"})


@lru_cache(maxsize=1)
def _suffix_list() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


def _email_ok(value: str) -> bool:
    """An address whose domain ends in a real top-level domain (the Public Suffix List, as
    shipped by ``publicsuffixlist``) or a private-use one. ROT13 or Caesar text from a
    variant converter (``bar@rknzcyr-znvy.rknzcyr``) is not an address anyone owns."""
    domain = value.rpartition("@")[2].lower().rstrip(".")
    tld = domain.rpartition(".")[2]
    if tld in _PRIVATE_TLDS or domain.endswith(_RESERVED_TLDS):
        return True
    return _suffix_list().publicsuffix(domain, accept_unknown=False) is not None


def _basic_ok(value: str) -> bool:
    """A Basic credential decodes to ``user:password`` (not the word "authentication")."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        return False
    return b":" in decoded


def _secret_ok(value: str) -> bool:
    return not value.isdigit() and not value.replace(".", "").isdigit()
