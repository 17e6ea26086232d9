"""Targets: the system under test, behind one small protocol.

``resolve_target(spec)`` turns a ``--target`` value into a :class:`Target`:

========================================  ==========================================
``python:package.module:function``        a Python callable (sync or async)
``http://host/path``, ``https://...``     an agent endpoint speaking JSON
``openai+http://host:port/v1#model``      an OpenAI-compatible chat endpoint + agent loop
``safeguard:package.module:function``     a guardrail replayed over the recording
``recorded``                              the scenario's own recording
``example:vulnerable``/``example:patched``  the bundled example agent
========================================  ==========================================

Target kinds are plugins (hook ``register_targets``); a third-party kind's ``name`` is
the spec scheme it handles.
"""

from __future__ import annotations

from incident_lab.errors import UsageError
from regression_suite.targets.base import (
    BaseTarget,
    Target,
    TargetError,
    TargetKind,
    TargetUnreachable,
    complete_trajectory,
)

__all__ = [
    "BaseTarget",
    "Target",
    "TargetError",
    "TargetKind",
    "TargetUnreachable",
    "complete_trajectory",
]


def get_target_kinds() -> dict[str, TargetKind]:
    """Return every registered target kind by name (built-ins and plugins)."""
    from incident_lab.plugins import collect

    return collect("register_targets")


def scheme_of(spec: str) -> str:
    """Return the scheme of a target spec: ``openai+http``, ``python``, ``recorded`` ..."""
    if "://" in spec:
        return spec.split("://", 1)[0].lower()
    return spec.split(":", 1)[0].strip().lower()


def resolve_target(spec: str) -> Target:
    """Create the target a ``--target`` spec names.

    Args:
        spec: e.g. ``example:patched``, ``python:my_agent.replay:run``,
            ``openai+http://127.0.0.1:8000/v1#llama``.

    Returns:
        A ready :class:`Target` (call ``close()`` when done).

    Raises:
        UsageError: empty spec, unknown scheme (the message lists the kinds), or a
            spec the kind rejects (a Python target that does not import, ...).
    """
    spec = (spec or "").strip()
    kinds = get_target_kinds()
    names = ", ".join(sorted(kinds))
    if not spec:
        raise UsageError("no target given", hint=f"--target one of the kinds: {names}")
    scheme = scheme_of(spec)
    for kind in kinds.values():
        if scheme == kind.name or scheme in kind.aliases:
            return kind.create(spec)
    raise UsageError(
        f"unknown target {spec!r}: {scheme!r} is not one of the target kinds ({names})",
        hint="e.g. --target example:patched, python:pkg.mod:fn or http://host/replay",
    )
