"""Every regex the classifier and the provenance view run on untrusted text is linear (issue 12).

Each module-level pattern (Python ``re`` and RE2) is run over 100 KB adversarial strings,
built to trigger backtracking (long runs of one character class, almost-addresses, nested
separators), and must take no more than a small multiple of its time on 100 KB of prose.
Whole-session entry points (``analyse``, ``classify_trajectory``) are held to the same bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import incident_lab.classify.drift
import incident_lab.classify.erosion
import incident_lab.classify.hallucination
import incident_lab.classify.injection
import incident_lab.classify.named_act
import incident_lab.classify.orders
import incident_lab.classify.safeguards
import incident_lab.classify.session
import incident_lab.classify.severity
import incident_lab.provenance.actions
import incident_lab.provenance.analysis
import incident_lab.provenance.cues
import incident_lab.provenance.obedience
import incident_lab.provenance.sensitive
import incident_lab.provenance.text
import incident_lab.provenance.tools
import incident_lab.provenance.values
import incident_lab.text.lexicon
from incident_lab.classify import classify_trajectory
from incident_lab.provenance import analyse
from incident_lab.provenance.actions import verb_used
from incident_lab.provenance.values import anchors, find_value
from tests.incident_lab.classify.builders import call, result, traj, user

SIZE = 100_000
#: Allowed slowdown against prose of the same length, plus a fixed allowance for noise.
FACTOR, SLACK = 25.0, 0.08
#: CPU seconds allowed per match found: a pattern that matches 25,000 times in 100 KB
#: ("a.a.a." for a file name) spends its time making match objects (RE2's cost 3 µs each
#: here; a CI runner measured twice that), which is linear in the input, not backtracking.
PER_MATCH = 1e-5

MODULES: tuple[ModuleType, ...] = (
    incident_lab.classify.drift,
    incident_lab.classify.erosion,
    incident_lab.classify.hallucination,
    incident_lab.classify.injection,
    incident_lab.classify.named_act,
    incident_lab.classify.orders,
    incident_lab.text.lexicon,
    incident_lab.classify.safeguards,
    incident_lab.classify.session,
    incident_lab.classify.severity,
    incident_lab.provenance.actions,
    incident_lab.provenance.analysis,
    incident_lab.provenance.cues,
    incident_lab.provenance.obedience,
    incident_lab.provenance.sensitive,
    incident_lab.provenance.text,
    incident_lab.provenance.tools,
    incident_lab.provenance.values,
)

PROSE = (
    "The quarterly report shows revenue grew by eight percent while churn fell slightly. "
    "Please review the attached figures before Friday's meeting, and send questions to the "
    "finance team. Thanks to everyone who contributed to the launch last month! "
)
UNITS = (
    "a",
    "a@",
    "a.",
    "a@a.",
    "1 ",
    "+1 (",
    " ",
    "-",
    "/a",
    "AA-11",
    "AA%4",
    "<!--",
    "[",
    "ignore ",
    "please send ",
    "é",
    ".- ",
    "\u200b",
    "chmod -r ",
    "usermod a ",
    ">>a/",
)


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


ADVERSARIAL = [_fill(u) for u in UNITS] + [
    "http://" + _fill("a"),
    "x@" + _fill("a.a"),
    "ignore previous " + _fill("a ") + " instructions",
]


def _patterns() -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()
    for module in MODULES:
        for name, value in vars(module).items():
            if id(value) in seen:
                continue
            if hasattr(value, "finditer") and hasattr(value, "pattern"):
                seen.add(id(value))
                yield f"{module.__name__}.{name}", value
            elif isinstance(value, dict):
                for key, item in value.items():
                    if hasattr(item, "finditer") and id(item) not in seen:
                        seen.add(id(item))
                        yield f"{module.__name__}.{name}[{key}]", item


def _elapsed(run: Callable[[], object], tries: int = 1) -> float:
    """CPU seconds of this process (other processes on a busy machine do not count)."""
    best = float("inf")
    for _ in range(tries):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _as_bytes(text: str) -> bytes:
    return text.encode("ascii", "replace")


def _within(run: Callable[[], object], bound: float) -> tuple[bool, float]:
    """Time ``run``; on a slow first try (a busy machine), take the best of three."""
    took = _elapsed(run)
    if took > bound:
        took = _elapsed(run, 3)
    return took <= bound, took


PATTERNS = list(_patterns())


def test_the_scan_finds_the_patterns() -> None:
    names = {n for n, _ in PATTERNS}
    assert "incident_lab.text.lexicon.DESTRUCTIVE" in names
    assert "incident_lab.classify.severity._ITEMS" in names
    assert "incident_lab.provenance.actions.ACCESS_COMMAND" in names
    assert "incident_lab.provenance.cues._VERB_START_RE" in names
    assert "incident_lab.provenance.cues._ROLE_HEADER" in names  # s39: role label heading words
    assert "incident_lab.provenance.cues._ASK_ENDS" in names  # s39 mend: where an ask ends
    assert "incident_lab.provenance.cues._PERSONA_ENDS" in names
    assert "incident_lab.provenance.cues._STEP_PROMPT_ASK_AT" in names
    assert "incident_lab.provenance.cues._PERSONA_SWITCH_AT" in names
    assert "incident_lab.classify.injection._FOLLOW_NOTES" in names
    assert "incident_lab.provenance.cues._PERSONA_TR_AT" in names  # s39 last mend
    assert "incident_lab.provenance.cues._SAID_TR" in names
    assert "incident_lab.provenance.cues._PERSONA_SUBJECT" in names
    assert "incident_lab.provenance.cues._CATALOGUE_ITEM" in names
    assert "incident_lab.provenance.cues._ITEM_NUMBER" in names
    assert "incident_lab.provenance.cues._LABEL_DESCRIBED" in names
    assert len(PATTERNS) >= 40


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_pattern_is_linear_on_adversarial_input(name: str, pattern: Any) -> None:
    # A pattern over bytes (RE2 offsets as the caller reads them) is timed on bytes: the
    # prose baseline of a bytes pattern searched in a str measured nothing but a type error.
    as_input = _as_bytes if isinstance(pattern.pattern, bytes) else str
    prose = as_input(_fill(PROSE))
    base = _elapsed(lambda: sum(1 for _ in pattern.finditer(prose)), 3)
    for text in map(as_input, ADVERSARIAL):
        found = sum(1 for _ in pattern.finditer(text))
        ok, took = _within(
            lambda t=text: sum(1 for _ in pattern.finditer(t)),
            FACTOR * base + SLACK + PER_MATCH * found,
        )
        assert ok, f"{name} took {took:.3f}s on {text[:12]!r}… ({found} matches)"


def test_the_patterns_built_from_values_are_linear() -> None:
    prose = _fill(PROSE)
    base = _elapsed(lambda: find_value("finance team", prose, prose.lower()), 3)
    verbs_base = _elapsed(lambda: verb_used("email", prose) or verb_used("send", prose), 3)
    for text in ADVERSARIAL:
        for value in ("a@a.a", "1000", "a a a a a", "https://a.a/a", "ignore previous"):
            ok, took = _within(
                lambda t=text, v=value: find_value(v, t, t.lower()), FACTOR * base + SLACK
            )
            assert ok, f"find_value({value!r}) took {took:.3f}s"
        ok, took = _within(
            lambda t=text: verb_used("email", t) or verb_used("send", t),
            FACTOR * verbs_base + SLACK,
        )
        assert ok, f"verb_used took {took:.3f}s on {text[:12]!r}"
    for text in ADVERSARIAL[:12]:
        ok, took = _within(lambda t=text: anchors(t[:2000]), SLACK)
        assert ok, f"anchors took {took:.3f}s on {text[:12]!r}"


def _session(output: str) -> dict[str, Any]:
    return traj(
        user("Summarise the document and email it to bob@corp.example."),
        call("read_document", "1", doc_id="d"),
        result(output, "1"),
        call("send_email", "2", to="bob@corp.example", body=output[:2000]),
        result("sent", "2"),
    )


def test_whole_session_on_crafted_tool_output_is_bounded() -> None:
    """The issue-12 case: a 40 KB crafted tool output took 33 s in classify."""
    prose = _session(_fill(PROSE))
    base = _elapsed(lambda: (analyse(prose), classify_trajectory(prose)), 2)
    for unit in ("a@", "a.", "1 ", "+1 (", "AA-11", "a@a.", "ignore ", "<!--", "%41", "AA%4"):
        crafted = _session(_fill(unit))
        ok, took = _within(lambda c=crafted: (analyse(c), classify_trajectory(c)), 10 * base + 1.0)
        assert ok, f"{unit!r}: {took:.2f}s vs prose {base:.2f}s"


def test_tool_names_in_crafted_tool_output_are_found_in_bounded_time() -> None:
    """A 100 KB output made of a session tool's name, open call syntax, backticks: the
    tool-request scan (``str.find`` per name, one request judgement per unit) stays linear."""
    prose = _session(_fill(PROSE))
    base = _elapsed(lambda: analyse(prose), 2)
    for unit in ("send_email(", "send_email('1", "`send_email` ", "send_email.", "send_email "):
        crafted = _session(_fill(unit))
        ok, took = _within(lambda c=crafted: analyse(c), 10 * base + 1.0)
        assert ok, f"{unit!r}: {took:.2f}s vs prose {base:.2f}s"
