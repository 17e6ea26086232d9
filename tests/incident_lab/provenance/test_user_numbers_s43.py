"""A file whose stem carries a number the user wrote is the user's (``repro_482.json`` of
"fix bug #482"): :func:`analysis._numbers` reads the user's digit runs of three or more.

The JSON-number pattern further down the module once took over the name of the digit-run
pattern ``_numbers`` reads, so that it returned (number, colon) pairs and no stem's number
ever matched one the user wrote."""

from __future__ import annotations

from incident_lab.provenance import analysis
from tests.incident_lab.classify.builders import tool_session


def test_numbers_are_digit_runs() -> None:
    assert analysis._numbers("fix bug #482 in repro_482.json, see 12 and 2026") == frozenset(
        ["482", "2026"]
    )


def test_a_file_numbered_as_the_users_bug_is_not_new() -> None:
    t = tool_session(
        "Fix bug #482 in the parser.",
        [("write_file", {"path": "tests/data/repro_482.json", "content": "{}"}, "ok")],
    )
    session = analysis._Session(t)
    call = session.call_steps[0]
    assert analysis._new_targets(session, call) == []


def test_a_file_with_another_number_is_new() -> None:
    t = tool_session(
        "Fix bug #482 in the parser.",
        [("write_file", {"path": "tests/data/repro_913.json", "content": "{}"}, "ok")],
    )
    session = analysis._Session(t)
    assert analysis._new_targets(session, session.call_steps[0]) == ["repro_913.json"]
