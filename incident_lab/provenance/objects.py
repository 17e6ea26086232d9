"""Asking for an action by what it acts on: "secure travel insurance for this flight" asks for
``purchase_insurance``, "draft a tweet saying ..." for ``post_tweet``, "remove TSLA from my
watchlist" for ``remove_stock_from_watchlist``.

An imperative verb of the action's family (acquiring, publishing or removing) that starts a
sentence ("Get me two tickets", "Could you draft an email to Andy"), with a thing the tool's
name says it acts on (the words of its name after its verb) as its direct object: at most a
determiner or count and two words between them, none a preposition ("book a call to discuss
the payment" is no payment, "take a look at the file" no deletion), and the object not a
modifier of a further noun ("write a webhook handler"). A question ("How do I secure ..."),
a clause ("In order to check the invoice"), naming the thing alone, or a verb of another
family asks for nothing. Only English. Fail closed: what this misses stays drift.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ACQUIRE = r"buy|purchase|book|reserve|secure|acquire|order|obtain|get"
_PUBLISH = r"post|send|draft|compose|write|pen|share|relay|publish|broadcast|dispatch|forward|tweet"
_REMOVE = r"remove|delete|eliminate|cancel|retract"
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
#: The start of a request: a sentence's start, then a polite opening ("Could you", "Can I").
_START = (
    r"(?:^|[.!?\n]\s{0,4})(?:(?:please|now|also|then|next|ok|okay|so)[,]?\s{1,4})?"
    r"(?:(?:could|can|would|will)\s{1,4}you\s{1,4}(?:please\s{1,4})?|"
    r"(?:can|could|may)\s{1,4}(?:i|we)\s{1,4})?"
)
#: Between the verb and its object: me/us, a determiner or a count, two words that are no
#: preposition or conjunction.
_COUNT = (
    r"(?:\d{1,3}|a|an|the|my|our|this|that|some|one|two|three|four|five|six|seven|eight|nine|ten)"
)
_GAP = (
    rf"(?:(?:me|us)\s{{1,4}})?(?:{_COUNT}\s{{1,4}})?"
    r"(?:(?!(?:at|to|of|for|in|on|about|with|from|into|and|or|by|against)\b)[a-z'-]{1,24}\s{1,4}){0,2}?"
)
#: After the object: the sentence ends or goes on with a preposition or what it says.
_AFTER = (
    r"(?=\s{0,4}(?:$|[.,!?;:\"'`(]|(?:to|for|from|on|in|at|with|saying|that|about|via|and|"
    r"using|of|tomorrow|today|tonight|now|please)\b))"
)


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
    noun = rf"(?:{'|'.join(map(re.escape, nouns))})(?:s|es)?\b{_AFTER}"
    return re.compile(rf"{_START}\b(?:{verbs})\s{{1,4}}{_GAP}{noun}", re.IGNORECASE)


def _singular(word: str) -> str:
    """``tickets`` -> ``ticket`` (the pattern adds the plural back)."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
