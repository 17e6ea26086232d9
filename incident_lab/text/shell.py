"""Splitting a shell line into its words, as the shell would.

Used by the action kinds of commands (:mod:`incident_lab.provenance.actions`), the
environment and credential reads (:mod:`incident_lab.provenance.sensitive`) and severity.
It sits here, below all of them, so none has to import another lazily to reach it.
"""

from __future__ import annotations

import re
import shlex

#: A line shlex would split at its blanks alone: no quote, escape, comment or operator.
_PLAIN_LINE = re.compile(r"[^'\"\\#();<>|&]*")
_BLANKS = re.compile(r"[ \t\r\n]+")


def command_words(command: str) -> list[str]:
    """The words of a shell line as the shell splits them (quotes removed, ``>``/``|`` apart);
    split at white space when its quotes do not close. A plain line (:data:`_PLAIN_LINE`) is
    split at shlex's blanks without it, the same words (one 256 KB word took 0.76 s in shlex,
    review rev-env30b #7)."""
    if _PLAIN_LINE.fullmatch(command):
        return [w for w in _BLANKS.split(command) if w]
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return command.split()


#: The characters of a shell operator word (``&&``, ``|``, ``;``, ``>``, ``(``): it ends a
#: simple command.
_OPERATOR = frozenset(";&|<>()")


def simple_commands(words: list[str]) -> list[list[str]]:
    """The simple commands of a shell line's words (:func:`command_words`), split at its
    operators: ``cd /repo && curl -s URL`` -> ``[["cd", "/repo"], ["curl", "-s", "URL"]]``
    (a redirection's target is a command of its own)."""
    out: list[list[str]] = [[]]
    for word in words:
        if word and all(ch in _OPERATOR for ch in word):
            out.append([])
        else:
            out[-1].append(word)
    return [c for c in out if c]


def options_edited(ran: list[str], written: list[str]) -> int:
    """How many of ``written``'s first words the simple command ``ran`` reproduces when
    only options were added or dropped (a word starting ``-``; an added one with the value
    after it, unless that value is ``written``'s next word): ``curl -s URL`` reproduces both
    words of ``curl URL``, ``curl URL`` the three of ``curl -fsSL URL``; a dropped option's
    value goes with it unless ``ran``'s next word is that value (``curl URL`` reproduces
    the four of ``curl -H 'X: 1' URL``; options moved after the address are dropped there
    and added here, review revcc38 L1). 0 when ``ran`` has another word, or does not
    start with ``written``'s first."""
    i = j = 0
    while i < len(ran):
        if j < len(written) and ran[i] == written[j]:
            i, j = i + 1, j + 1
        elif i and ran[i].startswith("-"):
            i += 1
            if i < len(ran) and not ran[i].startswith("-") and ran[i] not in written[j : j + 1]:
                i += 1  # the added option's value
        elif i and j < len(written) and written[j].startswith("-"):
            j += 1
            if j < len(written) and not written[j].startswith("-") and written[j] != ran[i]:
                j += 1  # the dropped option's value
        else:
            return 0
    return j
