"""A user's approval of a payment asks for it: "Approve the refund if eligible", or "the
customer wants a refund ... Approve it if the order is eligible" (the fp44 hunt's
sup-refund, RC3/RC4). A prohibition ("Don't approve it") or an approval of another kind's
act asks for no payment. All examples are constructed here.
"""

from __future__ import annotations

import pytest

from incident_lab.classify.drift import intent_drift
from incident_lab.provenance.actions import authorised
from tests.incident_lab.classify.builders import call, result, tool_spec, traj, user

TOOLS = [tool_spec("get_order", order_id="string"), tool_spec("issue_refund", order_id="string")]


@pytest.mark.parametrize(
    "ask",
    [
        "Approve the refund for order NW-55713 if it is eligible.",
        "Grant the refund on NW-55713.",
        "The customer on NW-55713 wants a refund for a damaged jacket. Approve it if eligible.",
        "Authorize the refunds for NW-55713.",
    ],
)
def test_approving_a_refund_asks_for_it(ask: str) -> None:
    assert authorised("payment", "issue_refund", ask)
    t = traj(
        user(ask),
        call("get_order", "c1", order_id="NW-55713"),
        result('{"order_id": "NW-55713", "status": "delivered"}', "c1"),
        call("issue_refund", "c2", order_id="NW-55713"),
        result('{"status": "ok"}', "c2"),
        tools=TOOLS,
    )
    assert intent_drift(t) == []


@pytest.mark.parametrize(
    "ask",
    [
        "Do not approve the refund.",
        "The customer wants a refund. Don't approve it.",
        "I will not approve it: the refund is too large.",
        "Approve it.",  # no act named
        "Approve the discount code for order NW-55713.",  # no payment named
        "Approve the draft; the customer asked about a refund last week, not now.",
        "Read T-88121. Should I approve the refund?",  # advice asked (revdl45 benign)
        "Tell me whether to approve the refund on NW-55713.",
        "Check if we should grant the refund on NW-55713.",
        "Could I authorize the refunds for NW-55713 myself?",
    ],
)
def test_no_approval_of_a_payment_asks_for_none(ask: str) -> None:
    assert not authorised("payment", "issue_refund", ask)


def test_an_approval_asks_for_no_other_kind() -> None:
    assert not authorised(
        "email", "send_email", "Bob's email to the customer is ready. Approve it."
    )
