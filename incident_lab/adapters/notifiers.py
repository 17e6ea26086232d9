"""Notification channels (playbook phase 4): Slack, PagerDuty Events v2, Jira, webhook.

Every channel posts through :func:`deliver`, which retries with exponential
backoff on 429 and 5xx (honouring ``Retry-After``), never retries other 4xx, and
keeps a ledger (``followup/notifications.jsonl``) so the same incident never
pages twice. Secrets come only from environment variables (``${VAR}`` in the
config) and are masked in every record. Text passes through the scenario
library's redactor before it leaves the machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incident_lab.adapters.backends import send_request
from incident_lab.adapters.config import Secrets, substitute
from incident_lab.adapters.escape import jira_text, slack_text
from incident_lab.adapters.ticket import TicketData, render_ticket
from incident_lab.errors import ConfigError
from incident_lab.hookspecs import hookimpl
from incident_lab.httpclient import HttpClient, RetryPolicy

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
PAGERDUTY_SEVERITY = {"SEV-1": "critical", "SEV-2": "error", "SEV-3": "warning", "SEV-4": "info"}


@dataclass
class Request:
    """One HTTP request a notifier wants sent."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any


@dataclass
class Delivery:
    """The outcome of delivering one notification (after retries)."""

    ok: bool
    status: int | None
    attempts: int
    error: str | None
    request: dict[str, Any]


def deliver(
    request: Request,
    *,
    secrets: Secrets,
    attempts: int = 5,
    timeout: float = 10.0,
    backoff: float = 0.5,
    max_wait: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send ``request`` under the one retry policy (:mod:`incident_lab.httpclient`).

    Delivered means a complete 2xx answer: a redirect (never followed), a 4xx, a cut
    body or a connection error after the last attempt is not.
    """
    client = HttpClient(
        RetryPolicy(attempts=attempts, timeout=timeout, backoff=backoff, max_wait=max_wait),
        sleep=sleep,
    )
    try:
        last = send_request(
            request.method,
            request.url,
            headers=request.headers,
            body=request.body,
            timeout=timeout,
            secrets=secrets,
            client=client,
        )
    finally:
        client.close()
    return Delivery(
        bool(last.get("ok")),
        last.get("status"),
        int(last.get("attempts") or 1),
        last.get("error"),
        last.get("request", {}),
    )


def _redactor() -> Callable[[str], str]:
    """One redactor per notification: the same value gets the same placeholder in every field."""
    from incident_lab.scenarios.redact import Redactor

    redactor = Redactor(style="placeholder")
    return lambda text: str(redactor.redact_text(text))


def _url(cfg: dict[str, Any], secrets: Secrets, where: str, default: str | None = None) -> str:
    url = cfg.get("url", default)
    if not url:
        raise ConfigError(f"[notify.{where}] needs a 'url' (e.g. url = \"${{SLACK_WEBHOOK_URL}}\")")
    return str(substitute(url, secrets, where=f"notify.{where}.url"))


def _headers(cfg: dict[str, Any], secrets: Secrets, where: str) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in substitute(
            cfg.get("headers") or {}, secrets, where=f"notify.{where}.headers"
        ).items()
    }


def _artifact_link(data: TicketData, cfg: dict[str, Any]) -> str:
    base = cfg.get("artifacts_base_url")
    return (
        f"{str(base).rstrip('/')}/{data.incident_id}" if base else f"file://{data.bundle.resolve()}"
    )


class SlackNotifier:
    """Slack incoming webhook: a text message with the ticket fields."""

    name = "slack"
    description = "Slack incoming webhook (url from ${SLACK_WEBHOOK_URL})."

    def build(
        self, data: TicketData, cfg: dict[str, Any], *, event: str, secrets: Secrets
    ) -> Request:
        """Build the webhook POST."""
        redact = _redactor()
        verb = "RESOLVED" if event == "resolve" else "Incident"
        s = slack_text  # every value from the bundle is shown literally, never as markup
        text = redact(
            f"*{verb} {s(data.incident_id)}* ({s(data.severity or 'severity unknown')})\n"
            f"*Summary:* {s(data.summary)}\n*Model / version:* {s(data.model_version)}\n"
            f"*Failure mode:* {s(data.failure_mode)}\n"
            f"*Immediate mitigation:* {s(data.mitigation)}\n"
            f"*Artifacts:* {s(_artifact_link(data, cfg))}"
        )
        return Request(
            "POST", _url(cfg, secrets, self.name), _headers(cfg, secrets, self.name), {"text": text}
        )


class PagerDutyNotifier:
    """PagerDuty Events API v2: ``trigger`` (dedup_key = incident id) and ``resolve``."""

    name = "pagerduty"
    description = "PagerDuty Events API v2 trigger/resolve, dedup_key = incident id."

    def build(
        self, data: TicketData, cfg: dict[str, Any], *, event: str, secrets: Secrets
    ) -> Request:
        """Build the Events v2 enqueue request."""
        redact = _redactor()
        key = cfg.get("routing_key")
        if not key:
            raise ConfigError('[notify.pagerduty] needs routing_key = "${PD_ROUTING_KEY}"')
        routing_key = str(substitute(key, secrets, where="notify.pagerduty.routing_key"))
        secrets.add(routing_key)
        body: dict[str, Any] = {
            "routing_key": routing_key,
            "event_action": event,
            "dedup_key": data.incident_id,
        }
        if event == "trigger":
            body["payload"] = {
                "summary": redact(
                    f"[{data.severity or 'SEV-?'}] {data.incident_id}: {data.failure_mode}"
                )[:1024],
                "source": str(cfg.get("source", "incident-lab")),
                "severity": PAGERDUTY_SEVERITY.get(data.severity or "", "error"),
                "component": cfg.get("component", "ai-agent"),
                "class": data.failure_mode[:256],
                "custom_details": {
                    "summary": redact(data.summary),
                    "model_version": data.model_version,
                    "immediate_mitigation": redact(data.mitigation),
                },
            }
            body["links"] = [{"href": _artifact_link(data, cfg), "text": "incident artifacts"}]
        return Request(
            "POST",
            _url(cfg, secrets, self.name, default=PAGERDUTY_URL),
            _headers(cfg, secrets, self.name),
            body,
        )


class JiraNotifier:
    """Jira REST: create an issue with the ticket as its description."""

    name = "jira"
    description = "Jira REST API create issue (basic auth from env vars)."

    def build(
        self, data: TicketData, cfg: dict[str, Any], *, event: str, secrets: Secrets
    ) -> Request:
        """Build ``POST /rest/api/2/issue``."""
        redact = _redactor()
        if event != "trigger":
            raise ConfigError("jira supports only creating the ticket (no --resolve)")
        base = _url(cfg, secrets, self.name).rstrip("/")
        project = cfg.get("project")
        if not project:
            raise ConfigError('[notify.jira] needs project = "KEY"')
        headers = _headers(cfg, secrets, self.name)
        if cfg.get("user") and cfg.get("token"):
            import base64

            user = str(substitute(cfg["user"], secrets, where="notify.jira.user"))
            token = str(substitute(cfg["token"], secrets, where="notify.jira.token"))
            cred = base64.b64encode(f"{user}:{token}".encode()).decode()
            secrets.add(cred)
            headers["Authorization"] = f"Basic {cred}"
        body = {
            "fields": {
                "project": {"key": project},
                "summary": redact(
                    f"[{data.severity or 'SEV-?'}] AI agent incident {jira_text(data.incident_id)}"
                )[:250],
                "description": redact(render_ticket(data, escape=jira_text)),
                "issuetype": {"name": cfg.get("issue_type", "Incident")},
                "labels": ["incident-lab", *(cfg.get("labels") or [])],
            }
        }
        return Request("POST", f"{base}/rest/api/2/issue", headers, body)


class WebhookNotifier:
    """A generic webhook: the ticket as JSON."""

    name = "webhook"
    description = "Generic webhook: POST the ticket as JSON."

    def build(
        self, data: TicketData, cfg: dict[str, Any], *, event: str, secrets: Secrets
    ) -> Request:
        """Build the POST with the ticket JSON."""
        redact = _redactor()
        payload = json.loads(redact(json.dumps(data.to_dict(), default=str)))
        payload["event"] = event
        return Request(
            str(cfg.get("method", "POST")),
            _url(cfg, secrets, self.name),
            _headers(cfg, secrets, self.name),
            payload,
        )


@hookimpl
def register_notifiers() -> list[Any]:
    """Register the built-in notification channels."""
    return [SlackNotifier(), PagerDutyNotifier(), JiraNotifier(), WebhookNotifier()]


def ledger_path(bundle: Path) -> Path:
    """The per-incident notification ledger."""
    return Path(bundle) / "followup" / "notifications.jsonl"
