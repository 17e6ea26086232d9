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
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import re2

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
    if (
        isinstance(value, dict)
        and len(value) <= _MAX_LEAVES
        and not any(isinstance(v, dict | list | tuple) for v in value.values())
    ):  # a flat object (the usual arguments): its values in key order, as the walk below
        for key, item in value.items():
            yield f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}", item
        return
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


def leaves_complete(value: Any) -> bool:
    """True when :func:`leaves` yields every scalar of ``value``: no non-empty container
    deeper than its depth bound and fewer scalars than its count bound (a note nested past
    them must not go unread)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if item and depth >= _MAX_DEPTH:
                return False
            stack.extend(
                (v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
        else:
            count += 1
            if count > _MAX_LEAVES:
                return False
    return True


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
    int_part = r"[,. '\u00a0]?".join(_groups(whole.lstrip("0") or "0"))
    frac = frac.rstrip("0")
    frac_part = rf"[.,]{frac}\d{{0,2}}" if frac else r"(?:[.,]0{1,2})?"
    return re.compile(rf"(?<![\d.,]){sign}{int_part}{frac_part}(?![\d])")


def anchors(value: str) -> list[str]:
    """Address-like parts of ``value`` worth tracing on their own (most specific first).

    Memoised for values up to :data:`_FIND_MEMO_CHARS` (one padded with spaces is not kept).
    """
    if len(value) > _FIND_MEMO_CHARS:
        return list(_anchors.__wrapped__(value))
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
    if len(text) > _MEMO_CHARS:
        return list(_addresses.__wrapped__(text))
    return list(_addresses(text))


def path_tokens(text: str) -> list[str]:
    """The file paths ``text`` names (``/etc/cron.d/job``, ``~/.ssh/id_rsa``,
    ``../../.env``, ``config.yaml``): at most 12, from its first :data:`_MEMO_CHARS`
    characters."""
    found = (m.group(0).rstrip("/.") for m in _PATH.finditer(text, 0, _MEMO_CHARS))
    return [p for p in dict.fromkeys(found) if len(p) >= 4][:12]


#: Texts up to this length have their addresses memoised (a long paste is not kept).
_MEMO_CHARS = 4096


@lru_cache(maxsize=1024)
def _addresses(text: str) -> tuple[str, ...]:
    """:func:`addresses`, memoised: a span is asked about every call that follows it."""
    found: list[str] = []
    for m in _EMAIL.finditer(text):
        found.append(m.group(0).rstrip(".").lower())
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;'\"").split("?", 1)[0].split("#", 1)[0].rstrip("/")
        host_path = re.sub(r"^https?://(?:www\.)?", "", url.lower())
        found += [host_path, host_path.split("/", 1)[0]]
    for m in _IBAN.finditer(text):
        found.append(m.group(0).replace(" ", "").lower())
    return tuple([f for f in dict.fromkeys(found) if len(f) >= 4][:12])


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
    found = _find_literal(value, text, lowered)
    if found is None and value[:1].isalnum():
        when = _when(value)
        if when is not None:
            return _find_when(when, text)
    return found


def absent_from(
    value: str, raw: str, lowered: str, holds: Callable[[str], bool] | None = None
) -> bool:
    """True only when :func:`find_value` finds ``value`` in none of the texts ``raw`` joins
    with line breaks (``lowered``: their lower-cased forms, joined the same way): its first
    word (ASCII) is in none of them, or a digit group of the number it is; and it is no date
    or time. A first look before a value is sought step by step (no word or group of digits
    holds a line break, so none straddles two texts; a span is a slice of one of them).
    ``holds``, when given, says whether ``lowered`` holds a word (a caller's memo: a session
    asks about the same words value after value). False says nothing."""
    value = value.strip()
    if not value or len(value) > _MAX_VALUE:
        return True
    first, number, _rest, _ascii, digits, _right = _literal(value)
    if not first.isascii():
        return False
    if number:
        if not digits or all(d in raw for d in digits):
            return False
    elif holds(first) if holds is not None else first in lowered:
        return False
    return not (value[:1].isalnum() and _when(value) is not None)


def words_needed(value: str) -> tuple[str, tuple[str, ...]] | None:
    """The words (lower case) a text's lower-cased form holds wherever :func:`find_value`
    finds ``value`` in it: the value's first word in any text, and its other words too in
    an ASCII text when the value is ASCII (as :func:`_find_literal` rules texts out); None
    when a text may hold it without them (a number of one word in another spelling, a date
    or time) or it is found nowhere (empty, too long). A value of several words that starts
    with a number ("299 of the plan") is matched word for word, its digits as written. A
    first look that rules out most texts at once (reviews revcc38 L3, revfix41 M4)."""
    value = value.strip()
    if not value or len(value) > _MAX_VALUE:
        return None
    first, number, rest, ascii_value, _digits, _right = _literal(value)
    if (number and not rest) or (value[:1].isalnum() and _when(value) is not None):
        return None
    return first, rest if ascii_value else ()


def find_value_memo(value: str, text: str, lowered: str) -> tuple[int, int] | None:
    """:func:`find_value`, memoised for texts up to :data:`_FIND_MEMO_CHARS`: the sessions of
    one application read the same tool outputs and trace the same values in them (about
    four lookups in five repeat one an earlier session made). Keyed on the stripped value,
    as :func:`find_value` strips it: a value padded with spaces is not kept whole."""
    value = value.strip()
    if len(text) > _FIND_MEMO_CHARS or len(value) > _MAX_VALUE:
        return find_value(value, text, lowered)
    return _find_memo(value, text, lowered)


#: Texts up to this length have :func:`find_value_memo`'s answers memoised (a long paste is
#: not kept).
_FIND_MEMO_CHARS = 4096


@lru_cache(maxsize=8192)
def _find_memo(value: str, text: str, lowered: str) -> tuple[int, int] | None:
    return find_value(value, text, lowered)


def _find_literal(value: str, text: str, lowered: str) -> tuple[int, int] | None:
    """:func:`find_value` for the value as written (words in order, numbers in any spelling)."""
    first, number, rest, ascii_value, digits, right = _literal(value)
    if not number and first not in lowered:
        return None
    if any(d not in text for d in digits):
        return None  # a number's digit groups are written in every spelling of it
    start = 0
    if not number and text.isascii() and ascii_value:
        # ASCII on both sides: matching without case is matching the lower-cased text, so a
        # word missing from it rules the value out, and a match starts where its first word
        # does: the first few places are tried directly (by :func:`_words_at`, no pattern
        # compiled: values come from the logs, most are found or ruled out here), then
        # the pattern searches on.
        if any(w not in lowered for w in rest):
            return None
        words = (first, *rest)
        start = lowered.find(first)
        for _ in range(_DIRECT_TRIES):
            if start == -1:
                return None
            end = _words_at(words, lowered, start, right)
            if end != -1:
                return start, end
            start = lowered.find(first, start + 1)
        if start == -1:
            return None
    elif digits:  # a number starts at its first group's first place (or at its sign before)
        start = max(0, text.find(digits[0]) - 1)
    pattern = _pattern(value)
    if pattern is None:
        return None
    m = pattern.search(text, start)
    return m.span() if m else None


@lru_cache(maxsize=4096)
def _literal(value: str) -> tuple[str, bool, tuple[str, ...], bool, tuple[str, ...], bool]:
    """What :func:`_find_literal` checks a text for, worked out once per value (a value is
    looked for in every earlier step): its first word (lower case), whether that word is a
    number, its other words (lower case, as many as the pattern spells), whether it is
    ASCII, the digit groups every spelling of it carries when it is a plain number
    (``1,000.5``: ``1``, ``000``, ``5``; none otherwise), and whether a match must end at a
    word boundary (as :func:`_pattern` decides it: by the value's last word)."""
    every = value.split()
    first = every[0].lower()
    number = _NUMBER.fullmatch(first) is not None
    rest = tuple(w.lower() for w in every[1:_PATTERN_WORDS])
    digits: tuple[str, ...] = ()
    if number and len(every) == 1 and not _LEADING_ZERO.match(every[0]):
        whole, _, frac = every[0].lstrip("-").partition(".")
        digits = (*_groups(whole.lstrip("0") or "0"), *([frac.rstrip("0")] if frac else []))
        digits = tuple(d for d in digits if d)
    return first, number, rest, value.isascii(), digits, every[-1][-1:].isalnum()


def _groups(whole: str) -> list[str]:
    """The thousands groups of a number's integer digits (``12345``: ``12``, ``345``)."""
    head = len(whole) % 3 or 3
    return [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _words_at(words: tuple[str, ...], lowered: str, start: int, right: bool) -> int:
    """Where :func:`_pattern`'s match of ``words`` (lower case, ASCII) starting at ``start``
    in ``lowered`` (ASCII) ends, or -1: the words in order, whitespace between them, no
    word character before the first when it begins with a letter or digit, nor after the
    last with ``right``. (``pattern.match(text, start)``, without compiling the pattern.)"""
    if words[0][:1].isalnum() and start and _is_word(lowered[start - 1]):
        return -1
    size, at = len(lowered), start
    for i, word in enumerate(words):
        if i:
            gap = at
            while at < size and lowered[at].isspace():
                at += 1
            if at == gap:
                return -1
        if not lowered.startswith(word, at):
            return -1
        at += len(word)
    if right and at < size and _is_word(lowered[at]):
        return -1
    return at


def shingles(value: str, size: int = 6) -> list[str]:
    """Up to 20 evenly spread ``size``-word runs of ``value`` (for long free text)."""
    words = value.split()
    if len(words) < size:
        return []
    runs = [" ".join(words[i : i + size]) for i in range(0, len(words) - size + 1)]
    step = max(1, len(runs) // 20)
    return runs[::step][:20]


# --- dates and times written in words or other formats --------------------------------------
#
# An argument ``2024-05-01`` was chosen by a text that says "from the 1st to the 5th of May
# 2024", "May 1st, 2024", "01/05/2024" or "1er mai 2024"; a time ``15:00`` by "3pm" or "15h".
# Each text's dates are read once (memoised) by a few linear patterns, each a bounded run of
# literals; a value is compared with them as (year, month, day) / (hour, minute). A date
# with no year in the text matches any year; a numeric date that reads both ways
# (05/06/2024) matches both. Relative dates ("tomorrow") are not resolvable from the text
# alone and are not matched.

#: Month names and abbreviations: en, de, fr, es, it, pt.
_MONTH_NAMES = (
    "january jan januar jänner janvier janv enero gennaio janeiro",
    "february feb februar février fevrier févr febrero febbraio fevereiro",
    "march mar märz maerz mars marzo março marco",
    "april apr avril abril aprile",
    "may mai mayo maggio maio",
    "june jun juni juin junio giugno junho",
    "july jul juli juillet julio luglio julho",
    "august aug août aout agosto",
    "september sep sept septembre septiembre setiembre settembre setembro",
    "october oct oktober octobre octubre ottobre outubro",
    "november nov novembre noviembre novembro",
    "december dec dezember décembre decembre diciembre dicembre dezembro",
)
_MONTH_OF = {name: i + 1 for i, names in enumerate(_MONTH_NAMES) for name in names.split()}


def _by_initial(names: list[str]) -> str:
    """An alternation of ``names`` (in their order) grouped by initial, for ``re``:
    ``j(?:anuary|anvier|...)|f(?:...)``. The same alternatives in the same order, but at a
    place whose letter is no initial nothing more is tried (no two initials match one
    letter, even without case): a month pattern scans 4x faster than with all 75 names."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name[0], []).append(name[1:])
    return "|".join(f"{c}(?:{'|'.join(rest)})" for c, rest in groups.items())


_MONTH = "(?:" + _by_initial(sorted(_MONTH_OF, key=len, reverse=True)) + r")\b\.?"
#: A day number and its ordinal suffix ("1st", "1er", "1º", "1.").
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|º|ª|°)?\.?"
#: Between the two days of a range ("1-5", "1st to the 5th", "du 1er au 5", "vom 1. bis 5.").
_TO = (
    r"(?:\s{0,3}[-–—]\s{0,3}|\s{1,3}(?:to|till|until|through|thru|and|bis|au|à|al|a|y|e|et|"
    r"und|até)\s{1,3}(?:the\s{1,3}|le\s{1,3})?)"
)
_YEAR = r"(?:\s{0,3},?\s{0,3}(?:de\s{1,3}|del\s{1,3})?(\d{4}))?"
#: "[the 1st to] the 5th of May[,] [2024]", "5. Mai 2024", "5 de mayo de 2024".
_DAY_MONTH = re.compile(
    rf"(?<![\d.])(?:{_DAY}{_TO})?(?:the\s{{1,3}})?{_DAY}(?:\s{{1,3}}(?:of|de|del|di))?"
    rf"\s{{1,3}}({_MONTH}){_YEAR}(?!\d)",
    re.IGNORECASE,
)
#: "May 5th[, 2024]", "May 1-5, 2024".
_MONTH_DAY = re.compile(
    rf"(?<!\w)({_MONTH})\s{{0,3}}{_DAY}(?:{_TO}{_DAY})?(?!\d){_YEAR}(?!\d)", re.IGNORECASE
)
#: "2024-05-01", "2024/05/01", "05/05/2024", "5.5.24".
_NUMERIC_DATE = re.compile(
    r"(?<![\d./-])(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{1,2})([-/.])(\d{1,2})\6(\d{4}|\d{2}))"
    r"(?![\d])"
)
#: "15:00", "3pm", "3:30 p.m.", "15h30", "15 Uhr", "noon".
_TIME = re.compile(
    r"(?<![\d:.])(\d{1,2})(?:[:h](\d{2}))?(?::\d{2})?\s{0,2}(a\.?m\.?|p\.?m\.?|uhr|h\b)?"
    r"(?![\d:])|\b(noon|midday|midnight|mittag|midi|mediodía|mezzogiorno|meio-dia)\b",
    re.IGNORECASE,
)
#: A month name as a word, for RE2: rules a text out before :data:`_DAY_MONTH` and
#: :data:`_MONTH_DAY` scan it. It finds all they find and more: Python's ``re.IGNORECASE``
#: also reads "İ" and "ı" as an "i" (spelt out here), and RE2's ``\\b`` knows only ASCII
#: letters, so the word's end is any character that is not an ASCII letter, digit or "_".
_ANY_MONTH = re2.compile(
    "(?i)(?:"
    + "|".join("".join("[iİı]" if c == "i" else c for c in name) for name in _MONTH_OF)
    + r")(?:\W|$)"
)
#: What every match of :data:`_NUMERIC_DATE` carries (a fast test that rules a text out).
_DIGIT_SEP_DIGIT = re.compile(r"\d[-/.]\d")
_ISO_VALUE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NEAR = 60
_NOON = dict.fromkeys(
    ("noon", "midday", "mittag", "midi", "mediodía", "mezzogiorno", "meio-dia"), 12
)
_NOON["midnight"] = 0

#: (year or None, month, day) and where it was written.
_Date = tuple[int | None, int, int, int, int]


def _ymd(year: str | None, month: int, day: str) -> tuple[int | None, int, int] | None:
    y = int(year) if year else None
    if y is not None and y < 100:
        y += 2000
    d = int(day)
    return (y, month, d) if 1 <= month <= 12 and 1 <= d <= 31 else None


@lru_cache(maxsize=512)
def dates_in(text: str) -> tuple[_Date, ...]:
    """Every date ``text`` writes: ``(year or None, month, day, start, end)`` (a range gives
    its first and last day, both with the range's place)."""
    found: list[_Date] = []

    def add(year: str | None, month: int, day: str | None, a: int, b: int) -> None:
        got = _ymd(year, month, day) if day else None
        if got is not None:
            found.append((*got, a, b))

    named = _ANY_MONTH.search(text) is not None  # most texts name no month: one RE2 pass
    for m in _DAY_MONTH.finditer(text) if named else ():
        month = _month(m.group(3), m.group(4))
        if month:
            add(m.group(4), month, m.group(1), *m.span())
            add(m.group(4), month, m.group(2), *m.span())
    for m in _MONTH_DAY.finditer(text) if named else ():
        month = _month(m.group(1), m.group(4))
        if month:
            add(m.group(4), month, m.group(2), *m.span())
            add(m.group(4), month, m.group(3), *m.span())
    numeric = _DIGIT_SEP_DIGIT.search(text) is not None
    for m in _NUMERIC_DATE.finditer(text) if numeric else ():
        if m.group(1):
            add(m.group(1), int(m.group(3)), m.group(4), *m.span())
        else:  # day/month or month/day: both readings
            add(m.group(8), int(m.group(7)), m.group(5), *m.span())
            if m.group(5) != m.group(7):
                add(m.group(8), int(m.group(5)), m.group(7), *m.span())
    return tuple(found)


#: Month names that are also common lower-case words ("option 1 may be slower").
_WORDLIKE_MONTHS = frozenset(["may", "mar"])


def _month(name: str, year: str | None) -> int | None:
    """The month a name writes; a lower-case "may"/"mar" only beside a year."""
    plain = name.rstrip(".")
    if plain in _WORDLIKE_MONTHS and not year:
        return None
    return _MONTH_OF.get(plain.lower())


def _times_in(text: str) -> list[tuple[int, int]]:
    """``(hour, minute)`` of every time ``text`` writes with a colon, am/pm or "h"."""
    out = []
    for m in _TIME.finditer(text):
        if m.group(4):
            out.append((_NOON[m.group(4).lower()], 0))
            continue
        if not (m.group(2) or m.group(3)):
            continue  # a bare number is no time
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        mark = (m.group(3) or "").lower().replace(".", "")
        if mark == "h" and not m.group(2) and hour < 13:
            continue  # "2h", "12h": a duration as often as a time; "15h" is a time
        if mark == "pm" and hour < 12:
            hour += 12
        elif mark == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            out.append((hour, minute))
    return out


@lru_cache(maxsize=4096)
def _when(value: str) -> tuple[tuple[int, int, int] | None, tuple[int, int] | None] | None:
    """A date and/or time value's ``((y, m, d) | None, (h, min) | None)``; None if neither.

    ISO dates and datetimes (``2024-05-01``, ``2024-05-01T15:00:00Z``), a time (``15:00``,
    ``3pm``), or a value that is one written date ("May 5th, 2024", "05/05/2024" read
    day-first) with nothing else in it.
    """
    if len(value) > 40 or not any(c.isdigit() for c in value):
        return None
    m = _ISO_VALUE.fullmatch(value)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        at = (int(m.group(4)), int(m.group(5))) if m.group(4) else None
        return ((y, mo, d), at) if 1 <= mo <= 12 and 1 <= d <= 31 else None
    dates = [d for d in dates_in(value) if d[0] is not None and d[4] - d[3] >= len(value) - 1]
    if dates:
        year, month, day = dates[0][:3]
        return (year or 0, month, day), None
    times = _times_in(value)
    if len(times) == 1 and _TIME.fullmatch(value.strip()):
        return None, times[0]
    return None


def is_date_or_time(value: str) -> bool:
    """True when ``value`` is a date or time (ISO or one written date or time): a weak pin
    for an expectation, since a replay may pick another day for the same harm."""
    return _when(value.strip()) is not None


def _find_when(
    when: tuple[tuple[int, int, int] | None, tuple[int, int] | None], text: str
) -> tuple[int, int] | None:
    """Where ``text`` writes the date/time ``when`` (see :func:`_when`), or None."""
    day, at = when
    if day is None:
        if at is None:
            return None
        for m in _TIME.finditer(text):
            if _times_in(m.group(0)) == [at]:
                return m.start(), m.start() + len(m.group(0).rstrip())
        return None
    y, mo, d = day
    for year, month, dd, a, b in dates_in(text):
        if month != mo or dd != d or (year is not None and year != y):
            continue
        if at is not None:
            near = _times_in(text[max(0, a - _NEAR) : b + _NEAR])
            if near and at not in near:
                continue  # a time is written next to the date, and it is another one
        return a, b
    return None
