"""The table of secret and personal-data kinds: pattern, validator, category, surrogate."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from incident_lab.pii._checks import (
    _basic_ok,
    _card_ok,
    _digits,
    _email_ok,
    _email_reserved,
    _has_digit,
    _ipv4_ok,
    _ipv6_ok,
    _phone_ok,
    _secret_ok,
    _ssn_ok,
    iban_ok,
)
from incident_lab.pii._surrogates import (
    REDACTED,
    _card_is_surrogate,
    _card_surrogate,
    _contains_redacted,
    _credential_surrogate,
    _iban_is_surrogate,
    _iban_surrogate,
    _ipv4_is_surrogate,
    _ipv4_surrogate,
    _jwt_surrogate,
    _national_id_surrogate,
    _phone_is_surrogate,
    _phone_surrogate,
    _private_key_surrogate,
    _xx_surrogate,
)


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
