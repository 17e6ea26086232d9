"""Surrogate generators: deterministic, format-preserving, recognisably fictional values."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from incident_lab.pii._checks import _digits, _iban_number, _luhn_digit, luhn_ok

#: Marker inside every credential surrogate.
REDACTED = "REDACTED"

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
    """A fictional number: NANP ``555-01xx`` (UK numbers: Ofcom's drama range 020 7946 0xxx)."""
    digits = _digits(value)
    stripped = value.lstrip()
    if stripped.startswith("+44") and len(digits) == 12:
        return _keep_layout(value, f"44207946{(n - 1) % 1000:04d}")
    area = 202 + (n - 1) // 100
    target = f"1{area}55501{(n - 1) % 100:02d}"
    if stripped.startswith("+") and not stripped.startswith("+1"):
        return f"+1 {area} 555 01{(n - 1) % 100:02d}"  # no fictional range abroad: use NANP's
    if len(digits) > len(target):
        target = digits[: len(digits) - len(target)] + target
    return _keep_layout(value, target[-len(digits) :])


def _phone_is_surrogate(value: str) -> bool:
    digits = _digits(value)
    return re.search(r"55501\d\d$", digits) is not None or (
        len(digits) == 12 and digits.startswith("442079460")
    )


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


def _contains_redacted(value: str) -> bool:
    return REDACTED in value
