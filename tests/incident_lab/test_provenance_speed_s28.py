"""Session 28 speed work (issue 10): per-session indexes shared across the sessions of one
agent, keyed on their content, never stale."""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.provenance import analysis, tools
from incident_lab.provenance.cues import clear_memo


def _traj(*names: str) -> dict[str, Any]:
    return {
        "session_id": "s",
        "agent": {"tools": [{"name": n, "parameters": {}} for n in names]},
        "steps": [
            {"type": "message", "role": "user", "content": "rotate the key"},
            {"type": "tool_call", "name": names[0], "arguments": {}, "call_id": "c1"},
        ],
    }


def _owners_by_loop(raw: list[str]) -> dict[str, str]:
    """The session's spelling -> tool map as it was built before the memo: one loop."""
    out: dict[str, str] = {}
    for name in raw:
        for form in tools.spellings(name):
            out.setdefault(form, name)
    return out


def test_spelling_owners_equal_the_loop_are_read_only_and_follow_an_edited_tool_list() -> None:
    clear_memo()
    first = analysis._Session(_traj("KeyRotation", "send_money", "Key_Rotation"))
    raw = tools.raw_tool_names(_traj("KeyRotation", "send_money", "Key_Rotation"))
    assert dict(first.tool_of_spelling) == _owners_by_loop(raw)
    assert first.tool_of_spelling["keyrotation"] == "KeyRotation"  # the first tool wins
    assert first.tool_of_spelling["key_rotation"] == "KeyRotation"
    with pytest.raises(TypeError):
        first.tool_of_spelling["keyrotation"] = "other"  # type: ignore[index]
    # the same tools in another session: one answer; an edited list: its own answer
    again = analysis._Session(_traj("KeyRotation", "send_money", "Key_Rotation"))
    assert again.tool_of_spelling == first.tool_of_spelling
    edited = analysis._Session(_traj("Key_Rotation", "KeyRotation", "send_money"))
    assert edited.tool_of_spelling["keyrotation"] == "Key_Rotation"
    assert first.tool_of_spelling["keyrotation"] == "KeyRotation"
    renamed = analysis._Session(_traj("KeyRevocation", "send_money"))
    assert "keyrotation" not in renamed.tool_of_spelling
    assert renamed.tool_of_spelling["key_revocation"] == "KeyRevocation"
    assert tools.spelling_owners.cache_info().currsize == 3
    clear_memo()
    assert tools.spelling_owners.cache_info().currsize == 0


def _reads(output: str) -> dict[str, Any]:
    return {
        "session_id": "r",
        "steps": [
            {"type": "message", "role": "user", "content": "summarise the invoice"},
            {"type": "tool_call", "name": "read_file", "arguments": {}, "call_id": "c1"},
            {"type": "tool_result", "call_id": "c1", "output": output},
            {"type": "tool_call", "name": "send_email", "arguments": {}, "call_id": "c2"},
        ],
    }


def test_output_words_are_read_once_per_output_text_and_follow_an_edited_output() -> None:
    """The content words of a tool output are memoised on its text (the sessions of one
    suite read the same outputs): an edited output gets its own words, an output over the
    memo bound is read every time and not kept, and clear_memo empties the memo."""
    from incident_lab.classify import session as cs
    from incident_lab.text.lexicon import content_words

    cs.clear_memo()
    text = "Invoice 4711 from Acme Corporation, payable to account holder Bernadette"
    first = cs.SessionView(_reads(text)).output_words_before(3)
    assert first == content_words(text)
    hits = cs._words_memo.cache_info().hits
    assert cs.SessionView(_reads(text)).output_words_before(3) == first
    assert cs._words_memo.cache_info().hits == hits + 2  # the user's turn and the output
    edited = text.replace("Bernadette", "Maximilian")
    words = cs.SessionView(_reads(edited)).output_words_before(3)
    assert words == content_words(edited) and words != first
    long_text = text + " filler" * 1000
    assert len(long_text) > cs._MEMO_CHARS
    size = cs._words_memo.cache_info().currsize
    assert cs.SessionView(_reads(long_text)).output_words_before(3) == content_words(long_text)
    assert cs._words_memo.cache_info().currsize == size
    cs.clear_memo()
    assert cs._words_memo.cache_info().currsize == 0


def test_marker_key_keeps_what_isalnum_keeps_on_every_code_point() -> None:
    """``_marker_key`` drops with one pattern what ``str.isalnum`` rejects (speed: it ran
    character by character on every marker of every rule and answer): the same on every
    code point, so on any token."""
    import sys

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    by_char = "".join(ch for ch in every if ch.isalnum()).lower()
    assert analysis._marker_key(every) == by_char
    assert analysis._marker_key("R.A.G._0.1") == "rag01"


def test_needs_work_search_stops_at_the_first_hit_and_finds_one_match_in_dense_text() -> None:
    """The readable fast path's yes/no test (``text._NEEDS_WORK_ASCII``) reads an ASCII text
    up to its first hit, not on to its end (a tool output with an id near its top was
    scanned whole, then scanned back for the match's start: 3x the time on the realistic
    set's outputs); over a text dense with hits it is still one match, not one per hit."""
    from incident_lab.provenance import text as ptext

    tail = "plain words and nothing else here " * 3000
    found = ptext._NEEDS_WORK_ASCII.search("order ab1 " + tail)
    assert found is not None and found.end() <= len("order ab1")
    assert ptext._NEEDS_WORK_ASCII.search(tail) is None
    assert ptext._NEEDS_WORK_ASCII.search(tail + " ab1") is not None
    assert sum(1 for _ in ptext._NEEDS_WORK_ASCII.finditer("a@" * 50_000)) == 1
