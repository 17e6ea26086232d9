"""How the example agent reads text: normalisation and the obfuscations it understands.

A capable model reads through simple obfuscation; so does this agent. :func:`views`
returns the readings of one text the planner looks for instructions in: the text
with Unicode compatibility forms, zero-width characters and look-alike letters
folded; letters spaced out (``s e n d``) joined; hidden Unicode tag characters
decoded; base64 and hex blobs decoded; leetspeak (``1gn0r3``) read as letters.
The patched agent's keyword filter reads the raw text only, which is the weakness
the variants exploit.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator

#: An email address, or a redaction placeholder standing for one (``<EMAIL_1>``): the
#: pattern; :data:`ADDRESS_RE` finds its matches in linear time.
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|<EMAIL[A-Z0-9_]*>")
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PLACEHOLDER = re.compile(r"<EMAIL[A-Z0-9_]*>")


class _AddressPattern:
    """``_ADDRESS``'s ``search``/``finditer``/``sub``, the same matches in linear time.

    The regex alone tries every position of a run of local-part characters and scans
    to the run's end from each (a 10 KB base64 blob: 0.07 s; 100 KB: 7 s). A match of
    the address branch ends its local part just before an ``@``, so only the ``@``
    characters are candidates: the leftmost start is the start of the run before the
    ``@`` (or the search position inside it), and the regex then matches at that
    start, which costs the match's length.
    """

    pattern = _ADDRESS.pattern

    @staticmethod
    def _start(text: str, pos: int, placeholder: re.Match[str] | None) -> int | None:
        """The leftmost position >= ``pos`` where ``_ADDRESS`` matches, or None
        (``placeholder``: the first ``<EMAIL...>`` at or after ``pos``)."""
        limit = placeholder.start() if placeholder else len(text)
        at = text.find("@", pos + 1, limit)
        while at != -1:
            start = at
            while start > pos and text[start - 1] in _LOCAL_CHARS:
                start -= 1
            if start < at and _DOMAIN.match(text, at + 1):
                return start
            at = text.find("@", at + 1, limit)
        return limit if placeholder else None

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        """``_ADDRESS.finditer(text, pos)`` (its matches are never empty)."""
        placeholder = _PLACEHOLDER.search(text, pos)
        while True:
            if placeholder is not None and placeholder.start() < pos:
                placeholder = _PLACEHOLDER.search(text, pos)
            start = self._start(text, pos, placeholder)
            if start is None:
                return
            found = _ADDRESS.match(text, start)
            if found is None:  # cannot happen: _start found a match there
                return
            yield found
            pos = found.end()

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        """``_ADDRESS.search(text, pos)``."""
        return next(self.finditer(text, pos), None)

    def sub(self, repl: str, text: str) -> str:
        """``_ADDRESS.sub(repl, text)`` for a plain replacement string (no group references)."""
        parts: list[str] = []
        last = 0
        for found in self.finditer(text):
            parts += (text[last : found.start()], repl)
            last = found.end()
        return "".join(parts) + text[last:] if parts else text


ADDRESS_RE = _AddressPattern()

_ZERO_WIDTH = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad")
)
_CONFUSABLES = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаеісјорхуѕԁɡһӏⅼΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνορτυχ",
    "ABCEHIJKMOPSTXYaeicjopxysdghllABEZHIKMNOPTYXaeikvoptux",
)
_SPACED = re.compile(r"\b(?:[A-Za-z][ .·_-]){3,}[A-Za-z]\b")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){8,}\b")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
#: A word of letters and leet characters with at least one leet character. A match can
#: only start where such a run starts (inside a run it would have matched from the
#: run's start), so the lookbehind skips the other positions: linear, same matches.
_LEET_WORD = re.compile(r"(?<![A-Za-z0-9@$!])[A-Za-z0-9@$!]*[0-9@$!][A-Za-z0-9@$!]*")


def _readable(text: str) -> bool:
    if len(text) < 8 or not text.isprintable():
        return False
    letters = sum(ch.isalpha() or ch.isspace() for ch in text)
    return letters / len(text) >= 0.7 and " " in text


#: Unicode tag characters that spell printable ASCII (U+E0020..U+E007E).
_TAGS = re.compile("[\U000e0020-\U000e007e]+")


def _decode_tags(text: str) -> str:
    """Decode Unicode tag characters (U+E0020..U+E007E), used to hide ASCII text."""
    return "".join(chr(ord(ch) - 0xE0000) for run in _TAGS.findall(text) for ch in run)


class _Marks(dict[int, int | None]):
    """``str.translate`` table dropping combining characters (filled as characters are
    met: the table is looked up in C, the Unicode database once per distinct character)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < 65_536:
            self[code] = kept
        return kept


_DROP_MARKS = _Marks()


def fold(text: str) -> str:
    """NFKC, drop zero-width characters, map look-alike letters to Latin, strip accents."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed if decomposed.isascii() else decomposed.translate(_DROP_MARKS)


def _decoded_blobs(text: str) -> list[str]:
    out: list[str] = []
    for match in _BASE64.finditer(text):
        blob = match.group(0)
        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decoder(blob + "=" * (-len(blob) % 4)).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            if _readable(decoded):
                out.append(decoded)
                break
    for match in _HEX.finditer(text):
        digits = re.sub(r"[ :]", "", match.group(0))
        try:
            decoded = bytes.fromhex(digits).decode("utf-8")
        except ValueError:
            continue
        if _readable(decoded):
            out.append(decoded)
    return out


def _leet_words(text: str) -> int:
    """Count words mixing at least two letters with leet characters (``s3nd``, ``1gn0r3``)."""
    return sum(
        1
        for m in _LEET_WORD.finditer(ADDRESS_RE.sub(" ", text))
        if sum(ch.isalpha() for ch in m.group(0)) >= 2 and not m.group(0).isdigit()
    )


def _unleet(text: str) -> str:
    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if not any(ch.isalpha() for ch in token) or token.isdigit():
            return token
        return token.translate(_LEET)

    parts = []
    last = 0
    for address in ADDRESS_RE.finditer(text):
        parts.append(_LEET_WORD.sub(word, text[last : address.start()]))
        parts.append(address.group(0))
        last = address.end()
    parts.append(_LEET_WORD.sub(word, text[last:]))
    return "".join(parts)


def views(text: str) -> list[str]:
    """Return the distinct readings of ``text`` the planner searches for instructions.

    The first view is always the folded text itself.
    """
    base = fold(text)
    base = _SPACED.sub(lambda m: re.sub(r"[ .·_-]", "", m.group(0)), base)
    candidates = [base]
    hidden = _decode_tags(text)
    if hidden:
        candidates.append(hidden)
    for decoded in _decoded_blobs(base):
        candidates.append(fold(decoded))
    candidates.extend(_unleet(c) for c in list(candidates) if _leet_words(c) >= 2)
    seen: set[str] = set()
    result = []
    for c in candidates:
        if c not in seen:
            seen.add(c)
            result.append(c)
    return result
