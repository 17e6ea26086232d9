"""Where an argument value occurs in a text: robust, linear-time matching.

A value matches when its words occur in order with any whitespace between them,
case-insensitively (``"Bob  SMITH"`` matches ``"bob smith"``). Numbers match in any
usual spelling (``1000``, ``1,000``, ``1.000,00``, ``1000.0``). When the whole value
does not occur, its *anchors* are tried: e-mail addresses, URLs (and their host +
path), IBAN-like account numbers, file paths (and their last segment), phone numbers,
long digit runs, quoted strings. A long free text (a body) is matched by its 6-word
runs. All patterns are built from the value (escaped literals joined by ``\\s+``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_MAX_LEAVES = 200
_MAX_DEPTH = 20
_MAX_VALUE = 2_000
#: Words of a value that its pattern spells out (the rest is not matched).
_PATTERN_WORDS = 60
#: Occurrences of a value's first word tried one by one before the pattern searches the text.
_DIRECT_TRIES = 8

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_URL = re.compile(r"https?://[^\s\"'<>)\]]{1,2000}|\bwww\.[^\s\"'<>)\]]{1,2000}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
_PATH = re.compile(
    r"(?:~|\.{1,2})?(?:/[\w.@+-]{1,128}){1,32}/?|\b[\w.-]{1,64}\.(?:py|js|ts|json|ya?ml|toml|env|cfg|ini|md|txt|sh|pem|key|csv|sql|rs|go)\b"
)
_PHONE = re.compile(r"\+?\d[\d ()./-]{6,18}\d")
_DIGITS = re.compile(r"\b\d{4,}\b")
_QUOTED = re.compile(r"[\"'“‘«`]([^\"'”’»`\n]{3,200})[\"'”’»`]")
_NUMBER = re.compile(r"-?\d{1,18}(?:\.\d{1,12})?")
_LEADING_ZERO = re.compile(r"-?0\d")


def value_text(value: Any) -> str | None:
    """The string form of a scalar argument value (None for null and booleans)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(json_pointer, scalar)`` for every scalar inside ``value`` (bounded)."""
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    count = 0
    while stack and count < _MAX_LEAVES:
        where, item, depth = stack.pop()
        if isinstance(item, dict):
            if depth < _MAX_DEPTH:
                for key in reversed(list(item)):
                    k = str(key).replace("~", "~0").replace("/", "~1")
                    stack.append((f"{where}/{k}", item[key], depth + 1))
        elif isinstance(item, list | tuple):
            if depth < _MAX_DEPTH:
                for i in range(len(item) - 1, -1, -1):
                    stack.append((f"{where}/{i}", item[i], depth + 1))
        else:
            count += 1
            yield where or "/", item


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str] | None:
    words = value.split()
    if not words:
        return None
    if len(words) == 1 and _NUMBER.fullmatch(words[0]) and not _LEADING_ZERO.match(words[0]):
        return _number_pattern(words[0])
    body = r"\s+".join(re.escape(w) for w in words[:_PATTERN_WORDS])
    left = r"(?<!\w)" if words[0][:1].isalnum() else ""
    right = r"(?!\w)" if words[-1][-1:].isalnum() else ""
    return re.compile(left + body + right, re.IGNORECASE)


def _number_pattern(number: str) -> re.Pattern[str]:
    sign = "-?" if number.startswith("-") else ""
    number = number.lstrip("-")
    whole, _, frac = number.partition(".")
    whole = whole.lstrip("0") or "0"
    groups = []
    head = len(whole) % 3 or 3
    groups.append(whole[:head])
    groups += [whole[i : i + 3] for i in range(head, len(whole), 3)]
    int_part = r"[,. '\u00a0]?".join(groups)
    frac = frac.rstrip("0")
    frac_part = rf"[.,]{frac}\d{{0,2}}" if frac else r"(?:[.,]0{1,2})?"
    return re.compile(rf"(?<![\d.,]){sign}{int_part}{frac_part}(?![\d])")


def anchors(value: str) -> list[str]:
    """Address-like parts of ``value`` worth tracing on their own (most specific first)."""
    return list(_anchors(value))


@lru_cache(maxsize=4096)
def _anchors(value: str) -> tuple[str, ...]:
    """:func:`anchors`, memoised: one value is traced, then judged as a target and as an
    attacker value, and the same values recur across the calls of a session."""
    found: list[str] = []
    for m in _EMAIL.finditer(value):
        found.append(m.group(0).rstrip("."))
    for m in _URL.finditer(value):
        url = m.group(0).rstrip(".,;")
        found.append(url)
        bare = url.split("?", 1)[0].split("#", 1)[0]
        host_path = re.sub(r"^https?://(?:www\.)?", "", bare).rstrip("/")
        if host_path and host_path != url:
            found.append(host_path)
        host = host_path.split("/", 1)[0]
        if host and host != host_path:
            found.append(host)
    for pattern in (_IBAN, _PATH, _PHONE, _DIGITS):
        for m in pattern.finditer(value):
            token = m.group(0).strip()
            if len(token) >= 4 and token not in found and not any(token in f for f in found):
                found.append(token)
                if pattern is _PATH and "/" in token.strip("/"):
                    last = token.rstrip("/").rsplit("/", 1)[-1]
                    if len(last) >= 4 and "." in last:
                        found.append(last)
    for m in _QUOTED.finditer(value):
        if m.group(1) not in found:
            found.append(m.group(1))
    return tuple(found[:12])


def addresses(text: str) -> list[str]:
    """The places ``text`` names as where something goes: e-mail addresses, URLs (and their
    host + path, and host), IBAN-like account numbers (at most 12, lower-cased)."""
    found: list[str] = []
    for m in _EMAIL.finditer(text):
        found.append(m.group(0).rstrip(".").lower())
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;'\"").split("?", 1)[0].split("#", 1)[0].rstrip("/")
        host_path = re.sub(r"^https?://(?:www\.)?", "", url.lower())
        found += [host_path, host_path.split("/", 1)[0]]
    for m in _IBAN.finditer(text):
        found.append(m.group(0).replace(" ", "").lower())
    return [f for f in dict.fromkeys(found) if len(f) >= 4][:12]


def find_value(value: str, text: str, lowered: str) -> tuple[int, int] | None:
    """Where ``value`` occurs in ``text`` (``lowered`` is ``text.lower()``), or None.

    Args:
        value: The value's string form.
        text: The text searched (offsets refer to it).
        lowered: ``text.lower()``, computed once per text by the caller.
    """
    value = value.strip()
    if not value or len(value) > _MAX_VALUE:
        return None
    first = value.split(None, 1)[0].lower()
    number = _NUMBER.fullmatch(first) is not None
    if not number and first not in lowered:
        return None
    pattern = _pattern(value)
    if pattern is None:
        return None
    start = 0
    if not number and text.isascii() and value.isascii():
        # ASCII on both sides: matching without case is matching the lower-cased text, so a
        # word missing from it rules the value out, and a match starts where its first word
        # does: the first few places are tried directly, then the pattern searches on.
        if any(w not in lowered for w in value.lower().split()[1:_PATTERN_WORDS]):
            return None
        start = lowered.find(first)
        for _ in range(_DIRECT_TRIES):
            if start == -1:
                return None
            m = pattern.match(text, start)
            if m:
                return m.span()
            start = lowered.find(first, start + 1)
        if start == -1:
            return None
    m = pattern.search(text, start)
    return m.span() if m else None


def shingles(value: str, size: int = 6) -> list[str]:
    """Up to 20 evenly spread ``size``-word runs of ``value`` (for long free text)."""
    words = value.split()
    if len(words) < size:
        return []
    runs = [" ".join(words[i : i + size]) for i in range(0, len(words) - size + 1)]
    step = max(1, len(runs) // 20)
    return runs[::step][:20]
