"""Routing and sending notifications for an incident, idempotently and on the record."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from incident_lab.adapters.config import Config, Secrets
from incident_lab.adapters.contain import actor_name, record_event
from incident_lab.adapters.notifiers import deliver, ledger_path
from incident_lab.adapters.ticket import TicketData, build_ticket
from incident_lab.errors import ConfigError, ExternalError, UsageError
from incident_lab.evidence.timeline import read_records
from incident_lab.plugins import collect

#: The playbook's rule: page the Safety Lead for SEV-1/SEV-2; notify Infra/ProdSec
#: if a tool or data is involved. Override with [[routing.rules]] in incident_lab.toml.
DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "page-safety-lead",
        "when": {"severity": ["SEV-1", "SEV-2"]},
        "notify": ["pagerduty"],
        "audience": "Safety Lead",
    },
    {
        "name": "infra-prodsec",
        "when": {"tools_or_data_involved": True},
        "notify": ["slack"],
        "audience": "Infra / ProdSec",
    },
]


@dataclass
class NotifyResult:
    """One channel's outcome."""

    channel: str
    status: str  # sent | already-sent | failed | dry-run
    detail: str
    audience: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def get_notifiers() -> dict[str, Any]:
    """Return every registered notifier by name."""
    return collect("register_notifiers")


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


#: The conditions a ``[[routing.rules]]`` ``when`` table may hold: ``test(value, data)``.
_CONDITIONS: dict[str, Callable[[Any, TicketData], bool]] = {
    "severity": lambda v, d: d.severity in _listed(v),
    "tools_involved": lambda v, d: bool(d.tools_involved) == bool(v),
    "data_involved": lambda v, d: d.data_involved == bool(v),
    "tools_or_data_involved": lambda v, d: bool(d.tools_involved or d.data_involved) == bool(v),
    "failure_mode": lambda v, d: any(w in d.failure_mode for w in _listed(v)),
}


def _matches(when: dict[str, Any], data: TicketData) -> bool:
    for key, value in when.items():
        test = _CONDITIONS.get(key)
        if test is None:
            raise ConfigError(
                f"routing rule: unknown condition {key!r}", hint=", ".join(_CONDITIONS)
            )
        if not test(value, data):
            return False
    return True


def route(data: TicketData, config: Config) -> list[tuple[str, str | None]]:
    """Return ``(channel, audience)`` pairs the routing rules select for this incident."""
    rules = config.routing or DEFAULT_RULES
    out: list[tuple[str, str | None]] = []
    for rule in rules:
        if _matches(dict(rule.get("when") or {}), data):
            for channel in rule.get("notify") or []:
                if channel not in [c for c, _ in out]:
                    out.append((str(channel), rule.get("audience")))
    return out


def _channel(channel: str, notifiers: dict[str, Any], config: Config) -> tuple[Any, dict[str, Any]]:
    """The notifier and the ``[notify.<channel>]`` table of a chosen channel."""
    notifier = notifiers.get(channel)
    if notifier is None:
        raise UsageError(
            f"unknown channel {channel!r}", hint="one of: " + ", ".join(sorted(notifiers))
        )
    cfg = config.notify.get(channel)
    if cfg is None:
        raise ConfigError(
            f"channel {channel!r} is not configured",
            path=config.path or "incident_lab.toml",
            hint=f"add a [notify.{channel}] table",
        )
    return notifier, cfg


def _append_ledger(bundle: Path, row: dict[str, Any]) -> None:
    path = ledger_path(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, sort_keys=True) + "\n")


def notify(
    bundle: str | Path,
    *,
    config: Config,
    via: list[str] | None = None,
    event: str = "trigger",
    force: bool = False,
    dry_run: bool = False,
    attempts: int = 5,
) -> list[NotifyResult]:
    """Send the incident's ticket over the chosen (or routed) channels.

    Raises:
        UsageError: unknown channel, or nothing routed.
        ConfigError: a chosen channel has no ``[notify.<channel>]`` table or a variable is missing.

    Returns:
        One result per channel; check failures with :func:`raise_for_failures`.
    """
    root = Path(bundle)
    data = build_ticket(root)
    notifiers = get_notifiers()
    targets = [(c, None) for c in via] if via else route(data, config)
    if not targets:
        raise UsageError(
            "no channel selected: routing rules matched nothing", hint="pass --via CHANNEL"
        )
    sent = {
        (r["channel"], r["event"])
        for r in read_records(ledger_path(root), what="notification ledger")
        if r.get("ok")
    }
    results: list[NotifyResult] = []
    for channel, audience in targets:
        notifier, cfg = _channel(channel, notifiers, config)
        if (channel, event) in sent and not force:
            done = f"{event} for {data.incident_id} was already delivered"
            results.append(NotifyResult(channel, "already-sent", done, audience))
            continue
        secrets = Secrets()
        request = notifier.build(data, cfg, event=event, secrets=secrets)
        fields: dict[str, Any] = {"phase": "notify", "kind": "notify", "actor": actor_name(config)}
        fields |= {"channel": channel, "event": event, "dry_run": dry_run}
        if dry_run:
            body = json.dumps(secrets.mask(request.body))[:300]
            results.append(NotifyResult(channel, "dry-run", body, audience))
            seen = secrets.mask({"method": request.method, "url": request.url})
            record_event(root, fields | {"result": "dry-run", "request": seen})
            continue
        outcome = deliver(
            request,
            secrets=secrets,
            attempts=int(cfg.get("attempts", attempts)),
            timeout=float(cfg.get("timeout", 10.0)),
            max_wait=float(cfg.get("max_wait", 30.0)),
        )
        tried = {"status": outcome.status, "attempts": outcome.attempts, "error": outcome.error}
        row = {
            "channel": channel,
            "event": event,
            "incident_id": data.incident_id,
            "ok": outcome.ok,
        }
        _append_ledger(root, row | tried)
        result = "ok" if outcome.ok else "failed"
        record_event(
            root,
            fields | {"audience": audience, "result": result, "request": outcome.request} | tried,
        )
        if outcome.ok:
            sent_in = f"HTTP {outcome.status} after {outcome.attempts} attempt(s)"
            results.append(NotifyResult(channel, "sent", sent_in, audience))
        else:
            results.append(NotifyResult(channel, "failed", str(outcome.error), audience))
    return results


def raise_for_failures(results: list[NotifyResult]) -> None:
    """Raise when any channel failed (after every outcome has been recorded).

    Raises:
        ExternalError: listing each failed channel.
    """
    failed = [f"{r.channel}: {r.detail}" for r in results if r.status == "failed"]
    if failed:
        raise ExternalError(
            "notification FAILED: " + "; ".join(failed) + " (recorded in the timeline)",
            hint="nobody was notified on those channels; notify by hand, then rerun",
        )
