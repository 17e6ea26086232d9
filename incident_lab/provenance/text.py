"""The one text extraction for offsets, and the de-obfuscation applied before cue matching.

:func:`text_of_step` is what every consumer indexes into (span offsets, argument
locations). :func:`readable` turns an obfuscated piece of that text back into plain,
lower-case words, reusing the shared normaliser (invisible characters, encoded blobs)
and the disguise tables the variants' converters apply (homoglyphs, leetspeak, ROT13,
Caesar, reversal; :mod:`incident_lab.text`): an attack the variants generate is an
attack the analysis reads.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any

import re2

from incident_lab.text.disguise import (
    HOMOGLYPHS,
    LEET,
    protected_spans,
    reverse_text,
    rot13,
    shift_letters,
    unconfuse,
)
from incident_lab.text.lexicon import ACTION_VERBS
from incident_lab.text.normalize import (
    CHAR_REFERENCE,
    clean_invisible,
    decode_blobs,
    python_literal,
    unescape_one,
    without_surrogates,
)

#: Characters of one step's text that are analysed (offsets stay exact; the rest is not read).
MAX_SCAN = 200_000


def _stringify(value: Any, parts: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if parts and (joined := _part_texts(value, strict=False)) is not None:
        return joined
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)[:MAX_SCAN]


#: The keys of a content part that is only text (MCP's ``TextContent``, the chat APIs'), and
#: of the annotations it may carry (MCP's: who it is for, how important, when it changed).
_TEXT_PART_KEYS = frozenset(["type", "text", "annotations"])
_ANNOTATION_KEYS = frozenset(["audience", "priority", "lastModified"])


def _text_block(part: dict[str, Any]) -> bool:
    """A content part that is text and nothing a reader would see beside it: no key but
    ``type`` (``"text"``), ``text`` and MCP's annotations (rev-json34b N1: a ``note`` in
    ``annotations`` or a part's ``_meta`` was dropped)."""
    if part.get("type") != "text" or not part.keys() <= _TEXT_PART_KEYS:
        return False
    notes = part.get("annotations", {})
    return isinstance(notes, dict) and notes.keys() <= _ANNOTATION_KEYS


def _part_texts(value: Any, strict: bool) -> str | None:
    """The texts of a list of content parts joined by newlines: parts with a string
    ``text`` (a message's content); with ``strict``, parts that are text and nothing else
    (``"type": "text"``, no key a reader would see beside it: a tool's output). None when
    ``value`` is no such list."""
    if not isinstance(value, list) or not value or not all(isinstance(p, dict) for p in value):
        return None
    if strict and not all(_text_block(p) for p in value):
        return None
    texts = [p.get("text") for p in value]
    if not all(isinstance(t, str) for t in texts):
        return None
    return "\n".join(texts)  # type: ignore[arg-type,unused-ignore]


def text_of_step(step: Any) -> str:
    """Return the text of one trajectory step that offsets refer to.

    A message's ``content`` (a list of ``{"text": ...}`` parts is joined by newlines),
    a tool result's output as read (:func:`output_as_read`), a tool call's ``arguments`` as
    compact JSON (keys sorted), nothing for a safeguard. Bytes are decoded as UTF-8 (bad bytes become
    U+FFFD); other values become JSON. Never raises.
    """
    if not isinstance(step, dict):
        return ""
    kind = step.get("type")
    if kind == "message":
        return _stringify(step.get("content"))
    if kind == "tool_result":
        return output_as_read(step.get("output"))
    if kind == "tool_call":
        return _stringify(step.get("arguments"))
    return ""


#: A tool output written as a JSON document is parsed up to this many characters; a longer
#: one is read as it is written.
_JSON_READ_LIMIT = 2_000_000
#: The keys of an MCP ``CallToolResult`` that is its text blocks and nothing else
#: (``structuredContent`` or ``_meta`` beside them: the record is kept whole).
_TOOL_RESULT_KEYS = frozenset(["content", "isError"])
#: A ``\\uHHHH``, ``\\n``, ``\\r`` or ``\\t`` escape in JSON text (its backslash not itself
#: escaped: an even run of backslashes before it, taken from the run's start: linear).
#: A low surrogate's escape right after a ``\\u`` one is taken with it (a pair is one
#: character), in the same single pass.
_JSON_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)\\(?:u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?|([nrt]))"
)
_CONTROL = {"n": "\n", "r": "\r", "t": "\t"}


def output_as_read(value: Any) -> str:
    """A tool result's output as a reader (the model) reads it, the same text however a
    log wrote the result. What the tool returned as text is that text: an MCP
    ``CallToolResult`` of text blocks only (``content`` and ``isError``, each block
    ``"type": "text"`` and nothing a reader would see beside its text) or such a list of
    blocks, their texts joined by newlines, or a JSON string (a JSON string holding JSON is
    read again, up to :data:`_JSON_LEVELS` levels), whether stored parsed or as JSON text.
    Any other JSON object or array (written as text, or stored parsed: then as compact JSON,
    keys sorted) stays JSON in its layout, every key kept, so records read as records
    (``analysis._prose``), but its strings read as their characters
    (:func:`_readable_json`): a line break in a record's field is a line break, an
    ``ensure_ascii`` escape of "é" is "é", no obfuscation. A lone surrogate a decoded string
    holds is U+FFFD (:func:`~incident_lab.text.normalize.without_surrogates`: the pattern
    engine cannot read it). Anything else is :func:`_stringify`'s text."""
    if isinstance(value, str) and len(value) <= _READ_MEMO_CHARS:
        return _read_memo(value)  # the session view and the provenance view both read it
    return _output_as_read(value, 0)


def output_as_served(value: Any) -> str:
    """What a replayed tool serves for a recorded output that holds no payload: the tool's
    text when it returned text (an MCP result's text blocks joined, a JSON string's text), else
    the output as recorded (a record or a list as its JSON, stored parsed as compact JSON,
    keys sorted), so an agent under test that parses its tool's result parses what it
    parsed when the session was recorded (review rev-rec35b R1: a list of strings was
    served as lines, a field's JSON text as an object)."""
    recorded = value
    if isinstance(value, str):
        parsed = _json_document(value)
        if parsed is None:
            return value
        value = parsed[0]
        if isinstance(value, str):
            return without_surrogates(value)
    text = _tool_text(value)
    if text is not None:  # the tool's text as it gave it, not read again (rev36c H2)
        return without_surrogates(text)
    return recorded if isinstance(recorded, str) else _stringify(recorded, parts=False)


#: Outputs up to this length have their reading memoised (a JSON output is parsed once per
#: classification, not once per view; the same page read in many sessions, once).
_READ_MEMO_CHARS = 65_536


@lru_cache(maxsize=512)
def _read_memo(value: str) -> str:
    return _output_as_read(value, 0)


#: How many times JSON held in a JSON string (the whole output, or a record's field) is
#: read again: a log's record around a tool's record around a listing is three, and two
#: more leave room for a wrapper we have not seen.
_JSON_LEVELS = 5


def _output_as_read(value: Any, level: int) -> str:
    if isinstance(value, str):
        parsed = _json_document(value) if level < _JSON_LEVELS else None
        if parsed is None and _doubled_keys(value):
            return _readable_json(value)  # a record still, its escapes read (rev36d H1)
        if parsed is None:
            unescaped = _unescaped_html(value) if level < _JSON_LEVELS else None
            if unescaped is None:
                return _element_document(value, level) or _python_document(value, level) or value
            parsed = _json_document(unescaped) if level + 1 < _JSON_LEVELS else None
            if parsed is None:  # read once: "&amp;lt;" says "&lt;"
                return _python_document(unescaped, level + 1) or unescaped
            return _document_as_read(unescaped, parsed[0], level + 1)
        return _document_as_read(value, parsed[0], level)
    text = _text_of(value, level)
    if text is not None:
        return text
    if isinstance(value, dict | list):
        nested = _with_documents(value, level, sort_keys=True)
        return nested if nested is not None else _readable_json(_stringify(value, parts=False))
    return _stringify(value, parts=False)


def _document_as_read(written: str, value: Any, level: int) -> str:
    """The reading of a JSON text ``written`` that parses to ``value``."""
    if isinstance(value, str):
        return _output_as_read(without_surrogates(value), level + 1)
    text = _text_of(value, level)
    if text is not None:
        return text
    nested = (
        _with_documents(value, level, sort_keys=False) if _HOLDS_DOCUMENT.search(written) else None
    )
    return nested if nested is not None else _readable_json(written)


def _text_of(value: Any, level: int) -> str | None:
    """The reading of a parsed output that is a text in pieces (a list of strings: its
    lines) or a text handed over (:func:`_handed_text`: read again as any output is);
    None for any other value."""
    lines = _lines_of(value)
    if lines is not None:
        return lines
    text = _handed_text(value)
    return None if text is None else _output_as_read(without_surrogates(text), level + 1)


def _handed_text(value: Any) -> str | None:
    """The text a record only hands over: an MCP result's text blocks (:func:`_tool_text`)
    or a one-field wrapper's (:func:`_wrapped_text`); None for any other value."""
    text = _tool_text(value)
    return text if text is not None else _wrapped_text(value)


def _wrapped_text(value: Any) -> str | None:
    """The text of a record that only wraps one: one field, under a name that says nothing
    but "here it is" (:data:`_WRAPPER_KEYS`: ``{"result": "..."}``, as FastMCP writes a
    tool's plain return value and frameworks hand a result over), holding a string; None
    for any other value. A field named ``error`` or ``message`` says something, and is kept."""
    if isinstance(value, dict) and len(value) == 1:
        [(key, text)] = value.items()
        if isinstance(text, str) and isinstance(key, str) and key.lower() in _WRAPPER_KEYS:
            return text
    return None


#: The names of a record's one field that only hand its text over.
_WRAPPER_KEYS = frozenset(
    ["result", "results", "output", "content", "text", "data", "response", "body", "value",
     "return", "returns", "observation", "answer", "page", "document", "contents"]
)  # fmt: skip


def element_body(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of what ``text`` holds when all of it is one element a log writes a
    tool's result in (:data:`_ELEMENT_OPEN`: ``<tool_result>...</tool_result>``,
    ``<function_results>``, ``<output>``, ``<observation>``; white space around it allowed);
    None for any other text. Any other name may be an attacker's delimiter (``<system>``,
    ``<important>``, ``<IMPORTANT>``: review rev36a M1), and attributes (``<document
    source="...">``) say something."""
    head = _ELEMENT_OPEN.match(text, 0, _ELEMENT_EDGE)
    if head is None:
        return None
    end = len(text.rstrip())
    closing = f"</{head.group(1)}>"
    if not text.endswith(closing, head.end(), end):
        return None
    return head.end(), end - len(closing)


def _element_document(value: str, level: int) -> str | None:
    """The reading of a text that is one element (:func:`element_body`) around a JSON object
    or array, or a Python literal's ``repr`` of one: the document as it reads on its own
    (:func:`_document_as_read`), so a listing or a record reads the same inside the log's
    element as without it; None otherwise."""
    body = element_body(value) if level < _JSON_LEVELS else None
    if body is None:
        return None
    inner = value[body[0] : body[1]].strip()
    parsed = _json_document(inner)
    if parsed is None or not isinstance(parsed[0], dict | list):
        return _python_document(inner, level)
    return _document_as_read(inner, parsed[0], level)


def _unescaped_html(text: str) -> str | None:
    """``text`` with its HTML character references read (``&lt;`` ``&#39;`` ``&quot;``
    ``&amp;``), when it is text a log or a page wrote HTML-escaped: it holds a reference
    and no markup (no ``<`` or ``>``: in a page's source a reference is the page's, read
    as written). Only references closed by ``;`` are read, so a URL's ``&copy=2`` stays,
    and none of an ASCII letter or digit: no writer escapes those, a disguise does
    (:mod:`~incident_lab.provenance.evasion` reads it as one). None for any other text."""
    if "&" not in text or "<" in text or ">" in text:
        return None
    unescaped = CHAR_REFERENCE.sub(_character, text)
    return unescaped if unescaped != text else None


def _character(match: re.Match[str]) -> str:
    char = html.unescape(match.group())
    if char.isascii() and char.isalnum():
        return match.group()  # "&#73;&#103;...": letters written so hide (evasion)
    return char


def _python_document(value: str, level: int) -> str | None:
    """The reading of a text that is the ``repr`` of a Python dict or list
    (:func:`~incident_lab.text.normalize.python_literal`): the same record written as JSON
    reads (:func:`_document_as_read`). None for any other text, and for a literal JSON
    cannot write (bytes, sets, tuple keys)."""
    literal = python_literal(value) if level < _JSON_LEVELS else None
    if literal is None:
        return None
    try:
        written = json.dumps(literal[0], ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return _document_as_read(written, json.loads(written), level)


#: How far into a text the opening tag of an element around all of it may reach.
_ELEMENT_EDGE = 128
#: A bare opening tag at a text's start (white space before it) of an element logs and
#: agent frameworks write a tool's result in, its name.
_ELEMENT_OPEN = re.compile(
    r"\s{0,64}<((?:tool|function)[_-]?(?:results?|responses?|outputs?|call_results?|call_outputs?)"
    r"|results?|outputs?|observation|response)>",
    re.IGNORECASE,
)


#: A JSON string whose text opens with ``{`` or ``[`` (a document a field may hold), white
#: space or its escapes before it, as a JSON text writes it: the quick test before a
#: record's fields are walked.
_HOLDS_DOCUMENT = re.compile(r'"(?:[ \t\r\n]|\\[nrt])*[\[{]')


def _with_documents(value: Any, level: int, sort_keys: bool) -> str | None:
    """The reading of a record (``value``, a dict or list) one of whose string fields holds a
    JSON object or array: a tool that returns ``{"result": "<its JSON as text>"}``. The
    record is written as compact JSON (``sort_keys``: as a record stored parsed is) and each
    such field as that document is read (:func:`_document_as_read`, its own layout kept,
    up to :data:`_JSON_LEVELS` levels in all), so the document reads the same inside the
    record as on its own. None when no field holds one, or when the record cannot be
    written so (nested past the interpreter's depth, keys that do not sort): then it is
    read as written."""
    if level + 1 >= _JSON_LEVELS:
        return None
    found: list[bool] = []
    try:
        text = _write_reading(value, level, sort_keys, found)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if found else None


def _write_reading(value: Any, level: int, sort_keys: bool, found: list[bool]) -> str:
    if isinstance(value, str):
        inner = _record_of(value)
        lines = _lines_of(inner)
        if lines is not None:  # pieces of a text: the field holds that text
            found.append(True)
            return _readable_json(json.dumps(lines))
        if isinstance(inner, dict | list) and _handed_text(inner) is None:  # as JSON (rev36c M1)
            found.append(True)
            return _document_as_read(value, inner, level + 1)
        return _readable_json(json.dumps(value))
    if isinstance(value, dict):
        pairs = sorted(value.items()) if sort_keys else value.items()
        fields = (
            f"{_readable_json(json.dumps(str(k)))}: {_write_reading(v, level, sort_keys, found)}"
            for k, v in pairs
        )
        return "{" + ", ".join(fields) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_write_reading(v, level, sort_keys, found) for v in value) + "]"
    return json.dumps(value, default=str)


def _lines_of(value: Any) -> str | None:
    """The strings of a JSON array of strings, one a line: the pieces a retrieval or
    chunking tool returns (``["First paragraph.", "Second one."]``) are text, read as
    the page they were cut from; None for anything else, and for a list one of whose
    strings is itself a JSON record (read as JSON, its documents read in place)."""
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        return None
    if any(_record_of(v) is not None for v in value):
        return None  # a piece that is a record or a listing is read as one (rev-rec35b R2)
    return without_surrogates("\n".join(value))


def opens_like_json(text: str) -> bool:
    """Whether ``text`` opens as a JSON object or array does (white space before it
    allowed): the quick test before a text is parsed or read as a record."""
    return text[:64].lstrip()[:1] in ("{", "[")


def _record_of(text: str) -> dict[str, Any] | list[Any] | None:
    """``text`` parsed, when it is a JSON object or array (white space before it allowed);
    None otherwise."""
    if not opens_like_json(text):
        return None
    parsed = _json_document(text)
    return parsed[0] if parsed is not None and isinstance(parsed[0], dict | list) else None


def _tool_text(value: Any) -> str | None:
    """The text blocks of a tool's result (see :func:`output_as_read`), joined; None when it
    returned anything else."""
    if isinstance(value, dict) and value.keys() <= _TOOL_RESULT_KEYS:
        if not isinstance(value.get("isError", False), bool):
            return None  # an isError that is no flag is something to read
        value = value.get("content")
    return _part_texts(value, strict=True)


def _json_document(text: str) -> tuple[Any] | None:
    """``(value,)`` when ``text`` is one JSON object, array or string; None otherwise (or
    when it is too long or nested too deep to parse)."""
    head = text[:64].lstrip()
    if not head or head[0] not in '{["' or len(text) > _JSON_READ_LIMIT:
        return None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        return None
    return (value,) if isinstance(value, dict | list | str) else None


def _doubled_keys(text: str) -> bool:
    """Whether ``text`` is JSON that :func:`_json_document` refused only for a key written
    twice: read as written then, its escapes read as characters, never unwrapped."""
    if not opens_like_json(text) or len(text) > _JSON_READ_LIMIT:
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's fields, refused when a key is written twice: the parse keeps the
    last value and the model reads both, so such a text is read as written (review rev36c
    H1: ``{"result": "<injection>", "result": "Quarterly notes"}``)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError("a key written twice")
    return record


def _readable_json(text: str) -> str:
    """JSON ``text`` with the escapes inside its strings that a reader reads as characters
    written as them: ``\\n``, ``\\r``, ``\\t`` and ``\\uHHHH`` of a printable character (a
    surrogate pair joined). Escapes of quotes, backslashes and other control or format
    characters stay, so the text parses to the same value with ``json.loads(...,
    strict=False)`` (which takes a raw line break inside a string)."""
    if "\\" not in text:
        return text
    return _JSON_ESCAPE.sub(_unescape_printable, text)


def _unescape_printable(match: re.Match[str]) -> str:
    before, code, low, control = match.groups()
    if control:
        return before + _CONTROL[control]
    unit = int(code, 16)
    escape = match.group(0)[len(before) :]
    if low is None:
        return before + _printable(unit, escape)
    if 0xD800 <= unit <= 0xDBFF:  # a surrogate pair: one character
        char = chr(0x10000 + ((unit - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        return before + char if char.isprintable() else match.group(0)
    return before + _printable(unit, escape[:6]) + escape[6:]  # the low one alone stays


def _printable(unit: int, escape: str) -> str:
    """The character of one ``\\uHHHH`` escape, or the escape itself for a quote, a
    backslash, a control or format character, or half of a surrogate pair."""
    char = chr(unit)
    if char in '"\\' or not char.isprintable() or 0xD800 <= unit <= 0xDFFF:
        return escape
    return char


# ---- de-obfuscation ----------------------------------------------------------------------

_LEET_BACK = {ord(d): letter for letter, d in LEET.items() if letter != "l"}
_LEET_BACK.update({ord("@"): "a", ord("$"): "s"})
#: A whole word (a maximal run of ``[\w@$]``) that has a leet character: only these can change.
#: The look-behind starts a match only at a word's start, so a long word is scanned once.
_LEET_WORD = re.compile(r"(?<![\w@$])[\w@$]*[0134578@$][\w@$]*")
_LEET_DIGIT = re.compile(r"[0134578@$]")
_LEET_INSIDE = re.compile(r"[^\W\d_][0134578@$]{1,3}[^\W\d_]")
_UNIT_SUFFIX = re.compile(r"\d+(?:am|pm|st|nd|rd|th|k|m|kg|km|h|s|x|d|mb|gb|px|ms)", re.I)


#: Python's ``\s`` over ASCII (RE2's lacks ``\v`` and ``\x1c``-``\x1f``).
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def _ascii_re2(pattern: str) -> Any:
    """``pattern`` (Python ``re``) as an RE2 pattern that finds a match in ASCII text exactly
    when it does: ``(?<!\\S)`` and ``(?!\\S)`` become a space or the text's edge, ``\\s`` and
    ``\\S`` Python's ASCII whitespace (``\\w``, ``\\d``, ``\\b`` already agree on ASCII). For a
    yes/no search only: the look-arounds are consumed."""
    for python, ascii_re2 in (
        (r"(?<!\S)", f"(?:^|{_ASCII_SPACE})"),
        (r"(?!\S)", f"(?:{_ASCII_SPACE}|$)"),
        (r"\S", _ASCII_SPACE.replace("[", "[^", 1)),
        (r"\s", _ASCII_SPACE),
    ):
        pattern = pattern.replace(python, ascii_re2)
    return re2.compile(pattern)


#: Where a leet word can change (ASCII): a whole word of ``[\w@$]`` with a letter beside a
#: leet character (:func:`_unleet_word` turns a word to letters only when it has one); RE2's
#: leftmost match starts at the word's start and runs to its end, as :data:`_LEET_WORD`'s.
_LEET_CANDIDATE = re2.compile(rb"[\w@$]*(?:[A-Za-z][0134578@$]|[0134578@$][A-Za-z])[\w@$]*")
_SPACED = re.compile(r"(?<!\S)(?:[\w@.,:!?'-][ \t]){2,}\w[\w@.,:!?'-]?(?!\S)")
#: :data:`_SPACED` in RE2: whether an ASCII text has spaced-out letters at all.
_SPACED_ASCII = _ascii_re2(_SPACED.pattern)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

#: Function words of the six languages analysed; a text with none of them is not prose.
_STOP: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "to",
            "of",
            "you",
            "your",
            "is",
            "are",
            "this",
            "that",
            "for",
            "with",
            "please",
            "it",
            "be",
            "not",
            "in",
            "on",
            "all",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "sie",
            "du",
            "ich",
            "mit",
            "bitte",
            "dich",
            "dein",
            "ihre",
            "zu",
            "den",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "est",
            "pas",
            "vous",
            "tu",
            "je",
            "avec",
            "des",
            "une",
            "de",
            "pour",
            "votre",
            "ton",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "y",
            "es",
            "no",
            "usted",
            "tu",
            "yo",
            "con",
            "una",
            "por",
            "que",
            "de",
            "para",
            "su",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "gli",
            "e",
            "non",
            "tu",
            "io",
            "con",
            "una",
            "per",
            "che",
            "di",
            "sei",
            "tuo",
            "del",
            "dei",
            "della",
            "delle",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "a",
            "os",
            "as",
            "e",
            "nao",
            "voce",
            "eu",
            "com",
            "uma",
            "por",
            "que",
            "do",
            "da",
            "para",
            "seu",
            "sua",
        ]
    ),
}
_ALL_STOP = frozenset().union(*_STOP.values())


def plain_form(text: str) -> str:
    """The lower-case, accent-folded, whitespace-collapsed form of text with nothing to undo."""
    return " ".join((text.lower() if text.isascii() else _fold_accents(text)).split())


#: Letters NFKD leaves alone that read as ASCII ones ("ıgnore prevıous ınstructıons").
_DOTLESS = str.maketrans({"ı": "i", "ȷ": "j", "ł": "l", "đ": "d", "ø": "o", "ß": "ss"})


_HAS_DOTLESS = re.compile("[ıȷłđøß]")
#: A character :func:`~incident_lab.variants.characters.unconfuse` maps back: only a text
#: with one is translated (translating every character of a long text is slow).
_HAS_HOMOGLYPH = re.compile("[" + "".join(re.escape(c) for c in sorted(HOMOGLYPHS.values())) + "]")


def _unconfused(text: str) -> str:
    return unconfuse(text) if _HAS_HOMOGLYPH.search(text) else text


def _fold_accents(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", _unconfused(text))
    text = _COMBINING.sub("", text).casefold()
    return text.translate(_DOTLESS) if _HAS_DOTLESS.search(text) else text


def _unleet(text: str) -> str:
    """Fold leetspeak outside e-mail addresses, URLs and placeholders (the variants' protected spans)."""
    if not _LEET_DIGIT.search(text):
        return text
    spans = protected_spans(text)
    if not spans:
        return _unleet_words(text)
    out, last = [], 0
    for a, b in spans:
        out.append(_unleet_words(text[last:a]))
        out.append(text[a:b])
        last = b
    out.append(_unleet_words(text[last:]))
    return "".join(out)


def _unleet_words(text: str) -> str:
    """``_LEET_WORD.sub(_unleet_token, text)``: on ASCII text only the words
    :data:`_LEET_CANDIDATE` finds are read (RE2), the only ones :func:`_unleet_word` can
    change."""
    if not text.isascii():
        return _LEET_WORD.sub(_unleet_token, text)
    out, last = [], 0
    for m in _LEET_CANDIDATE.finditer(text.encode("ascii")):  # bytes: offsets as they are
        a, b = m.span()
        word = text[a:b]
        back = _unleet_word(word)
        if back != word:
            out.append(text[last:a])
            out.append(back)
            last = b
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _leet_run(token: str) -> bool:
    """Mostly leet digits with a letter ("4551574n7"): no 2, 6 or 9, which leetspeak never writes."""
    return (
        len(token) >= 3
        and sum(ch in "0134578" for ch in token) >= 2
        and any(ch.isalpha() for ch in token)
        and not any(ch in "269" for ch in token)
    )


def _unleet_token(match: re.Match[str]) -> str:
    return _unleet_word(match.group(0))


def _unleet_word(token: str) -> str:
    """A word (a maximal run of ``[\\w@$]``) with its leet characters read as letters when
    it is leetspeak, else as it is."""
    if token.isdecimal():  # a number has no letter for a leet digit to stand between
        return token
    # a digit between letters ("1gn0r3", "tr4nsf3r"), not a time or an ordinal ("3pm", "2nd")
    if (
        len(token) <= 24
        and (_LEET_INSIDE.search(token) or _leet_run(token))
        and not (_UNIT_SUFFIX.fullmatch(token))
    ):
        back = token.translate(_LEET_BACK)
        if back.isalpha():
            return back
    return token


def prose_ratio(text: str) -> float:
    """Share of the words of ``text`` that are function words of a known language."""
    words = text.split()
    if not words:
        return 0.0
    return sum(1 for w in words if w.strip(".,:;!?\"'()") in _ALL_STOP) / len(words)


#: Each function word with the languages it belongs to (``"la"``: fr, es).
_LANGS_OF: dict[str, tuple[str, ...]] = {
    w: tuple(lang for lang, stop in _STOP.items() if w in stop) for w in _ALL_STOP
}


def function_words(text: str) -> dict[str, int]:
    """How many function words of each language (``en de fr es it pt``) ``text`` has."""
    return function_word_counts(word_counts(text))


def word_counts(text: str) -> Counter[str]:
    """The words of ``text`` (lower case, outer punctuation stripped) with their counts, as
    :func:`function_words` reads them."""
    return Counter(w.strip(".,:;!?\"'()") for w in text.lower().split())


def function_word_counts(words: Counter[str]) -> dict[str, int]:
    """:func:`function_words` of a text whose :func:`word_counts` are ``words`` (a caller that
    reads the same words for other lists too counts them once)."""
    counts = {lang: 0 for lang in _STOP}
    for w, n in words.items():
        for lang in _LANGS_OF.get(w, ()):
            counts[lang] += n
    return counts


def guess_language(text: str) -> str | None:
    """The language (``en de fr es it pt``) whose function words ``text`` uses most, or None."""
    if len(text) <= _MEMO_CHARS:
        return _guess_language(text)
    return _guess_language.__wrapped__(text)


@lru_cache(maxsize=256)
def _guess_language(text: str) -> str | None:
    counts = function_words(text)
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] >= 2 else None


_LETTERS = re.compile(r"[^\W\d_]")
_MIN_SWITCH_WORDS = 5


_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def _script_share(text: str) -> float:
    """Share of the letters of ``text`` outside ASCII (another script: Cyrillic, Arabic, Han)."""
    if text.isascii():
        return 0.0
    letters = len(_LETTERS.findall(text))
    return (letters - len(_ASCII_LETTERS.findall(text))) / letters if letters else 0.0


@lru_cache(maxsize=256)
def _user_language(user_text: str) -> tuple[float, str, int]:
    """What :func:`language_switch` compares a unit with: the script share of the user's
    text, its language (most function words) and how many of that language's it has."""
    counts = function_words(user_text)
    lang = max(counts, key=lambda k: counts[k])
    return _script_share(user_text), lang, counts[lang]


_KEY_VALUE = re.compile(r"[\"']\s{0,2}[:=]\s{0,2}[\"'\[{\d]")
_QUOTES = frozenset("\"'`“”‘’«»")


def _prose_shaped(unit: str) -> bool:
    """Running text, not a record: mostly letters, few quotes ("{'Le Baratin': 'French'}" is
    data in any language)."""
    chars = [c for c in unit if not c.isspace()]
    if not chars or chars[0] in "{[(" or _KEY_VALUE.search(unit):
        return False
    letters = sum(1 for c in chars if c.isalpha())
    quotes = sum(1 for c in chars if c in _QUOTES)
    return letters >= 0.7 * len(chars) and quotes <= 4


def language_switch(unit: str, user_text: str) -> bool:
    """True when ``unit`` is prose in another language or script than ``user_text`` (the
    user's turns and the system prompt): see :func:`_language_switch`. Memoised for short
    texts (the same passages recur in the variants of one document, under one user task)."""
    if len(unit) + len(user_text) <= _MEMO_CHARS:
        return _language_switch_memo(unit, user_text)
    return _language_switch(unit, user_text)


@lru_cache(maxsize=8192)
def _language_switch_memo(unit: str, user_text: str) -> bool:
    return _language_switch(unit, user_text)


def _language_switch(unit: str, user_text: str) -> bool:
    """True when ``unit`` is prose in another language or script than ``user_text`` (the
    user's turns and the system prompt).

    Structure, no word list per language: the user writes a language this module knows
    (its function words), and ``unit`` has at least five words and almost none of that
    language's function words, or is mostly letters of another script while the user's
    are not. A number, a heading, a code line (fewer words), a record (quotes, digits,
    punctuation: ``{'Le Baratin': 'French'}``) is no switch.
    """
    if not _prose_shaped(unit):
        return False
    user_script, lang, user_count = _user_language(user_text)
    script = _script_share(unit)
    if script >= 0.5 and user_script < 0.2:
        return len(_LETTERS.findall(unit)) >= 8
    words = [w for w in unit.lower().split() if _LETTERS.search(w)]
    if user_count == 0 or len(words) < _MIN_SWITCH_WORDS:
        return False
    return function_words(unit)[lang] / len(words) < 0.05


#: ASCII text none of the de-obfuscation steps can change reads as itself, lower-cased.
_NEEDS_WORK = re.compile(
    r"\\[ux][0-9a-fA-F]{2}|[A-Za-z0-9+/_-]{16}|%[0-9A-Fa-f]{2}|[01]{8}[ \t]|[.-]{1,7} [.-]{1,7} [.-]"
    r"|[A-Za-z][0-9@$]|[0-9@$][A-Za-z]|(?<!\S)\S[ \t]\S[ \t]\S(?!\S)"
)
#: :data:`_NEEDS_WORK` in RE2, for the ASCII texts it is asked about (a yes/no test). Anchored
#: at the text's start, a lazy run before the first hit: a search stops there (a match that
#: ran on to the text's end was then scanned back for its start: 3x the time on the realistic
#: set's tool outputs), and a text dense with hits is still one match, not one per hit.
_NEEDS_WORK_ASCII = _ascii_re2(f"^(?s:.*?)(?:{_NEEDS_WORK.pattern})")
#: Text that tells the reader to decode something: only then are whole-text ciphers tried.
_CIPHER_WORDS = (
    "rot13", "rot-13", "caesar", "cipher", "backwards", "reverse", "decode", "decrypt", "encoded",
    "verschl", "chiffr", "cifrad", "cifrat",
)  # fmt: skip


def cipher_hint(text: str) -> bool:
    """True when ``text`` tells the reader to decode something: only then are ciphers tried."""
    lowered = text.lower()
    return any(word in lowered for word in _CIPHER_WORDS)


#: Texts up to this length have their :func:`readable` form memoised (the same span, answer
#: or sentence is read by several steps of the analysis); longer ones are not kept.
_MEMO_CHARS = 4096


def readable(text: str, ciphers: bool = True) -> tuple[str, tuple[str, ...]]:
    """Undo obfuscation; return lower-case plain text and what was undone.

    Steps: invisible characters (``hidden_text``), encoded blobs (``decoded:<kind>``),
    homoglyphs and accents, leetspeak (``decoded:leetspeak``), spaced-out letters,
    then (with ``ciphers``) whole-text ciphers (ROT13, Caesar, reversal) when the text
    is not prose but its decoding is. A pure function of its arguments; short texts'
    results are memoised.
    """
    if len(text) <= _MEMO_CHARS:
        return _readable_memo(text, ciphers)
    return _readable(text, ciphers)


@lru_cache(maxsize=2048)
def _readable_memo(text: str, ciphers: bool) -> tuple[str, tuple[str, ...]]:
    return _readable(text, ciphers)


def clear_memo() -> None:
    """Forget the memoised readable forms, output readings and user languages (benchmarks
    measure cold runs)."""
    _readable_memo.cache_clear()
    _read_memo.cache_clear()
    _user_language.cache_clear()
    _guess_language.cache_clear()
    _language_switch_memo.cache_clear()


def plain_unless_obfuscated(text: str) -> str | None:
    """``readable(text, ciphers=False)[0]`` when de-obfuscation undoes nothing in ``text``
    and joins no spaced-out letters (a short join sets no ``decoded:spacing`` cue, but a
    unit read as itself would miss the word it spells); None as soon as one step would (the
    remaining steps are skipped: a caller that only needs to know whether anything is
    obfuscated does not pay for all of them)."""
    out, undone = _readable(text, False, stop=True)
    return None if undone else out


def _readable(text: str, ciphers: bool, stop: bool = False) -> tuple[str, tuple[str, ...]]:
    """:func:`readable`; with ``stop``, return ``("", undone)`` at the first step that undoes
    something (its ``decoded:<kind>`` is then just ``decoded``)."""
    if text.isascii() and _NEEDS_WORK_ASCII.search(text) is None:
        plain = " ".join(text.lower().split())  # \s and str.split() agree on whitespace
        if not ciphers or len(plain) < 12 or prose_ratio(plain) >= 0.08:
            if _may_play(plain, ciphers):
                return _word_games(plain, ciphers, stop)
            return plain, ()
    undone: list[str] = []
    cleaned = _unhidden(text, undone)
    if stop and undone:
        return "", tuple(undone)
    decoded = _decode(cleaned)
    if decoded != cleaned:
        if stop:
            return "", ("decoded",)
        undone.append(f"decoded:{_blob_kind(cleaned)}")
    folded = _folded(decoded, undone)
    unleet = _unleet(folded)
    if unleet != folded and _leet_changed(folded, unleet):
        undone.append("decoded:leetspeak")
    if stop and undone:
        return "", tuple(undone)
    out = _unspaced(unleet, ciphers, undone)
    if stop and (undone or out != " ".join(unleet.split())):
        # a short spaced-out word ("I g n o r e") is no ``decoded:spacing`` cue, but the text
        # still reads otherwise undone: a caller must not read it as itself
        return "", tuple(undone) or ("decoded",)
    return out, tuple(undone)


def _unhidden(text: str, undone: list[str]) -> str:
    """``text`` with escapes undone and invisible characters removed (noted in ``undone``)."""
    unescaped = _unescape(text)
    if unescaped != text:
        undone.append("decoded:unicode_escape")
        text = unescaped
    cleaned = clean_invisible(text)
    if cleaned != text:
        undone.append("hidden_text")
        if _TAG_RUN.search(text) is not None:
            # a tag-character run is its own word: "Normal text" + hidden "Ignore" is not
            # "textignore"
            cleaned = clean_invisible(_TAG_RUN.sub(lambda m: f" {m.group(0)} ", text))
    return cleaned


_TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")


def _folded(decoded: str, undone: list[str]) -> str:
    """``decoded`` lower-cased, accents and homoglyphs folded (noted in ``undone``)."""
    if not decoded.isascii():
        folded = _fold_accents(decoded)
        if _unconfused(decoded) != decoded:
            undone.append("decoded:homoglyph")
        return folded
    return decoded.lower()


_SPACED_WORD = re.compile(r"\S+")
_SPACED_PIECE = re.compile(r"[\w@.,:!?'-]")
_SPACED_LAST = re.compile(r"\w[\w@.,:!?'-]?")


def _despaced(text: str) -> str:
    """``_SPACED.sub`` with the spaces and tabs taken out of each match, in linear time.

    ``_SPACED`` in Python's engine tries every word start again after a failed run, so a
    long run of spaced pieces that never ends in a letter (``", , , … €"``) cost
    quadratic time (160 KB: 212 s). Here the text is read once as words: a match is a run
    of at least two one-character pieces, each followed by one space or tab, and a last
    word of a letter (or digit) and at most one piece — the longest such run from the
    earliest word, as the greedy pattern takes it; where a run has no such last word, no
    word inside it starts a match either (a property test compares the two).
    """
    words = [(m.start(), m.end()) for m in _SPACED_WORD.finditer(text)]
    out: list[str] = []
    done, i, n = 0, 0, len(words)
    while i < n:
        run = i  # words i..run-1: pieces, each followed by one space or tab, then word run
        while (
            run + 1 < n
            and words[run][1] - words[run][0] == 1
            and _SPACED_PIECE.fullmatch(text, *words[run])
            and words[run + 1][0] - words[run][1] == 1
            and text[words[run][1]] in " \t"
        ):
            run += 1
        last = next(
            (j for j in range(run, i + 1, -1) if _SPACED_LAST.fullmatch(text, *words[j])), None
        )
        if last is None:
            i = max(run, i + 1)
            continue
        start, end = words[i][0], words[last][1]
        out.append(text[done:start])
        out.append(text[start:end].replace(" ", "").replace("\t", ""))
        done, i = end, last + 1
    out.append(text[done:])
    return "".join(out)


def _unspaced(unleet: str, ciphers: bool, undone: list[str]) -> str:
    """Spaced-out letters joined, whitespace collapsed, and (with ``ciphers``) a whole-text
    cipher undone when the text is not prose (each noted in ``undone``)."""
    out = unleet
    if not unleet.isascii() or _SPACED_ASCII.search(unleet) is not None:
        out = _despaced(unleet)
    if len(out) < len(unleet) - 8:
        undone.append("decoded:spacing")
    out = " ".join(out.split())
    if ciphers and len(out) >= 12 and prose_ratio(out) < 0.08:
        out, cipher = _uncipher(out)
        if cipher:
            undone.append(f"decoded:{cipher}")
            return out
    if not _may_play(out, ciphers):
        return out
    played, games = _word_games(out, ciphers)
    undone.extend(games)
    return played


def _may_play(plain: str, ciphers: bool) -> bool:
    """The cheap necessary condition of :func:`_word_games` changing ``plain``."""
    return (
        plain.count("ay") >= 3
        or ("first" in plain and "of e" in plain)
        or (ciphers and any(map(plain.__contains__, _RUN_CIPHER_WORDS)))
    )


def _unescape(text: str) -> str:
    """``\\u0049\\u0067...`` (or ``\\x..``) written out in the text, turned into the characters;
    an escape escaped again (``\\\\u0049``: a JSON string holding the escape, as a tool
    listing serialises a description) read the same."""
    if "\\u" in text or "\\x" in text:
        return _ESCAPE.sub(_unescape_match, _ESCAPED_TWICE.sub("\\\\", text))
    return text


#: Backslashes before an escape's ``u``/``x`` and its hex digits: the escape escaped again.
#: Tried from a run's first backslash only, so a long run that is no escape costs its length once.
_ESCAPED_TWICE = re.compile(r"(?<!\\)\\{2,}(?=x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")


def _unescape_match(match: re.Match[str]) -> str:
    """A ``\\x41`` escape as its character; ``\\u0041`` ones as :func:`unescape_one` reads
    them (a surrogate pair joined, a lone surrogate dropped)."""
    if match.group(1):
        return chr(int(match.group(1), 16))
    return unescape_one(match)


def _uncipher(text: str) -> tuple[str, str | None]:
    """A whole-text cipher (ROT13, a Caesar shift, reversal) whose decoding is prose: the
    decoded text and the cipher's name, else ``(text, None)``. Prose means function words
    are 15 % of the words and either the text opens with an instruction verb or has three
    different function words: 25 shifts and a reversal make a short function word by chance,
    even repeatedly (Albanian "te" is "do" shifted by 10, and "et" backwards)."""
    for name, candidate in (
        ("rot13", rot13(text)),
        ("caesar", _best_shift(text, 0.15)),
        ("reverse", reverse_text(text)),
    ):
        if (
            candidate is not None
            and prose_ratio(candidate) >= 0.15
            and (_opens_instruction(candidate) or _distinct_stops(candidate) >= 3)
        ):
            return candidate, name
    return text, None


def _best_shift(text: str, least: float) -> str | None:
    """The Caesar decoding of ``text`` (any of the 25 shifts) with the most function words,
    when they make at least ``least`` of its words; else None. The shift is chosen on the
    first 40 words (bounded cost), the whole text decoded once."""
    words = [w.strip(".,:;!?\"'()") for w in text.split()[:40]]
    # function words have at most seven letters: only those words are shifted per try
    short = " ".join(w for w in words if 0 < len(w) <= 7)
    best, best_ratio = 0, least
    for shift in range(1, 26) if short and words else ():
        ratio = _stop_count(shift_letters(short, shift)) / len(words)
        if ratio >= best_ratio and (best == 0 or ratio > best_ratio):
            best, best_ratio = shift, ratio
    if best == 0:
        return None
    decoded = shift_letters(text, best)
    return decoded if prose_ratio(decoded) >= least else None


# ---- word games inside prose: pig latin, a ciphered run, an acrostic -----------------------

#: Three or more pig-latin words in a row ("ignoreway allway eviouspray"): every word ends in
#: "ay". Bounded words and gaps: linear time.
_PIG_RUN = re.compile(r"(?<![a-z])[a-z]{1,24}ay(?:[ ,;:]{1,3}[a-z]{1,24}ay){2,}(?![a-z])")
#: The same run found by RE2 (no look-arounds): the first look, on texts with "ay" three times.
_PIG_SEEN = re2.compile(r"(?:^|[^a-z])[a-z]{1,24}ay(?:[ ,;:]{1,3}[a-z]{1,24}ay){2}(?:[^a-z]|$)")

_VOWELS = frozenset("aeiou")
#: Two-letter English onsets a pig-latin word moved to its end ("eviouspray" -> "previous").
_ONSETS = frozenset(
    ("bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "kn", "ph", "pl", "pr", "qu",
     "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "sw", "th", "tr", "tw", "wh", "wr")
)  # fmt: skip
#: Words that name a letter cipher in the passage that holds the ciphered run (a blob's
#: "decode" is not enough to try 25 shifts on every run of words).
_RUN_CIPHER_WORDS = ("caesar", "cipher", "shift", "rot", "backward", "reverse")
#: A run of three to forty lower-case words (a ciphered instruction inside prose).
_WORD_RUN = re.compile(r"(?<![\w@.])[a-z]{2,20}(?:[ ,]{1,2}[a-z]{1,20}){2,39}(?![\w@])")
#: "take the first letter of each word: <words>" (an acrostic and the words that carry it).
_ACROSTIC = re.compile(
    r"\bfirst (?:letter|character)s? of (?:each|every) (?:word|line)s?[ \t]{0,2}[:\"'-][^a-z\n]{0,6}"
    r"((?:[a-z]{1,24}[ ,]{1,2}){3,39}[a-z]{1,24})"
)


def _word_games(plain: str, ciphers: bool, stop: bool = False) -> tuple[str, tuple[str, ...]]:
    """``plain`` with pig-latin runs, (with ``ciphers``) a Caesar-shifted or reversed run of
    no language, and an announced acrostic decoded, and what was undone. Cheap tests first:
    most text has no "ay" three times and no cipher or acrostic hint."""
    undone: list[str] = []
    out = plain
    if out.count("ay") >= 3 and _PIG_SEEN.search(out) is not None:
        unpigged = _PIG_RUN.sub(_unpig_run, out)
        if unpigged != out:
            out = unpigged
            undone.append("decoded:pig_latin")
    if ciphers and any(map(out.__contains__, _RUN_CIPHER_WORDS)):
        unciphered = _WORD_RUN.sub(_unciphered_run, out)
        if unciphered != out:
            out = unciphered
            undone.append("decoded:caesar")
    if "first" in out and "of e" in out:
        m = _ACROSTIC.search(out)
        if m is not None:
            initials = "".join(w[0] for w in m.group(1).replace(",", " ").split())
            out = f"{out[: m.end()]} ({initials}) {out[m.end() :]}".rstrip()
            undone.append("decoded:acrostic")
    if stop and undone:
        return "", tuple(undone)
    return out, tuple(undone)


def _unpig_word(word: str) -> str:
    """One pig-latin word back: a vowel-initial word lost its "way"; otherwise the last one
    or two letters before "ay" (two when they form an onset: "pr", "th") return to the front."""
    if word.endswith("way") and len(word) > 3 and word[0] in _VOWELS:
        return word[:-3]
    stem = word[:-2]
    cut = 2 if len(stem) > 2 and stem[-2:] in _ONSETS else 1
    return stem[-cut:] + stem[:-cut] if len(stem) > 1 else word


def _unpig_run(match: re.Match[str]) -> str:
    """A pig-latin run decoded when the decoding reads as an instruction or prose (an opening
    instruction verb, or two function words of two letters or more) and the run did not
    ("relay today; stay away" decodes to "lre dto; ts a": no)."""
    run = match.group(0)
    decoded = _LOWER_WORD.sub(lambda w: _unpig_word(w.group(0)), run)
    if _stop_count(run) == 0 and (_stop_count(decoded, 2) >= 2 or _opens_instruction(decoded)):
        return decoded
    return run


_LOWER_WORD = re.compile(r"[a-z]+")


def _unciphered_run(match: re.Match[str]) -> str:
    """A run of words none of which is a function word, decoded when one Caesar shift (or
    reading it backwards) makes a quarter of its words function words and it opens with an
    instruction verb (override or action); else unchanged."""
    run = match.group(0)
    if not _ALL_STOP.isdisjoint(run.replace(",", " ").split()):
        return run
    for candidate in (_best_shift(run, 0.25), reverse_text(run)):
        if (
            candidate is not None
            and prose_ratio(candidate) >= 0.25
            and _opens_instruction(candidate)
        ):
            return candidate
    return run


def _opens_instruction(text: str) -> bool:
    """Whether ``text`` opens with an instruction verb (an override or an action)."""
    head = text.split(maxsplit=1)
    return bool(head) and head[0].strip(",.:;") in _INSTRUCTION_VERBS


def _distinct_stops(text: str) -> int:
    """How many different function words ``text`` has."""
    return len(_ALL_STOP.intersection(w.strip(".,:;!?\"'()") for w in text.split()))


def _stop_count(text: str, shortest: int = 1) -> int:
    """How many words of ``text`` (of at least ``shortest`` letters) are function words."""
    words = (w.strip(".,:;!?\"'()") for w in text.split())
    return sum(1 for w in words if len(w) >= shortest and w in _ALL_STOP)


#: Verbs an instruction opens with: the override verbs and the single-word action verbs.
_INSTRUCTION_VERBS = frozenset(
    ("ignore", "disregard", "forget", "override", "bypass", "reveal", "print", "repeat", "show")
    + tuple(v for verbs in ACTION_VERBS.values() for v in verbs if v.isalpha())
)


_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})|\\u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?")
#: The size of the pieces :func:`_decode` reads a long text in.
_PIECE = 2048


def _pieces(text: str, size: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``size`` characters, at whitespace where possible."""
    out, start = [], 0
    while len(text) - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut + 1 if cut != -1 else start + size
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


def _decode(text: str) -> str:
    """:func:`~incident_lab.text.normalize.decode_blobs` in bounded pieces (cut at whitespace
    where possible, so a blob is decoded whole). The normaliser's patterns are linear (its
    percent-decoding one starts only where a run of URL characters starts); the pieces
    bound the work each decoded blob adds. A ``%`` is read as it is: blanking it, as this
    did while that pattern was quadratic, broke base85 blobs, whose alphabet has it."""
    if len(text) <= _PIECE:
        return decode_blobs(text)
    return _decode_in_pieces(text, _PIECE)


def _decode_in_pieces(text: str, size: int) -> str:
    if len(text) <= size:
        return decode_blobs(text)
    return "".join(decode_blobs(piece) for piece in _pieces(text, size))


def _leet_changed(before: str, after: str) -> bool:
    """True when leet-folding changed at least two words (one 'gpt-4' is not leetspeak)."""
    a, b = before.split(), after.split()
    return sum(1 for x, y in zip(a, b, strict=False) if x != y) >= 2


_KIND_CHECKS = (
    ("ascii85", re.compile(r"<~[!-u \t]{5,4000}~>")),
    ("url", re.compile(r"(?:%[0-9A-Fa-f]{2}[\w.~+-]{0,20}){3}")),
    ("base85", re.compile(r"[!#$%&()*;<>?@^`{|}~][\w!#$%&()*;<>?@^`{|}~+-]{19}")),
    ("hex", re.compile(r"(?:[0-9A-Fa-f]{2}){8}")),
    ("binary", re.compile(r"[01]{8}[ \t][01]{8}")),
    ("url", re.compile(r"%[0-9A-Fa-f]{2}")),
    ("morse", re.compile(r"[.-]{1,7} [.-]{1,7} [.-]{1,7}")),
    ("base32", re.compile(r"(?<![A-Za-z0-9+/])[A-Z2-7]{16,}={0,6}(?![a-z0-9+/])")),
)


def _blob_kind(text: str) -> str:
    for kind, pattern in _KIND_CHECKS:
        if pattern.search(text):
            return kind
    return "base64"
