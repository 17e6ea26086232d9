"""How an attack disguises text, as tables and functions: leetspeak and homoglyph maps,
Unicode tag smuggling, the tokens a rewrite keeps intact, ROT13, Caesar, Morse and
reversal, and the synonyms of a keyword filter's phrases.

The variants' converters (:mod:`incident_lab.variants`) apply them; the normalisers
that undo disguises (:mod:`incident_lab.text.normalize`, :mod:`incident_lab.provenance`)
invert them. Kept here, below both, so the two sides share one table each.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

#: Letter -> digit substitutions of classic leetspeak.
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "l": "1", "b": "8"}

#: Latin letter -> a visually confusable Cyrillic/Greek letter (Unicode confusables).
HOMOGLYPHS = {
    "a": "\u0430", "c": "\u0441", "d": "\u0501", "e": "\u0435", "h": "\u04bb", "i": "\u0456",
    "j": "\u0458", "l": "\u04cf", "o": "\u043e", "p": "\u0440", "q": "\u051b", "s": "\u0455",
    "w": "\u051d", "x": "\u0445", "y": "\u0443", "A": "\u0410", "B": "\u0412", "C": "\u0421",
    "E": "\u0415", "H": "\u041d", "I": "\u0406", "J": "\u0408", "K": "\u041a", "M": "\u041c",
    "N": "\u039d", "O": "\u041e", "P": "\u0420", "S": "\u0405", "T": "\u0422", "X": "\u0425",
    "Y": "\u03a5", "Z": "\u0396",
}  # fmt: skip
_UNCONFUSE = str.maketrans({v: k for k, v in HOMOGLYPHS.items()})

#: First code point of the Unicode tag block; ASCII ``c`` is smuggled as ``TAG_BASE + ord(c)``.
TAG_BASE = 0xE0000

#: Tokens the lossy converters leave intact: redaction placeholders (``<EMAIL_2>``),
#: e-mail addresses and URLs. An attacker disguises the instruction, not the address
#: the data must reach, and the scenario's expectations match on those tokens.
# Each pattern starts with a literal the regex engine skips to, so scanning is fast.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
_URL = re.compile(r"https?://\S+")
_EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")


def _is_local_char(ch: str) -> bool:
    return ch.isalnum() or ch in "._+-"


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Return the sorted, non-overlapping ``(start, end)`` of the tokens kept intact.

    Placeholders ``<KIND_N>``, URLs ``http(s)://...`` and e-mail addresses (the
    ``@domain.tld`` part and the address characters before it).
    """
    found: list[tuple[int, int]] = []
    if "<" in text:
        found += [m.span() for m in _PLACEHOLDER.finditer(text)]
    if "://" in text:
        found += [m.span() for m in _URL.finditer(text)]
    if "@" in text:
        for m in _EMAIL_DOMAIN.finditer(text):
            start = m.start()
            while start > 0 and _is_local_char(text[start - 1]):
                start -= 1
            if start < m.start():
                found.append((start, m.end()))
    if len(found) < 2:
        return found
    found.sort()
    merged = [found[0]]
    for a, b in found[1:]:
        if a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def convert_outside(text: str, spans: list[tuple[int, int]], convert: Callable[[str], str]) -> str:
    """``text`` with ``convert`` applied to the text between ``spans`` (sorted, apart), the
    spans kept as they are; an empty gap (a span at an end, two spans touching) is not
    converted (a wrapping rewrite would put its wrapper around nothing)."""
    if not spans:
        return convert(text)
    out, last = [], 0
    for a, b in [*spans, (len(text), len(text))]:
        gap = text[last:a]
        out += [convert(gap) if gap else gap, text[a:b]]
        last = b
    return "".join(out)


def unconfuse(text: str) -> str:
    """Map the confusables :data:`HOMOGLYPHS` produces back to Latin letters."""
    return text.translate(_UNCONFUSE)


#: Words a literal-phrase filter keys on, and the paraphrases ``paraphrase`` picks from.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ignore": ("disregard", "set aside", "forget about", "pay no attention to"),
    "previous": ("prior", "earlier", "preceding", "above"),
    "prior": ("previous", "earlier", "preceding"),
    "instructions": ("directions", "guidance", "rules", "orders"),
    "instruction": ("direction", "rule", "order"),
    "send": ("forward", "transmit", "deliver", "pass along"),
    "forward": ("send", "relay", "pass along"),
    "reveal": ("disclose", "share", "show"),
    "delete": ("remove", "erase", "wipe"),
    "all": ("every one of the", "the full set of", "each of the"),
    "system prompt": ("initial configuration", "hidden setup text", "opening directives"),
    "password": ("passphrase", "login secret", "credential"),
    "immediately": ("right away", "at once", "without delay"),
    "now": ("right now", "at once", "straight away"),
}

# -- ciphers: Caesar (shift 3), ROT13, reversal, Morse ------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()


def _shift_table(shift: int) -> dict[int, int]:
    src = _LOWER + _UPPER
    dst = _LOWER[shift:] + _LOWER[:shift] + _UPPER[shift:] + _UPPER[:shift]
    return str.maketrans(src, dst)


CAESAR_SHIFT = 3
_CAESAR_ENC = _shift_table(CAESAR_SHIFT)
_CAESAR_DEC = _shift_table(26 - CAESAR_SHIFT)


def caesar_encode(text: str) -> str:
    """Shift ASCII letters by :data:`CAESAR_SHIFT`."""
    return text.translate(_CAESAR_ENC)


def caesar_decode(text: str) -> str:
    """Undo :func:`caesar_encode`."""
    return text.translate(_CAESAR_DEC)


_SHIFTS = tuple(_shift_table(k) for k in range(26))


def shift_letters(text: str, shift: int) -> str:
    """Shift ASCII letters forward by ``shift`` (mod 26): ``shift_letters(t, 26 - k)``
    undoes a Caesar cipher of shift ``k``."""
    return text.translate(_SHIFTS[shift % 26])


def rot13(text: str) -> str:
    """ROT13 of the ASCII letters (its own inverse)."""
    return codecs.encode(text, "rot13")


def reverse_text(text: str) -> str:
    """The text backwards (its own inverse)."""
    return text[::-1]


_MORSE = {
    "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.", "G": "--.",
    "H": "....", "I": "..", "J": ".---", "K": "-.-", "L": ".-..", "M": "--", "N": "-.",
    "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.", "S": "...", "T": "-", "U": "..-",
    "V": "...-", "W": ".--", "X": "-..-", "Y": "-.--", "Z": "--..",
    "0": "-----", "1": ".----", "2": "..---", "3": "...--", "4": "....-", "5": ".....",
    "6": "-....", "7": "--...", "8": "---..", "9": "----.",
    ".": ".-.-.-", ",": "--..--", "?": "..--..", "'": ".----.", "!": "-.-.--", "/": "-..-.",
    "(": "-.--.", ")": "-.--.-", "&": ".-...", ":": "---...", ";": "-.-.-.", "=": "-...-",
    "+": ".-.-.", "-": "-....-", "_": "..--.-", '"': ".-..-.", "$": "...-..-", "@": ".--.-.",
}  # fmt: skip
_MORSE_REVERSE = {code: char for char, code in _MORSE.items()}


class _MorseTable(dict[int, str]):
    """Code point -> its Morse code and a space; a character without a code is kept."""

    def __missing__(self, key: int) -> str:
        return chr(key) + " "


_MORSE_TABLE = _MorseTable({ord(ch): code + " " for ch, code in _MORSE.items()})


def morse_encode(text: str) -> str:
    """Morse of the upper-cased text: letters separated by spaces, words by `` / ``."""
    return " / ".join([word.translate(_MORSE_TABLE)[:-1] for word in text.upper().split()])


def morse_decode(text: str) -> str:
    """Decode Morse written as letters separated by spaces and words by ``/``.

    Morse has one case and no code for most characters, so this returns the
    upper-cased original with whitespace runs collapsed to one space.
    """
    words = []
    for word in text.split("/"):
        words.append("".join(_MORSE_REVERSE.get(code, code) for code in word.split()))
    return " ".join(w for w in words if w)
