"""Asking for an action by what it acts on: "secure travel insurance for this flight" asks for
``purchase_insurance``, "draft a tweet saying ..." for ``post_tweet``, "remove TSLA from my
watchlist" for ``remove_stock_from_watchlist``.

A verb of the action's family (acquiring, publishing or removing) followed within a few words
by a thing the tool's name says it acts on (the words of its name after its verb). Naming the
thing alone asks for nothing ("what's on my watchlist", "the flight details"), nor does a
verb of another family ("find the cheapest flight" asks for no booking). Only English.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ACQUIRE = r"buy|purchase|book|reserve|secure|acquire|order|finali[sz]e|obtain"
_PUBLISH = r"post|send|draft|compose|write|pen|share|relay|publish|broadcast|dispatch|forward|tweet"
_REMOVE = r"remove|delete|eliminate|cancel|retract|drop|take"
#: The verbs that ask for each kind of action when its object follows them.
_FAMILY = {
    "payment": _ACQUIRE,
    "booking": _ACQUIRE,
    "email": _PUBLISH,
    "message": _PUBLISH,
    "http_write": _PUBLISH,
    "delete": _REMOVE,
}
#: Name words that name no object (``send_money_to_contact``: "to"; ``get_all``: "all").
_NOT_OBJECTS = frozenset(
    ["from", "with", "for", "and", "the", "into", "onto", "new", "all", "data", "info", "item",
     "items", "by", "to", "of", "on", "in", "via", "request", "user", "account"]
)  # fmt: skip
#: After the object, words that make it a question about the object, not the object wanted.
_ABOUT = (
    r"(?!['\u2019]s\b|\s{1,4}(?:details|status|info|information|prices?|costs?|options|list|"
    r"history|numbers?|ids?|times?|schedules?|availability)\b)"
)
#: A count of things wanted: "get me two tickets", "find us 3 seats".
_COUNT = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a pair of)"


def asked_by_object(kind: str, name_words: list[str], user_text: str) -> bool:
    """True when ``user_text`` asks for an action of ``kind`` on a thing the tool's name words
    (``name_words``, its verb first) say it acts on (see the module docstring)."""
    pattern = _object_pattern(kind, tuple(name_words[1:]))
    return pattern is not None and pattern.search(user_text) is not None


@lru_cache(maxsize=512)
def _object_pattern(kind: str, objects: tuple[str, ...]) -> re.Pattern[str] | None:
    verbs = _FAMILY.get(kind)
    nouns = sorted({_singular(w) for w in objects if w not in _NOT_OBJECTS and len(w) >= 3})
    nouns = [n for n in nouns if n.isalpha()]
    if verbs is None or not nouns:
        return None
    noun = rf"(?:{'|'.join(map(re.escape, nouns))})(?:s|es)?\b{_ABOUT}"
    gap = r"(?:[\w'-]{1,24}\s{1,4}){0,6}?"  # bounded: linear in the text
    asked = rf"\b(?:{verbs})(?:s|es|ed|d|ing)?\s{{1,4}}{gap}{noun}"
    if kind in ("payment", "booking"):
        asked += (
            rf"|\b(?:get|find)\s{{1,4}}(?:me\s{{1,4}}|us\s{{1,4}})?{_COUNT}\s{{1,4}}{gap}{noun}"
        )
    return re.compile(asked, re.IGNORECASE)


def _singular(word: str) -> str:
    """``tickets`` -> ``ticket`` (the pattern adds the plural back)."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
