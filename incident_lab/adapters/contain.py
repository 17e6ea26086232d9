"""Containment actions (playbook phase 1): run, record, confirm and undo.

Every action, dry run and undo is appended to the incident's ``timeline.jsonl``
*whatever its outcome*: a failed action is recorded as failed and raised as an
:class:`~incident_lab.errors.ExternalError`, so nothing claims success it did
not get.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incident_lab.adapters.backends import ActionOutcome
from incident_lab.adapters.config import Config, Secrets
from incident_lab.errors import ConfigError, ExternalError, InputError, UsageError
from incident_lab.evidence.timeline import read_timeline, record_event
from incident_lab.plugins import collect

#: The playbook's containment actions.
ACTIONS = ("kill-switch", "scale-to-zero", "route-to-baseline", "disable-tools")
INCIDENT_ENV = "INCIDENT_LAB_INCIDENT"


@dataclass
class ContainResult:
    """The outcome of one containment (or undo) action, as recorded in the timeline."""

    event: dict[str, Any]
    ok: bool


def get_backends() -> dict[str, Any]:
    """Return every registered containment backend by name."""
    return collect("register_containment_backends")


def actor_name(config: Config | None = None) -> str:
    """Who is acting: ``$INCIDENT_LAB_ACTOR``, the config's actor, or ``user@host``."""
    if os.environ.get("INCIDENT_LAB_ACTOR"):
        return os.environ["INCIDENT_LAB_ACTOR"]
    if config is not None and config.actor:
        return config.actor
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def incident_dir_for(explicit: str | None, *, create: bool) -> Path:
    """Resolve the incident directory whose timeline records the actions.

    ``--incident DIR``, else ``$INCIDENT_LAB_INCIDENT``, else (when ``create``) a
    new ``incident_<UTC timestamp>/`` holding only the timeline: containment comes
    before the snapshot, and ``snapshot --out`` later adopts that directory.

    Raises:
        InputError: a named directory does not exist and ``create`` is False.
    """
    name = explicit or os.environ.get(INCIDENT_ENV)
    if name:
        path = Path(name)
        if not path.is_dir():
            if not create:
                raise InputError("no such incident directory", path=name)
            path.mkdir(parents=True)
        return path
    if not create:
        raise UsageError("no incident directory given", hint="pass --incident DIR")
    from incident_lab.evidence.bundle import default_bundle_name

    path = Path(default_bundle_name(datetime.now(UTC)))
    path.mkdir(exist_ok=True)
    return path


def _context(
    dry_run: bool, tools: list[str], incident_dir: Path, secrets: Secrets
) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "secrets": secrets,
        "variables": {"tools": ",".join(tools), "incident": incident_dir.name},
    }


def run_action(
    action: str,
    *,
    config: Config,
    incident_dir: Path,
    dry_run: bool = False,
    tools: list[str] | None = None,
) -> ContainResult:
    """Run one configured containment action and record it in the timeline.

    Raises:
        UsageError: ``action`` is not one of :data:`ACTIONS`.
        ConfigError: the action is not configured, or its backend is unknown.
        ExternalError: the backend failed (after the failure was recorded).
    """
    if action not in ACTIONS:
        raise UsageError(
            f"unknown containment action {action!r}", hint="one of: " + ", ".join(ACTIONS)
        )
    secrets = Secrets()
    backend_name = str((config.contain.get(action) or {}).get("backend"))
    try:
        backend, spec = _resolve(action, config)
        if tools and action != "disable-tools":
            raise UsageError("--tool only applies to disable-tools")
        ctx = _context(dry_run, list(tools or spec.get("tools") or []), incident_dir, secrets)
        outcome: ActionOutcome = backend.run(action, spec, ctx)
    except (ConfigError, UsageError) as exc:
        # The timeline stays true: an action that could not even start is recorded as failed.
        failed = ActionOutcome(False, error=secrets.mask(exc.message))
        record_event(incident_dir, _event(config, action, backend_name, dry_run, failed))
        raise
    event = record_event(incident_dir, _event(config, action, str(backend_name), dry_run, outcome))
    if not outcome.ok:
        raise ExternalError(
            f"containment action {action} FAILED: {outcome.error} (recorded in {incident_dir}/timeline.jsonl)",
            hint="containment is NOT in place; fix the cause or use another action",
        )
    return ContainResult(event, True)


def _resolve(action: str, config: Config) -> tuple[Any, dict[str, Any]]:
    spec = config.contain.get(action)
    if spec is None:
        raise ConfigError(
            f"containment action {action!r} is not configured",
            path=config.path or "incident_lab.toml",
            hint=f"add a [contain.actions.{action}] table (see docs/oncall.md)",
        )
    backends = get_backends()
    backend = backends.get(str(spec.get("backend")))
    if backend is None:
        raise ConfigError(
            f"contain.actions.{action}: unknown backend {spec.get('backend')!r}",
            path=config.path,
            hint="one of: " + ", ".join(sorted(backends)),
        )
    return backend, spec


def _event(
    config: Config, action: str, backend: str, dry_run: bool, outcome: ActionOutcome
) -> dict[str, Any]:
    return {
        "phase": "contain",
        "kind": "contain",
        "actor": actor_name(config),
        "action": action,
        "backend": backend,
        "dry_run": dry_run,
        "result": "dry-run" if dry_run and outcome.ok else ("ok" if outcome.ok else "failed"),
        "exit_status": _exit_status(outcome),
        "operations": outcome.operations,
        "error": outcome.error,
        "undo": outcome.undo if not dry_run else None,
        "would_undo": outcome.undo if dry_run else None,
    }


def _exit_status(outcome: ActionOutcome) -> int | None:
    statuses = [op.get("exit_status") for op in outcome.operations if "exit_status" in op]
    if statuses:
        return statuses[-1]
    return 0 if outcome.ok else 1


def undo_actions(
    *, config: Config, incident_dir: Path, action: str | None = None, dry_run: bool = False
) -> list[ContainResult]:
    """Reverse recorded, successful, not-yet-undone actions in reverse order.

    Args:
        action: Only undo this action (its latest occurrences); all when None.

    Raises:
        UsageError: nothing to undo.
        ExternalError: an undo failed (recorded; earlier actions are left as they are).
    """
    events = read_timeline(incident_dir)
    undone = {
        e.get("undoes") for e in events if e.get("kind") == "undo" and e.get("result") == "ok"
    }
    todo = [
        e
        for e in events
        if e.get("kind") == "contain"
        and e.get("result") == "ok"
        and e.get("undo")
        and e.get("event_id") not in undone
        and (action is None or e.get("action") == action)
    ]
    if not todo:
        raise UsageError(
            "nothing to undo" + (f" for {action}" if action else ""),
            path=str(Path(incident_dir) / "timeline.jsonl"),
        )
    backends = get_backends()
    results = []
    for event in reversed(todo):
        undo = event["undo"]
        backend = backends.get(undo.get("backend"))
        if backend is None:
            raise ConfigError(f"undo needs backend {undo.get('backend')!r}, which is not loaded")
        secrets = Secrets()
        ctx = {"dry_run": dry_run, "secrets": secrets, "variables": undo.get("variables") or {}}
        outcome = backend.undo(undo, ctx)
        stored = record_event(
            incident_dir,
            {
                "phase": "contain",
                "kind": "undo",
                "actor": actor_name(config),
                "action": event.get("action"),
                "backend": undo.get("backend"),
                "undoes": event.get("event_id"),
                "dry_run": dry_run,
                "result": "dry-run"
                if dry_run and outcome.ok
                else ("ok" if outcome.ok else "failed"),
                "exit_status": _exit_status(outcome),
                "operations": outcome.operations,
                "error": outcome.error,
            },
        )
        if not outcome.ok:
            raise ExternalError(
                f"undo of {event.get('action')} FAILED: {outcome.error} (recorded in the timeline)",
                hint="the action is still in effect; reverse it by hand",
            )
        results.append(ContainResult(stored, True))
    return results
