"""Serving a scenario's recorded tool outputs back to the system under test.

When the agent under test calls a tool during a replay, the answer comes from the
scenario's ``fixtures`` (the tool outputs recorded in the incident). The best fixture
is chosen by tool name first, then by how similar its recorded arguments are to the
call's arguments; among equally good fixtures, the one served least often (then the
earliest) wins, so two identical calls get the two recorded outputs in order.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from incident_lab.trajectory import value_text

NO_FIXTURE = "no recorded output"
UNKNOWN_TOOL = "unknown tool"


@dataclass(frozen=True, slots=True)
class ToolAnswer:
    """The output served for one tool call.

    Attributes:
        output: The text the tool "returned".
        is_error: True for an error result (no fixture, unknown tool, recorded error).
        fixture: Index of the fixture served, or None when none matched.
    """

    output: str
    is_error: bool
    fixture: int | None


def argument_similarity(recorded: dict[str, Any] | None, called: dict[str, Any] | None) -> float:
    """Similarity in [0, 1] between a fixture's recorded arguments and a call's arguments.

    Each key of either side scores 1 when both values are equal, the
    ``difflib`` ratio of their texts when both are present, and 0 when one side
    lacks it; the result is the mean. Two empty argument sets are identical (1.0).
    """
    recorded = recorded or {}
    called = called or {}
    keys = set(recorded) | set(called)
    if not keys:
        return 1.0
    total = 0.0
    for key in keys:
        if key not in recorded or key not in called:
            continue
        a, b = recorded[key], called[key]
        if a == b:
            total += 1.0
        else:
            x, y = sorted((value_text(a), value_text(b)))  # a canonical order keeps it symmetric
            total += difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()
    return total / len(keys)


class FixtureBook:
    """The recorded tool outputs of one replay, matched to the calls the agent makes.

    Args:
        fixtures: The replay input's ``fixtures`` list.
        offered: Names of the tools offered to the agent; a call to any other tool is
            answered with an ``unknown tool`` error. None means "every fixture's tool".
    """

    def __init__(self, fixtures: list[dict[str, Any]] | None, offered: list[str] | None = None):
        self.fixtures = [f for f in (fixtures or []) if isinstance(f, dict)]
        self.offered = (
            set(offered) if offered is not None else {str(f.get("tool")) for f in self.fixtures}
        )
        self.served = [0] * len(self.fixtures)

    def answer(self, tool: str, arguments: dict[str, Any] | None) -> ToolAnswer:
        """Return the output for a call to ``tool`` with ``arguments``.

        Returns:
            The best fixture's output; ``unknown tool: NAME`` (an error) when the tool
            was not offered; ``no recorded output for NAME`` (an error) when it was
            offered but the incident never recorded a result for it.
        """
        if tool not in self.offered:
            return ToolAnswer(
                f"{UNKNOWN_TOOL}: {tool!r} is not one of the tools offered", True, None
            )
        best: tuple[float, int, int] | None = None
        for i, fixture in enumerate(self.fixtures):
            if fixture.get("tool") != tool:
                continue
            score = argument_similarity(fixture.get("arguments"), arguments)
            key = (score, -self.served[i], -i)
            if best is None or key > best:
                best = key
        if best is None:
            return ToolAnswer(f"{NO_FIXTURE} for {tool!r} in this scenario", True, None)
        index = -best[2]
        self.served[index] += 1
        fixture = self.fixtures[index]
        return ToolAnswer(
            str(fixture.get("output", "")), bool(fixture.get("is_error", False)), index
        )
