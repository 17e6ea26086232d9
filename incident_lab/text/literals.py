"""Which of a few lists of literal words occur in a text: one pass, not one per word.

The provenance rules guard their patterns with cheap first looks: "one of these words occurs
in every text the pattern matches" (``any(word in text for word in WORDS)``). Run on every
unit of every tool output, the three lists of the paraphrase rule cost more than the rule
(a Python generator over thirty words, each a scan of the unit). :class:`WordLists` answers
all the lists of one rule at once: an ASCII text in one RE2 set pass over the escaped words
(literals only: linear, no backtracking); any other text word by word, as before.
"""

from __future__ import annotations

import re2


class WordLists:
    """Named lists of literal words; :meth:`found` names the lists with a word in a text.

    Example:
        >>> looks = WordLists(frame=("imagin", " story"), template=("](", "<img"))
        >>> sorted(looks.found("imagine a story"))
        ['frame']
    """

    def __init__(self, **lists: tuple[str, ...]) -> None:
        self.lists = dict(lists)
        self._owner: list[str] = []
        self._set = re2.Set.SearchSet(re2.Options())
        for name, words in self.lists.items():
            for word in words:
                if not word:
                    raise ValueError(f"an empty word in list {name!r} is in every text")
                self._set.Add(re2.escape(word))
                self._owner.append(name)
        self._set.Compile()

    def found(self, text: str) -> frozenset[str]:
        """The names of the lists one of whose words occurs in ``text`` (case-sensitive, as
        ``word in text``). An ASCII text is one set pass: its UTF-8 bytes are its characters,
        so a byte match is a substring; other text is read word by word."""
        if text.isascii():
            hits = self._set.Match(text)
            return frozenset(self._owner[i] for i in hits) if hits else frozenset()
        return frozenset(
            name for name, words in self.lists.items() if any(w in text for w in words)
        )
