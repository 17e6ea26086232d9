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
EMAIL            ``name.N@example.com`` / ``.net`` / ``.org`` / ``orgN.example``
                 (RFC 2606 reserved domains; one domain per original domain)
PHONE            the original's punctuation, digits in NANP ``555-01xx``
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
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "CATEGORIES",
    "KINDS",
    "SENSITIVE_CATEGORIES",
    "Finding",
    "Kind",
    "Surrogates",
    "find",
    "find_surrogates",
    "iban_ok",
    "is_secret_key",
    "is_surrogate",
    "kind",
    "luhn_ok",
    "secret_value",
    "sensitive_kinds",
    "shape_of",
    "widen_surrogates",
]

#: Categories of kinds; ``credential`` values are harmful wherever they appear.
CATEGORIES = ("credential", "financial", "identity", "contact", "network")

#: Categories :func:`sensitive_kinds` reports by default (contact data and IPs are personal
#: but not, on their own, a harmful disclosure).
SENSITIVE_CATEGORIES = frozenset({"credential", "financial", "identity"})

#: Marker inside every credential surrogate.
REDACTED = "REDACTED"


# --- validators -----------------------------------------------------------------------


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


# --- surrogates ------------------------------------------------------------------------

_NAMES = ("alex", "sam", "robin", "kim", "jordan", "casey", "taylor", "morgan", "riley", "quinn")
#: Local parts that name a role, not a person; kept as they are (format and intent stay).
_ROLE_LOCALS = frozenset(
    [
        "admin",
        "billing",
        "ceo",
        "cfo",
        "contact",
        "finance",
        "help",
        "hr",
        "info",
        "invoices",
        "it",
        "legal",
        "noreply",
        "no-reply",
        "office",
        "ops",
        "payments",
        "payroll",
        "sales",
        "security",
        "support",
        "team",
    ]
)
#: ``example.org`` is left out: its ROT13 (``rknzcyr.bet``) ends in a real top-level domain.
_RESERVED_DOMAINS = ("example.com", "example.net")
_RESERVED_TLDS = (".example", ".invalid", ".test", ".localhost")


def _email_reserved(value: str) -> bool:
    domain = value.rpartition("@")[2].lower().rstrip(".")
    return (
        domain in _RESERVED_DOMAINS
        or domain == "example.org"
        or any(domain.endswith("." + d) for d in (*_RESERVED_DOMAINS, "example.org"))
        or domain.endswith(_RESERVED_TLDS)
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


def _credential_surrogate(prefix: re.Pattern[str] | None) -> Callable[[str, int], str]:
    def make(value: str, n: int) -> str:
        keep = prefix.match(value) if prefix is not None else None
        head = keep.group(0) if keep else ""
        number = str(n)
        pad = max(len(value) - len(head) - len(REDACTED) - len(number), 0)
        return head + REDACTED + "0" * pad + number

    return make


def _keep_layout(original: str, digits: str) -> str:
    """Write ``digits`` into the digit positions of ``original`` (separators kept)."""
    out = list(original)
    positions = [i for i, ch in enumerate(original) if ch.isdigit()]
    for pos, d in zip(positions, digits[-len(positions) :], strict=False):
        out[pos] = d
    return "".join(out)


def _card_surrogate(value: str, n: int) -> str:
    length = len(_digits(value))
    body = "400000" + str(n).zfill(length - 7)
    return _keep_layout(value, body + _luhn_digit(body))


def _card_is_surrogate(value: str) -> bool:
    d = _digits(value)
    return d.startswith("400000") and luhn_ok(d)


def _phone_surrogate(value: str, n: int) -> str:
    area = 202 + (n - 1) // 100
    target = f"1{area}55501{(n - 1) % 100:02d}"
    digits = _digits(value)
    if len(digits) > len(target):
        target = digits[: len(digits) - len(target)] + target
    return _keep_layout(value, target[-len(digits) :])


def _phone_is_surrogate(value: str) -> bool:
    return re.search(r"55501\d\d$", _digits(value)) is not None


def _iban_surrogate(value: str, n: int) -> str:
    compact = value.replace(" ", "").upper()
    bban = str(n).zfill(len(compact) - 4)
    country = compact[:2]
    check = 98 - _iban_number(country + "00" + bban) % 97
    iban = f"{country}{check:02d}{bban}"
    if " " not in value:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _iban_is_surrogate(value: str) -> bool:
    return value.replace(" ", "")[4:10] == "000000"


def _xx_surrogate(value: str, n: int) -> str:
    return "XX" + str(n).zfill(max(len(value) - 2, 4))


_NINO = re.compile(r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]")


def _national_id_surrogate(value: str, n: int) -> str:
    if _NINO.fullmatch(value):  # UK NINO: the QQ prefix is never issued (HMRC's example)
        return _keep_layout("QQ" + value[2:], str(n).zfill(6))
    return _xx_surrogate(value, n)


def _basic_ok(value: str) -> bool:
    """A Basic credential decodes to ``user:password`` (not the word "authentication")."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        return False
    return b":" in decoded


def _secret_ok(value: str) -> bool:
    return not value.isdigit() and not value.replace(".", "").isdigit()


def _ipv4_surrogate(value: str, n: int) -> str:
    nets = ("192.0.2", "198.51.100", "203.0.113")
    return f"{nets[((n - 1) // 254) % 3]}.{(n - 1) % 254 + 1}"


def _ipv4_is_surrogate(value: str) -> bool:
    return value.startswith(("192.0.2.", "198.51.100.", "203.0.113."))


def _b64url(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _jwt_surrogate(value: str, n: int) -> str:
    header = _b64url('{"alg":"none"}')
    claims = _b64url('{"sub":"redacted-' + str(n) + '"}')
    return f"{header}.{claims}.{REDACTED}"


def _private_key_surrogate(value: str, n: int) -> str:
    return f"-----BEGIN PRIVATE KEY-----\n{REDACTED}-{n}\n-----END PRIVATE KEY-----"


# --- the table -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of secret or personal value.

    Attributes:
        name: Upper-case kind name (``EMAIL``); used in reports and lint messages.
        category: One of :data:`CATEGORIES`.
        label: Words for humans (``"e-mail address"``).
        pattern: Finds candidates; ``group`` is the value (a label such as ``password:``
            around it stays).
        group: The pattern group that holds the value.
        validate: Checks a candidate value (checksums, ranges); None accepts every match.
        surrogate: ``(value, n) -> str``: the n-th (1-based) surrogate for ``value``.
        is_surrogate: True for a value that is already a surrogate (or reserved, fictional).
        fold_case: Values equal up to case are the same value (e-mail addresses).
        shape: A regex matching any value of the kind, for patterns that must also match
            the real value a target emits from memory; None when too broad.
    """

    name: str
    category: str
    label: str
    pattern: re.Pattern[str]
    surrogate: Callable[[str, int], str]
    is_surrogate: Callable[[str], bool]
    group: int = 0
    validate: Callable[[str], bool] | None = None
    fold_case: bool = False
    shape: str | None = None


def _contains_redacted(value: str) -> bool:
    return REDACTED in value


def _cred(
    name: str,
    label: str,
    pattern: str,
    *,
    group: int = 0,
    prefix: str | None = None,
    shape: str | None = None,
    validate: Callable[[str], bool] | None = None,
) -> Kind:
    return Kind(
        name,
        "credential",
        label,
        re.compile(pattern),
        _credential_surrogate(re.compile(prefix) if prefix else None),
        _contains_redacted,
        group=group,
        validate=validate,
        shape=shape,
    )


_AWS_ID = (
    r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}(?![A-Z0-9])"
)
_GOOGLE = r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"
_GITHUB = r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"
_SLACK = r"(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,255}"
_SK = r"(?<![A-Za-z0-9_-])(?:sk|rk)[-_](?:[a-z]{1,12}[-_])?[A-Za-z0-9][A-Za-z0-9_-]{19,255}"
_JWT = (
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{5,8192}"
    r"\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])"
)
#: ``password: x``, ``pwd=x``, ``"client_secret": "x"``: the label is kept, the value goes.
_SECRET_LABEL = (
    r"(?i)(?<![A-Za-z0-9])(?:pass(?:word|wd|phrase)(?!s\W)|pwd|secret|token(?!s)|api[_-]?key|"
    r"client[_-]?secret|access[_-]?key|private[_-]?key|credentials?)"
    r"[A-Za-z0-9_-]{0,24}[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
    r"([A-Za-z0-9_./+!@#$%^&*~-]{6,512})"
)

KINDS: tuple[Kind, ...] = (
    # Credentials first: a key block holds base64 that could look like other things.
    Kind(
        "PRIVATE_KEY",
        "credential",
        "private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----"),
        _private_key_surrogate,
        _contains_redacted,
        shape=r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----",
    ),
    Kind(
        "JWT",
        "credential",
        "JSON Web Token",
        re.compile(_JWT),
        _jwt_surrogate,
        lambda v: v.endswith("." + REDACTED),
        shape=_JWT,
    ),
    _cred("AWS_KEY", "AWS access key id", _AWS_ID, prefix=r"[A-Z]{4}", shape=_AWS_ID),
    _cred(
        "AWS_SECRET_KEY",
        "AWS secret access key",
        r"(?i)(?<![A-Za-z0-9])(?:aws_?secret_?(?:access_?)?key(?:_id)?|secret_?access_?key"
        r"|SecretAccessKey)[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        group=1,
        shape=r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    ),
    _cred(
        "AZURE_KEY",
        "Azure storage / service bus key",
        r"(?i)(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey|azure[_-]?storage[_-]?key)"
        r"[ \t]{0,4}[=:][ \t]{0,4}[\"']?([A-Za-z0-9+/]{20,200}={0,2})",
        group=1,
    ),
    _cred("GOOGLE_API_KEY", "Google API key", _GOOGLE, prefix="AIza", shape=_GOOGLE),
    _cred(
        "GCP_KEY",
        "Google Cloud credential",
        r"(?<![A-Za-z0-9_-])(GOCSPX-[A-Za-z0-9_-]{28}|ya29\.[A-Za-z0-9_-]{20,2048})"
        r"|\"private_key_id\"[ \t]{0,4}:[ \t]{0,4}\"([0-9a-f]{40})\"",
        group=1,
        prefix=r"GOCSPX-|ya29\.",
    ),
    _cred("GITHUB_TOKEN", "GitHub token", _GITHUB, prefix=r"gh[pousr]_|github_pat_", shape=_GITHUB),
    _cred("SLACK_TOKEN", "Slack token", _SLACK, prefix=r"xox[abposr]-", shape=_SLACK),
    _cred("API_KEY", "API key", _SK, prefix=r"(?:sk|rk)[-_](?:[a-z]{1,12}[-_])?", shape=_SK),
    _cred(
        "BASIC_AUTH",
        "HTTP Basic credentials",
        r"(?i)(?<![A-Za-z0-9])Basic[ \t]{1,4}([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])",
        group=1,
        validate=_basic_ok,
    ),
    _cred(
        "URL_PASSWORD",
        "password in a URL",
        r"(?<=://)[^\s:/@<>]{1,128}:([^\s:/@<>]{1,256})@",
        group=1,
    ),
    _cred(
        "BEARER_TOKEN",
        "bearer token",
        r"(?i)(?<![A-Za-z0-9])bearer[ \t]{1,4}([A-Za-z0-9._~+/-]{16,4096}=*)",
        group=1,
    ),
    _cred("SECRET", "password or secret", _SECRET_LABEL, group=1, validate=_secret_ok),
    # Personal data.
    Kind(
        "EMAIL",
        "contact",
        "e-mail address",
        re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"),
        lambda v, n: v,  # replaced by Surrogates._email (one domain per original domain)
        _email_reserved,
        validate=_email_ok,
        fold_case=True,
        shape=r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}",
    ),
    Kind(
        "IBAN",
        "financial",
        "IBAN",
        re.compile(
            r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
        ),
        _iban_surrogate,
        _iban_is_surrogate,
        validate=iban_ok,
    ),
    Kind(
        "CARD",
        "financial",
        "payment card number",
        # Not inside a word: hex text (a variant converter's output) is one alphanumeric run.
        re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])"),
        _card_surrogate,
        _card_is_surrogate,
        validate=_card_ok,
    ),
    Kind(
        "SSN",
        "identity",
        "US social security number",
        re.compile(
            r"(?<![\w-])(\d{3}-\d{2}-\d{4})(?![\w-])"
            r"|(?i:\b(?:ssn|social security(?: number| no\.?)?))[\"']?[ \t]{0,4}[:#=]?[ \t]{0,4}[\"']?"
            r"(\d{9})\b"
        ),
        lambda v, n: (
            f"000-{10 + (n // 10000) % 90:02d}-{n % 10000:04d}"
            if "-" in v
            else f"000{10 + (n // 10000) % 90:02d}{n % 10000:04d}"
        ),
        lambda v: _digits(v).startswith("000"),
        group=1,
        validate=_ssn_ok,
    ),
    Kind(
        "PASSPORT",
        "identity",
        "passport number",
        re.compile(
            r"(?i:\b(?:passport|passeport|reisepass|pasaporte|passaporto)"
            r"(?:[ \t_]{0,4}(?:no\.?|number|num|nr\.?|n°|#))?)[\"']?[ \t]{0,4}[:#=]?[ \t]{0,4}[\"']?"
            r"(?:is[ \t]{1,4})?"
            r"([A-Z0-9]{6,9})(?![A-Za-z0-9])"
        ),
        _xx_surrogate,
        lambda v: v.startswith("XX"),
        group=1,
        validate=_has_digit,
    ),
    Kind(
        "NATIONAL_ID",
        "identity",
        "national id number",
        re.compile(
            # UK National Insurance number (prefixes D, F, I, Q, U, V never issued) ...
            r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])"
            r"(?![A-Za-z0-9])"
            # ... or a value labelled as a national id in the languages classify reads.
            r"|(?i:\b(?:national[ \t]id(?:entity)?(?:[ \t](?:number|no\.?|card))?|id[ \t]number"
            r"|personalausweis(?:nummer)?|steuer-?id|dni|nie|nif|codice[ \t]fiscale"
            r"|num[ée]ro[ \t]de[ \t]s[ée]curit[ée][ \t]sociale|bsn|cpf))"
            r"[\"']?[ \t]{0,4}[:#=]?[ \t]{0,4}[\"']?([A-Z0-9][A-Z0-9.-]{4,18}[A-Z0-9])(?![A-Za-z0-9])"
        ),
        _national_id_surrogate,
        lambda v: v.startswith(("XX", "QQ")),
        group=1,
        validate=_has_digit,
    ),
    Kind(
        "IPV6",
        "network",
        "IPv6 address",
        re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])"),
        lambda v, n: f"2001:db8::{n:x}",
        lambda v: v.lower().startswith("2001:db8:"),
        validate=_ipv6_ok,
        fold_case=True,
    ),
    Kind(
        "IPV4",
        "network",
        "IPv4 address",
        re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)"),
        _ipv4_surrogate,
        _ipv4_is_surrogate,
        validate=_ipv4_ok,
    ),
    Kind(
        "PHONE",
        "contact",
        "phone number",
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}"
            r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])"
        ),
        _phone_surrogate,
        _phone_is_surrogate,
        validate=_phone_ok,
    ),
)

_BY_NAME = {k.name: k for k in KINDS}


def kind(name: str) -> Kind:
    """Return the kind called ``name``.

    Raises:
        KeyError: no such kind.
    """
    return _BY_NAME[name]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value (``lint`` reports kind and place, never the value)."""

    kind: str
    start: int
    end: int


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


def _spans(text: str, want_surrogates: bool = False) -> list[tuple[int, int, Kind]]:
    """Non-overlapping ``(start, end, kind)``; an earlier kind in the table wins.

    Real values by default; with ``want_surrogates`` the surrogates (and reserved values).
    """
    starts: list[int] = []
    taken: list[tuple[int, int, Kind, bool]] = []
    for k in KINDS:
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


def find(text: str) -> list[Finding]:
    """Return every secret or personal value in ``text`` (surrogates excluded), in order."""
    if not text:
        return []
    return [Finding(k.name, a, b) for a, b, k in _spans(text)]


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
    return sorted({f.kind for f in find(text) if _BY_NAME[f.kind].category in categories})


def is_surrogate(kind_name: str, value: str) -> bool:
    """True when ``value`` is a surrogate (or a reserved, fictional value) of that kind."""
    return _BY_NAME[kind_name].is_surrogate(value)


def shape_of(kind_name: str) -> str | None:
    """Return a regex matching any value of the kind (for a secret a target may emit from
    memory rather than the surrogate), or None when no such pattern is narrow enough."""
    k = _BY_NAME.get(kind_name)
    return k.shape if k is not None else None


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
                _RESERVED_DOMAINS[d] if d < len(_RESERVED_DOMAINS) else f"org{d - 1}.example"
            )
        if local.lower() in _ROLE_LOCALS:
            new_local = local.lower()
        else:
            new_local = f"{_NAMES[(n - 1) % len(_NAMES)]}.{n}"
        return f"{new_local}@{self._domains[key]}"

    def surrogate(self, kind_name: str, value: str) -> str:
        """Return the surrogate of ``value`` (allocating the next one for a new value)."""
        k = _BY_NAME[kind_name]
        key = (kind_name, value.lower() if k.fold_case else value)
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
        k = _BY_NAME[kind_name]
        return self._map.get((kind_name, value.lower() if k.fold_case else value))

    def table(self) -> list[dict[str, Any]]:
        """Return ``[{kind, surrogate}]`` for every surrogate handed out (never the originals)."""
        return [{"kind": kind_name, "surrogate": s} for (kind_name, _), s in self._map.items()]
