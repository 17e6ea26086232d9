"""The injected block around an instruction span: the payload whole, not cut.

An instruction span (:mod:`incident_lab.provenance`) is the part of a text that carries cues;
the attack the attacker wrote is usually more: the sentence before it that had no cue
("Ignore your previous iunstructions."), the sentences after it ("The subject should be
..."), its delimiters ("-- RESUME", ``<INFORMATION> ... </INFORMATION>``). The payload is the
*block* the span sits in, found by structure alone (any language):

- a block ends at a blank line, a markup tag, an escaped line break (``\\n`` written out in
  a serialised string), the end of a quoted value in serialised data (``", '``), or a line
  break to a line that starts a field (``cc: []``, ``- item``) or is not indented under the
  text it follows; a line break into an indented continuation line (YAML's wrapping), or
  after a line ending in a colon (it introduces what follows), is inside the block;
- a field's key and opening quote (``body: '``) are not part of it;
- before the span: the start of its sentence, then each preceding sentence of the block
  that carries an instruction cue (up to :data:`LEAD_LIMIT` characters; a host sentence
  such as "Hello, your invoice is overdue." is not the attack); after it, the rest of the
  block up to :data:`TAIL_LIMIT` characters, stopping before a sign-off ("Regards, ...");
- a delimiter line right next to the block ("-- RESUME", "--------") and an enclosing
  upper-case tag pair whose closing tag follows the block (``<INFORMATION>`` ...
  ``</INFORMATION>``, not HTML markup) are part of it.

Every pattern here is linear: bounded character classes, no nested quantifiers.
"""

from __future__ import annotations

import re

#: Longest text before the span that is taken into the block (a lead-in, not the document).
LEAD_LIMIT = 400
#: Longest text after the span that is taken into the block.
TAIL_LIMIT = 600
_ENCLOSE_LOOKBACK = 300
_ENCLOSE_LIMIT = 4000

#: Where a block ends inside a line: a markup tag, an escaped line break, a serialised
#: value's closing quote, a blank line.
_HARD = re.compile(
    r"</?[a-z][a-z0-9-]{0,20}(?:\s[^<>\n]{0,200})?/?>|<!--|-->|\\n|[\"'](?=[ \t]{0,4}[,}\]])"
    r"|[\"'][\w .-]{1,40}[\"'][ \t]{0,4}:[ \t]{0,4}[\"']?|\n[ \t]{0,40}\n"
)
#: A line that starts a field of serialised data or a list item.
_FIELD = re.compile(r"[ \t]{0,40}(?:-[ \t]|[\"']?[\w.-]{1,40}[\"']?[ \t]{0,4}:(?:[ \t]|$))")
#: A field's key (and opening quote) at the start of a block: not part of the payload.
#: Keys are lower-case identifiers (``body``, ``description``); "Assistant:" or "Note:" at the
#: start of an injected block is the attacker's own role claim, kept.
_KEY = re.compile(
    r"(?:-[ \t]{1,4})?(?:[\"']?[a-z_][a-z0-9_.-]{0,40}[\"']?[ \t]{0,4}:[ \t]{1,4})?([\"']?)"
)
#: A line that frames an injected block ("-- RESUME", "--------", "=== END ===").
_FRAME = re.compile(r"[ \t]{0,8}(?:-{2,}|={2,}|#{3,}|\*{3,}|~{3,}|_{3,})[^\n]{0,60}")
#: A sign-off after the injected text: the host message resumes.
_SIGN_OFF = re.compile(
    r"(?i:regards|best|thanks|thank you|cheers|sincerely|kind regards|best regards|"
    r"viele grüße|mit freundlichen grüßen|cordialement|bien à vous|saludos|atentamente|"
    r"cordiali saluti|distinti saluti|cumprimentos|atenciosamente)\b"
)
#: A sentence that continues the one before it (a sequence of steps), in the cue languages.
_CONTINUES = re.compile(
    r"(?i:then|after that|afterwards|next|finally|also|and then|dann|danach|anschließend|"
    r"ensuite|puis|après cela|luego|después|entonces|poi|quindi|dopo|depois|então|em seguida)"
    r"\b[,:]?"
)
_SENTENCE = re.compile(r"[.!?\u3002\uff01\uff1f](?=[\s\"'\u00bb\u201d)]|$)")
#: An injected delimiter tag (upper case: ``<INFORMATION>``, ``<SYSTEM>``), not HTML markup.
_OPEN = re.compile(r"<([A-Z][A-Z0-9_-]{1,40})>")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _lines(content: str, pos: int) -> tuple[int, int]:
    """``(start, end)`` of the line holding ``pos`` (end excludes the newline)."""
    a = content.rfind("\n", 0, pos) + 1
    b = content.find("\n", pos)
    return a, len(content) if b == -1 else b


def _continues(prev: str, line: str) -> bool:
    """True when ``line`` continues ``prev`` (a wrapped value, or the text a line ending in
    a colon introduces), not a new line of the text."""
    if not line.strip() or not prev.strip():
        return False
    if prev.rstrip().endswith(("\\", ":")):
        return True  # an escaped line break in a quoted value; "... between the brackets:"
    if _FIELD.match(line):
        return False
    return _indent(line) > 0 and _indent(line) >= _indent(prev)


def _line_block(content: str, start: int, end: int) -> tuple[int, int]:
    """The run of lines holding ``[start, end)``, wrapped continuation lines included."""
    a, _ = _lines(content, start)
    while a > 0:
        pa, _ = _lines(content, a - 1)
        if not _continues(content[pa : a - 1], content[a : _lines(content, a)[1]]):
            break
        a = pa
    _, b = _lines(content, max(start, end - 1))
    while b < len(content):
        nb = _lines(content, b + 1)[1]
        if not _continues(content[_lines(content, b)[0] : b], content[b + 1 : nb]):
            break
        b = nb
    return a, b


def _sentence_start(content: str, lo: int, start: int) -> int:
    """Start of the sentence that holds ``start`` (not before ``lo``)."""
    last = lo
    for m in _SENTENCE.finditer(content, lo, start):
        last = m.end()
    return last


def _lead_in(content: str, left: int, start: int) -> int:
    """Where the block starts before the span: the start of the sentence the span starts in
    (a span cut mid-sentence is repaired), then back over each preceding sentence of the
    block that carries an instruction cue ("Ignore your previous iunstructions." before
    "Do send ...") or that the next one continues ("... without writing anything. Then,
    your task is ..."), at most :data:`LEAD_LIMIT` characters. A sentence with no cue is the
    host's ("Hello, your invoice is overdue."): the payload stops there, so the blast radius
    matches the attack in other messages too."""
    from incident_lab.provenance.cues import score_text

    at = _sentence_start(content, left, start)
    if start - at > LEAD_LIMIT:
        return start
    while at > left:
        end = len(content[:at].rstrip())  # just after the previous sentence's stop
        if end <= left:
            break
        prev = _sentence_start(content, left, end - 1)
        if start - prev > LEAD_LIMIT:
            break
        # the previous sentence instructs, or this one continues it ("Then, your task is")
        here = at
        while here < start and content[here].isspace():
            here += 1
        if not (score_text(content[prev:end])[1] or _CONTINUES.match(content, here)):
            break
        at = prev
    return at


def _frame_line(content: str, a: int, b: int) -> bool:
    line = content[a:b]
    return bool(line.strip()) and _FRAME.fullmatch(line) is not None


def _with_frames(content: str, a: int, b: int) -> tuple[int, int]:
    """Take in a delimiter line just before or after the block (blank lines between)."""
    before = content[:a].rstrip()
    if before:
        la, lb = _lines(content, len(before) - 1)
        if _frame_line(content, la, lb) and content.count("\n", lb, a) <= 2:
            a = la + _indent(content[la:lb])
    after = len(content) - len(content[b:].lstrip())
    if after < len(content):
        la, lb = _lines(content, after)
        if _frame_line(content, la, lb) and content.count("\n", b, la) <= 2:
            b = lb
    return a, b


def _enclosed(content: str, a: int, b: int) -> tuple[int, int]:
    """Grow to an enclosing ``<TAG> ... </TAG>`` pair whose closing tag follows the block."""
    lo = max(0, a - _ENCLOSE_LOOKBACK)
    opens = list(_OPEN.finditer(content, lo, a))
    for m in reversed(opens):
        closing = f"</{m.group(1)}>"
        if content.find(closing, m.end(), a) != -1:
            continue  # closed before the block: not around it
        at = content.find(closing, b, b + _ENCLOSE_LIMIT)
        if at != -1:
            return m.start(), at + len(closing)
    return a, b


def _strip(content: str, a: int, b: int) -> tuple[int, int]:
    while a < b and content[a].isspace():
        a += 1
    while b > a and content[b - 1].isspace():
        b -= 1
    return a, b


def _span_start(content: str, start: int, end: int) -> int:
    """The span's start past leading blanks and its field's key ("body: 'TODO: ...")."""
    while start < end and content[start] in " \t":
        start += 1
    key = _KEY.match(content, start, end)
    if key is not None and ":" in key.group(0) and key.end() < end:
        start = key.end()  # a span that begins with its field's key ("body: 'TODO: ...")
    return start


def _left_edge(content: str, la: int, start: int) -> tuple[int, str]:
    """Where the block starts in its lines (from ``la``) before the span at ``start``, and
    the quote its field's value opens with ("" if none)."""
    # Hard boundaries inside the lines, outside the span itself.
    left = la
    for m in _HARD.finditer(content, la, start):
        left = m.end()
    # A field's key and opening quote are not the payload; neither is the closing quote.
    while left < start and content[left] in " \t":
        left += 1
    key = _KEY.match(content, left, start)
    quote = ""
    if key is not None and key.end() <= start:
        left, quote = key.end(), key.group(1)
    return _lead_in(content, left, start), quote


def _right_edge(content: str, start: int, end: int, lb: int) -> int:
    """Where the block ends in its lines (up to ``lb``) after the span ``start:end``: at a
    hard boundary, within ``TAIL_LIMIT`` of the span, and before a sign-off."""
    hard = _HARD.search(content, end, lb)
    right = hard.start() if hard is not None else lb
    if right - end > TAIL_LIMIT:
        cut = [m.end() for m in _SENTENCE.finditer(content, end, end + TAIL_LIMIT)]
        right = cut[-1] if cut else end
    for m in _SENTENCE.finditer(content, max(start, end - 1), right):
        tail = content[m.end() : right]
        if _SIGN_OFF.match(tail.lstrip()):
            right = m.end()
            break
    return right


def injected_block(content: str, start: int, end: int) -> tuple[int, int]:
    """``(a, b)``: the injected block around the span ``content[start:end]``.

    ``content[a:b]`` is verbatim, contains the span, and is stripped of surrounding
    whitespace (see the module docstring for the rules).
    """
    if not 0 <= start < end <= len(content):
        return start, end
    start = _span_start(content, start, end)
    la, lb = _line_block(content, start, end)
    left, quote = _left_edge(content, la, start)
    right = _right_edge(content, start, end, lb)
    a, b = _strip(content, min(left, start), max(right, end))
    if quote and b > end and content[b - 1] == quote:
        b -= 1
    a, b = _with_frames(content, a, b)
    a, b = _enclosed(content, a, b)
    return _strip(content, min(a, start), max(b, end))
