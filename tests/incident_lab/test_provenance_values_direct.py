"""find_value's direct tries (no pattern compiled) find what the compiled pattern finds."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.provenance import values
from incident_lab.provenance.values import _pattern, find_value

# ASCII words with the characters that decide a boundary (letters, digits, "_", "-", ".",
# "@") and every kind of blank a value or a text can hold between words.
_WORD = st.text(alphabet="aAbBkK0_-.@", min_size=1, max_size=4)
_GAP = st.text(alphabet=" \t\n\x0b\x1c", min_size=1, max_size=2)


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, str]:
    words = draw(st.lists(_WORD, min_size=1, max_size=4))
    value = " ".join(words)
    noise = draw(st.lists(_WORD | _GAP, max_size=12))
    if draw(st.booleans()):  # the value (or its start), somewhere, in any case, any gaps
        shown = [w.upper() if draw(st.booleans()) else w for w in words]
        shown = shown[: draw(st.integers(1, len(shown)))]
        glued = "".join(w + draw(_GAP) for w in shown[:-1]) + shown[-1]
        noise.insert(draw(st.integers(0, len(noise))), glued)
    return value, "".join(noise)


def _by_pattern(value: str, text: str) -> tuple[int, int] | None:
    pattern = _pattern(value.strip())
    m = pattern.search(text) if pattern is not None else None
    return m.span() if m else None


@settings(max_examples=600, deadline=None)
@given(_case())
def test_direct_tries_are_the_pattern(case: tuple[str, str]) -> None:
    value, text = case
    if values._NUMBER.fullmatch(value.split()[0].lower()):
        return  # numbers take the number pattern, not the direct tries
    assert find_value(value, text, text.lower()) == _by_pattern(value, text)


def test_boundaries_and_long_values_by_hand() -> None:
    assert find_value("Bob Smith", "hi bob\n\tSMITH!", "hi bob\n\tsmith!") == (3, 13)
    assert find_value("bob", "bobby bob", "bobby bob") == (6, 9)
    assert find_value("a@b.co", "xa@b.co", "xa@b.co") is None  # a word character before
    assert find_value("-x", "a-x", "a-x") == (1, 3)  # no letter first: no left boundary
    # More than 60 words: the pattern spells out 60, the boundary follows the last word.
    long = " ".join(["w"] * 61 + ["."])
    text = " ".join(["w"] * 60) + "w"
    assert find_value(long, text, text) == _by_pattern(long, text)


def test_direct_tries_compile_nothing_for_a_value_found_or_ruled_out() -> None:
    _pattern.cache_clear()
    text = "Ticket for Jane Roe <jane@corp.example> about the invoice"
    assert find_value("jane@corp.example", text, text.lower()) == (21, 38)
    assert find_value("Jane  Roe", text, text.lower()) == (11, 19)
    assert find_value("jane doe", text, text.lower()) is None
    assert _pattern.cache_info().currsize == 0


def test_many_first_words_fall_back_to_the_pattern_in_linear_time() -> None:
    text = "a " * 50_000 + "a b"
    t0 = time.process_time()
    assert find_value("a b", text, text) == (100_000, 100_003)
    assert time.process_time() - t0 < 2.0
