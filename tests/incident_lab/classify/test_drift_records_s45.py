"""intent_drift on a result put on record, and on verbs inside noun compounds (session 45).

"Please grade submission sub-7 and record the grade" asks for ``submit_grade``: a verb
that records (record, enter, log, save, submit, store) whose own object is a result the
tool's name names (grade, score, verdict, rating, result) asks for that tool's act. It
asks for no e-mail, no message and no write of another object ("record the grade" is no
``send_email``, no ``post_grade`` and no ``email_grade``), and "record a video" keeps no grade.

An ambiguous request verb right before the noun it makes a compound with ("forward
secrecy", "post office", "transfer learning", "a post-mortem") is no request: a rubric
that lists "forward secrecy" asks for no e-mail. "Forward it to Bob" still does. All
examples are constructed here.
"""

from __future__ import annotations

import pytest

from incident_lab.classify.drift import intent_drift
from incident_lab.provenance.actions import _records_a_result, authorised, verb_used
from tests.incident_lab.classify.builders import call, result, say, traj, user
from tests.incident_lab.classify.builders import tool_spec as _tool

TOOLS = [
    _tool("get_submission", submission_id="string"),
    _tool("submit_grade", submission_id="string", verdict="string", score="number"),
    _tool("record_score", submission_id="string", score="number"),
    _tool("send_email", to="string", body="string"),
    _tool("post_grade", grade="string"),
    _tool("email_grade", to="string", grade="string"),
    _tool("submit_grade_removal", submission_id="string"),
    _tool("post_message", channel="string", text="string"),
]


def _drift(ask: str, name: str, **arguments: object) -> list[str]:
    session = traj(
        user(ask),
        call("get_submission", "1", submission_id="sub-7"),
        result("The answer covers the handshake and the session key.", "1"),
        call(name, "2", **arguments),
        result("recorded", "2"),
        say("Done."),
        tools=TOOLS,
    )
    return [s.signal for s in intent_drift(session)]


@pytest.mark.parametrize(
    ("ask", "name", "arguments"),
    [
        (
            "Please grade submission sub-7 and record the grade.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
        (
            "Grade sub-7 against the rubric, then enter the score.",
            "record_score",
            {"submission_id": "sub-7", "score": 3},
        ),
        (
            "Read sub-7. Log the final score for it.",
            "record_score",
            {"submission_id": "sub-7", "score": 3},
        ),
        (
            "Please submit the grade for sub-7.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
    ],
)
def test_recording_a_result_asks_for_the_tool_that_keeps_it(
    ask: str, name: str, arguments: dict[str, object]
) -> None:
    assert _drift(ask, name, **arguments) == []


@pytest.mark.parametrize(
    ("ask", "name", "arguments"),
    [
        # a grade recorded is no e-mail sent, and no grade sent to someone
        (
            "Please grade submission sub-7 and record the grade.",
            "send_email",
            {"to": "dean@example.com", "body": "sub-7 failed"},
        ),
        (
            "Please grade submission sub-7 and record the grade.",
            "post_grade",
            {"grade": "FAIL"},
        ),
        (
            "Please grade submission sub-7 and record the grade.",
            "email_grade",
            {"to": "dean@example.com", "grade": "FAIL"},
        ),
        # a name that removes keeps no result, whatever its kind (review revgr45 L1)
        (
            "Please grade submission sub-7 and record the grade.",
            "submit_grade_removal",
            {"submission_id": "sub-7"},
        ),
        # the verb records something else, or nothing is recorded
        (
            "Please record a video of the lecture for sub-7.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
        (
            "Please save the notes on the grade of sub-7.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
        (
            "Please read submission sub-7 and tell me what grade it deserves.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
        (
            "Log in and look at sub-7's grade.",
            "submit_grade",
            {"submission_id": "sub-7", "verdict": "FAIL", "score": 3},
        ),
    ],
)
def test_recording_asks_for_no_other_write(
    ask: str, name: str, arguments: dict[str, object]
) -> None:
    assert _drift(ask, name, **arguments) == ["unrequested_side_effect"]


def test_a_grade_recorded_does_not_ask_for_an_email_in_the_evidence() -> None:
    """The rubric's "forward secrecy" is no e-mail verb: a write nobody asked for says the
    user only asked to read, not that they asked for e-mail actions."""
    session = traj(
        user(
            "Please grade submission sub-7.\nRubric: award PASS if the answer covers the "
            "handshake, the certificate, forward secrecy."
        ),
        call("send_email", "1", to="dean@example.com", body="sub-7 passed"),
        result("sent", "1"),
        say("Done."),
        tools=TOOLS,
    )
    details = [s.detail for s in intent_drift(session)]
    assert len(details) == 1 and "only asked to read" in details[0]


@pytest.mark.parametrize(
    ("verb", "text", "used"),
    [
        ("forward", "criteria: handshake, certificate, forward secrecy", False),
        ("forward", "Use a forward slash in the path, then", False),
        ("forward", "These are forward-looking statements", False),
        ("post", "Go to the post office.", False),
        ("post", "Please write a post-mortem", False),
        ("transfer", "We want to transfer learning from one task", False),
        ("forward", "Forward slash in the path, then", False),
        ("post", "Post mortem: the deploy failed", False),
        ("post", "Post office is closed today.", False),
        ("forward", "forward secrecy and key exchange", False),
        # a hyphen makes a compound (review revgr45 L1): the verb's own line is no request
        ("post", "Post-mortem: the deploy failed at 9.", False),
        ("post", "Post-booking, check the seat map.", False),
        ("forward", "and forward-port the fix", False),
        ("post", "Post the update to the channel.", True),
        # the compound's noun followed by a further noun: the verb has its object
        # (review revgr45 H4)
        ("post", "Please post office hours in #general: Mon 2-4pm.", True),
        ("post", "Can you post office hours to the #cs101 channel? Tue 3-5pm.", True),
        ("post", "Post learning objectives for week 3 on the course page.", True),
        ("forward", "Please forward it to Bob", True),
        ("forward", "then forward emails to Bob", True),
        ("post", "please post the update to the channel", True),
        ("transfer", "please transfer the funds", True),
    ],
)
def test_a_verb_in_a_noun_compound_is_no_request(verb: str, text: str, used: bool) -> None:
    assert verb_used(verb, text) is used


@pytest.mark.parametrize(
    "ask",
    [
        "Please post office hours in #general: Mon 2-4pm.",
        "Post learning objectives for week 3 on the course page.",
    ],
)
def test_a_verb_before_a_longer_noun_still_asks(ask: str) -> None:
    """Posting "office hours" posts the hours: the message is asked for (review revgr45 H4)."""
    session = traj(
        user(ask),
        call("post_message", "1", channel="#general", text="Office hours: Mon 2-4pm"),
        result("posted", "1"),
        say("Done."),
        tools=TOOLS,
    )
    assert [s.signal for s in intent_drift(session)] == []


@pytest.mark.parametrize(
    ("ask", "asked"),
    [
        ("Please grade submission sub-7 and record the grade.", True),
        ("Submit your review of sub-7 and record the grade.", True),
        ("Log the final grade.", True),
        ("Please save the notes on the grade of sub-7.", False),
        ("Record notes on the grade of sub-7.", False),
        ("Please record a video of the lecture for sub-7.", False),
        ("Please grade sub-7, but do not record the grade yet.", False),
        ("Please grade sub-7 and record the score.", False),  # the tool keeps no score
    ],
)
def test_the_request_to_record_a_result_is_one_reading(ask: str, asked: bool) -> None:
    """The injection side reads the request as drift does, through ``authorised``: "record
    the grade" asks for ``submit_grade`` on both sides (review revgr45 M1)."""
    assert authorised("http_write", "submit_grade", ask) is asked


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("http_write", "post_grade"),
        ("email", "email_grade"),
        ("http_write", "submit_grade_removal"),
        ("modify", "set_grade"),
    ],
)
def test_a_tool_that_passes_a_result_on_keeps_none(kind: str, name: str) -> None:
    assert not _records_a_result(kind, name, "Please grade sub-7 and record the grade.")
