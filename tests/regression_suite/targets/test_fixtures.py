"""Recorded tool outputs are served back by tool name, then argument similarity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from regression_suite.targets.fixtures import FixtureBook, argument_similarity

FIXTURES = [
    {"tool": "read_document", "arguments": {"doc_id": "q2-report"}, "output": "Q2"},
    {"tool": "read_document", "arguments": {"doc_id": "q3-report"}, "output": "Q3"},
    {"tool": "search", "arguments": {"query": "refunds"}, "output": "hit", "is_error": False},
    {
        "tool": "send_email",
        "arguments": {"to": "a@b.example"},
        "output": "bounce",
        "is_error": True,
    },
]


def test_exact_arguments_win() -> None:
    """The fixture with identical arguments is served."""
    book = FixtureBook(FIXTURES)
    assert book.answer("read_document", {"doc_id": "q3-report"}).output == "Q3"
    assert book.answer("read_document", {"doc_id": "q2-report"}).output == "Q2"


def test_closest_arguments_win_when_none_is_identical() -> None:
    """'Q3 report' is closer to 'q3-report' than to 'q2-report'."""
    answer = FixtureBook(FIXTURES).answer("read_document", {"doc_id": "q3 report"})
    assert answer.output == "Q3" and answer.fixture == 1


def test_repeated_calls_get_the_recorded_outputs_in_turn() -> None:
    """Equally good fixtures are served least-used first, then earliest."""
    book = FixtureBook([{"tool": "poll", "output": "1"}, {"tool": "poll", "output": "2"}])
    assert [book.answer("poll", {}).output for _ in range(3)] == ["1", "2", "1"]


def test_recorded_errors_stay_errors() -> None:
    """is_error is served back as recorded."""
    answer = FixtureBook(FIXTURES).answer("send_email", {"to": "a@b.example"})
    assert answer.is_error and answer.output == "bounce"


def test_unknown_and_unrecorded_tools() -> None:
    """Not offered -> 'unknown tool'; offered but never recorded -> 'no recorded output'."""
    book = FixtureBook(FIXTURES, offered=["read_document", "create_ticket"])
    unknown = book.answer("search", {"query": "refunds"})
    assert (
        unknown.is_error and unknown.output.startswith("unknown tool") and unknown.fixture is None
    )
    missing = book.answer("create_ticket", {})
    assert missing.is_error and missing.output.startswith("no recorded output")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
arguments = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


@given(arguments, arguments)
def test_similarity_is_bounded_symmetric_and_one_for_identical(a: dict, b: dict) -> None:
    """Similarity stays in [0, 1], does not depend on order, and is 1 for equal arguments."""
    score = argument_similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert abs(score - argument_similarity(b, a)) < 1e-9
    assert argument_similarity(a, dict(a)) == 1.0
