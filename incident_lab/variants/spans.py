"""Where a scenario's payload lives, and rewriting it in place.

A scenario's ``payload`` names the attack text and its location (a user turn, a
document the harness loaded, or a fixture's output). After a structural converter the attack may live in several
places (split across turns, repeated in fixtures): ``payload.spans`` then lists
every ``{text, location}``, and ``payload.text``/``payload.location`` name the first.
A string converter rewrites each span inside its container and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from incident_lab.errors import InputError, UsageError
from incident_lab.scenarios.io import located_items
from incident_lab.text.normalize import json_literals, string_inside
from incident_lab.variants.base import NotApplicable

Scenario = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Span:
    """One occurrence of the payload: ``text`` inside turn or fixture ``index``.

    ``start`` is its character offset in that text when known (``None``: the first
    occurrence of ``text``).
    """

    kind: str
    index: int
    text: str
    start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario form ``{text, location: {kind, index}, span: {start, end}}``."""
        out: dict[str, Any] = {
            "text": self.text,
            "location": {"kind": self.kind, "index": self.index},
        }
        if self.start is not None:
            out["span"] = {"start": self.start, "end": self.start + len(self.text)}
        return out


def _offset(scenario: Scenario, span: Span) -> int:
    """Return where ``span`` starts in its container (its ``start`` if still valid)."""
    text = container_text(scenario, span.kind, span.index)
    if span.start is not None and text[span.start : span.start + len(span.text)] == span.text:
        return span.start
    return text.find(span.text)


def _container(scenario: Scenario, kind: str, index: int) -> tuple[dict[str, Any], str]:
    found = located_items(scenario.get("replay") or {}, kind)
    if found is None:
        raise InputError(
            f"scenario {scenario.get('id')!r}: payload location kind {kind!r} is not turn, "
            "fixture or document"
        )
    items, key = found
    if not isinstance(index, int) or not 0 <= index < len(items):
        raise InputError(
            f"scenario {scenario.get('id')!r}: payload location {kind} {index} does not exist "
            f"(the scenario has {len(items)} {kind}s)"
        )
    return items[index], key


def container_text(scenario: Scenario, kind: str, index: int) -> str:
    """Return the text of turn/fixture/document ``index`` (a turn's or a document's
    content, a fixture's output)."""
    item, key = _container(scenario, kind, index)
    return str(item.get(key, ""))


def set_container_text(scenario: Scenario, kind: str, index: int, text: str) -> None:
    """Replace the text of turn/fixture/document ``index``."""
    item, key = _container(scenario, kind, index)
    item[key] = text


def payload_spans(scenario: Scenario) -> list[Span]:
    """Return every place the payload lives, checking each text is really there.

    Raises:
        UsageError: the scenario has no ``payload``.
        InputError: a span's location does not exist or does not contain its text.
    """
    payload = scenario.get("payload")
    if not isinstance(payload, dict) or not payload.get("text"):
        raise UsageError(
            f"scenario {scenario.get('id')!r} has no payload: variants rewrite the attack text, "
            "so the scenario must say which text it is",
            hint="set payload.text and payload.location {kind: turn|fixture|document, index} "
            "(see docs/formats.md), e.g. with 'incident_lab show' to find it",
        )
    raw = payload.get("spans") or [
        {"text": payload["text"], "location": payload.get("location"), "span": payload.get("span")}
    ]
    spans = []
    for entry in raw:
        location = entry.get("location") or {}
        index = location.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise InputError(
                f"scenario {scenario.get('id')!r}: payload location index {index!r} is not an integer"
            )
        recorded = entry.get("span") if isinstance(entry.get("span"), dict) else {}
        start = recorded.get("start") if isinstance(recorded.get("start"), int) else None
        span = Span(str(location.get("kind")), index, str(entry.get("text", "")), start)
        start = _offset(scenario, span)
        if start < 0:
            raise InputError(
                f"scenario {scenario.get('id')!r}: payload text {span.text[:60]!r} is not in "
                f"{span.kind} {span.index}",
                hint="fix payload.text so it is copied exactly from that turn or fixture",
            )
        spans.append(Span(span.kind, span.index, span.text, start))
    return spans


def set_payload_spans(scenario: Scenario, spans: list[Span]) -> None:
    """Record ``spans`` as the scenario's payload (first span as ``text``/``location``)."""
    payload = dict(scenario.get("payload") or {})
    spans = [
        s if s.start is not None else Span(s.kind, s.index, s.text, _offset(scenario, s))
        for s in spans
    ]
    first = spans[0].to_dict()
    payload["text"], payload["location"], payload["span"] = (
        first["text"],
        first["location"],
        first["span"],
    )
    if len(spans) > 1:
        payload["spans"] = [s.to_dict() for s in spans]
    else:
        payload.pop("spans", None)
    scenario["payload"] = payload


def replace_span(scenario: Scenario, span: Span, new_text: str) -> Span:
    """Replace ``span`` (at its ``start``, else its first occurrence) with ``new_text``,
    written as a JSON string's inside when the span sits inside one of a recorded JSON
    record (:func:`_string_pieces`): a rewrite with a quote or a line break in it leaves the
    record a record the agent under test can still parse."""
    text = container_text(scenario, span.kind, span.index)
    start = _offset(scenario, span)
    if start < 0:  # payload_spans() checked this; a converter broke the container
        raise InputError(f"payload text vanished from {span.kind} {span.index}")
    end = start + len(span.text)
    if _string_pieces(text, start, end) == [(start, end)] and not _literal_inside(new_text):
        new_text = _as_inside(new_text)
    set_container_text(scenario, span.kind, span.index, text[:start] + new_text + text[end:])
    return Span(span.kind, span.index, new_text, start)


def rewrite_span(
    scenario: Scenario,
    span: Span,
    convert: Callable[[str], str],
    per_value: bool,
    carries: Callable[[str], bool] | None = None,
    pinned: Callable[[str], bool] | None = None,
    named: Callable[[str], bool] | None = None,
) -> Span:
    """Rewrite ``span`` with ``convert`` and return where the rewrite now is.

    Outside a JSON record the span's text is converted as it stands. Inside one, only the
    string values (the parts of them) the span covers are rewritten; keys, brackets and the
    other values stay, so the record keeps its keys and stays JSON. Each value is read
    first (``\\"`` is a quote, as the agent reads it) and the result written back as a JSON
    string's inside. Of several covered values only those that carry the injection
    (``carries``: the ask, the value the forbidden call copies) are rewritten, all when none
    does; an amount or a currency between the ask and the account stays as it is. A value
    ``named`` accepts (the forbidden tool's name in a tools listing) is never rewritten; one
    ``pinned`` accepts (the account the forbidden call copies) keeps its field while another
    value carries the attack (alone, it is the attack: rewritten, the pins kept by ``convert``).
    ``per_value`` (a per-character rewrite) converts each such value on its own; otherwise
    they are converted once, joined by spaces (decoded, the text reads as one printable
    line), into the first of them, the others emptied, and the span becomes that first
    value (an instruction line or a wrapper once, not per field)."""
    text = container_text(scenario, span.kind, span.index)
    start = _offset(scenario, span)
    if start < 0:
        raise InputError(f"payload text vanished from {span.kind} {span.index}")
    end = start + len(span.text)
    pieces = _string_pieces(text, start, end)
    read = [string_inside(text[a:b], strict=False) for a, b in pieces]
    if not pieces or any(r is None for r in read):
        return replace_span(scenario, span, convert(span.text))
    said = [r or "" for r in read]
    chosen = _carrying(said, carries, pinned, named)
    outs = _converted(said, chosen, convert, per_value)
    insides = [
        text[a:b] if o is None else _as_inside(o) for o, (a, b) in zip(outs, pieces, strict=True)
    ]
    new_text = with_insides(text, pieces, insides)
    set_container_text(scenario, span.kind, span.index, new_text)
    if per_value or len(pieces) == 1:
        grown = sum(len(n) - (b - a) for n, (a, b) in zip(insides, pieces, strict=True))
        return Span(span.kind, span.index, new_text[start : end + grown], start)
    first = chosen[0] if chosen else 0  # the pieces before it are unchanged: it starts there
    return Span(span.kind, span.index, insides[first], pieces[first][0])


def _carrying(
    said: list[str],
    carries: Callable[[str], bool] | None,
    pinned: Callable[[str], bool] | None,
    named: Callable[[str], bool] | None,
) -> list[int]:
    """Indexes of the values to rewrite: of the non-empty ones not ``named``, those not
    ``pinned`` (all of them when each is), of them the one value, else those ``carries``
    accepts, else all of them."""
    filled = [i for i, value in enumerate(said) if value and not (named and named(value))]
    free = [i for i in filled if not (pinned and pinned(said[i]))] or filled
    if len(said) == 1 or carries is None:
        return free
    return [i for i in free if carries(said[i])] or free


def _converted(
    said: list[str], chosen: list[int], convert: Callable[[str], str], per_value: bool
) -> list[str | None]:
    """Each value's new text (None: kept as written): per value, or the ``chosen`` values
    joined by spaces converted once into the first of them, the others emptied."""
    if not chosen:  # every value is the forbidden tool's name or empty: no attack to rewrite
        raise NotApplicable("no value of the record carries the payload")
    outs: list[str | None] = [None] * len(said)
    if per_value or len(said) == 1:
        for i in chosen:
            outs[i] = convert(said[i])
        return outs
    for i in chosen:
        outs[i] = ""
    outs[chosen[0]] = convert(" ".join(said[i] for i in chosen))
    return outs


def _as_inside(text: str) -> str:
    """``text`` written as the inside of a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def with_insides(text: str, pieces: list[tuple[int, int]], insides: list[str]) -> str:
    """``text`` with each piece ``[a, b)`` (in order, apart) replaced by its new inside
    (a record's rewritten values, a converter's text with its pinned values held)."""
    out, last = [], 0
    for (a, b), inside in zip(pieces, insides, strict=True):
        out += [text[last:a], inside]
        last = b
    out.append(text[last:])
    return "".join(out)


def _string_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The parts ``[a, b)`` of ``[start, end)`` that lie inside string values (quotes
    excluded, keys not counted) when ``text`` is a JSON document (a line break inside a
    string allowed: a payload's fixture is served as the record reads); none otherwise."""
    if text.lstrip()[:1] not in ("{", "[") or len(text) > _JSON_LIMIT:
        return []
    try:
        json.loads(text, strict=False)  # a payload's fixture is served as read: raw line breaks
    except (ValueError, RecursionError):
        return []
    return [
        (max(start, a + 1), min(end, b - 1))
        for a, b, is_key in json_literals(text, read=True)
        if not is_key and a + 1 < end and b - 1 > start
    ]


def _literal_inside(text: str) -> bool:
    """Whether ``text`` can stand inside a JSON string as written (its escapes valid, no raw
    quote; a line break, as the record's reading has them)."""
    return string_inside(text, strict=False) is not None


#: Largest recorded output parsed to tell whether a payload sits in one of its strings.
_JSON_LIMIT = 4_000_000
