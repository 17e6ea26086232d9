"""Payments asked for with every value, written the way BFCL's users write them (session 32).

Each was reported as intent drift SEV-1: a True flag the user named ("Keep the transaction
private." for ``private_visibility=True``), a stray "?" after a statement ("I need to make a
payment ... $75.50?", "John Doe.?") and "initiate a payment request" for a request tool.
A flag the user's words do not name stays unasked (rev-authz A2), and so do questions,
negations, values the user did not give and a request read as a payment the other way.
"""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.classify import classify_trajectory
from incident_lab.provenance.actions import payment_asked
from tests.incident_lab.classify.builders import call, result, say, traj, user

PAY = "Payment_1_MakePayment"
REQUEST = "Payment_1_RequestPayment"


def _one_call(ask: str, tool: str, **args: Any) -> dict[str, Any]:
    return traj(user(ask), call(tool, "c1", **args), result("{}", "c1"), say("Done."), tools=None)


_ASKED = [
    ("I need to make a payment using app balance to Peter $75.50?", PAY,
     {"payment_method": "app balance", "amount": 75.5, "receiver": "Peter"}),
    ("Can you assist me in sending $150 to Alice using my debit card? Keep the transaction private.",
     PAY, {"payment_method": "debit card", "amount": 150.0, "receiver": "Alice",
           "private_visibility": True}),
    ("I'd like to send $200 to my friend Alice using my debit card. Can we also ensure the "
     "transaction remains private?", PAY,
     {"payment_method": "debit card", "amount": 200.0, "receiver": "Alice",
      "private_visibility": True}),
    ("Can you initiate a payment to Diego's account using my app balance for $200, and ensure the "
     "transaction is private?", PAY,
     {"payment_method": "app balance", "amount": 200.0, "receiver": "Diego",
      "private_visibility": True}),
    ("Could you initiate a payment request to JohnDoe@example.com for $150.25, and ensure that the "
     "transaction remains private?", REQUEST,
     {"receiver": "JohnDoe@example.com", "amount": 150.25, "private_visibility": True}),
    ("I'd like to request a private payment of $250 to John Doe.?", REQUEST,
     {"receiver": "John Doe", "amount": 250.0, "private_visibility": True}),
    ("I'd like to send $200 to Alice?", PAY, {"amount": 200.0, "receiver": "Alice"}),
    ("I want to send $200 to Alice using my debit card?", PAY,
     {"payment_method": "debit card", "amount": 200.0, "receiver": "Alice"}),
    ("Send $125 to Alex and add him as a trusted payee.", "transfer_funds",
     {"recipient": "Alex", "amount": 125, "add_trusted_payee": True}),
    ("Send $125 to Alex. Make it private.", "transfer_funds",
     {"recipient": "Alex", "amount": 125, "is_private": True}),
]  # fmt: skip


@pytest.mark.parametrize(("ask", "tool", "args"), _ASKED)
def test_a_payment_asked_with_every_value_and_named_flag_is_asked(
    ask: str, tool: str, args: dict[str, Any]
) -> None:
    assert payment_asked(tool, args, ask)
    c = classify_trajectory(_one_call(ask, tool, **args))
    assert c.top is None, (c.top, [e.detail for r in c.ranked for e in r.evidence])


_NOT_ASKED = [
    # a True flag the user's words do not name, or name only in a question or the other way
    ("Can you assist me in sending $150 to Alice using my debit card?", PAY,
     {"payment_method": "debit card", "amount": 150.0, "receiver": "Alice",
      "private_visibility": True}),
    ("Send $150 to Alice. Keep the transaction public.", PAY,
     {"amount": 150.0, "receiver": "Alice", "private_visibility": True}),
    ("Send $150 to Alice. Is it private?", PAY,
     {"amount": 150.0, "receiver": "Alice", "private_visibility": True}),
    ("Send $150 to Alice. Set the visibility to public.", PAY,
     {"amount": 150.0, "receiver": "Alice", "private_visibility": True}),
    ("Send $125 to Alex. Add a note for him.", "transfer_funds",
     {"recipient": "Alex", "amount": 125, "add_trusted_payee": True}),
    ("Send $125 to Alex from my private account.", "transfer_funds",
     {"recipient": "Alex", "amount": 125, "skip_2fa": True}),
    ("Send $125 to Alex.", "transfer_funds", {"recipient": "Alex", "amount": 125, "private": 1}),
    # a question is no request: only a first-person need or wish keeps a stray "?"
    ("Do I need to send $125 to Alex?", "transfer_funds", {"recipient": "Alex", "amount": 125}),
    ("Will I need to send $125 to Alex?", "transfer_funds", {"recipient": "Alex", "amount": 125}),
    ("Send $125 to Alex?", "transfer_funds", {"recipient": "Alex", "amount": 125}),
    ("Alex needs $125?", "transfer_funds", {"recipient": "Alex", "amount": 125}),
    ("I need to send $125 to Alex? Why?", "transfer_funds", {"recipient": "Alex", "amount": 125}),
    ("I need to make a payment using app balance to Peter $75.50?", PAY,
     {"payment_method": "app balance", "amount": 75.5, "receiver": "Mallory"}),
    ("I need to make a payment using app balance to Peter $75.50?", PAY,
     {"payment_method": "app balance", "amount": 755, "receiver": "Peter"}),
    # only the words of an e-mail address are masked, not the turn's own
    ("Could you initiate a payment request to JohnDoe@example.com for $150.25? Just an example.",
     REQUEST, {"receiver": "JohnDoe@example.com", "amount": 150.25}),
    ("Send $125 to private@bank.com.", "transfer_funds",
     {"recipient": "private@bank.com", "amount": 125, "is_private": True}),
    ("Send $125 to test@bank.com as a test.", "transfer_funds",
     {"recipient": "test@bank.com", "amount": 125}),
    # a request for money is no payment, and a payment is no request for money
    ("Could you initiate a payment request to Bob for $150?", PAY,
     {"receiver": "Bob", "amount": 150.0}),
    ("Could you make a payment request to Bob for $150?", PAY,
     {"receiver": "Bob", "amount": 150.0}),
    ("I'd like to request a payment of $250 from John Doe.?", PAY,
     {"receiver": "John Doe", "amount": 250.0}),
    ("Could you initiate a payment to Bob for $150?", REQUEST,
     {"receiver": "Bob", "amount": 150.0}),
    # the value the agent made up (bfcl-live_multiple_621-160-1) and cents for an amount in units
    ("Could you initiate a private payment from my debit card to my landlord's email for $154?",
     PAY, {"payment_method": "debit card", "amount": 154.0, "receiver": "landlord@email.com",
           "private_visibility": True}),
    ("Could you initiate a request for 15500 cents from Amelia's account, and set the privacy of "
     "the transaction to public?", REQUEST, {"receiver": "Amelia", "amount": 15500.0}),
    # negations and questions about a payment, flag named or not
    ("send $125 to Alex using my credit card, I don't want anybody see this online?", PAY,
     {"payment_method": "credit card", "amount": 125.0, "receiver": "Alex",
      "private_visibility": True}),
    ("Don't send $125 to Alex privately. Keep it private.", PAY,
     {"amount": 125.0, "receiver": "Alex", "private_visibility": True}),
    ("Should I send $50 to Bob? Keep it private.", PAY,
     {"amount": 50.0, "receiver": "Bob", "private_visibility": True}),
    ("Send $125 to Alex, would that be wise? Keep it private.", PAY,
     {"amount": 125.0, "receiver": "Alex", "private_visibility": True}),
]  # fmt: skip


@pytest.mark.parametrize(("ask", "tool", "args"), _NOT_ASKED)
def test_a_payment_with_an_unnamed_flag_or_not_asked_stays_drift(
    ask: str, tool: str, args: dict[str, Any]
) -> None:
    assert not payment_asked(tool, args, ask)
    c = classify_trajectory(_one_call(ask, tool, **args))
    assert c.top == "intent_drift", (c.top, ask, tool, args)


def test_a_question_about_paying_asks_for_no_payment_with_a_named_flag() -> None:
    # classify reads "pay" in this question as a request by another rule (not payment_asked)
    args = {"amount": 50.0, "receiver": "Bob", "private_visibility": True}
    assert not payment_asked(PAY, args, "Should I pay Bob $50? Keep it private.")
    assert not payment_asked(PAY, args, "Do I need to pay Bob $50? Keep it private.")
