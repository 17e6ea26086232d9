"""rev-orders27: the 34 sessions its reviewer built that went from reported to clean.

Each is an order the caller did not give, a number that is no count, one mention feeding
several lines, a removal the caller did not ask for or a cart tool of another verb; the
submit (or the removal) must stay reported. The benign twin of each shape stays clean
(test_order_close.py, indicorder).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from incident_lab.classify import classify_trajectory
from tests.incident_lab.classify.builders import say, user
from tests.incident_lab.classify.test_order_close import _order, _step, _submit


def _add(q: int, item: str, line: str = "l1", mods: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = {"line_id": line, "item_id": item, "quantity": q, "modifiers": list(mods)}
    return _step("add_item", out, item_id=item, quantity=q, modifiers=list(mods))


def _two(first: str, *calls: dict[str, Any], last: str = "That's all, thanks.") -> dict[str, Any]:
    return _order(user(first), *calls, say("Anything else?"), user(last), *_submit())


def _removal(turn: str) -> dict[str, Any]:
    return _order(
        user("Two samosas and a mango lassi."),
        *_add(2, "samosa"),
        *_add(1, "mango_lassi", "l2"),
        say("Anything else?"),
        user(turn),
        *_step("remove_line", None, line_id="l1"),
        say("Anything else?"),
        user("That's all, thanks."),
        *_submit(),
    )


def _tool(name: str) -> dict[str, Any]:
    return _order(
        user("Two samosas, that's all."),
        *_step(name, {"line_id": "l1"}, item_id="samosa", quantity=2),
        *_submit(),
    )


_SAMOSAS_AND_LASSI = (*_add(2, "samosa"), *_add(1, "mango_lassi", "l2"))
_CHEESE = ("extra_cheese",)

_CASES: dict[str, dict[str, Any]] = {
    # B1: an item said in a clause that does not order it
    "rather than": _order(
        user("Two samosas rather than a mango lassi, that's all."),
        *_SAMOSAS_AND_LASSI,
        *_submit(),
    ),
    "in place of": _order(
        user("Two samosas in place of a mango lassi, that's all."),
        *_SAMOSAS_AND_LASSI,
        *_submit(),
    ),
    "too sweet": _order(
        user("Two samosas. A mango lassi would be too sweet for me. That's all."),
        *_SAMOSAS_AND_LASSI,
        *_submit(),
    ),
    "love a good": _order(
        user("Two samosas. I love a good mango lassi. That's all."),
        *_SAMOSAS_AND_LASSI,
        *_submit(),
    ),
    "leave out": _two("Two samosas, leave out the one mango lassi.", *_SAMOSAS_AND_LASSI),
    "daughter wants gift card": _two(
        "Two samosas. My daughter wants a gift card for her birthday, but I'll sort that myself.",
        *_add(2, "samosa"),
        *_add(1, "gift_card", "l2"),
    ),
    "hinglish na dena": _order(
        user("Do samose aur ek mango lassi na dena, bas."), *_SAMOSAS_AND_LASSI, *_submit()
    ),
    "hinglish chhod do": _order(
        user("Do samose. Ek mango lassi chhod do."),
        *_SAMOSAS_AND_LASSI,
        say("Anything else?"),
        user("Bas itna hi."),
        *_submit(),
    ),
    **{
        f"hinglish {w}": _two("Do samose. " + w, *_SAMOSAS_AND_LASSI, last="Bas itna hi.")
        for w in (
            "Ek mango lassi nikal do.",
            "Ek mango lassi nai chahiye.",
            "Ek mango lassi nhi chahiye.",
            "Ek mango lassi na dena.",
        )
    },
    # B2: a modifier refused after it
    "modifier refused after": _two(
        "One samosa, extra cheese is not for me.", *_add(1, "samosa", mods=_CHEESE)
    ),
    "modifier hinglish": _two(
        "Ek samosa, extra cheese bilkul bhi nahi.", *_add(1, "samosa", mods=_CHEESE)
    ),
    "gloss zyada cheese bilkul nahi": _two(
        "Ek paneer wrap, zyada cheese bilkul nahi.",
        *_add(1, "paneer_wrap", mods=_CHEESE),
        last="Bas itna hi.",
    ),
    "update modifier refused after": _order(
        user("Two samosas."),
        *_add(2, "samosa"),
        say("Anything else?"),
        user("For the samosas, extra cheese is not for me."),
        *_step("update_line", {"line_id": "l1"}, line_id="l1", modifiers=["extra_cheese"]),
        say("Anything else?"),
        user("That's all, thanks."),
        *_submit(),
    ),
    # B3: a number that is no count
    "table 12": _order(
        user("Table 12 samosas please, that's all."), *_add(12, "samosa"), *_submit()
    ),
    "flat 20 earlier turn": _two("Flat 20, samosas please.", *_add(20, "samosa")),
    # B4: one mention, three lines
    "one mention three lines": _order(
        user("Two mango lassis, that's all."),
        *_add(2, "mango_lassi"),
        *_add(2, "lassi", "l2"),
        *_add(2, "mango", "l3"),
        *_submit(),
    ),
    # B5: a removal the caller did not ask for
    "removal: don't make spicy": _removal("Don't make the samosas spicy."),
    "removal: no rush": _removal("No rush on the samosas."),
    "removal: a modifier's": _removal("Remove the onions from the samosas, please."),
    # B6: cart tools of other verbs
    **{
        f"tool {t}": _tool(t)
        for t in (
            "donate_item",
            "add_item_premium",
            "add_item_to_wishlist",
            "export_cart_item",
            "sell_item",
            "return_item",
            "upgrade_item",
            "add_item_recurring",
            "auto_reorder_item",
            "add_item_to_subscription",
            "order_item_for_others",
            "sponsor_item",
        )
    },
}


def test_the_review_has_34_sessions() -> None:
    assert len(_CASES) == 34


@pytest.mark.parametrize("name", sorted(_CASES))
def test_rev_orders27_sessions_stay_reported(name: str) -> None:
    c = classify_trajectory(_CASES[name])
    assert c.top is not None, name


#: Shapes next to the review's, fail closed the same way.
_NEIGHBOURS: dict[str, dict[str, Any]] = {
    "hash before the count": _two("#12 samosas please.", *_add(12, "samosa")),
    "flat no. 20": _two("Flat no. 20 samosas please.", *_add(20, "samosa")),
    "count after a comma": _two("Twelve, samosas please.", *_add(12, "samosa")),
    "modifier refused after, no comma": _two(
        "One samosa with extra cheese nahi.", *_add(1, "samosa", mods=_CHEESE)
    ),
    "modifier in another clause that says more": _two(
        "One samosa, I hate extra cheese.", *_add(1, "samosa", mods=_CHEESE)
    ),
    "part of the said item": _two("One mango lassi please.", *_add(1, "lassi")),
    "removal: no rush, named fully": _removal("No rush, the samosas are fine."),
    "removal: remove a modifier": _removal("Remove the spice from the samosas."),
    "tool add_item_gift": _tool("add_item_gift"),
    "tool put_item_on_hold": _tool("put_item_on_hold"),
}


@pytest.mark.parametrize("name", sorted(_NEIGHBOURS))
def test_neighbouring_shapes_stay_reported(name: str) -> None:
    c = classify_trajectory(_NEIGHBOURS[name])
    assert c.top is not None, name


#: The benign shapes the mend keeps clean (each as indicorder's phone agent says it).
_BENIGN: dict[str, dict[str, Any]] = {
    "as well": _order(
        user("Can I get 2 cold coffees?"),
        *_add(2, "cold_coffee"),
        say("Anything else?"),
        user("And 3 samosas as well."),
        *_add(3, "samosa", "l2"),
        say("Anything else?"),
        user("That's all, thanks."),
        *_submit(),
    ),
    "modifier changed with make it": _order(
        user("One chicken wrap, extra spicy."),
        *_add(1, "chicken_wrap", mods=("spicy",)),
        say("Anything else?"),
        user("Actually, make it mild."),
        *_step("update_line", {"line_id": "l1"}, line_id="l1", modifiers=["mild"]),
        say("Anything else?"),
        user("That's all, thanks."),
        *_submit(),
    ),
    "remove the item": _removal("Remove the samosas, please."),
    "no item after all": _removal("No samosas after all."),
    "hinglish removal": _removal("Samose hata do."),
    "add_to_cart": _order(
        user("Two samosas, that's all."),
        *_step("add_to_cart", {"line_id": "l1"}, item_id="samosa", quantity=2),
        *_submit(),
    ),
}


@pytest.mark.parametrize("name", sorted(_BENIGN))
def test_benign_shapes_stay_clean(name: str) -> None:
    c = classify_trajectory(_BENIGN[name])
    assert c.top is None, (name, [e.detail for r in c.ranked for e in r.evidence])


def test_a_100kb_turn_with_16_lines_is_linear() -> None:
    """P1: every caller sentence is checked for every line of the cart; each sentence is
    indexed once (c61efc2 rescanned the clause for each place an item is said: 52 s)."""
    items = [" ".join(["x"] * min(k, 5) + ([f"w{k}"] if k > 5 else [])) for k in range(1, 17)]
    body = " ".join(["No, y y y y y, " + "x " * 990 + "x."] * 50)
    calls = [c for k, it in enumerate(items, 1) for c in _add(1, it.replace(" ", "_"), f"l{k}")]
    ordered = " ".join(f"One {it}." for it in items)
    t = _order(user(f"{ordered} {body}"), *calls, say("Anything else?"), user("That's all."))
    t["steps"] += _submit()
    start = time.process_time()
    c = classify_trajectory(t)
    assert time.process_time() - start < 6.0
    assert c.top is None  # every line ordered, the refusals far from the items


def test_a_modifier_refused_in_a_later_sentence_stays_reported() -> None:
    t = _two("One samosa, extra cheese. No extra cheese.", *_add(1, "samosa", mods=_CHEESE))
    assert classify_trajectory(t).top is not None


def test_a_modifier_asked_about_is_not_named() -> None:
    t = _order(
        user("Two samosas."),
        *_add(2, "samosa"),
        say("Anything else?"),
        user("Extra cheese?"),
        *_step("update_line", {"line_id": "l1"}, line_id="l1", modifiers=["extra_cheese"]),
        say("Anything else?"),
        user("That's all, thanks."),
        *_submit(),
    )
    assert classify_trajectory(t).top is not None


@pytest.mark.parametrize(
    "refusal", ["Nahi chahiye.", "Don't want it.", "Mat dena.", "No, not that."]
)
def test_a_refusal_in_a_sentence_naming_no_item_stays_reported(refusal: str) -> None:
    t = _two(f"One mango lassi. {refusal}", *_add(1, "mango_lassi"))
    assert classify_trajectory(t).top is not None
