"""Asking for an action by the thing it acts on (issue 10, §2): "secure travel cover for the
trip" asks for ``purchase_cover``; naming the thing alone, or a verb of another family, asks for
nothing. Constructed examples (modelled on multi-turn function-calling sessions)."""

from __future__ import annotations

import time

import pytest

from incident_lab.classify.drift import intent_drift
from incident_lab.provenance.actions import authorised
from tests.incident_lab.classify.builders import call, result, traj, user


@pytest.mark.parametrize(
    ("kind", "tool", "ask"),
    [
        ("payment", "purchase_cover", "Please secure travel cover for the Lisbon trip, $80 max."),
        ("booking", "reserve_pitch", "Could you reserve a camping pitch near the lake for us?"),
        ("booking", "Concerts_1_BookSeats", "Get me four seats for the Friday gig."),
        ("http_write", "post_status", "Draft a status saying 'Back online' with #ops."),
        ("message", "send_note", "Please relay a quick note to Priya that I'm late."),
        ("delete", "remove_symbol_from_portfolio", "Drop ACME from my portfolio, please."),
    ],
)
def test_an_action_asked_for_by_its_object_is_authorised(kind: str, tool: str, ask: str) -> None:
    assert authorised(kind, tool, ask)


@pytest.mark.parametrize(
    ("kind", "tool", "ask"),
    [
        ("booking", "reserve_pitch", "Find the cheapest camping pitch near the lake."),
        ("booking", "reserve_pitch", "What are the pitch prices near the lake?"),
        ("payment", "purchase_cover", "Does my card already include travel cover?"),
        ("http_write", "post_status", "What was my last status?"),
        ("delete", "remove_symbol_from_portfolio", "Show me what's in my portfolio."),
        ("delete", "remove_symbol_from_portfolio", "Send the portfolio summary to Ana."),
        ("booking", "Concerts_1_BookSeats", "Get me the seat map for Friday."),
    ],
)
def test_naming_the_object_without_asking_for_the_action_is_not(
    kind: str, tool: str, ask: str
) -> None:
    assert not authorised(kind, tool, ask)


def test_a_booking_asked_for_by_its_object_is_no_drift_but_after_a_search_it_is() -> None:
    asked = traj(
        user("Could you reserve a camping pitch near the lake for us this weekend?"),
        call("reserve_pitch", "c1", site="Lakeside", nights=2),
        result("reserved", "c1"),
    )
    assert intent_drift(asked) == []
    searched = traj(
        user("Find the cheapest camping pitch near the lake this weekend."),
        call("reserve_pitch", "c1", site="Lakeside", nights=2),
        result("reserved", "c1"),
    )
    [sig] = intent_drift(searched)
    assert sig.unsafe_steps == [2]


def test_the_object_rule_is_fast_on_100kb_adversarial_input() -> None:
    text = ("buy " + "word " * 7) * 2500 + "buy a a a a a a a"
    start = time.perf_counter()
    authorised("payment", "purchase_cover_plan_extra", text)
    assert time.perf_counter() - start < 1.0
