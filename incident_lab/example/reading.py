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

#: An email address, or a redaction placeholder standing for one (``<EMAIL_1>``).
ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|<EMAIL[A-Z0-9_]*>")

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
_LEET_WORD = re.compile(r"[A-Za-z0-9@$!]*[0-9@$!][A-Za-z0-9@$!]*")


def _readable(text: str) -> bool:
    if len(text) < 8 or not text.isprintable():
        return False
    letters = sum(ch.isalpha() or ch.isspace() for ch in text)
    return letters / len(text) >= 0.7 and " " in text


def _decode_tags(text: str) -> str:
    """Decode Unicode tag characters (U+E0020..U+E007E), used to hide ASCII text."""
    hidden = "".join(chr(ord(ch) - 0xE0000) for ch in text if 0xE0020 <= ord(ch) <= 0xE007E)
    return hidden


def fold(text: str) -> str:
    """NFKC, drop zero-width characters, map look-alike letters to Latin, strip accents."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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
