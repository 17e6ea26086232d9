"""Ticket and notifications: filled from evidence, retried correctly, never paging twice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from incident_lab.adapters.config import load_config
from incident_lab.adapters.notify import DEFAULT_RULES, route
from incident_lab.adapters.ticket import FILL_MARK, build_ticket
from incident_lab.httpclient import parse_retry_after
from tests.incident_lab.adapters.conftest import RecordingServer


@pytest.fixture
def bundle(tmp_path: Path, il) -> Path:
    """A real bundle of the example agent's traffic (one injection incident), classified."""
    from incident_lab.example.traffic import generate_log

    log = tmp_path / "prod.jsonl"
    generate_log(log, sessions=40, incidents=1, seed=3)
    out = tmp_path / "incident_test"
    r = il("snapshot", "--from", log, "--out", out, "--incident-id", "INC-7")
    assert r.exit_code == 0, r.stderr
    assert il("classify", out, "--json").exit_code == 0
    return out


def _config(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "incident_lab.toml"
    path.write_text(
        f"""
[notify.slack]
url = "{url}/slack/${{SLACK_PATH}}"
[notify.pagerduty]
routing_key = "${{PD_KEY}}"
url = "{url}/v2/enqueue"
max_wait = 2
[notify.jira]
url = "{url}"
project = "SAFE"
user = "bot@example.com"
token = "${{JIRA_TOKEN}}"
[notify.webhook]
url = "{url}/hook"
{extra}
"""
    )
    return path


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_PATH", "T000/B000/XXXXsecretpath")
    monkeypatch.setenv("PD_KEY", "pd-routing-key-123456")
    monkeypatch.setenv("JIRA_TOKEN", "jira-token-abcdef")


def test_ticket_fills_template_from_evidence_and_marks_the_rest(il, bundle: Path) -> None:
    """ticket.md has the five template fields; model and artifacts come from the bundle, root cause is left to a human."""
    r = il("ticket", bundle, "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    text = Path(data["path"]).read_text()
    for field in (
        "Summary:",
        "Model / version:",
        "Failure mode:",
        "Immediate mitigation:",
        "Suspected root cause:",
    ):
        assert field in text
    assert f"{FILL_MARK} suspected root cause" in text
    assert "prompt_injection" in data["failure_mode"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert data["incident_id"] == "INC-7"
    for name in ("trajectories.jsonl", "metrics.json", "rejects.jsonl"):
        assert name in text
    assert any(a["sha256"] and a["sha256"] in text for a in data["artifacts"])
    assert manifest["incident_id"] == "INC-7"
    timeline = (bundle / "timeline.jsonl").read_text().splitlines()
    assert json.loads(timeline[-1])["kind"] == "ticket"


def test_ticket_never_invents_mitigation(bundle: Path) -> None:
    """With no containment in the timeline, mitigation is a placeholder, not made up."""
    data = build_ticket(bundle)
    assert data.mitigation.startswith(FILL_MARK)


def test_pagerduty_trigger_dedup_severity_and_idempotent(
    il, tmp_path, bundle, http_server: RecordingServer, env
) -> None:
    """PagerDuty gets one trigger with dedup_key=incident id and mapped severity; a rerun does not page again."""
    cfg = _config(tmp_path, http_server.url)
    http_server.default = (202, {}, '{"status":"success","dedup_key":"INC-7"}')
    r = il("notify", bundle, "--via", "pagerduty", "--config", cfg)
    assert r.exit_code == 0, r.stderr
    body = http_server.requests[0]["body"]
    assert body["event_action"] == "trigger" and body["dedup_key"] == "INC-7"
    assert body["routing_key"] == "pd-routing-key-123456"
    assert body["payload"]["severity"] in {"critical", "error", "warning", "info"}
    assert body["links"][0]["href"]
    again = il("notify", bundle, "--via", "pagerduty", "--config", cfg)
    assert again.exit_code == 0 and "already-sent" in again.stderr
    assert len(http_server.requests) == 1
    resolve = il("notify", bundle, "--via", "pagerduty", "--resolve", "--config", cfg)
    assert resolve.exit_code == 0
    assert http_server.requests[1]["body"] == {
        "routing_key": "pd-routing-key-123456",
        "event_action": "resolve",
        "dedup_key": "INC-7",
    }
    text = (bundle / "timeline.jsonl").read_text() + (
        bundle / "followup" / "notifications.jsonl"
    ).read_text()
    assert "pd-routing-key-123456" not in text


def test_retries_429_and_500_honouring_retry_after(il, tmp_path, bundle, http_server, env) -> None:
    """429 then 500 then 200: three attempts, success, recorded with the attempt count."""
    http_server.script = [(429, {"Retry-After": "0"}, "slow down"), (500, {}, "oops")]
    r = il("notify", bundle, "--via", "slack", "--config", _config(tmp_path, http_server.url))
    assert r.exit_code == 0, r.stderr
    assert len(http_server.requests) == 3
    assert http_server.requests[0]["path"] == "/slack/T000/B000/XXXXsecretpath"
    assert "after 3 attempt(s)" in r.stderr
    assert "XXXXsecretpath" not in (bundle / "timeline.jsonl").read_text()


def test_never_retries_other_4xx_and_fails_loudly(il, tmp_path, bundle, http_server, env) -> None:
    """A 400 is not retried: one request, exit 4, and the failure is in the timeline."""
    http_server.script = [(400, {}, '{"error":"invalid payload"}')]
    r = il("notify", bundle, "--via", "webhook", "--config", _config(tmp_path, http_server.url))
    assert r.exit_code == 4 and "FAILED" in r.stderr
    assert len(http_server.requests) == 1
    last = json.loads((bundle / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["kind"] == "notify" and last["result"] == "failed" and last["status"] == 400


def test_unreachable_webhook_fails_after_retries(il, tmp_path, bundle, env) -> None:
    """Nobody listening: retried, then exit 4 with the failure recorded."""
    cfg = _config(tmp_path, "http://127.0.0.1:9", extra="attempts = 2")
    r = il("notify", bundle, "--via", "webhook", "--config", cfg)
    assert r.exit_code == 4
    last = json.loads((bundle / "timeline.jsonl").read_text().splitlines()[-1])
    assert last["result"] == "failed" and last["attempts"] == 2


def test_jira_creates_issue_with_basic_auth(il, tmp_path, bundle, http_server, env) -> None:
    """Jira gets POST /rest/api/2/issue with the project, summary and the ticket as description."""
    http_server.default = (201, {}, '{"key":"SAFE-12"}')
    assert (
        il(
            "notify", bundle, "--via", "jira", "--config", _config(tmp_path, http_server.url)
        ).exit_code
        == 0
    )
    req = http_server.requests[0]
    assert req["path"] == "/rest/api/2/issue" and req["headers"]["Authorization"].startswith(
        "Basic "
    )
    assert req["body"]["fields"]["project"] == {"key": "SAFE"}
    assert "Suspected root cause" in req["body"]["fields"]["description"]


def test_payloads_are_redacted(il, tmp_path, bundle, http_server, env) -> None:
    """Email addresses in the ticket are replaced by placeholders before leaving the machine."""
    (bundle / "followup").mkdir(exist_ok=True)
    assert (
        il(
            "notify", bundle, "--via", "webhook", "--config", _config(tmp_path, http_server.url)
        ).exit_code
        == 0
    )
    sent = json.dumps(http_server.requests[0]["body"])
    assert "@evil.example" not in sent
    assert not re.search(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]", sent.replace("@example.com", "")
    )
    # The attacker's address is quoted defanged (an indicator of compromise, not PII).
    assert "collector[@]evil[.]example" in sent


def test_missing_secret_variable_is_a_config_error(
    il, tmp_path, bundle, http_server, monkeypatch
) -> None:
    """${PD_KEY} unset: exit 3 naming the variable, nothing sent."""
    monkeypatch.delenv("PD_KEY", raising=False)
    r = il("notify", bundle, "--via", "pagerduty", "--config", _config(tmp_path, http_server.url))
    assert r.exit_code == 3 and "PD_KEY" in r.stderr and http_server.requests == []


def test_default_routing_follows_the_playbook(bundle: Path, tmp_path: Path) -> None:
    """SEV-1/2 pages the Safety Lead; tools involved notify Infra/ProdSec."""
    data = build_ticket(bundle)
    config = load_config(str(_config(tmp_path, "http://x")))
    data.severity = "SEV-1"
    assert [c for c, _ in route(data, config)] == ["pagerduty", "slack"]
    data.severity, data.tools_involved, data.data_involved = "SEV-4", [], False
    assert route(data, config) == []
    assert DEFAULT_RULES[0]["audience"] == "Safety Lead"


def test_parse_retry_after_seconds_and_date() -> None:
    """Retry-After in seconds or as an HTTP date, capped."""
    assert parse_retry_after("3", default=1, cap=30) == 3
    assert parse_retry_after("999", default=1, cap=30) == 30
    assert parse_retry_after(None, default=1.5, cap=30) == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", default=1, cap=30) == 0


def test_one_placeholder_numbering_per_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    """Different values in different fields never share a placeholder; the same value keeps one."""
    from incident_lab.adapters.config import Secrets
    from incident_lab.adapters.notifiers import PagerDutyNotifier
    from incident_lab.adapters.ticket import TicketData

    monkeypatch.setenv("PD_KEY_T", "key-123456")
    data = TicketData(
        incident_id="INC-1",
        bundle=Path("b"),
        summary="mail to a@evil.com",
        model_version="m",
        failure_mode="prompt_injection",
        severity="SEV-1",
        mitigation="blocked b@corp.com and a@evil.com",
        root_cause="[TO FILL]",
    )
    req = PagerDutyNotifier().build(
        data, {"routing_key": "${PD_KEY_T}"}, event="trigger", secrets=Secrets()
    )
    details = req.body["payload"]["custom_details"]
    assert details["summary"] == "mail to <EMAIL_1>"
    assert details["immediate_mitigation"] == "blocked <EMAIL_2> and <EMAIL_1>"


def test_notify_records_exact_timeline_events_and_ledger_rows(
    tmp_path, bundle, http_server: RecordingServer, env
) -> None:
    """A dry run, a delivery and a failure each leave one timeline event with exactly these
    fields (the dry run has no audience, status or attempts); a delivery or failure also
    leaves one ledger row."""
    from incident_lab.adapters.notify import notify
    from incident_lab.evidence.timeline import read_timeline

    config = load_config(_config(tmp_path, http_server.url))
    kept = ("phase", "kind", "channel", "audience", "event", "dry_run", "result")
    kept += ("status", "attempts", "error")

    def new_events(before: int) -> list[dict[str, object]]:
        events = read_timeline(bundle)[before:]
        assert all(e["actor"] and e["request"]["url"] for e in events)
        return [{k: e[k] for k in kept if k in e} for e in events]

    start = len(read_timeline(bundle))
    dry = notify(bundle, config=config, via=["slack"], dry_run=True)
    assert [r.status for r in dry] == ["dry-run"]
    assert new_events(start) == [
        {"phase": "notify", "kind": "notify", "channel": "slack", "event": "trigger"}
        | {"dry_run": True, "result": "dry-run"}
    ]
    assert not (bundle / "followup" / "notifications.jsonl").exists()

    start = len(read_timeline(bundle))
    http_server.script = [(400, {}, "bad")]
    results = notify(bundle, config=config, via=["webhook", "slack"])
    assert [r.to_dict() for r in results] == [
        {"channel": "webhook", "status": "failed", "detail": results[0].detail, "audience": None},
        {"channel": "slack", "status": "sent", "detail": "HTTP 200 after 1 attempt(s)"}
        | {"audience": None},
    ]
    error = results[0].detail
    common = {"phase": "notify", "kind": "notify", "event": "trigger", "dry_run": False}
    assert new_events(start) == [
        common
        | {"channel": "webhook", "audience": None, "result": "failed", "status": 400}
        | {"attempts": 1, "error": error},
        common
        | {"channel": "slack", "audience": None, "result": "ok", "status": 200}
        | {"attempts": 1, "error": None},
    ]
    rows = (bundle / "followup" / "notifications.jsonl").read_text().splitlines()
    assert [json.loads(row) for row in rows] == [
        {"channel": "webhook", "event": "trigger", "incident_id": "INC-7", "ok": False}
        | {"status": 400, "attempts": 1, "error": error},
        {"channel": "slack", "event": "trigger", "incident_id": "INC-7", "ok": True}
        | {"status": 200, "attempts": 1, "error": None},
    ]


def test_routing_conditions_each_decide() -> None:
    """Every [[routing.rules]] condition selects or drops the rule; an unknown one is refused."""
    from dataclasses import replace

    from incident_lab.adapters.config import Config
    from incident_lab.adapters.ticket import TicketData
    from incident_lab.errors import ConfigError

    data = TicketData(
        "INC-1", Path("b"), "s", "m-1", "prompt_injection/indirect", "SEV-3", "m", "r",
        tools_involved=["send_email"], data_involved=False,
    )  # fmt: skip

    def chosen(when: dict, d: TicketData = data) -> bool:
        rules = [{"when": when, "notify": ["slack"]}]
        return route(d, Config(None, {}, {}, rules, {})) == [("slack", None)]

    assert chosen({"severity": "SEV-3"}) and not chosen({"severity": ["SEV-1", "SEV-2"]})
    assert chosen({"tools_involved": True}) and not chosen({"tools_involved": False})
    assert chosen({"data_involved": False}) and not chosen({"data_involved": True})
    assert chosen({"tools_or_data_involved": True})
    assert not chosen({"tools_or_data_involved": True}, replace(data, tools_involved=[]))
    assert chosen({"failure_mode": ["x", "injection"]}) and not chosen({"failure_mode": "leak"})
    assert not chosen({"severity": "SEV-1", "bogus": 1})  # a failed condition decides first
    with pytest.raises(ConfigError, match="unknown condition 'bogus'"):
        chosen({"bogus": 1})
