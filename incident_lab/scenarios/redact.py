"""Redaction: secrets and personal data become format-preserving surrogates before anything lands.

A :class:`Redactor` replaces each value :func:`incident_lab.pii.find` reports with a
deterministic surrogate of the same shape (an e-mail address on a reserved domain, a
Luhn-valid card in a test range, an IBAN with a valid checksum, ...; the table is in
:mod:`incident_lab.pii`). The same value always gets the same surrogate within one
redactor, so a scenario built from a redacted trajectory still means the same: the
attacker's address in the injected document, in the recorded ``send_email`` call and in
the derived expectation is the one surrogate, and a real model replaying the scenario
sees an attack as realistic as the original.

Redaction is idempotent (a surrogate is never reported by the detectors) and complete
with respect to them: :func:`find_secrets` finds nothing in redacted text. The report
counts replacements per kind; :meth:`Redactor.surrogates` lists the surrogates handed
out, never an original value.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from typing import Any

from incident_lab.pii import KINDS as _PII_KINDS
from incident_lab.pii import Surrogates, is_secret_key, secret_value
from incident_lab.pii import find as find_secrets
from incident_lab.provenance.text import element_body
from incident_lab.text.normalize import (
    CHAR_REFERENCE,
    json_literals,
    python_literal,
)

#: Matches a placeholder older versions wrote, e.g. ``<EMAIL_12>`` (scenarios from before
#: surrogates still carry them).
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*)_(\d+)>")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _decoded(literal: str) -> str | None:
    """A JSON string literal's text, or None when it is no valid literal."""
    try:
        value = json.loads(literal, strict=False)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _escaped_as(new: str, written: str) -> str:
    """``new`` HTML-escaped with the references ``written`` uses for quotes (``html.escape``
    writes ``&#x27;`` and ``&quot;``, markupsafe and Jinja2 ``&#39;`` and ``&#34;``: rev36e H2)."""
    out = html.escape(new)
    if "&#39;" in written:
        out = out.replace("&#x27;", "&#39;")
    if "&#34;" in written:
        out = out.replace("&quot;", "&#34;")
    return out


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, new)`` of ``edits`` (in order, apart) made."""
    if not edits:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, new in edits:
        parts += [text[pos:start], new]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


#: How many texts held in texts (JSON in a JSON string, a repr in a field) are redacted
#: as read: as deep as the analysis reads (:data:`~incident_lab.provenance.text._JSON_LEVELS`
#: is five; rev36d: a repr three wrappers deep was read, not redacted).
_DEPTH = 4

#: Spaces that show as a space and that a value may be written with (``&nbsp;``).
_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


class _Reading:
    """A text as its HTML character references spell it (:data:`CHAR_REFERENCE`), and where
    each offset of that reading is written in the text."""

    def __init__(self, written: str, refs: list[re.Match[str]]) -> None:
        self.written, self.refs = written, refs
        pieces: list[str] = []
        self.read_at: list[int] = []  # where each reference's characters open in the reading
        self.read_len: list[int] = []
        pos = shift = 0
        for m in refs:
            char = html.unescape(m.group())
            pieces += [written[pos : m.start()], char]
            self.read_at.append(m.start() + shift)
            self.read_len.append(len(char))
            shift += len(char) - (m.end() - m.start())
            pos = m.end()
        pieces.append(written[pos:])
        self.text = "".join(pieces)

    @classmethod
    def of(cls, text: str) -> _Reading | None:
        """The reading of ``text``, or None when it holds no reference."""
        if "&" not in text or ";" not in text:
            return None
        refs = list(CHAR_REFERENCE.finditer(text))
        return cls(text, refs) if refs else None

    def at(self, at: int) -> int:
        """Where the reading's offset ``at`` is written (a reference before it whole)."""
        k = bisect.bisect_right(self.read_at, at - 1) - 1
        if k < 0:
            return at
        return self.refs[k].end() + max(at - self.read_at[k] - self.read_len[k], 0)

    def edit(self, edits: list[tuple[int, int, str]]) -> str:
        """The written text with ``edits`` of the reading made where they are written."""
        return _edited(self.written, [(self.at(a), self.at(b), new) for a, b, new in edits])


#: Every kind the redactor knows, in detection order.
KINDS: tuple[str, ...] = tuple(k.name for k in _PII_KINDS)

#: Kinds whose disclosure is harmful wherever the value came from (credentials and cards).
SECRET_KINDS = frozenset(k.name for k in _PII_KINDS if k.category == "credential") | {"CARD"}


class Redactor:
    """Replace secrets and personal data with stable, format-preserving surrogates.

    One instance holds the value-to-surrogate mapping; use the same instance for
    every part of one scenario so the same value gets the same surrogate. With
    ``style="placeholder"`` values become ``<EMAIL_1>``-style placeholders instead (for
    pages and tickets a human reads).

    Example:
        >>> r = Redactor()
        >>> r.redact_text("mail bob@corp.com, cc BOB@corp.com")
        'mail alex.1@example.com, cc alex.1@example.com'
        >>> r.report()
        {'EMAIL': 2}
    """

    def __init__(self, *, style: str = "surrogate") -> None:
        if style not in ("surrogate", "placeholder"):
            raise ValueError(f"unknown redaction style {style!r}")
        self._surrogates = Surrogates(placeholders=style == "placeholder")

    def redact_text(self, text: str, depth: int = 0) -> str:
        """Return ``text`` with every detected value replaced by its surrogate: as written,
        as its HTML character references spell it (:meth:`_references`), and in a JSON
        record's text, what it holds as read (:meth:`_json_edits`)."""
        if not text:
            return text
        if self._surrogates.placeholders and "<" in text:
            # Placeholders already in the input keep their numbers; new values count on.
            for m in PLACEHOLDER.finditer(text):
                self._surrogates.reserve(m.group(1), int(m.group(2)))
        text = self._python_literal(text, depth)
        text = self._references(text, depth)
        # A replacement can join text into a new match (rarely): repeat until stable.
        for _ in range(4):
            edits = self._found(text)
            if not edits:
                break
            text = _edited(text, edits)
        return _edited(text, self._json_edits(text, depth))

    def _found(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, surrogate)`` of each value the detectors find in ``text``, a
        no-break space read as the space it shows (rev36a M2: ``+34&nbsp;612...``)."""
        probe = text.translate(_SPACES)
        return [
            (f.start, f.end, self._surrogates.surrogate(f.kind, probe[f.start : f.end]))
            for f in find_secrets(probe)
        ]

    def _python_literal(self, text: str, depth: int) -> str:
        """``text`` redacted as the record it writes when it is the ``repr`` of a Python dict
        or list (:func:`~incident_lab.text.normalize.python_literal`, as the analysis reads
        it: rev36b M1): each string redacted as read (a value written with ``\\xa0``, a field
        under a credential key, JSON text in a field), written again by ``repr``, which
        gives the text back where nothing was found."""
        if depth > _DEPTH:
            return text
        body = element_body(text)  # a repr in a log's <tool_result>: that repr
        if body is not None:
            inner = text[body[0] : body[1]].strip()
            at = text.index(inner, body[0]) if inner else body[0]
            redacted = self._python_literal(inner, depth + 1)  # one level each (rev36e M1)
            return text if redacted == inner else text[:at] + redacted + text[at + len(inner) :]
        literal = python_literal(text)
        if literal is None:
            return text
        replaced = sum(self._surrogates.counts.values())
        redacted = self._obj(literal[0], depth + 1)
        # as written when nothing was replaced (its tuples are not lists: rev36c L1)
        return text if sum(self._surrogates.counts.values()) == replaced else repr(redacted)

    def _references(self, text: str, depth: int) -> str:
        """``text`` with what its HTML character references spell redacted as read: an
        address written ``ana&#64;mail.test`` (as pages hide one from harvesters), a value
        in a log written HTML-escaped, a JSON record's escaped value or credential field in
        it (rev36a M3). Read first, so a value is found whole, not a prefix the references
        break off (rev36a L1/L2); replaced where it is written, each reference it touches
        whole, a JSON literal written escaped again; every other character stays."""
        reading = _Reading.of(text)
        if reading is None:
            return text
        text = reading.edit(self._found(reading.text))
        reading = _Reading.of(text)
        if reading is None:
            return text
        if "<" not in text and ">" not in text:  # all of it escaped: a repr in it too
            redacted = self._python_literal(reading.text, depth)
            if redacted != reading.text:
                return _escaped_as(redacted, text)
        # a literal whose own quote is a reference (a record written ``&quot;...``) is
        # rewritten here, escaped; any other by the pass on the written text, which finds
        # its bounds as written (rev36b H2, rev36c M3, rev36e H1: a literal bounded in the
        # reading and written raw turned ``&lt;`` into markup and ``&quot;`` into a quote)
        edits = [
            (a, b, _escaped_as(new, text))
            for a, b, new in self._json_edits(reading.text, depth)
            if reading.written.startswith("&", reading.at(a))
        ]
        return reading.edit(edits)

    def _json_edits(self, text: str, depth: int) -> list[tuple[int, int, str]]:
        """``(start, end, literal)`` for each JSON string literal in ``text`` whose reading
        the redactor changes: a value written with an escape (``ana\\u0040mail.test``), a
        string under a credential key (``"password": "..."``), a literal holding JSON text
        of its own; the literal is written again (escaped, ASCII) and every other character
        of the recorded output stays as it was: its layout, numbers, duplicate keys, any
        text around the JSON (rev-red35 H2). A literal that is no valid JSON string stays
        as it was; one holding a lone surrogate is written back with it escaped, never raw
        (rev-red35 H1). Texts with no escape and no key are left to the scan before
        (rev-red35 M3)."""
        if depth > _DEPTH or '"' not in text or ("\\" not in text and '":' not in text):
            return []
        edits: list[tuple[int, int, str]] = []
        key: str | None = None
        for start, end, is_key in json_literals(text):
            literal = text[start:end]
            # a literal with no escape reads as written: the scan before saw it (M3)
            read_again = not is_key and (
                "\\" in literal or (key is not None and is_secret_key(key))
            )
            redacted = self._literal(literal, key, depth) if read_again else literal
            key = _decoded(literal) if is_key else None
            if redacted != literal:
                edits.append((start, end, redacted))
        return edits

    def _literal(self, literal: str, key: str | None, depth: int) -> str:
        """One JSON string literal redacted as read (see :meth:`_json_edits`)."""
        value = _decoded(literal)
        if value is None:
            return literal
        if (
            key is not None
            and is_secret_key(key)
            and secret_value(value)
            and not find_secrets(value)
        ):
            redacted = self._surrogates.surrogate("SECRET", value)
        else:
            redacted = self.redact_text(value, depth + 1)
        if redacted == value:
            return literal
        # written as the literal was (raw non-ASCII or escapes); a lone surrogate escaped
        ascii_only = literal.isascii() or _LONE_SURROGATE.search(redacted) is not None
        return json.dumps(redacted, ensure_ascii=ascii_only)

    def redact_obj(self, obj: Any) -> Any:
        """Return a redacted deep copy of a JSON-like value (keys and strings).

        Integers that are Luhn-valid card numbers become surrogate integers; a string under
        a credential key (``password``, ``new_password``, ``api_key``) is a ``SECRET`` whole.
        """
        return self._obj(obj, 0)

    def _obj(self, obj: Any, depth: int) -> Any:
        if isinstance(obj, str):
            return self.redact_text(obj, depth)
        if isinstance(obj, dict):
            return {
                (self.redact_text(k) if isinstance(k, str) else k): self._value(k, v, depth)
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self._obj(v, depth) for v in obj]
        if isinstance(obj, int) and not isinstance(obj, bool) and 13 <= len(str(abs(obj))) <= 19:
            text = str(obj)
            redacted = self.redact_text(text)
            if redacted == text:
                return obj
            return int(redacted) if redacted.isdigit() else redacted
        return obj

    def _value(self, key: Any, value: Any, depth: int) -> Any:
        """A string under a credential key (``password``, ``api_key``) is a secret whole."""
        if (
            isinstance(key, str)
            and isinstance(value, str)
            and is_secret_key(key)
            and secret_value(value)
            and not find_secrets(value)
        ):
            return self._surrogates.surrogate("SECRET", value)
        return self._obj(value, depth)

    def surrogate_for(self, kind: str, value: str) -> str | None:
        """Return the surrogate already given to ``value`` of ``kind``, if any."""
        return self._surrogates.lookup(kind, value)

    def report(self) -> dict[str, int]:
        """Return replacements per kind (counts only, never values), sorted by kind."""
        counts = self._surrogates.counts
        return {kind: counts[kind] for kind in sorted(counts)}

    def surrogates(self) -> list[dict[str, Any]]:
        """Return ``[{kind, surrogate}]``, one per distinct value replaced (never the value)."""
        return self._surrogates.table()
