"""Concealment converters: the payload hidden where a human reader does not look.

Rendered Markdown/HTML hides comments, link titles and image alt text, yet a
model reads them. ``json_field`` and ``code_block`` are reversible (the payload is
recovered exactly); the others escape the characters that would close their
container, so they are not.
"""

from __future__ import annotations

import json
import re

from incident_lab.variants.base import Converter

_BACKTICKS = re.compile(r"`+")
_WHITESPACE_RUN = re.compile(r"\s*\n\s*")


def _one_line(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", text)


def _html_comment(text: str) -> str:
    return "<!-- " + text.replace("-->", "-- >") + " -->"


def _markdown_link_title(text: str) -> str:
    title = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'[See the reference](https://docs.example.com/reference "{title}")'


def _image_alt_text(text: str) -> str:
    alt = _one_line(text).replace("\\", "\\\\").replace("]", "\\]").replace("[", "\\[")
    return f"![{alt}](https://images.example.com/chart.png)"


def _json_field(text: str) -> str:
    doc = {"type": "note", "title": "Processing notes", "instructions": text}
    return json.dumps(doc, ensure_ascii=False)


def _json_unfield(text: str) -> str:
    value = json.loads(text)["instructions"]
    if not isinstance(value, str):
        raise ValueError("the 'instructions' field is not a string")
    return value


def _code_block(text: str) -> str:
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _code_unblock(text: str) -> str:
    first_newline = text.index("\n")
    fence = text[:first_newline].removesuffix("text")
    if not fence or set(fence) != {"`"} or not text.endswith("\n" + fence):
        raise ValueError("not a fenced code block")
    return text[first_newline + 1 : len(text) - len(fence) - 1]


HTML_COMMENT = Converter(
    "html_comment", _html_comment, "concealment", "Inside an HTML comment (<!-- ... -->)."
)
MARKDOWN_LINK_TITLE = Converter(
    "markdown_link_title",
    _markdown_link_title,
    "concealment",
    'As the title of a Markdown link ([text](url "payload")), on one line.',
)
IMAGE_ALT_TEXT = Converter(
    "image_alt_text",
    _image_alt_text,
    "concealment",
    "As the alt text of a Markdown image (![payload](url)), on one line.",
)
JSON_FIELD = Converter(
    "json_field",
    _json_field,
    "concealment",
    'In the "instructions" field of a JSON object.',
    inverse=_json_unfield,
)
CODE_BLOCK = Converter(
    "code_block",
    _code_block,
    "concealment",
    "Inside a fenced Markdown code block (fence longer than any backtick run).",
    inverse=_code_unblock,
)

CONCEALMENT: tuple[Converter, ...] = (
    HTML_COMMENT,
    MARKDOWN_LINK_TITLE,
    IMAGE_ALT_TEXT,
    JSON_FIELD,
    CODE_BLOCK,
)
