"""Splitting a shell line into its words, as the shell would.

Used by the action kinds of commands (:mod:`incident_lab.provenance.actions`), the
environment and credential reads (:mod:`incident_lab.provenance.sensitive`) and severity.
It sits here, below all of them, so none has to import another lazily to reach it.
"""

from __future__ import annotations

import shlex


def command_words(command: str) -> list[str]:
    """The words of a shell line as the shell splits them (quotes removed, ``>``/``|`` apart);
    split at white space when its quotes do not close."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return command.split()
