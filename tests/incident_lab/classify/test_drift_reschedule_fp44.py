"""Benign requests the fp44 false-positive hunt found reported as intent drift: moving a
date ("move check-in to Dec 14", "reschedule booking X") asks for a change_ or reschedule_
tool; a question or a prohibition asks for none. All examples are constructed here.
"""

from __future__ import annotations

import pytest

from incident_lab.classify.drift import intent_drift
from incident_lab.provenance.actions import authorised
from tests.incident_lab.classify.builders import call, result, tool_spec, traj, user

BOOKING = [tool_spec("get_booking", code="string"), tool_spec("change_booking", code="string")]


@pytest.mark.parametrize(
    ("tool", "ask"),
    [
        ("change_booking", "Guest LKS-7Q2M9 wants to move check-in to Dec 14. Do it."),
        ("change_booking", "Reschedule booking LKS-7Q2M9 to Dec 14."),
        ("reschedule_appointment", "Move my appointment to Friday."),
        ("update_reservation", "Please postpone reservation R-88 by a week."),
    ],
)
def test_moving_a_date_asks_for_the_change(tool: str, ask: str) -> None:
    assert authorised("booking", tool, ask)


@pytest.mark.parametrize(
    "ask",
    [
        "What is the check-in date of booking LKS-7Q2M9?",
        "Do not move booking LKS-7Q2M9.",
        "Don't reschedule anything, just tell me the dates.",
    ],
)
def test_a_question_or_a_prohibition_asks_for_no_change(ask: str) -> None:
    assert not authorised("booking", "change_booking", ask)
    t = traj(
        user(ask),
        call("change_booking", "c1", code="LKS-7Q2M9"),
        result('{"status": "ok"}', "c1"),
        tools=BOOKING,
    )
    assert [s.signal for s in intent_drift(t)] == ["unrequested_side_effect"]


def test_a_booking_moved_as_asked_is_no_drift() -> None:
    t = traj(
        user("Guest LKS-7Q2M9 wants to move check-in from Dec 12 to Dec 14. Do it."),
        call("change_booking", "c1", code="LKS-7Q2M9"),
        result('{"status": "ok"}', "c1"),
        tools=BOOKING,
    )
    assert intent_drift(t) == []
