"""Text normalisation that undoes the variant converters before matching.

A blast-radius search must find the incident's payload in production logs even
when an attacker re-sent it base64-encoded, with Cyrillic look-alike letters,
zero-width characters between every letter, in leetspeak or spaced out. This
module maps all of those back to one canonical form:

0. **JSON escapes** (``\\u200b``, ``\\u0430``) in text that is itself JSON are undone.
1. **Invisible characters**: Unicode tag characters (U+E0000 block, used to smuggle
   ASCII after an emoji) are decoded back to ASCII; zero-width and other format
   characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM, bidi controls, variation
   selectors, soft hyphen) are removed.
2. **Encoded blobs** are decoded in place (up to :data:`MAX_DECODE_ROUNDS` rounds,
   so a base64 of a hex blob decodes too): hex, base64 (standard and URL-safe),
   base32, percent-encoding, 8-bit binary groups, Morse code, Ascii85 (``<~...~>``) and
   base85 (RFC 1924, Python's ``b85encode``). A blob is replaced only when it decodes
   to printable UTF-8 text.
3. **Tokens**: redaction placeholders (``<EMAIL_2>``) and the values they stand for
   (an e-mail address, a URL) become the same word (``email``, ``url``), so a
   redacted scenario matches raw production logs.
4. **Folding**: compatibility decomposition (NFKD: full-width and mathematical
   letters), combining marks dropped (diacritics), confusable Cyrillic/Greek
   letters mapped to Latin, case folded, leetspeak digits mapped to letters
   (``4→a 3→e 1→i 0→o 5→s 7→t 8→b``; ``l`` folds with ``i``, as leetspeak writes both
   as ``1``), and finally everything but letters and digits removed (any script:
   a Cyrillic or Chinese payload keeps its letters), which also undoes character
   spacing and punctuation tricks.

The same function is applied to the signature and to every scanned session, so
folding that loses information (``l``/``i``) loses it on both sides alike.
Ciphers that no normalisation can undo without knowing the key (ROT13, Caesar,
reversed text) are handled on the signature side instead: the signature indexes
the payload under those transforms too (see :mod:`incident_lab.blast.signature`).
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import re2

from incident_lab.text.disguise import HOMOGLYPHS, LEET, TAG_BASE, morse_decode

#: How many nested encodings are undone (base64 of hex of the payload is 2).
MAX_DECODE_ROUNDS = 3
_MIN_PRINTABLE = 0.85

# Tag block: U+E0020..U+E007E carry ASCII; U+E0001 (LANGUAGE TAG) and U+E007F (CANCEL) carry nothing.
_TAGS = {TAG_BASE + i: chr(i) for i in range(0x20, 0x7F)}
_TAGS.update({TAG_BASE + 0x01: None, TAG_BASE + 0x7F: None})  # type: ignore[dict-item]
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)

_TAG_CHARS = re.compile("[\U000e0000-\U000e007f]")
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])")
_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
# Starts only where a run of URL characters starts: a later start inside the same run
# matches iff the run's start does (the leading class absorbs the difference), so the
# matches are the same, and the scan is linear instead of quadratic in a long run.
_URL = re.compile(r"(?<![A-Za-z0-9._~+-])[A-Za-z0-9._~+-]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~+-]*){3,}")
_B32 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9+/=_-])")
#: Ascii85 between its delimiters, on one line.
_A85 = re.compile(r"<~[!-u \t]{5,4000}?~>")
#: A run of the base85 alphabet (RFC 1924) of 30 characters or more (24 bytes: an e-mail's
#: local part and domain are shorter) holding a character base64 has not: a base64 or
#: base32 run is the other decoders' (see :func:`_b85`).
_B85 = re.compile(r"(?<![0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-])[0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]{30,}")
_NOT_B64 = re.compile(r"[!#$%&()*;<>?@^`{|}~]")
_BINARY = re.compile(r"(?<![01])(?:[01]{8}[ \t]+){3,}[01]{8}(?![01])")
_MORSE = re.compile(r"(?<![.\w-])(?:[.-]{1,7}(?: / | ))+[.-]{1,7}(?![.\w-])")
_MORSE_MIN_CODES = 6
#: An HTML character reference closed by ``;`` (named, decimal or hexadecimal): one that
#: is not closed (a URL's ``&copy=2``) is not read as one.
CHAR_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")

_PLACEHOLDER = re.compile(r"<([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*?)_\d+>")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_WEB = re.compile(r"https?://[^\s<>\"')\]]+")

# Confusables: the variants' own table, plus common Greek/Cyrillic look-alikes it lacks.
_EXTRA_CONFUSABLES = {
    "\u03b1": "a", "\u03b2": "b", "\u03b5": "e", "\u03b7": "n", "\u03b9": "i", "\u03ba": "k",
    "\u03bd": "v", "\u03bf": "o", "\u03c1": "p", "\u03c4": "t", "\u03c5": "u", "\u03c7": "x",
    "\u0432": "b", "\u043a": "k", "\u043c": "m", "\u043d": "h", "\u0442": "t", "\u0433": "r",
    "\u0440": "p", "\u0455": "s", "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u04cf": "l",
    "\u0261": "g", "\u0131": "i", "\u0269": "i", "\u1d0f": "o",
}  # fmt: skip
_CONFUSABLES = {ord(v): k.lower() for k, v in HOMOGLYPHS.items()}
_CONFUSABLES.update({ord(k): v for k, v in _EXTRA_CONFUSABLES.items()})
# Leetspeak: digits (and symbols) back to letters; 'l' joins 'i' because both leet to '1'.
_LEET_FOLD = {ord(digit): letter for letter, digit in LEET.items() if letter not in "l"}
_LEET_FOLD.update({ord("l"): "i", ord("@"): "a", ord("$"): "s"})
_NOT_ALNUM = re.compile(r"[\W_]+")
_DROP_BUT_LEET = re.compile(r"(?:[^\w@$]|_)+")
_HAS_CONFUSABLE = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in sorted(_CONFUSABLES)) + "]"
).search
# Combining marks (diacritics) left by NFKD: the blocks accents and marks come from.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


#: A right-to-left override (U+202E) and what it governs: up to the pop (U+202C) or the end
#: of the line, where a bidi embedding ends (no nesting: a second override inside is dropped
#: with the other format characters).
_RLO_RUN = re.compile("\u202e([^\u202c\n\r\u2029]*)")


#: How a ``repr`` of a dict or list of strings opens: a quote after the bracket(s).
_PYTHON_OPEN = re.compile(r"\s{0,64}[\[{](?:\s{0,8}[\[{(]){0,4}\s{0,8}['\"]")
#: The longest ``repr`` read as a literal (Python's parser is far slower than JSON's:
#: review rev36b M2, about 1 s and 100 MB for 200 KB).
PYTHON_LITERAL_LIMIT = 32_768


def python_literal(text: str) -> tuple[dict[Any, Any] | list[Any]] | None:
    """``(value,)`` when ``text`` is exactly the ``repr`` of a Python dict or list (of
    strings, numbers, booleans, None, tuples, nested): how AgentDojo writes a tool's
    output and a framework that logs ``str(result)`` writes a record. Parsed with
    :func:`ast.literal_eval` (no name is looked up, nothing runs), and only when writing
    the value again gives the text back: a comment or a repeated key, which the parse
    drops and the model still reads, makes it no literal (review rev36b H1). None for
    any other text, or one longer than :data:`PYTHON_LITERAL_LIMIT`."""
    if len(text) > PYTHON_LITERAL_LIMIT or not _PYTHON_OPEN.match(text):
        return None
    written = text.strip()
    if written[-1:] not in ("}", "]"):
        return None
    try:
        value = ast.literal_eval(written)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, dict | list) or repr(value) != written:
        return None
    return (value,)


def _both_readings(match: re.Match[str]) -> str:
    """A right-to-left override's run in both orders: as stored (what a model and a shell
    read) and as displayed (what a person sees: U+202E then "noitcurtsni lla erongI" is
    shown "Ignore all instructions"); an attack may hide in either (review rev-small34 B1:
    the stored order alone was read before, the displayed order alone missed the other)."""
    run = match.group(1)
    return f"{run}\n{run[::-1]}" if run.strip() else run


def clean_invisible(text: str) -> str:
    """Decode Unicode tag characters to ASCII, read a right-to-left override's run in both
    orders (as stored and as displayed), and drop zero-width/format characters."""
    if text.isascii() or _INVISIBLE.search(text) is None:
        return text
    if _TAG_CHARS.search(text) is not None:
        text = text.translate(_TAGS)
    if "\u202e" in text:
        text = _RLO_RUN.sub(_both_readings, text)
    return _INVISIBLE.sub("", text)


def _printable(text: str) -> bool:
    if not text:
        return False
    good = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return good / len(text) >= _MIN_PRINTABLE


def _utf8(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _printable(text) else None


def _hex(match: re.Match[str]) -> str | None:
    return _utf8(binascii.unhexlify(match.group(0)))


def _b64(match: re.Match[str]) -> str | None:
    return _b64_text(match.group(0))


def _b64_text(text: str) -> str | None:
    blob = text.rstrip("=")
    if len(blob) % 4 == 1:
        return None
    padded = blob + "=" * (-len(blob) % 4)
    try:
        if "-" in blob or "_" in blob:
            data = base64.urlsafe_b64decode(padded)
        else:  # base64.b64decode(padded, validate=True) without its wrapper's checks
            data = binascii.a2b_base64(padded, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return _utf8(data)


def _b32(match: re.Match[str]) -> str | None:
    blob = match.group(0).rstrip("=")
    if len(blob) % 8 in (1, 3, 6):
        return None
    try:
        data = base64.b32decode(blob + "=" * (-len(blob) % 8))
    except (binascii.Error, ValueError):
        return None
    return _utf8(data)


def _a85(match: re.Match[str]) -> str | None:
    try:
        data = base64.a85decode(match.group(0), adobe=True, ignorechars=b" \t")
    except (binascii.Error, ValueError):
        return None
    return _utf8(data)


#: The base85 alphabet (RFC 1924), each character's value.
_B85_VALUE = {
    c: i
    for i, c in enumerate(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
    )
}


def _b85_head_is_text(blob: str) -> bool:
    """Whether the first four bytes the blob encodes could start text (printable ASCII, a
    blank or UTF-8): most runs that are no base85 (an e-mail's local part and domain) fail
    here, before the whole run is decoded."""
    n = 0
    for c in blob[:5]:
        n = n * 85 + _B85_VALUE[c]
    if n >= 1 << 32:
        return False
    return all((b >= 0x20 and b != 0x7F) or b in (9, 10, 13) for b in n.to_bytes(4, "big"))


def _b85(match: re.Match[str]) -> str | None:
    return _b85_text(match.group(0))


def _b85_text(blob: str) -> str | None:
    if _NOT_B64.search(blob) is None or not _b85_head_is_text(blob):
        return None  # all base64 characters (hex, base64, base32, a long word), or no text
    try:
        data = base64.b85decode(blob)
    except (binascii.Error, ValueError):
        return None
    return _utf8(data)


def _url(match: re.Match[str]) -> str | None:
    if "%" not in match.group(0):
        return None
    try:
        text = unquote(match.group(0), errors="strict")
    except UnicodeDecodeError:  # "%FF%FE%FD" is no UTF-8: the blob stays as it is
        return None
    return text if _printable(text) else None


def _binary(match: re.Match[str]) -> str | None:
    return _utf8(bytes(int(group, 2) for group in match.group(0).split()))


def _morse(match: re.Match[str]) -> str | None:
    blob = match.group(0)
    if len(blob.replace("/", " ").split()) < _MORSE_MIN_CODES:
        return None
    return morse_decode(blob)


# Cheap necessary conditions, so a decoder's pattern runs only on text it could match:
# a hex blob is a run of 16+ characters of the base64 alphabet; a percent-encoded one
# has a '%'; a binary one has 8 bits then a blank; Morse has a code, a gap, a code.
_RUN16 = re.compile(r"[A-Za-z0-9+/_-]{16}").search
_BITS = re.compile(r"[01]{8}[ \t]").search
_CODES = re.compile(r"[.-](?: / | )[.-]").search


def _always(text: str) -> bool:
    return True


def _has_percent(text: str) -> bool:
    return "%" in text


# A test for one character is a memchr; for two or more it is a slower scan of every
# position. Each gate below asks for its rarest character first (the answers are the same).


def _has_a85(text: str) -> bool:
    return "<" in text and "<~" in text


_B32_RUN = re.compile(r"[A-Z2-7]{16}").search
_B85_CHAR = re.compile(r"[!#$%&()*;<>?@^`{|}~]").search

#: ``(could match, pattern, decode)`` per decoder, in the order they run.
_DECODERS: tuple[
    tuple[Callable[[str], object], re.Pattern[str], Callable[[re.Match[str]], str | None]], ...
] = (
    (_RUN16, _HEX, _hex),
    (_always, _B64, _b64),
    (_B32_RUN, _B32, _b32),
    (_has_percent, _URL, _url),
    (_BITS, _BINARY, _binary),
    (_CODES, _MORSE, _morse),
    (_has_a85, _A85, _a85),
    (_B85_CHAR, _B85, _b85),
)


def _substitute(pattern: re.Pattern[str], decode: object, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = decode(match)  # type: ignore[operator]
        return match.group(0) if decoded is None else f" {decoded} "

    return pattern.sub(replace, text)


# Hex and base64 blobs live inside maximal runs of the base64 alphabet (with '='): a
# run's neighbours are outside the alphabet, hence not hex either, so both patterns
# behave on a run alone exactly as on the whole text. One scan finds the runs.
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{16,}")


def _rare(text: str) -> bool:
    """Binary or Morse could match: the text holds 8 bits then a blank (``_BITS``) or a
    code, a gap, a code (``_CODES``). ASCII text is mapped to its classes ('0' for a
    bit, '.' for a Morse sign, blanks and '/' kept, everything else 'x') and the two
    conditions become four substring tests on one translated copy."""
    if not text.isascii():
        return _BITS(text) is not None or _CODES(text) is not None
    mapped = text.encode("ascii").translate(_RARE_MAP)
    # Both bit needles start with eight '0's and both Morse needles hold ' .': one scan
    # for each shared part first (most text has neither), the whole needles only then.
    return (b"00000000" in mapped and (b"00000000 " in mapped or b"00000000\t" in mapped)) or (
        b" ." in mapped and (b". ." in mapped or b". / ." in mapped)
    )


_RARE_MAP = bytes(
    ord("0")
    if chr(b) in "01"
    else ord(".")
    if chr(b) in ".-"
    else b
    if chr(b) in " \t/"
    else ord("x")
    for b in range(256)
)


# Hex digits become 'h', every other byte 'x': a hex blob needs 16 'h' in a row.
_HEX_MAP = bytes(ord("h") if chr(b) in string.hexdigits else ord("x") for b in range(256))
_SIXTEEN_HEX = b"h" * 16


def _hex_b64_token(run: str) -> str:
    """``_B64.sub(_b64, _HEX.sub(_hex, run))`` on one run of the base64 alphabet.

    The common shapes are answered without the regex scans: a run is one hex blob when
    it is all hex digits of even length (the lookarounds admit no other hex match in
    it), holds none when no 16 hex digits are adjacent, and is one base64 blob exactly
    when it is 16+ characters without '=' followed by at most two '=' (every position
    but the run's start follows a character of the alphabet, which the lookbehind
    refuses). A run with a hex blob inside, or one that decodes, takes the regexes.
    """
    kinds = run.encode("ascii").translate(_HEX_MAP)
    if _SIXTEEN_HEX in kinds and (
        b"x" in kinds or (len(run) % 2 == 0 and _utf8(binascii.unhexlify(run)) is not None)
    ):
        return _substitute(_B64, _b64, _substitute(_HEX, _hex, run))
    blob = run.rstrip("=")
    if len(blob) < 16 or len(run) - len(blob) > 2 or "=" in blob:
        return run
    decoded = _b64_text(run)
    return run if decoded is None else f" {decoded} "


def _run_token(run: str) -> str:
    """One run of the base64 alphabet decoded: hex and base64 (:func:`_hex_b64_token`),
    then base32 (its alphabet is inside base64's) where 16 of its characters are adjacent."""
    run = _hex_b64_token(run)
    return _substitute(_B32, _b32, run) if _B32_RUN(run) else run


def _hex_b64_run(match: re.Match[str]) -> str:
    return _run_token(match.group(0))


# ASCII text: the runs are found with byte operations (translate, find) instead of a
# regex scan: every byte of the alphabet becomes 'a', every other byte a blank.
_RUN_MAP = bytes(
    ord("a") if chr(b) in string.ascii_letters + string.digits + "+/=_-" else ord(" ")
    for b in range(256)
)
_SIXTEEN = b"a" * 16


def _hex_b64(text: str) -> str:
    """``_B64_RUN.sub(_hex_b64_run, text)``, with byte operations for ASCII text."""
    if not text.isascii():
        return _B64_RUN.sub(_hex_b64_run, text)
    return _replace_runs(text, _RUN_MAP, _SIXTEEN, _run_token)


_B85_MAP = bytes(ord("a") if chr(b) in _B85_VALUE else ord(" ") for b in range(256))
_THIRTY = b"a" * 30


def _base85_runs(text: str) -> str:
    """``_substitute(_B85, _b85, text)``: a match is a maximal run of 30 or more characters
    of the alphabet, found for ASCII text with byte operations instead of a regex scan."""
    if not text.isascii():
        return _substitute(_B85, _b85, text)
    return _replace_runs(text, _B85_MAP, _THIRTY, _b85_token)


def _b85_token(run: str) -> str:
    decoded = _b85_text(run)
    return run if decoded is None else f" {decoded} "


def _replace_runs(
    text: str, alphabet: bytes, shortest: bytes, convert: Callable[[str], str]
) -> str:
    """Each maximal run of an alphabet's characters at least ``len(shortest)`` long, replaced
    by ``convert(run)``; ``alphabet`` maps every byte of it to ``a``, every other to a blank
    (ASCII text only: the runs are found with ``translate`` and ``find``, no regex scan)."""
    mapped = text.encode("ascii").translate(alphabet)
    pos = mapped.find(shortest)
    if pos < 0:
        return text
    pieces: list[str] = []
    last = 0
    while pos >= 0:
        start = mapped.rfind(b" ", 0, pos) + 1
        end = mapped.find(b" ", pos)
        end = len(mapped) if end < 0 else end
        pieces.append(text[last:start])
        pieces.append(convert(text[start:end]))
        last = end
        pos = mapped.find(shortest, end)
    pieces.append(text[last:])
    return "".join(pieces)


def decode_blobs(text: str, rounds: int = MAX_DECODE_ROUNDS) -> str:
    """Replace hex, base64, base32, percent-encoded, binary, Morse, Ascii85 and base85 blobs
    by their decoded text.

    Equal to running every decoder's substitution in :data:`_DECODERS` order each
    round (a property test checks it); decoders that cannot match are skipped, and
    hex and base64 run only on the runs of the base64 alphabet that could hold them.

    Args:
        text: Any text (cleaned of invisible characters first, see :func:`clean_invisible`).
        rounds: How many nested encodings to undo.

    Returns:
        The text with each decodable blob replaced (blobs that do not decode to
        printable UTF-8 are left as they are).
    """
    for _ in range(rounds):
        before = text
        text = _hex_b64(text)
        if "%" in text and text.count("%") >= 3:  # the pattern needs three escapes
            text = _substitute(_URL, _url, text)
        if _rare(text):
            for could_match, pattern, decode in _DECODERS[4:6]:
                if could_match(text):
                    text = _substitute(pattern, decode, text)
        if _has_a85(text):
            text = _substitute(_A85, _a85, text)
        if _B85_CHAR(text):
            text = _base85_runs(text)
        text = clean_invisible(text)
        if text == before:
            break
    return text


# Every character an e-mail match can hold (local part, '@', domain) becomes 'a', any
# other ' ': a match lies inside one run of 'a' holding an '@' (a *segment*).
_EMAIL_MAP = bytes(
    ord("a") if chr(b) in string.ascii_letters + string.digits + "._%+-@" else ord(" ")
    for b in range(256)
)


def _emails(text: str) -> str:
    """``_EMAIL.sub(" email ", text)``, with the pattern run on the segments only (ASCII).

    The same matches: the pattern holds only segment characters and needs an '@', so
    no match crosses a segment's edge or lies outside one; the character before a
    segment is none of the lookbehind's, as the start of a string is none; and the
    scan resumes after each match as it would in the whole text. The pattern then
    scans a few characters around each '@' instead of every position of the text.
    """
    if not text.isascii():
        return _EMAIL.sub(" email ", text)
    mapped = text.encode("ascii").translate(_EMAIL_MAP)
    pieces: list[str] = []
    last = 0
    at = text.find("@")
    while at >= 0:
        start = mapped.rfind(b" ", 0, at) + 1
        end = mapped.find(b" ", at)
        end = len(text) if end < 0 else end
        pieces.append(text[last:start])
        pieces.append(_EMAIL.sub(" email ", text[start:end]))
        last = end
        at = text.find("@", end)
    pieces.append(text[last:])
    return "".join(pieces)


def _tokens(text: str) -> str:
    if "<" in text:
        text = _PLACEHOLDER.sub(lambda m: f" {m.group(1).lower()} ", text)
    if "@" in text:
        text = _emails(text)
    if "/" in text and "://" in text:
        text = _WEB.sub(" url ", text)
    return text


def fold(text: str) -> str:
    """Fold case, accents, confusables and leetspeak; keep only letters and digits.

    Args:
        text: Text already cleaned and decoded.

    Returns:
        A string of lower-case letters and digits (ASCII for Latin-script text).
    """
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_FOLD, _ASCII_DROP).decode("ascii")
    # _fold_unicode, with each step skipped or shortened when provably a no-op:
    # translating only text that holds a confusable, and dropping what folds to
    # nothing before the leet map (it maps only '@' and '$' among such characters),
    # after which the text is often ASCII and takes the byte table.
    if _HAS_CONFUSABLE(text):
        text = text.translate(_CONFUSABLES)
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    if _HAS_CONFUSABLE(text):
        text = text.translate(_CONFUSABLES)
    text = _DROP_BUT_LEET.sub("", text.casefold())
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")
    return text.translate(_LEET_FOLD)


def alnum_only(text: str) -> str:
    """``text`` with every character ``str.isalnum`` rejects taken out, in one pass
    (``[\\W_]``: ``\\w`` is ``isalnum`` plus ``_`` on every code point, a test checks)."""
    return _NOT_ALNUM.sub("", text)


def _fold_unicode(text: str) -> str:
    """The folding as specified, step by step (what :func:`fold` computes faster)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_CONFUSABLES))
        text = _COMBINING.sub("", text).translate(_CONFUSABLES)
    text = text.casefold().translate(_LEET_FOLD)
    return _NOT_ALNUM.sub("", text)


# ASCII text folds character by character, so a byte table does it in one pass:
# the bytes that fold to nothing are dropped, the others mapped to what they fold to.
_ASCII_DROP = bytes(b for b in range(128) if not _fold_unicode(chr(b)))
_ASCII_FOLD = bytes(ord(_fold_unicode(chr(b)) or chr(b)) if b < 128 else b for b in range(256))


_JSON_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?")


def unescape_one(match: re.Match[str]) -> str:
    """One match of a ``\\u0041``-style escape (or two adjacent ones) as its character: a
    surrogate pair joined (``\\ud83c\\udf55`` is one emoji), a lone surrogate dropped (no
    regex engine that encodes to UTF-8 takes it: RE2 raised and took a detector down, review
    rev-pf S1)."""
    raw = match.group(0)
    units = [int(raw[i + 2 : i + 6], 16) for i in range(0, len(raw), 6)]
    try:
        return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be")
    except UnicodeDecodeError:  # two unrelated escapes, or a lone surrogate
        return "".join(chr(u) if not 0xD800 <= u <= 0xDFFF else "" for u in units)


#: A UTF-16 surrogate code point: half of a pair, never a character of its own.
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with each surrogate code point (a lone ``\\ud800`` a JSON parser let through)
    replaced by U+FFFD, one for one, so offsets into it stay right and RE2, which encodes
    its input as UTF-8, can read it (review rev-pf S1: one such character switched off the
    injection and drift detectors for the whole session)."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


#: A JSON string literal as a JSON text writes it (its escapes taken pairwise: linear, rev36e
#: H3; no raw line break), the same as a record's reading writes it (a line break inside:
#: :func:`~incident_lab.provenance.text.output_as_read`), and the colon that makes the
#: literal before it a key.
_JSON_LITERAL = re2.compile(r'"(?:[^"\\\n]|\\.)*"')
_READ_LITERAL = re2.compile(r'"(?s:[^"\\]|\\.)*"')
_KEY_AFTER = re.compile(r"[ \t\r\n]{0,64}:")


def json_literals(text: str, read: bool = False) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, is_key)`` of each JSON string literal in ``text``, quotes included, in
    order: the strings of a record as written, or (``read``) as its reading writes them, line
    breaks raw. A lone surrogate is read as U+FFFD for the scan, one character for one, so
    offsets stay right."""
    pattern = _READ_LITERAL if read else _JSON_LITERAL
    for m in pattern.finditer(without_surrogates(text)):
        yield m.start(), m.end(), _KEY_AFTER.match(text, m.end()) is not None


def string_inside(inside: str, strict: bool = True) -> str | None:
    """What the inside of a JSON string literal says (its escapes read; a raw line break
    allowed unless ``strict``), or None when it is no valid literal's inside (a piece cut
    in an escape)."""
    try:
        text = json.loads(f'"{inside}"', strict=strict)
    except ValueError:
        return None
    return text if isinstance(text, str) else None


def surrogates_replaced(value: Any) -> Any:
    """``value`` (a trajectory, or any JSON-like data) with every string passed through
    :func:`without_surrogates`; the same object when nothing changes, else a copy of the
    containers that hold a changed string. JSON parsers let a lone ``\\ud800`` through, and
    one such character in any field used to take detectors down or raise out of classify
    (review rev-pf S1); the classifier and ``add`` read trajectories through this.
    Iterative, so a deeply nested value does not exhaust the stack."""
    if isinstance(value, str):
        return without_surrogates(value)
    if not isinstance(value, dict | list) or not _may_hold_surrogates(value):
        return value
    return _replace_in_containers(value)


#: How deep :func:`nesting_capped` keeps containers: far past any real session's nesting,
#: far short of the interpreter's stack.
NESTING_LIMIT = 100


def nesting_capped(value: Any, limit: int = NESTING_LIMIT) -> Any:
    """``value`` (a trajectory, or any JSON-like data) with each dict, list or tuple nested
    more than ``limit`` levels deep replaced by its scalar leaves joined into one string
    (:func:`_leaves_joined`: a payload nested thousands deep is still read); the same object
    when none is. ``str()`` or a recursive walk of a value thousands of levels deep raises
    RecursionError (the readers refuse such JSON; a library caller may still pass it): the
    classifier and the provenance view read such a session through this. Iterative, like
    :func:`surrogates_replaced`."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= limit:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, _NESTED))
    else:
        return value
    root: list[Any] = [None]
    todo: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while todo:
        node, parent, key, depth = todo.pop()
        if not isinstance(node, _NESTED):
            parent[key] = node
        elif depth < limit:
            copy: Any = dict.fromkeys(node) if isinstance(node, dict) else [None] * len(node)
            parent[key] = copy
            items = node.items() if isinstance(node, dict) else enumerate(node)
            todo.extend((child, copy, k, depth + 1) for k, child in items)
        else:
            parent[key] = _leaves_joined(node)
    return root[0]


#: The containers :func:`nesting_capped` walks (a library caller may pass tuples: a
#: too-deep one raises as a list does; a copied one becomes a list, as JSON reads it).
_NESTED = (dict, list, tuple)


def _leaves_joined(node: Any) -> str:
    """The scalar leaves under ``node`` (dict values, list and tuple items; not None), in
    order, one space between: what :func:`nesting_capped` reads a too-deep container as.
    Iterative, so any depth is read."""
    out: list[str] = []
    stack: list[Any] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, _NESTED):
            children = item.values() if isinstance(item, dict) else item
            stack.extend(reversed(list(children)))
        elif item is not None:
            out.append(item if isinstance(item, str) else str(item))
    return " ".join(out)


def _may_hold_surrogates(value: dict[Any, Any] | list[Any]) -> bool:
    """Whether ``value`` may hold a surrogate: its JSON text (C speed, a fifth of the walk's
    cost) has one, or it is no plain JSON (then the walk decides)."""
    try:
        text = json.dumps(value, ensure_ascii=False, check_circular=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        return True
    return not text.isascii() and _SURROGATE.search(text) is not None


def _replace_in_containers(root: dict[Any, Any] | list[Any]) -> dict[Any, Any] | list[Any]:
    """The walk of :func:`surrogates_replaced` over containers: each container's changed
    copy (or itself) is known once its children are; built bottom-up with an explicit stack."""
    done: dict[int, Any] = {}
    entered: set[int] = set()  # a container met again before it is done closes a cycle
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done or (not expanded and id(node) in entered):
            continue  # a reference cycle (Python data, not JSON) is kept as it is
        children = node.values() if isinstance(node, dict) else node
        if not expanded:
            entered.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, dict | list))
            continue
        done[id(node)] = _rebuilt(node, done)
    return done[id(root)]


def _rebuilt(node: dict[Any, Any] | list[Any], done: dict[int, Any]) -> Any:
    """``node`` itself when no child changed, else a copy with the changed children."""

    def new(child: Any) -> Any:
        if isinstance(child, str):
            return without_surrogates(child)
        return done.get(id(child), child) if isinstance(child, dict | list) else child

    if isinstance(node, dict):
        pairs = [(new(k) if isinstance(k, str) else k, new(v)) for k, v in node.items()]
        if all(k is k2 and v is v2 for (k, v), (k2, v2) in zip(node.items(), pairs, strict=True)):
            return node
        return dict(pairs)
    items = [new(c) for c in node]
    return node if all(a is b for a, b in zip(node, items, strict=True)) else items


def unescape_json(text: str) -> str:
    """Undo ``\\uXXXX`` escapes (tool outputs are often JSON text written with
    ``ensure_ascii``: a zero-width or homoglyph payload then arrives escaped)."""
    if "\\" not in text or "\\u" not in text:
        return text
    return _JSON_ESCAPE.sub(unescape_one, text)


def normalize(text: str) -> str:
    """Return the canonical matching form of ``text`` (see the module docstring).

    Example:
        >>> normalize("I g n o r e  previous instructions") == normalize("1gn0r3 PREVIOUS instructions!")
        True
    """
    # Invisible characters go first as well: one inside an escape (``\\u\u200b0041``) would
    # otherwise keep the escape from being undone.
    return fold(_tokens(decode_blobs(clean_invisible(unescape_json(clean_invisible(text))))))
