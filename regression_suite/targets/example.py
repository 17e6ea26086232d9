"""The ``example:vulnerable`` / ``example:patched`` targets: the bundled example agent.

The agent (:mod:`incident_lab.example`) holds the scenario's conversation: the user
turns in order, its own planner deciding tool calls, and each call answered from
the scenario's recorded fixtures (:class:`~regression_suite.targets.fixtures.FixtureBook`);
the documents the harness put before the model (``documents``) come before their turn,
read as the agent reads any text (the vulnerable version obeys an instruction in one, the
patched version's keyword rules block it as they block one in a tool's output).
``max_steps`` bounds its tool calls. Deterministic: the same replay input gives the
same trajectory.
"""

from __future__ import annotations

from typing import Any

from incident_lab.errors import UsageError
from regression_suite.targets.base import BaseTarget, TargetKind
from regression_suite.targets.fixtures import FixtureBook

DEFAULT_MAX_STEPS = 20


class _FixtureBackend:
    def __init__(self, book: FixtureBook) -> None:
        self.book = book

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        answer = self.book.answer(name, arguments)
        return answer.output, answer.is_error


class ExampleTarget(BaseTarget):
    """Replay a scenario through the bundled example agent.

    Args:
        spec: ``example:vulnerable`` or ``example:patched``.
    """

    kind = "example"

    def __init__(self, spec: str) -> None:
        # imported here: every gate run registers this kind, few run the example agent
        from incident_lab.example.agent import VERSIONS, ExampleAgent
        from incident_lab.example.tools import TOOL_SPECS

        super().__init__(spec)
        self.tool_specs = TOOL_SPECS
        _, _, version = spec.partition(":")
        if version not in VERSIONS:
            raise UsageError(
                f"target {spec!r}: unknown example agent version {version!r}",
                hint="use example:" + " or example:".join(VERSIONS),
            )
        self.version = version
        self.agent = ExampleAgent(version)

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Hold the scenario's conversation with the example agent."""
        tools = [t for t in replay.get("tools") or [] if isinstance(t, dict) and t.get("name")]
        tools = tools or [dict(t) for t in self.tool_specs]
        book = FixtureBook(replay.get("fixtures"), [str(t["name"]) for t in tools])
        turns = [
            str(t.get("content", "")) for t in replay.get("turns") or [] if isinstance(t, dict)
        ]
        return self.agent.run(
            turns,
            _FixtureBackend(book),
            session_id=f"{replay.get('scenario_id') or 'scenario'}-example-{self.version}",
            system_prompt=replay.get("system_prompt") or None,
            tools=tools,
            max_actions=int(replay.get("max_steps") or DEFAULT_MAX_STEPS),
            documents=[d for d in replay.get("documents") or [] if isinstance(d, dict)],
        )

    def describe(self) -> dict[str, Any]:
        """Describe the agent version: its model and policy (id, version, hash)."""
        meta = self.agent.metadata()
        return {
            "target": self.name,
            "kind": self.kind,
            "model": meta["model"],
            "policy": meta["policy"],
            "version": self.version,
        }


KINDS = [
    TargetKind(
        "example",
        "The bundled example agent: example:vulnerable or example:patched.",
        ExampleTarget,
    )
]
