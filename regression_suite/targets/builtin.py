"""The built-in target kinds, registered through the plugin manager like any plugin."""

from __future__ import annotations

from incident_lab.hookspecs import hookimpl
from regression_suite.targets import (
    example,
    http_agent,
    openai_chat,
    python_callable,
    recorded,
    safeguard,
)
from regression_suite.targets.base import TargetKind

BUILTIN_KINDS: tuple[TargetKind, ...] = (
    *python_callable.KINDS,
    *http_agent.KINDS,
    *openai_chat.KINDS,
    *safeguard.KINDS,
    *recorded.KINDS,
    *example.KINDS,
)


@hookimpl
def register_targets() -> list[TargetKind]:
    """Register ``python``, ``http``, ``openai``, ``safeguard``, ``recorded`` and ``example``."""
    return list(BUILTIN_KINDS)
