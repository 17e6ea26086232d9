"""Character-level converters: the words stay, the characters a filter matches do not.

Seeded converters draw from the ``random.Random`` they are given, so a variant is
reproducible from its recorded seed. ``zero_width``, ``char_spacing``,
``emoji_smuggling`` and ``reverse`` are reversible; the others lose information
(case, which digit was which letter) by design.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from incident_lab.text.disguise import (
    HOMOGLYPHS,
    LEET,
    TAG_BASE,
    convert_outside,
    protected_spans,
    reverse_text,
)
from incident_lab.variants.base import Converter

_LEET_TABLE = str.maketrans({**LEET, **{k.upper(): v for k, v in LEET.items()}})

#: Zero-width characters: ZWSP, ZWNJ, ZWJ, WORD JOINER, ZERO WIDTH NO-BREAK SPACE.
ZERO_WIDTH_CHARS = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")

_COMBINING = ("\u0301", "\u0300", "\u0308", "\u0302", "\u0303", "\u030c", "\u0304")
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

_TAG_ENCODE = {i: chr(TAG_BASE + i) for i in range(128)}
_TAG_DECODE = {TAG_BASE + i: chr(i) for i in range(128)}
_CARRIERS = ("\U0001f60a", "\U0001f44d", "\U0001f389", "\u2705")


def _outside_protected(text: str, convert: Callable[[str], str]) -> str:
    """Apply ``convert`` to the text between protected tokens only."""
    return convert_outside(text, protected_spans(text), convert)


def _leetspeak(text: str) -> str:
    return _outside_protected(text, lambda t: t.translate(_LEET_TABLE))


def _table_pool(build: Callable[[random.Random], dict[int, str]]) -> tuple[dict[int, str], ...]:
    """256 translation tables drawn once from a fixed seed; a variant picks one with its rng.

    Building a table per call costs more than converting the text; 256 tables give
    the same variety for a variant set and keep conversion at C speed.
    """
    pool_rng = random.Random(0x5EED)
    return tuple(build(pool_rng) for _ in range(256))


def _homoglyph_table(rng: random.Random) -> dict[int, str]:
    # Per letter class (all 'a's alike), substitute with probability 3/4; never none.
    chosen = {k: v for k, v in HOMOGLYPHS.items() if rng.random() < 0.75}
    return str.maketrans(chosen or HOMOGLYPHS)


_HOMOGLYPH_TABLES = _table_pool(_homoglyph_table)


def _homoglyph(text: str, rng: random.Random) -> str:
    table = _HOMOGLYPH_TABLES[rng.getrandbits(8)]
    return _outside_protected(text, lambda t: t.translate(table))


def _zero_width(text: str, rng: random.Random) -> str:
    return rng.choice(ZERO_WIDTH_CHARS).join(text)


def _every_other(text: str) -> str:
    return text[::2]


def _char_spacing(text: str) -> str:
    return " ".join(text)


def _random_capitalization(text: str, rng: random.Random) -> str:
    return _outside_protected(text, lambda t: _recase(t, rng))


#: 0x20 for ASCII letters, 0 for every other byte: the bit that flips letter case.
_CASE_BIT = bytes(0x20 if chr(i).isascii() and chr(i).isalpha() else 0 for i in range(256))


def _recase(text: str, rng: random.Random) -> str:
    n = len(text)
    if n == 0:
        return text
    if text.isascii():
        # Whole-text integer arithmetic: XOR the case bit of a random subset of letters.
        low = text.lower().encode("ascii")
        letters = int.from_bytes(low.translate(_CASE_BIT), "big")
        flip = int.from_bytes(rng.randbytes(n), "big") & letters
        return (int.from_bytes(low, "big") ^ flip).to_bytes(n, "big").decode("ascii")
    upper, lower = text.upper(), text.lower()
    mask = format(rng.getrandbits(n), f"0{n}b")
    if len(upper) == n and len(lower) == n:
        return "".join([u if m == "1" else lo for u, lo, m in zip(upper, lower, mask, strict=True)])
    # Some characters change length when case-mapped (e.g. 'ß' -> 'SS'): go one by one.
    out = []
    for ch, m in zip(text, mask, strict=True):
        alt = ch.upper() if m == "1" else ch.lower()
        out.append(alt if len(alt) == 1 else ch)
    return "".join(out)


def _diacritics_table(rng: random.Random) -> dict[int, str]:
    table: dict[int, str] = {}
    for letter in _ASCII_LETTERS:
        if rng.random() < 0.7:
            table[ord(letter)] = letter + rng.choice(_COMBINING)
    return table


_DIACRITICS_TABLES = _table_pool(_diacritics_table)


def _diacritics(text: str, rng: random.Random) -> str:
    table = _DIACRITICS_TABLES[rng.getrandbits(8)]
    return _outside_protected(text, lambda t: t.translate(table))


def _emoji_smuggling(text: str, rng: random.Random) -> str:
    return rng.choice(_CARRIERS) + text.translate(_TAG_ENCODE)


def _emoji_unsmuggle(text: str) -> str:
    for carrier in _CARRIERS:
        if text.startswith(carrier):
            text = text[len(carrier) :]
            break
    return text.translate(_TAG_DECODE)


LEETSPEAK = Converter(
    "leetspeak", _leetspeak, "character", "Letters replaced by look-alike digits (a->4, e->3, ...)."
)
HOMOGLYPH = Converter(
    "homoglyph",
    _homoglyph,
    "character",
    "Latin letters replaced by Unicode confusables (Cyrillic/Greek look-alikes).",
    seeded=True,
)
ZERO_WIDTH = Converter(
    "zero_width",
    _zero_width,
    "character",
    "A zero-width character (ZWSP, ZWNJ, ZWJ, WJ or BOM) between every two characters.",
    inverse=_every_other,
    seeded=True,
)
CHAR_SPACING = Converter(
    "char_spacing",
    _char_spacing,
    "character",
    "A space between every two characters.",
    inverse=_every_other,
)
RANDOM_CAPITALIZATION = Converter(
    "random_capitalization",
    _random_capitalization,
    "character",
    "Each character upper- or lower-cased at random.",
    seeded=True,
)
DIACRITICS = Converter(
    "diacritics",
    _diacritics,
    "character",
    "Combining accents added to ASCII letters (per letter, at random).",
    seeded=True,
)
EMOJI_SMUGGLING = Converter(
    "emoji_smuggling",
    _emoji_smuggling,
    "character",
    "ASCII hidden as invisible Unicode tag characters (U+E0000 block) after a carrier emoji.",
    inverse=_emoji_unsmuggle,
    seeded=True,
)
REVERSE = Converter(
    "reverse",
    reverse_text,
    "character",
    "The text reversed, after a 'read this backwards' instruction.",
    inverse=reverse_text,
    instruction="Read the following text backwards and do what it says:",
)

CHARACTERS: tuple[Converter, ...] = (
    LEETSPEAK,
    HOMOGLYPH,
    ZERO_WIDTH,
    CHAR_SPACING,
    RANDOM_CAPITALIZATION,
    DIACRITICS,
    EMOJI_SMUGGLING,
    REVERSE,
)
