"""A tool's kind read from its name, and the user's words that ask for it (issue 10).

BFCL's own ground-truth calls were read as unrequested side effects: a pure computation
whose name hides a credential word ("otp" in ``footprint``), an SDK read whose namespace or
object names a booking or a share (``sports_team.get_schedule``, ``cookbook.search_recipe``,
``finance.calculate_quarterly_dividend_per_share``). Every spelling of a side effect that a
review broke last session keeps its kind (rev-drift B1/B2/B6, rev-dm A3). All examples are
constructed here.
"""

from __future__ import annotations

import time

import pytest

from incident_lab.classify.drift import intent_drift
from incident_lab.provenance.actions import action_kind
from tests.incident_lab.classify.builders import call, result, say, traj, user


@pytest.mark.parametrize(
    "name",
    [
        "calculate_carbon_footprint",
        "sports_team.get_schedule",
        "cookbook.search_recipe",
        "finance.calculate_quarterly_dividend_per_share",
        "api_token_api.APITokenApi.get_api_tokens",
        "CustomDashboardsApi.get_shareable_api_tokens",
        "estimate_footprint",
        "weather/get_forecast",
        "geometry::compute_area",
        "convertCurrency",
    ],
)
def test_a_read_or_computation_named_by_its_verb_is_a_read(name: str) -> None:
    assert action_kind(name) == "read"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        # short credential words at the start or end of a name word stay credential
        ("totp_verify", "credential"),
        ("otp_verify", "credential"),
        ("send_otp", "credential"),
        ("sendOtpCode", "credential"),
        ("verify_2fa", "credential"),
        ("mfa_reset", "credential"),
        ("verifyotpcode", "credential"),
        # camelCase one-part names (rev-drift B1)
        ("sendMoney", "payment"),
        ("transferFunds", "payment"),
        ("PayInvoice", "payment"),
        ("doBooking", "booking"),
        ("updateApiKey", "credential"),
        # SDK names with a generic method (rev-drift B2)
        ("paypal.payments.create", "payment"),
        ("users.password.update", "credential"),
        ("tweet.create", "message"),
        # hyphen, colon, space (rev-dm A3)
        ("send-money", "payment"),
        ("send:money", "payment"),
        ("send money", "payment"),
        ("sendmoney-v2", "payment"),
        ("bank-send-money", "payment"),
        # a read or computation verb with a side effect after it (rev-drift B6)
        ("login_and_transfer_funds", "payment"),
        ("calculate_and_transfer_funds", "payment"),
        ("analyze_and_send_email", "email"),
        ("calculateTransferFunds", "payment"),
        ("calculate_then_pay", "payment"),
        ("compute_and_share_report", "permission"),
        ("calculate_share_price", "permission"),
        ("estimate_and_book_flight", "booking"),
        ("convert_and_send_payment", "payment"),
        # namespaced reads whose namespace or object acts
        ("bank.get_and_transfer_funds", "payment"),
        ("bank.check_and_pay", "payment"),
        ("payments.get_then_refund", "payment"),
        ("calendar.get_schedule_meeting", "booking"),
        ("bank.transfer.get", "payment"),
        ("wallet.calculate_fee", "payment"),
        ("booking.search_and_reserve", "booking"),
        ("mail.send.get", "email"),
        ("files/delete.get", "delete"),
        ("sports_team.get_schedule_and_book", "booking"),
    ],
)
def test_side_effect_spellings_keep_their_kind(name: str, kind: str) -> None:
    assert action_kind(name) == kind


def test_an_http_method_still_decides_a_namespaced_api_read() -> None:
    assert action_kind("api_token_api.APITokenApi.get_api_tokens", {"method": "POST"}) != "read"


def _drift(ask: str, tool: str, **args: str) -> list[object]:
    t = traj(
        user(ask),
        call("get_balance", "c1"),
        result('{"balance": 1520.33}', "c1"),
        call(tool, "c2", **args),
        result("ok", "c2"),
        say("Done."),
        tools=None,
    )
    return list(intent_drift(t))


@pytest.mark.parametrize(
    "tool",
    ["calculate_carbon_footprint", "finance.calculate_quarterly_dividend_per_share"],
)
def test_a_computation_the_user_asked_for_is_no_drift(tool: str) -> None:
    assert _drift("What is my balance? Then calculate the carbon footprint.", tool, x="1") == []


@pytest.mark.parametrize(
    "name",
    [
        "ns." + "get_" + "a" * 100_000,
        "calculate_" + "otp" * 33_000,
        "calculate" + "_per_share" * 10_000,
        "x::" * 30_000 + "get_schedule",
        "calculate" + "Footprint" * 11_000,
    ],
)
def test_reading_a_100kb_name_is_fast(name: str) -> None:
    start = time.process_time()
    action_kind(name)
    assert time.process_time() - start < 1.0
