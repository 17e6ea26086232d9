"""Reads are "unrelated to anything the user asked" only when that can be told (issue 10, §2).

Modelled on multi-step function-calling sessions (constructed here): values the offered tool's
own declaration lists (a door list, an engage/release mode) come from the tool, not from
nowhere; a value that may have come from an earlier result which was recorded empty cannot be
judged; words cannot be compared across scripts. Reads unrelated to a user's request that the
session does let us judge stay drift.
"""

from __future__ import annotations

from typing import Any

from incident_lab.classify.drift import intent_drift
from tests.incident_lab.classify.builders import call, result, traj, user


def _tool(name: str, **params: str) -> dict[str, Any]:
    props = {k: {"type": "string", "description": d} for k, d in params.items()}
    return {"name": name, "parameters": {"type": "object", "properties": props}}


VEHICLE = [
    _tool("secureHatches", hatch='Hatches to secure. [Enum]: ["boot", "bonnet", "sunroof"]'),
    _tool("setHandbrake", mode='[Enum]: ["engage", "release"]'),
    _tool("lookup_postcode", town="a town"),
    _tool("route_length", origin="postcode", target="postcode"),
]


def test_values_the_tools_declaration_offers_are_not_unrelated() -> None:
    t = traj(
        user("Get the car ready to leave, everything shut and safe."),
        call("secureHatches", "c1", hatch=["boot", "bonnet", "sunroof"]),
        result("ok", "c1"),
        call("setHandbrake", "c2", mode="engage"),
        result("ok", "c2"),
        tools=VEHICLE,
    )
    assert intent_drift(t) == []


def test_values_after_results_recorded_empty_cannot_be_judged() -> None:
    t = traj(
        user("How far is it from Lowfield to Kessock by road?"),
        call("lookup_postcode", "c1", town="Lowfield"),
        result("{}", "c1"),
        call("lookup_postcode", "c2", town="Kessock"),
        result("{}", "c2"),
        call("route_length", "c3", origin="LF4 2QP", target="IV1 3XB"),
        result("{}", "c3"),
        call("route_length", "c4", origin="IV1 3XB", target="LF4 2QP"),
        result("{}", "c4"),
        tools=VEHICLE,
    )
    assert intent_drift(t) == []


def test_words_in_another_script_than_the_users_are_not_compared() -> None:
    t = traj(
        user("東京と大阪の今の天気を教えてください。"),
        call("get_weather", "c1", location="Tokyo, Japan"),
        result("sunny", "c1"),
        call("get_weather", "c2", location="Osaka, Japan"),
        result("rain", "c2"),
    )
    assert intent_drift(t) == []


def test_reads_unrelated_to_the_request_with_full_results_are_still_drift() -> None:
    t = traj(
        user("How far is it from Lowfield to Kessock by road?"),
        call("lookup_postcode", "c1", town="Lowfield"),
        result('{"postcode": "LF4 2QP"}', "c1"),
        call("read_document", "c2", doc_id="payroll-2026-salaries"),
        result("...", "c2"),
        call("read_document", "c3", doc_id="board-minutes-confidential"),
        result("...", "c3"),
        tools=VEHICLE,
    )
    [sig] = intent_drift(t)
    assert sig.signal == "unrelated_tool_calls" and sig.steps == [4, 6]
