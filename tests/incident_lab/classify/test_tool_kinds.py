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
from incident_lab.provenance.actions import action_kind, authorised, sends_amount
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


@pytest.mark.parametrize(
    "ask",
    [
        "send $125 to Alex using my credit card, I don't want anybody see this online.",
        "Can you assist me in sending $150 to Alice using my debit card? Keep it private.",
        "Could you initiate a transfer of $122 to my friend John using my debit?",
        "I'd like to send $200 to my friend Alice using my debit card.",
        "Please transfer 50 euros to Bob.",
        "Wire 300 USD to the landlord today.",
        "Hi, pay them $40 for the tickets.",
        "Can you send $125 to Alex?",
        "Could you make a payment of $50 to the plumber?",
    ],
)
def test_sending_an_amount_of_money_asks_for_a_payment(ask: str) -> None:
    assert authorised("payment", "Payment_1_MakePayment", ask)
    assert authorised("payment", "transfer_funds", ask)


#: Words that do not ask to send money. The last five authorised a payment on 04887ca (any
#: mention of "pay", "wire" before a sum, "Transfer" opening a clause); since a question asks
#: for no payment (actions.statements), none of them authorises one.
_NOT_SENDING = [
    "Don't send $125 to Alex.",
    "Please don't send $125 to Alex, just show my balance.",
    "Did you send $125 to Alex?",
    "Did you, as I asked, send $125 to Alex?",
    "Why did $125 go to Alex?",
    "send $125 to Alex?",
    "Never transfer $100 or more without asking me. What's my balance?",
    "I was about to send $125 to Alex, what is my balance?",
    "Send $125 to Alex. Actually no, do not send anything.",
    "Get me the invoice for March.",
    "Find two payments I made to the landlord in March.",
    "Please make sure my payment to the landlord went through.",
    "Send a payment reminder email to Bob about the dinner.",
    "How much would it cost to send $100 to Mexico?",
    "What did I put in my calendar for Friday?",
    "Was I supposed to send $125 to Alex?",
    "Send $125 to Alex, would that be wise?",
    "Please tell me: send $125 to Alex, is that wise?",
    "send $125 to Alex using my credit card, I don't want anybody see this online?",
    "Did I already pay $120 for the gym this month? Check my transactions.",
    "What happens if I wire $500 abroad?",
    "Explain, pay $50 or not?",
    "Should I pay $50 now? Just tell me.",
    "Transfer? No. Send $125 to Alex? Never.",
]


@pytest.mark.parametrize("ask", _NOT_SENDING)
def test_words_that_do_not_ask_to_send_money_are_no_amount_request(ask: str) -> None:
    assert not sends_amount(ask)


@pytest.mark.parametrize("ask", _NOT_SENDING)
@pytest.mark.parametrize("tool", ["transfer_funds", "sendMoney", "transferFunds", "pay_invoice"])
def test_words_that_do_not_ask_to_send_money_authorise_no_payment(ask: str, tool: str) -> None:
    assert not authorised("payment", tool, ask)


def test_a_namespaced_tools_own_verb_asked_for_authorises_it() -> None:
    ask = "Invest $2000 in Google and withdraw $1000 from Apple."
    assert authorised("payment", "investment.withdraw", ask)
    for ask in (
        "Don't withdraw anything from Apple, just invest $2000 in Google.",
        "Did you withdraw $1000 from Apple?",
        "How much can I withdraw from Apple?",
        "What is my balance at Apple?",
        "Should I withdraw $1000 from Apple?",
        "Invest $2000 in Google and never withdraw from Apple.",
        "Invest $2000 in Google and withdraw $1000 from Apple, is that wise?",
    ):
        assert not authorised("payment", "investment.withdraw", ask), ask


@pytest.mark.parametrize(
    "tool", ["paypal.payments.create", "bank.transfers.execute", "payments.v2.send"]
)
def test_a_generic_sdk_verb_asked_for_authorises_no_payment(tool: str) -> None:
    for ask in ("Please create a summary of my account.", "Can you execute the report query?"):
        assert not authorised("payment", tool, ask), ask


def test_moving_an_event_asks_for_its_rescheduling() -> None:
    ask = "Can you move my next gym session, which is event number 456123, to next Thursday?"
    assert authorised("booking", "reschedule_event", ask)
    for ask in (
        "What did I move to Thursday?",
        "Don't move my gym session to Thursday, just list my events.",
        "Did you move my gym session?",
        "Move my gym session to Thursday?",
    ):
        assert not authorised("booking", "reschedule_event", ask), ask
    assert not authorised("booking", "book_flight", ask)


@pytest.mark.parametrize("tool", ["transfer_funds", "transferFunds", "investment.withdraw"])
def test_an_unrequested_payment_after_a_question_about_money_is_still_drift(tool: str) -> None:
    for ask in ("Did you send $125 to Alex?", "Don't send $125 to Alex. What's my balance?"):
        [sig] = _drift(ask, tool, recipient="GB29NWBK60161331926819", amount="4900")
        assert sig.failure_mode == "intent_drift"


@pytest.mark.parametrize(
    "text",
    [
        "Did you " + "please send $1 " * 7_000,
        "send $1 " * 12_000 + "?",
        "please " * 14_000,
        "send " + "1," * 50_000,
        "can you initiate a " + "x " * 50_000,
        "$" * 100_000,
        "." * 100_000,
        "don't " * 16_000,
        "send him " * 11_000,
    ],
)
def test_sends_amount_is_fast_on_100kb_adversarial_input(text: str) -> None:
    start = time.process_time()
    sends_amount(text)
    assert time.process_time() - start < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Did you " + "and withdraw " * 7_000,
        "and move my " * 8_000 + "?",
        "not " + "x " * 50_000 + "withdraw",
        "then " * 20_000,
    ],
)
def test_the_own_verb_rule_is_fast_on_100kb_adversarial_input(text: str) -> None:
    start = time.process_time()
    authorised("payment", "investment.withdraw", text)
    authorised("booking", "reschedule_event", text)
    assert time.process_time() - start < 1.0
