"""Escape untrusted text for the channel it lands in: Slack mrkdwn, Markdown, Jira wiki markup.

Tool names, session ids and classifier details come from the incident's logs: an
attacker writes them. Each function makes such text display literally in its
channel: no mention (``<!channel>``), no masked link (``<https://evil|docs>``), no
raw HTML (``<script>``, ``<img onerror=...>``), no table or heading breakout.
"""

from __future__ import annotations

import re

_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
# Only what can change meaning inline: code spans, table cells, and "](" (links, images);
# "_", "*", "(" stay, so "prompt_injection (confirmed)" and "[TO FILL]" read as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`|])")
_LINK = re.compile(r"\]\(")
_JIRA_SPECIAL = re.compile(r"([\\{}\[\]|*_+^~!#?-])")


def slack_text(text: str) -> str:
    """Slack mrkdwn: ``&``, ``<`` and ``>`` as entities (Slack's own escaping rules).

    Neutralises ``<!channel>``/``<!here>``/``<@U123>`` mentions and ``<url|label>``
    link masking; ``*``/``_`` emphasis is left (it cannot address anyone).
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: str, *, inline: bool = True) -> str:
    """CommonMark/GFM: HTML as entities; backslash, backtick, ``|`` and ``](`` escaped.

    With ``inline`` (the default) line breaks become spaces, so a value cannot start
    a heading, list or table row of its own.
    """
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _LINK.sub("]\\(", _MARKDOWN_SPECIAL.sub(r"\\\1", out))
    return _NEWLINES.sub(" ", out) if inline else out


def jira_text(text: str) -> str:
    """Jira wiki markup: markup characters backslash-escaped, HTML as entities, one line."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINES.sub(" ", _JIRA_SPECIAL.sub(r"\\\1", out))
