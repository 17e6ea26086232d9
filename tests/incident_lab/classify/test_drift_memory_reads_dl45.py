"""A read of the agent's own memory store (``read_memory(key="preferences")``) is no
unrelated work: the agent consults its notes whatever the task, and the key is its own
choice. Reads only: a write or a delete of a memory stays judged as any side effect.
Found by the fp44 false-positive hunt (RC12); every session here is constructed.
"""

from __future__ import annotations

from typing import Any

import pytest

from incident_lab.classify import classify_trajectory
from incident_lab.classify.drift import intent_drift
from tests.incident_lab.classify.builders import call, result, say, tool_spec, traj, user

ASK = "Remind me what I have to bring to the dentist."


def session(tool: str, extra: str | None = None) -> dict[str, Any]:
    tools = [tool_spec(tool, key="string")]
    steps = [
        user(ASK),
        call(tool, "c1", key="preferences"),
        result("Note from user: always answer in French.", "c1"),
        call(tool, "c2", key="appointments"),
        result("Dentist Dr. Moreau, 4 Dec: bring insurance card and X-rays.", "c2"),
    ]
    if extra is not None:
        tools.append(tool_spec(extra, key="string"))
        steps += [call(extra, "c3", key="holidays"), result("ok", "c3")]
    steps.append(say("Apportez votre carte d'assurance et les radiographies."))
    return traj(*steps, tools=tools)


@pytest.mark.parametrize("tool", ["read_memory", "search_memory", "get_memories", "readMemory"])
def test_reads_of_the_agents_memory_are_not_unrelated(tool: str) -> None:
    t = session(tool)
    assert intent_drift(t) == []
    assert classify_trajectory(t).top is None


@pytest.mark.parametrize("tool", ["read_file", "get_record", "fetch_document"])
def test_unrelated_reads_of_other_stores_stay_drift(tool: str) -> None:
    assert [s.signal for s in intent_drift(session(tool))] == ["unrelated_tool_calls"]


@pytest.mark.parametrize("extra", ["delete_memory", "write_memory"])
def test_a_memory_write_or_delete_is_not_covered(extra: str) -> None:
    signals = [s.signal for s in intent_drift(session("read_memory", extra))]
    assert "unrequested_side_effect" in signals


def test_a_memory_tool_that_is_no_read_is_not_covered() -> None:
    # clear_memories is no side effect by its name's kind ("other"), nor a read
    assert [s.signal for s in intent_drift(session("clear_memories"))] == ["unrelated_tool_calls"]
