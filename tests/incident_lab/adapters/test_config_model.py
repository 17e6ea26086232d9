"""The typed config model: every bad value in incident_lab.toml is one line, exit 3, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.adapters.backends import fill_placeholders

GOOD_ACTION = '[contain.actions.kill-switch]\nbackend = "command"\ncommand = "true"\n'

BAD = [
    ('[respond]\ncontain = "kill-switch"\n' + GOOD_ACTION, "[respond] contain must be a list"),
    (
        '[respond]\ncontain = ["kill-swtich"]\n' + GOOD_ACTION,
        "'kill-swtich', which is not configured",
    ),
    (
        '[contain.actions.disable-tools]\nbackend = "command"\ncommand = "x {tools}"\ntools = "send_email"\n',
        "tools must be a list",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\nattempts = -3\n',
        "attempts must be a whole number >= 1",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\nattempts = 1e20\n',
        "attempts must be a whole number >= 1",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\nattempts = 2.5\n',
        "attempts must be a whole number",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\ntimeout = -1\n',
        "timeout must be a number > 0",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\ntimeout = nan\n',
        "timeout must be a number > 0",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\ntimeout = inf\n',
        "timeout must be a number > 0",
    ),
    (
        '[notify.webhook]\nurl = "http://127.0.0.1:9"\nmax_wait = -inf\n',
        "max_wait must be a number",
    ),
    (GOOD_ACTION.replace('"true"', '""'), "command must be a non-empty command"),
    (
        GOOD_ACTION.replace('"true"', '"echo \'unbalanced"'),
        "command must be a command line that splits",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "command"\ncommand = []\n',
        "command must be a non-empty",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "http"\nurl = "http://x"\nheaders = {"X-A" = "a\\r\\nInjected: 1"}\n',
        "headers.X-A must be a string without CR",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "http"\nurl = "http://x"\nheaders = {"Bad Name" = "a"}\n',
        "headers.Bad Name must be a valid header name",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "http"\nurl = "ftp://x"\n',
        "url must be an http:// or https:// URL",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "http"\nurl = "http://x"\nmethod = "YEET"\n',
        "method must be one of",
    ),
    (
        '[contain.actions.kill-switch]\nbackend = "kubectl"\ndeployment = "a"\nreplicas = -1\n',
        "replicas must be a whole number >= 0",
    ),
    ('[contain.actions.kill-switch]\nbackend = "kubectl"\n', "needs a 'deployment'"),
    (
        '[contain.actions.kill-switch]\nbackend = "command"\ncommand = "true"\ntimout = 3\n',
        "unknown key 'timout'",
    ),
    ('[notify.slack]\nurl = "http://x"\nretries = 3\n', "unknown key 'retries'"),
    (
        '[contain.actions.kill-switch]\nbackend = "http"\nurl = "http://x"\nundo = {method = "POST"}\n',
        "needs a 'url'",
    ),
    ("[incident_lab]\nactor = 5\n", "actor must be a non-empty string"),
    ('[[routing.rules]]\nnotify = "slack"\n', "notify must be a list"),
    ('[[routing.rules]]\nwhen = "always"\n', "when must be a table"),
    ("a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
]


@pytest.mark.parametrize(("toml", "needle"), BAD, ids=[n for _, n in BAD])
@pytest.mark.parametrize("command", ["contain", "notify", "respond"])
def test_bad_config_is_one_line_exit_3_and_nothing_runs(
    il, tmp_path: Path, toml: str, needle: str, command: str
) -> None:
    cfg = tmp_path / "incident_lab.toml"
    cfg.write_text(toml)
    marker = tmp_path / "ran"
    args = {
        "contain": ["contain", "kill-switch", "--incident", tmp_path / "i", "--dry-run", "--yes"],
        "notify": ["notify", tmp_path / "nowhere", "--via", "webhook", "--dry-run"],
        "respond": ["respond", "--from", tmp_path / "none.jsonl", "--yes", "--out", tmp_path / "r"],
    }[command]
    r = il(*args, "--config", cfg)
    assert r.exit_code == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(cfg) in lines[0]
    assert "internal error" not in r.stderr
    assert not marker.exists() and not (tmp_path / "i").exists() and not (tmp_path / "r").exists()


def test_table_body_gets_placeholders_filled() -> None:
    body = {"flag": "agent-{incident}", "tools": ["{tools}"], "n": 1, "raw": "{not_a_var} {"}
    out = fill_placeholders(body, {"incident": "INC-1", "tools": "a,b"})
    assert out == {"flag": "agent-INC-1", "tools": ["a,b"], "n": 1, "raw": "{not_a_var} {"}


def test_http_kill_switch_table_body_is_sent_formatted(il, tmp_path: Path, http_server) -> None:
    cfg = tmp_path / "incident_lab.toml"
    cfg.write_text(
        f'[contain.actions.kill-switch]\nbackend = "http"\nurl = "{http_server.url}/flag"\n'
        'body = {flag = "agent", incident = "{incident}", off = true}\n'
    )
    r = il("contain", "kill-switch", "--incident", tmp_path / "INC-9", "--yes", "--config", cfg)
    assert r.exit_code == 0, r.stderr
    assert http_server.requests[0]["body"] == {"flag": "agent", "incident": "INC-9", "off": True}
    assert "{incident}" not in json.dumps(http_server.requests[0]["body"])
