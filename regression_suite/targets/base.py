"""The target protocol: the system under test, as the runner sees it.

A target receives a scenario's *replay input* (``docs/formats.md``, "Replay input")
and returns the ``trajectory/v1`` dict the system produced for it. Target kinds are
plugins (hook ``register_targets``): each :class:`TargetKind` has a ``name`` (the
scheme of a target spec such as ``python:`` or ``openai+http``) and a ``create(spec)``
factory.

Errors a target raises::

    ExternalError
    ├── TargetUnreachable   connection refused, timeouts or 5xx after retries
    └── TargetError         the target answered with something that is not a trajectory
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from incident_lab.errors import ExternalError
from incident_lab.trajectory import SCHEMA_VERSION

Replay = dict[str, Any]
Scenario = dict[str, Any]
Trajectory = dict[str, Any]


class TargetUnreachable(ExternalError):
    """The target could not be reached: connection refused, timeouts or 5xx after retries."""


class TargetError(ExternalError):
    """The target answered, but with something that is not a trajectory (or it crashed)."""


@runtime_checkable
class Target(Protocol):
    """A system under test.

    Attributes:
        name: The target spec it was created from (``example:patched``).
        io_bound: True when the runner should drive it concurrently (asyncio);
            False when it should use worker processes.
        runs_agent: optional (default True): False for a target that replays the
            scenario's recording instead of running an agent on the replay input
            (``recorded``, ``safeguard``); such a target is never judged "not exercised".
    """

    name: str
    io_bound: bool

    def run(self, replay: Replay, scenario: Scenario) -> Trajectory:
        """Replay one scenario and return the produced trajectory/v1 dict."""
        ...

    async def arun(self, replay: Replay, scenario: Scenario) -> Trajectory:
        """Async :meth:`run`."""
        ...

    def describe(self) -> dict[str, Any]:
        """Return ``{"target", "kind", "model", "policy", "version"}`` for reports."""
        ...

    def close(self) -> None:
        """Release connections, threads or files the target holds."""
        ...


class BaseTarget(abc.ABC):
    """Convenience base class: ``arun`` runs ``run`` in a thread; ``close`` does nothing.

    Subclasses set ``kind`` and implement :meth:`run`.
    """

    kind: str = "base"
    io_bound: bool = False
    #: True: the target runs an agent on the replay input (a case with documents it did not
    #: take is not exercised); False for a target that replays the recording.
    runs_agent: bool = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen_model: Any = None
        self.seen_policy: Any = None

    def observe(self, trajectory: Trajectory) -> Trajectory:
        """Remember the model and policy a produced trajectory declares (for :meth:`describe`)."""
        agent = trajectory.get("agent")
        if isinstance(agent, dict):
            self.seen_model = agent.get("model", self.seen_model)
            self.seen_policy = agent.get("policy", self.seen_policy)
        return trajectory

    @abc.abstractmethod
    def run(self, replay: Replay, scenario: Scenario) -> Trajectory:
        """Replay one scenario and return the trajectory the system produced."""

    async def arun(self, replay: Replay, scenario: Scenario) -> Trajectory:
        """Run :meth:`run` in a worker thread so the event loop stays free."""
        import asyncio  # loaded only where a target runs concurrently

        return await asyncio.to_thread(self.run, replay, scenario)

    def describe(self) -> dict[str, Any]:
        """Describe the target for the report.

        Model and policy are those declared by the last trajectory the target produced
        (None before the first run or when the system does not declare them).
        """
        return {
            "target": self.name,
            "kind": self.kind,
            "model": self.seen_model,
            "policy": self.seen_policy,
            "version": None,
        }

    def close(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Nothing to release by default."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


@dataclass(frozen=True, slots=True)
class TargetKind:
    """A target kind, registered through the ``register_targets`` hook.

    Attributes:
        name: The spec scheme it handles (``python``, ``http``, ``openai+http`` ...).
        description: One line for the docs and ``incident_lab plugins``.
        create: ``spec -> Target``; raises ``UsageError`` for a malformed spec.
        aliases: Other schemes it handles (``https`` for ``http``).
    """

    name: str
    description: str
    create: Callable[[str], Target]
    aliases: tuple[str, ...] = ()


def complete_trajectory(result: Any, replay: Replay, target: str) -> Trajectory:
    """Accept what a target returned and complete a partial trajectory.

    A dict with a ``steps`` list is a trajectory; ``schema_version`` and
    ``session_id`` (``<scenario_id>-replay``) are filled in when missing (``{"steps": [...]}`` is enough). A
    ``{"trajectory": {...}}`` envelope is unwrapped. The runner validates the rest.

    Args:
        result: What the target returned.
        replay: The replay input (for the scenario id used in a made-up session id).
        target: The target spec, named in error messages.

    Returns:
        The (possibly completed) trajectory; the same dict object when it was complete.

    Raises:
        TargetError: ``result`` is not a dict with a ``steps`` list.
    """
    if (
        isinstance(result, dict)
        and "steps" not in result
        and isinstance(result.get("trajectory"), dict)
    ):
        result = result["trajectory"]
    if not isinstance(result, dict):
        raise TargetError(
            f"target {target} returned {type(result).__name__}, not a trajectory object",
            hint="return a trajectory/v1 dict (at least {'steps': [...]})",
        )
    steps = result.get("steps")
    if not isinstance(steps, list):
        what = "no 'steps'" if steps is None else f"'steps' of type {type(steps).__name__}"
        keys = ", ".join(sorted(map(str, result))[:8]) or "none"
        raise TargetError(
            f"target {target} returned an object with {what} (keys: {keys}), not a trajectory",
            hint="a trajectory needs a 'steps' list; see docs/formats.md",
        )
    result.setdefault("schema_version", SCHEMA_VERSION)
    if not result.get("session_id"):
        result["session_id"] = f"{replay.get('scenario_id') or 'scenario'}-replay"
    return result
