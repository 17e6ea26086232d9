"""Spaced-out letters are joined in linear time, exactly as the pattern that states the rule."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.classify import classify_trajectory
from incident_lab.provenance import text as ptext
from tests.incident_lab.classify.builders import call, result, traj, user


def _by_pattern(text: str) -> str:
    return ptext._SPACED.sub(lambda m: m.group(0).replace(" ", "").replace("\t", ""), text)


_PIECES = ["a", "b", "7", ",", ".", "-", "'", "@", "€", "é", "_", " ", " ", "\t", "\n", "  ",
           "ab", "a,", "\xa0", "!?", "\u2028", "\x1c", "I", "g"]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_despaced_joins_what_the_pattern_matches(text: str) -> None:
    assert ptext._despaced(text) == _by_pattern(text)


def test_despaced_examples() -> None:
    assert ptext._despaced("I g n o r e   a l l   p r e v i o u s") == "Ignore   all   previous"
    assert ptext._despaced("x a b c, d") == "xabc, d"
    assert ptext._despaced(", , , ,") == ", , , ,"


def test_a_long_run_of_spaced_pieces_that_never_ends_in_a_letter_is_linear() -> None:
    """``", " * n + "€"`` made Python's engine retry every word start: 160 KB took 212 s of
    classify (quadratic; 60 KB here: ≈ 20 s); now such a tool output is read in well under a second."""
    sess = traj(
        user("Summarise the report."),
        call("read_document", doc_id="report"),
        result("Report:\n" + ", " * 30_000 + "€"),
    )
    started = time.process_time()
    classify_trajectory(sess)
    assert time.process_time() - started < 3.0
