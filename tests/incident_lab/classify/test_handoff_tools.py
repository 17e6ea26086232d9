"""Agent handoff tools (``transfer_to_<agent>``) are no payments.

The OpenAI Agents SDK, LangGraph's swarm and its supervisor name the tool that hands the
conversation to another agent ``transfer_to_<agent>`` (``transfer_back_to_<agent>``);
reading ``transfer`` as money movement made every multi-agent run an intent-drift
"payment" the user never asked for.
"""

from __future__ import annotations

import pytest

from incident_lab.text.lexicon import tool_category


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("transfer_to_mailpilot", {}),
        ("transfer_to_billing_agent", None),
        ("transfer_back_to_supervisor", {}),
        ("transfer_to_triage", {"reason": "the user asks about mail"}),
    ],
)
def test_a_handoff_is_no_payment(name: str, arguments: dict[str, object] | None) -> None:
    assert tool_category(name, arguments) == "other"


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("transfer_to_account", {"amount": 500, "iban": "DE89370400440532013000"}),
        ("transfer_to_savings", {"Amount": "100.00"}),
        ("transfer_to", {"recipient_account": "GB33BUKB20201555555555"}),
        ("transfer_money", {}),
        ("transfer", {"to": "bob"}),
        ("wire_transfer", {}),
    ],
)
def test_a_transfer_that_moves_money_is_still_a_payment(
    name: str, arguments: dict[str, object]
) -> None:
    assert tool_category(name, arguments) == "payment"
