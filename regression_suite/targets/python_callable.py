"""The ``python:package.module:function`` target: a callable in the current interpreter.

The function receives the replay input dict, and the scenario dict as a second
argument when it accepts two positional parameters. It may be sync or ``async``. It
returns the trajectory it produced; a partial one (just ``{"steps": [...]}``) is
completed with ``schema_version`` and ``session_id``. An exception raised by the
function becomes a :class:`TargetError` naming it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from incident_lab.errors import UsageError
from regression_suite.targets.base import BaseTarget, TargetError, TargetKind, complete_trajectory


def import_callable(spec: str, prefix: str) -> Callable[..., Any]:
    """Import ``package.module:attr`` (``attr`` may be dotted) from a ``prefix:`` spec.

    Raises:
        UsageError: malformed spec, module not importable, attribute missing or not callable.
    """
    ref = spec[len(prefix) + 1 :] if spec.startswith(prefix + ":") else spec
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(
            f"target {spec!r} must look like {prefix}:package.module:function",
            hint=f"e.g. --target {prefix}:my_agent.replay:run",
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(
            f"target {spec!r}: cannot import module {module_name!r} ({exc})",
            hint="is the package installed in this environment, or on PYTHONPATH?",
        ) from None
    except Exception as exc:
        raise UsageError(
            f"target {spec!r}: importing module {module_name!r} failed with "
            f"{type(exc).__name__}: {exc}"
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(
                f"target {spec!r}: module {module_name!r} has no attribute {attr!r}"
            ) from None
    if not callable(obj):
        raise UsageError(f"target {spec!r}: {module_name}:{attr} is not callable")
    return obj


def _accepts_two(fn: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    positional = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


class PythonCallableTarget(BaseTarget):
    """Call a Python function with the replay input.

    Args:
        spec: ``python:package.module:function``.
    """

    kind = "python"

    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.function = import_callable(spec, "python")
        self.is_async = inspect.iscoroutinefunction(self.function)
        self.io_bound = self.is_async
        self.pass_scenario = _accepts_two(self.function)

    def _call(self, replay: dict[str, Any], scenario: dict[str, Any]) -> Any:
        args = (replay, scenario) if self.pass_scenario else (replay,)
        return self.function(*args)

    def _crashed(self, exc: Exception) -> TargetError:
        return TargetError(f"target {self.name} raised {type(exc).__name__}: {exc}")

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Call the function (running it to completion when it is async)."""
        try:
            result = self._call(replay, scenario)
            if inspect.isawaitable(result):
                import asyncio  # only for an async function

                result = asyncio.run(_await(result))
        except TargetError:
            raise
        except Exception as exc:
            raise self._crashed(exc) from exc
        return self.observe(complete_trajectory(result, replay, self.name))

    async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Await an async function directly; run a sync one in a worker thread."""
        if not self.is_async:
            return await super().arun(replay, scenario)
        try:
            result = await self._call(replay, scenario)
        except TargetError:
            raise
        except Exception as exc:
            raise self._crashed(exc) from exc
        return self.observe(complete_trajectory(result, replay, self.name))


async def _await(awaitable: Any) -> Any:
    return await awaitable


KINDS = [
    TargetKind(
        "python",
        "A Python callable (sync or async) taking the replay input, returning the trajectory.",
        PythonCallableTarget,
    )
]
