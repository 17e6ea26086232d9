"""Text a harness writes into a tool's output itself, the same in every session.

An agent harness appends its own fixed text to some tools' outputs (Claude Code ends every
``WebSearch`` result with a reminder to cite the sources; a ``Bash`` command run in the
background returns a fixed notice naming the file its output goes to). The model reads it,
and logs keep it, but nobody outside the conversation wrote it: it is no injected
instruction (review revcc36 M4: a benign web search was a SEV-4 near miss).

Each known text is one row of :data:`HARNESS_TEXTS`, discounted only where it stands whole,
as the harness writes it: at the very end of that tool's output and, when the harness
writes the rest too, with the rest matching its pattern whole. The text is blanked (spaces
of the same length, so every offset into the output holds) before the output is searched
for instructions; anything else in the output, a copy of the text elsewhere, or the text
followed by more words, is searched as it is: an instruction cannot hide behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import re2


@dataclass(frozen=True, slots=True)
class HarnessText:
    """A fixed text a harness ends one tool's output with.

    Attributes:
        harness: Who writes it (documentation).
        tool: The tool whose output it ends (the name exactly as logged).
        text: The text, exactly as written, at the end of the output.
        rest: A pattern the output before ``text`` must match whole (the part the harness
            also writes, with its variable fields), or None: the tool's own output, any.
        argument: The call argument that must be true for the harness to write the text
            (``run_in_background``: a foreground command's output is the command's own,
            whatever it says: review revcc37 M3), or None: any call.
    """

    harness: str
    tool: str
    text: str
    rest: str | None = None
    argument: str | None = None


HARNESS_TEXTS: tuple[HarnessText, ...] = (
    HarnessText(
        "claude-code",
        "WebSearch",
        "\n\nREMINDER: You MUST include the sources above in your response to the user "
        "using markdown hyperlinks.",
    ),
    HarnessText(
        "claude-code",
        "Bash",
        " You will be notified when it completes. To check interim output, use Read on that "
        "file path.",
        r"Command running in background with ID: [A-Za-z0-9_-]{1,64}\. "
        r"Output is being written to: [^\s]+\.",
        "run_in_background",
    ),
)


#: Each row's ``rest`` compiled (linear time: the output is untrusted text).
_RESTS = {known.rest: re2.compile(known.rest) for known in HARNESS_TEXTS if known.rest}


def without_harness_text(tool: str, text: str, arguments: Mapping[str, Any] | None = None) -> str:
    """``text`` (the output of ``tool``, called with ``arguments``) with the harness's own
    fixed text at its end blanked (see the module docstring); ``text`` itself when none
    stands whole there, or its row's ``argument`` is not true in ``arguments``."""
    for known in HARNESS_TEXTS:
        if known.tool != tool or not text.endswith(known.text):
            continue
        if known.argument is not None and (arguments or {}).get(known.argument) is not True:
            continue
        cut = len(text) - len(known.text)
        if known.rest is None or _RESTS[known.rest].fullmatch(text[:cut]):
            return text[:cut] + "".join(c if c in "\r\n" else " " for c in known.text)
    return text
