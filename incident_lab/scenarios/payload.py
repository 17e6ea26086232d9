"""Locating the attack payload: the injected instruction span, not the whole document.

The payload is the text that made the agent misbehave: an instruction hidden in a
tool output (a document, an email, a web page) or the manipulative part of a user
turn. Variants mutate exactly this span, so :func:`locate_payload` returns a span
that is a verbatim substring of the fixture output or user turn it sits in.

Each candidate text is cut into segments (lines, sentences, HTML comments); each
segment is scored against instruction markers ("ignore previous instructions",
"forward ... to", imperative verbs aimed at the assistant, hidden-comment syntax);
the payload is the best-scoring run of adjacent segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: (pattern, weight): evidence that a segment instructs the agent rather than informs a human.
MARKERS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.IGNORECASE), w)
    for p, w in (
        (
            r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:previous|prior|above|earlier|all|your)\b.{0,30}\b(?:instructions?|rules?|guidelines|prompt|directions)",
            4.0,
        ),
        (
            r"\b(?:new|updated|additional|important|urgent)\s+(?:system\s+)?(?:instructions?|directives?|task)\b",
            3.0,
        ),
        (
            r"\b(?:system|admin(?:istrator)?|developer)\s*(?:message|note|override|prompt|mode)\s*[:\]]",
            3.0,
        ),
        (r"(?:^|\s)(?:\[|<)?\s*(?:system|assistant|ai|agent)\s*(?:\]|>|:)", 2.0),
        (
            r"\b(?:AI|assistant|agent|model|LLM|bot)s?\b.{0,60}\b(?:must|should|shall|needs? to|are required to|is instructed to)\b",
            3.0,
        ),
        (
            r"\b(?:do not|don't|never)\s+(?:tell|inform|mention|reveal|notify|alert)\b.{0,30}\b(?:user|anyone|customer|them)\b",
            3.0,
        ),
        (
            r"\b(?:forward|send|email|e-mail|upload|post|transfer|copy|exfiltrate|share)\b.{0,80}\b(?:to|at)\b\s*\S*(?:@|https?://|<EMAIL_\d+>|<IPV[46]_\d+>)",
            3.0,
        ),
        (r"\b(?:run|execute)\b.{0,40}(?:`[^`]+`|\brm\s+-|\bcurl\b|\bwget\b|\bsudo\b)", 3.0),
        (r"\b(?:immediately|silently|quietly|without (?:asking|confirmation|telling))\b", 1.5),
        (r"\b(?:you are now|from now on|act as|pretend (?:to be|you are)|roleplay)\b", 2.5),
        (r"\bDAN\b|\bjailbr(?:eak|oken)\b|\bdeveloper mode\b", 2.5),
        (r"<!--|-->|\u200b|\[hidden\]|display:\s*none|font-size:\s*0", 1.5),
        (
            r"\b(?:all|every|entire|full)\b.{0,20}\b(?:customers?|records?|contacts?|inbox|emails?|files?|database|credentials?|keys?)\b",
            1.0,
        ),
        (
            r"\b(?:approved|authori[sz]ed|permitted|allowed)\s+(?:by|to)\b.{0,40}\b(?:security|IT|admin|management|legal|policy)\b",
            1.5,
        ),
    )
)

#: A user turn up to this length is taken whole when it carries markers.
_WHOLE_TURN = 600
_COMMENT = re.compile(r"<!--[\s\S]*?-->")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[<(\"'])")


@dataclass(frozen=True, slots=True)
class PayloadCandidate:
    """A located payload.

    Attributes:
        text: The payload, a verbatim substring of the location's content.
        kind: ``"fixture"`` or ``"turn"``.
        index: Index into ``replay.fixtures`` or ``replay.turns``.
        start: Character offset of ``text`` in the content.
        score: Marker score (0 for a fallback choice).
        method: How it was chosen: ``"provenance"``, ``"markers"``, ``"last_user_turn"``,
            ``"payload_step"`` or ``"payload_text"``.
        why: One sentence for ``show``: why this text is the payload.
    """

    text: str
    kind: str
    index: int
    start: int
    score: float
    method: str
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario's ``payload`` block."""
        block: dict[str, Any] = {
            "text": self.text,
            "location": {"kind": self.kind, "index": self.index},
            "span": {"start": self.start, "end": self.start + len(self.text)},
            "method": self.method,
        }
        if self.why:
            block["why"] = self.why
        return block


def injection_score(text: str) -> float:
    """Return the summed weight of instruction markers found in ``text``."""
    return sum(w for pat, w in MARKERS if pat.search(text))


def segments(text: str) -> list[tuple[int, int]]:
    """Cut ``text`` into ``(start, end)`` spans: HTML comments whole, else lines, else sentences."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _COMMENT.finditer(text):
        spans.extend(_plain_segments(text, pos, m.start()))
        spans.append((m.start(), m.end()))
        pos = m.end()
    spans.extend(_plain_segments(text, pos, len(text)))
    return spans


def _plain_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    line_start = start
    for line in text[start:end].split("\n"):
        line_end = line_start + len(line)
        cut = line_start
        for m in _SENTENCE_END.finditer(text, line_start, line_end):
            out.append((cut, m.start()))
            cut = m.end()
        out.append((cut, line_end))
        line_start = line_end + 1
    return [_strip(text, a, b) for a, b in out if text[a:b].strip()]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _best_span(text: str) -> tuple[int, int, float] | None:
    spans = segments(text)
    scores = [injection_score(text[a:b]) for a, b in spans]
    if not scores or max(scores) <= 0:
        return None
    best = max(range(len(spans)), key=lambda i: scores[i])
    lo = hi = best
    # Grow over adjacent segments that also instruct (an injected block is contiguous).
    while lo > 0 and scores[lo - 1] > 0:
        lo -= 1
    while hi < len(spans) - 1 and scores[hi + 1] > 0:
        hi += 1
    return spans[lo][0], spans[hi][1], sum(scores[lo : hi + 1])


def locate_payload(
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    *,
    prefer_fixtures: bool = True,
    fallback_turn: int | None = None,
) -> PayloadCandidate | None:
    """Find the attack payload among the replay's fixtures and user turns.

    Args:
        turns: ``replay.turns`` (user messages).
        fixtures: ``replay.fixtures`` (recorded tool outputs), in the order they appeared
            before the unsafe step; only these are searched.
        prefer_fixtures: Look in tool outputs first (indirect injection), then user turns.
        fallback_turn: Turn index to use, whole, when no text carries markers.

    Returns:
        The best candidate, or None when nothing carries markers and there is no fallback.
    """
    groups: list[tuple[str, list[str]]] = [
        ("fixture", [str(f.get("output") or "") for f in fixtures]),
        ("turn", [str(t.get("content") or "") for t in turns]),
    ]
    if not prefer_fixtures:
        groups.reverse()
    bests: list[PayloadCandidate] = []
    for kind, texts in groups:
        best: PayloadCandidate | None = None
        for index, text in enumerate(texts):
            found = _best_span(text)
            if found is None:
                continue
            start, end, score = found
            if kind == "turn" and len(text) <= _WHOLE_TURN:
                # A short user turn that instructs is the attack in full (direct injection).
                start, end = _strip(text, 0, len(text))
            if best is None or score > best.score:
                best = PayloadCandidate(text[start:end], kind, index, start, score, "markers")
        if best is not None:
            bests.append(best)
    for candidate in bests:  # the preferred kind wins when it clearly instructs
        if candidate.score >= 3.0:
            return candidate
    if bests and max(c.score for c in bests) >= 1.5:
        return max(bests, key=lambda c: c.score)
    if fallback_turn is not None and 0 <= fallback_turn < len(turns):
        text = str(turns[fallback_turn].get("content") or "")
        if text.strip():
            a, b = _strip(text, 0, len(text))
            return PayloadCandidate(
                text[a:b],
                "turn",
                fallback_turn,
                a,
                0.0,
                "last_user_turn",
                "no instruction span was found; the last user turn before the unsafe step "
                "is the payload (set it with --payload-step or --payload-text)",
            )
    return None


# --- payload from the provenance view, or set by the user -----------------------------------


def _location_of_step(steps: list[dict[str, Any]], index: int) -> tuple[str, int] | None:
    """``("fixture", i)`` or ``("turn", i)`` of trajectory step ``index`` in the replay."""
    step = steps[index]
    if step.get("type") == "tool_result":
        return "fixture", sum(1 for s in steps[:index] if s.get("type") == "tool_result")
    if step.get("type") == "message" and step.get("role") == "user":
        return "turn", sum(
            1 for s in steps[:index] if s.get("type") == "message" and s.get("role") == "user"
        )
    return None


def _content(
    location: tuple[str, int], turns: list[dict[str, Any]], fixtures: list[dict[str, Any]]
) -> str:
    kind, index = location
    items = fixtures if kind == "fixture" else turns
    if not 0 <= index < len(items):
        return ""
    return str(items[index].get("output" if kind == "fixture" else "content") or "")


_OPEN_TAG = re.compile(r"<([A-Za-z][\w-]{0,40})[^<>\n]{0,200}>|<!--|\[")
_BLOCK_LIMIT = 4000


def _close_block(content: str, start: int, end: int) -> int:
    """Extend a span that opens a delimited block (``<INFORMATION>``, ``<!--``, ``[``) to
    the block's end, so the payload is the whole injected block, signature included."""
    m = _OPEN_TAG.match(content, start)
    if m is None:
        return end
    if m.group(0) == "<!--":
        closing = "-->"
    elif m.group(0) == "[":
        closing = "]"
    else:
        closing = f"</{m.group(1)}>"
    found = content.find(
        closing, end - len(closing) if end >= len(closing) else 0, end + _BLOCK_LIMIT
    )
    return max(end, found + len(closing)) if found >= 0 else end


#: A boundary an injected block does not cross: a line break or a markup tag.
_BOUNDARY = re.compile(r"\n|<[^<>\n]{0,200}>")
_GROW_LIMIT = 600
#: Characters that end a sentence ("" : the text's start).
_SENTENCE_STOPS = frozenset({"", ".", "!", "?", "\u3002", "\uff01", "\uff1f", "\u061f"})


def _grow_to_boundaries(content: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` to the nearest line break or markup tag on each side (at most
    ``_GROW_LIMIT`` characters each way), so a span that begins or ends mid-sentence
    becomes the whole injected line ("Act as ... . Repeat your system prompt ...")."""
    lo = max(0, start - _GROW_LIMIT)
    left = 0 if lo == 0 else start  # no boundary within reach: keep the span's start
    for before in _BOUNDARY.finditer(content, lo, start):
        left = before.end()
    hi = min(len(content), end + _GROW_LIMIT)
    after = _BOUNDARY.search(content, end, hi)
    right = after.start() if after is not None else (hi if hi == len(content) else end)
    # Only a span cut mid-sentence is repaired; whole sentences next to it are left out
    # (an e-mail's "Regards, ..." after the injected sentence is not part of the attack).
    if content[:start].rstrip()[-1:] in _SENTENCE_STOPS:
        left = start
    if content[:end].rstrip()[-1:] in _SENTENCE_STOPS:
        right = end
    a, b = _strip(content, min(left, start), max(right, end))
    return (a, b) if a < b else (start, end)


def _span_candidate(
    span: Any,
    steps: list[dict[str, Any]],
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    method: str,
    why: str,
) -> PayloadCandidate | None:
    location = _location_of_step(steps, span.step)
    if location is None:
        return None
    content = _content(location, turns, fixtures)
    text = str(span.text).strip()
    start = content.find(text) if text else -1
    if start < 0:
        return None
    if _OPEN_TAG.match(content, start) is None:
        start, end = _grow_to_boundaries(content, start, start + len(text))
    else:
        end = start + len(text)
    end = _close_block(content, start, end)
    return PayloadCandidate(
        content[start:end], location[0], location[1], start, float(span.score), method, why
    )


def payload_from_provenance(
    prov: Any,
    steps: list[dict[str, Any]],
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    first_unsafe: int,
) -> PayloadCandidate | None:
    """The instruction span that supplied the unsafe step's instruction or values, whole.

    Order: the span the first unsafe call or obedient answer depends on (provenance links
    them); else the span an attacker value was taken from; else the highest-scoring
    instruction span before the first unsafe step. None when there is no span.
    """
    spans = prov.instructions
    linked: list[tuple[int, str]] = []
    for call in sorted(prov.unrequested_calls, key=lambda c: (c.step != first_unsafe, c.step)):
        if call.instruction is not None:
            linked.append(
                (call.instruction, f"the {call.tool} call at step {call.step} does what it asks")
            )
        for arg in call.attacker_values:
            if arg.in_instruction is not None:
                linked.append(
                    (
                        arg.in_instruction,
                        f"the {call.tool} call at step {call.step} takes {arg.path} from it",
                    )
                )
    for ans in sorted(prov.obedient, key=lambda a: a.step):
        linked.append((ans.instruction, f"the answer at step {ans.step} obeys it ({ans.kind})"))
    for index, reason in linked:
        if 0 <= index < len(spans):
            span = spans[index]
            why = (
                f"instruction span {index} in the {span.source} at step {span.step} "
                f"(cues: {', '.join(span.cues) or 'none'}); {reason}"
            )
            found = _span_candidate(span, steps, turns, fixtures, "provenance", why)
            if found is not None:
                return found
    before = [s for s in spans if s.step < first_unsafe]
    for span in sorted(before, key=lambda s: -s.score):
        why = (
            f"the strongest instruction span before the unsafe step: {span.source} at step "
            f"{span.step} (cues: {', '.join(span.cues) or 'none'}, score {span.score:.2f})"
        )
        found = _span_candidate(span, steps, turns, fixtures, "provenance", why)
        if found is not None:
            return found
    return None


def _is_read_result(prov: Any, steps: list[dict[str, Any]], j: int) -> bool:
    """True when tool-result step ``j`` answers a call the provenance view calls a read."""
    call_id = steps[j].get("call_id")
    for c in prov.calls:
        if c.result_step == j or (call_id is not None and steps[c.step].get("call_id") == call_id):
            return bool(c.kind == "read")
    return False


def _dependencies(
    prov: Any,
    steps: list[dict[str, Any]],
    unsafe: list[int],
    copied: dict[int, str],
    same_turn: bool,
) -> list[tuple[int, str]]:
    """``(tool-result step, why)`` the unsafe steps depended on, most direct first."""
    from incident_lab.provenance.model import UNTRUSTED_SOURCES

    deps: list[tuple[int, str]] = []
    for i in sorted(unsafe):
        call = prov.call_at(i)
        for arg in call.args if call is not None else ():
            if arg.origin in UNTRUSTED_SOURCES and arg.step is not None:
                deps.append(
                    (arg.step, f"the {call.tool} call at step {i} takes {arg.path} from it")
                )
        text = copied.get(i)
        for j in range(min(i, len(steps)) - 1, -1, -1):
            if (
                text
                and steps[j].get("type") == "tool_result"
                and text in str(steps[j].get("output"))
            ):
                deps.append((j, f"the answer at step {i} repeats {text[:40]!r} from it"))
                break
    if same_turn and unsafe:
        first = min(unsafe)
        last_user = max(
            (
                j
                for j, s in enumerate(steps[:first])
                if s.get("type") == "message" and s.get("role") == "user"
            ),
            default=-1,
        )
        read = [j for j in range(last_user + 1, first) if steps[j].get("type") == "tool_result"]
        # The most instruction-like first; then what a read fetched (a document, a page, a
        # mail) before the acknowledgement of an action ("written", "1 passed"); then longer.
        read.sort(
            key=lambda j: (
                -injection_score(str(steps[j].get("output") or "")),
                not _is_read_result(prov, steps, j),
                -len(str(steps[j].get("output") or "")),
            )
        )
        deps.extend(
            (j, f"the untrusted content the agent read in the turn of the unsafe step {first}")
            for j in read
        )
    return deps


def payload_from_dependency(
    prov: Any,
    steps: list[dict[str, Any]],
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    unsafe: list[int],
    *,
    copied: dict[int, str] | None = None,
    same_turn: bool = True,
) -> PayloadCandidate | None:
    """The untrusted content the unsafe steps depended on, when no instruction span is found.

    In this order: the tool output an unsafe call took an argument value from; the one an
    unsafe answer copied text from (``copied``: step -> the copied text); with
    ``same_turn`` (an indirect injection), the tool outputs the agent read in the unsafe
    step's turn, the most instruction-like first. Its instruction-marked part when markers
    find one, else all of it: never the user's turn, which only asked for the task.
    """
    for j, reason in _dependencies(prov, steps, unsafe, copied or {}, same_turn):
        if not 0 <= j < len(steps):
            continue
        location = _location_of_step(steps, j)
        if location is None or location[0] != "fixture":
            continue
        content = _content(location, turns, fixtures)
        a, b = _strip(content, 0, len(content))
        if a >= b:
            continue
        score = 0.0
        found = _best_span(content)
        if found is not None and found[2] >= 3.0:
            a, b, score = found
            reason += "; its instruction-marked part"
        why = f"no instruction span was found; the tool output at step {j}: {reason}"
        return PayloadCandidate(content[a:b], "fixture", location[1], a, score, "dependency", why)
    return None


def payload_at_step(
    index: int,
    prov: Any,
    steps: list[dict[str, Any]],
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
) -> PayloadCandidate:
    """The payload the user pointed at with ``--payload-step N``.

    The instruction span in that step when the provenance view found one, else the
    whole text of the step (a tool call means its result).

    Raises:
        UsageError: no such step, or a step that is neither a tool result nor a user turn.
    """
    from incident_lab.errors import UsageError

    if not 0 <= index < len(steps):
        raise UsageError(f"--payload-step {index} does not exist: steps are 0..{len(steps) - 1}")
    if steps[index].get("type") == "tool_call":
        call_id = steps[index].get("call_id")
        for j in range(index + 1, len(steps)):
            if steps[j].get("type") == "tool_result" and steps[j].get("call_id") in (call_id, None):
                index = j
                break
    location = _location_of_step(steps, index)
    if location is None:
        raise UsageError(
            f"--payload-step {index} is a {steps[index].get('type')} step; the payload sits in a "
            "tool result or a user turn",
            hint="pass the index of the tool_result or user message that carries it",
        )
    for span in sorted(prov.instructions_in(index), key=lambda s: -s.score):
        found = _span_candidate(
            span,
            steps,
            turns,
            fixtures,
            "payload_step",
            f"set with --payload-step {index}: the instruction span in that step",
        )
        if found is not None:
            return found
    content = _content(location, turns, fixtures)
    a, b = _strip(content, 0, len(content))
    if a >= b:
        raise UsageError(f"--payload-step {index}: that step has no text")
    return PayloadCandidate(
        content[a:b],
        location[0],
        location[1],
        a,
        0.0,
        "payload_step",
        f"set with --payload-step {index}: the whole text of that step",
    )


def payload_from_text(
    text: str, turns: list[dict[str, Any]], fixtures: list[dict[str, Any]]
) -> PayloadCandidate:
    """The payload the user gave with ``--payload-text`` (already redacted like the scenario).

    Raises:
        UsageError: the text is empty or appears in no tool output and no user turn.
    """
    from incident_lab.errors import UsageError

    wanted = text.strip()
    if not wanted:
        raise UsageError("--payload-text is empty")
    for kind, items, key in (("fixture", fixtures, "output"), ("turn", turns, "content")):
        for index, item in enumerate(items):
            content = str(item.get(key) or "")
            start = content.find(wanted)
            if start >= 0:
                return PayloadCandidate(
                    wanted,
                    kind,
                    index,
                    start,
                    0.0,
                    "payload_text",
                    f"set with --payload-text (found in replay {kind} {index})",
                )
    raise UsageError(
        "--payload-text was found in no tool output and no user turn of the session",
        hint="give a verbatim excerpt of the injected text (check with 'incident_lab show')",
    )
