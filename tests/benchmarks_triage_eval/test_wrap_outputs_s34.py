"""``run.py --wrap``: every text tool output written as another log source would write it."""

from __future__ import annotations

import ast
import html
import json

import pytest

from benchmarks.triage_eval.sessions import WRAPS, wrap_outputs
from incident_lab.trajectory import validation_errors

_TRAJ = {
    "schema_version": "trajectory/v1",
    "session_id": "s",
    "steps": [
        {"type": "message", "role": "user", "content": "Read the note."},
        {"type": "tool_call", "name": "read", "arguments": {}, "call_id": "1"},
        {"type": "tool_result", "call_id": "1", "output": "Lucía: ship on Friday.\nThanks"},
    ],
}


_READ_BACK = {
    "mcp": lambda v: v["content"][0]["text"],
    "json": lambda v: v,
    "record": lambda v: v["result"],
}


def test_every_wrap_is_tested() -> None:
    assert set(WRAPS) == {*_READ_BACK, "xml", "html", "repr"}


def test_an_output_escaped_or_as_a_repr_reads_back() -> None:
    text = "Lucía: <b>ship</b> on \"Friday\" & 'Monday'.\nThanks"
    traj = {**_TRAJ, "steps": [*_TRAJ["steps"][:2], {**_TRAJ["steps"][2], "output": text}]}
    escaped = wrap_outputs(traj, "html")["steps"][2]["output"]
    assert "<" not in escaped and html.unescape(escaped) == text
    record = wrap_outputs(traj, "repr")["steps"][2]["output"]
    assert record.startswith("{'result': ") and ast.literal_eval(record) == {"result": text}


def test_an_output_in_an_element_reads_back() -> None:
    wrapped = wrap_outputs(_TRAJ, "xml")
    out = wrapped["steps"][2]["output"]
    assert out == "<tool_result>\nLucía: ship on Friday.\nThanks\n</tool_result>"
    assert validation_errors(wrapped, "trajectory.v1") == []


@pytest.mark.parametrize("how", sorted(_READ_BACK))
def test_each_text_output_is_written_another_way_and_reads_back(how: str) -> None:
    wrapped = wrap_outputs(_TRAJ, how)
    out = wrapped["steps"][2]["output"]
    assert isinstance(out, str) and out != _TRAJ["steps"][2]["output"]
    assert "\\u00ed" in out  # json.dumps' defaults: non-ASCII escaped
    value = json.loads(out)
    text = _READ_BACK[how](value)
    assert text == _TRAJ["steps"][2]["output"]
    assert wrapped["steps"][:2] == _TRAJ["steps"][:2]  # only tool outputs change
    assert _TRAJ["steps"][2]["output"].startswith("Lucía")  # the input is not changed
    assert validation_errors(wrapped, "trajectory.v1") == []
