"""Containment: real, reversible, recorded — and never claiming success it did not get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.incident_lab.adapters.conftest import FakeKube, RecordingServer

KUBE_CONFIG = """
[contain.actions.scale-to-zero]
backend = "kubectl"
deployment = "agent-prod"
namespace = "prod"
context = "prod-cluster"
timeout = {timeout}

[contain.actions.kill-switch]
backend = "http"
method = "POST"
url = "{url}/flags/AGENT_KILL"
headers = {{ Authorization = "Bearer ${{FLAG_TOKEN}}" }}
body = {{ value = true }}
undo = {{ method = "POST", url = "{url}/flags/AGENT_KILL", headers = {{ Authorization = "Bearer ${{FLAG_TOKEN}}" }}, body = {{ value = false }} }}

[contain.actions.disable-tools]
backend = "command"
command = ["{python}", "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", "{flagfile}", "AGENT_TOOLS=off:{{tools}}"]
undo_command = ["{python}", "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])", "{flagfile}", "AGENT_TOOLS=on"]
"""


def _config(tmp_path: Path, url: str = "http://127.0.0.1:9", timeout: float = 5) -> Path:
    import sys

    path = tmp_path / "incident_lab.toml"
    path.write_text(
        KUBE_CONFIG.format(
            url=url, timeout=timeout, python=sys.executable, flagfile=tmp_path / "flags.txt"
        )
    )
    return path


def _timeline(incident: Path) -> list[dict]:
    return [json.loads(x) for x in (incident / "timeline.jsonl").read_text().splitlines()]


def test_scale_to_zero_reads_replicas_then_undo_restores_them(
    il, tmp_path, fake_kubectl: FakeKube
) -> None:
    """scale-to-zero records the previous replica count; --undo scales back to exactly it."""
    cfg = _config(tmp_path)
    incident = tmp_path / "incident_x"
    r = il("contain", "scale-to-zero", "--incident", incident, "--config", cfg, "--yes")
    assert r.exit_code == 0, r.stderr
    assert fake_kubectl.replicas("agent-prod") == 0
    calls = fake_kubectl.calls()
    assert calls[0] == [
        "--context",
        "prod-cluster",
        "--namespace",
        "prod",
        "get",
        "deployment",
        "agent-prod",
        "-o",
        "jsonpath={.spec.replicas}",
    ]
    assert calls[1][-2:] == ["deployment/agent-prod", "--replicas=0"]
    event = _timeline(incident)[-1]
    assert (
        event["action"] == "scale-to-zero" and event["result"] == "ok" and event["exit_status"] == 0
    )
    assert event["undo"]["previous_replicas"] == 3

    r = il("contain", "--undo", "--incident", incident, "--config", cfg, "--yes")
    assert r.exit_code == 0, r.stderr
    assert fake_kubectl.replicas("agent-prod") == 3
    undo = _timeline(incident)[-1]
    assert undo["kind"] == "undo" and undo["undoes"] == event["event_id"] and undo["result"] == "ok"

    again = il("contain", "--undo", "--incident", incident, "--config", cfg, "--yes")
    assert again.exit_code == 3 and "nothing to undo" in again.stderr


def test_dry_run_changes_nothing_but_is_recorded(il, tmp_path, fake_kubectl: FakeKube) -> None:
    """--dry-run reads state, scales nothing, and records a dry-run event with the would-be undo."""
    incident = tmp_path / "inc"
    r = il(
        "contain",
        "scale-to-zero",
        "--incident",
        incident,
        "--config",
        _config(tmp_path),
        "--dry-run",
    )
    assert r.exit_code == 0, r.stderr
    assert fake_kubectl.replicas("agent-prod") == 3
    event = _timeline(incident)[-1]
    assert (
        event["result"] == "dry-run"
        and event["undo"] is None
        and event["would_undo"]["previous_replicas"] == 3
    )
    read, scale = event["operations"]  # the read ran; the scale is shown, not run
    assert "get" in read["argv"] and "dry_run" not in read
    assert scale["dry_run"] is True and "--replicas=0" in scale["argv"]


def test_failing_kubectl_is_loud_and_recorded_as_failed(
    il, tmp_path, fake_kubectl, monkeypatch
) -> None:
    """A kubectl that fails exits 4 with its error, and the timeline says 'failed', not 'ok'."""
    monkeypatch.setenv("FAKE_KUBE_MODE", "fail")
    incident = tmp_path / "inc"
    r = il(
        "contain", "scale-to-zero", "--incident", incident, "--config", _config(tmp_path), "--yes"
    )
    assert r.exit_code == 4
    assert (
        "FAILED" in r.stderr
        and "Unauthorized" in r.stderr
        and len(r.stderr.strip().splitlines()) == 1
    )
    event = _timeline(incident)[-1]
    assert event["result"] == "failed" and event["undo"] is None


def test_hanging_kubectl_times_out(il, tmp_path, fake_kubectl, monkeypatch) -> None:
    """A kubectl that hangs is killed after the configured timeout and recorded as failed."""
    monkeypatch.setenv("FAKE_KUBE_MODE", "hang")
    incident = tmp_path / "inc"
    r = il(
        "contain",
        "scale-to-zero",
        "--incident",
        incident,
        "--config",
        _config(tmp_path, timeout=0.5),
        "--yes",
    )
    assert r.exit_code == 4 and "timed out" in r.stderr
    assert _timeline(incident)[-1]["result"] == "failed"


def test_http_kill_switch_masks_secret_and_undoes(
    il, tmp_path, http_server: RecordingServer, monkeypatch
) -> None:
    """The http backend sends the header from the env var, masks it in the timeline, and undo sends the undo body."""
    monkeypatch.setenv("FLAG_TOKEN", "s3cr3t-token-value")
    cfg = _config(tmp_path, url=http_server.url)
    incident = tmp_path / "inc"
    assert (
        il("contain", "kill-switch", "--incident", incident, "--config", cfg, "--yes").exit_code
        == 0
    )
    assert http_server.requests[0]["headers"]["Authorization"] == "Bearer s3cr3t-token-value"
    assert http_server.requests[0]["body"] == {"value": True}
    text = (incident / "timeline.jsonl").read_text()
    assert "s3cr3t-token-value" not in text and "Bearer ***" in text
    assert (
        il(
            "contain", "--undo", "kill-switch", "--incident", incident, "--config", cfg, "--yes"
        ).exit_code
        == 0
    )
    assert http_server.requests[1]["body"] == {"value": False}
    assert http_server.requests[1]["headers"]["Authorization"] == "Bearer s3cr3t-token-value"


def test_missing_env_var_is_a_config_error_recorded_in_timeline(il, tmp_path, monkeypatch) -> None:
    """A ${VAR} that is not set exits 3 naming the variable; the timeline records the failed attempt."""
    monkeypatch.delenv("FLAG_TOKEN", raising=False)
    incident = tmp_path / "inc"
    r = il("contain", "kill-switch", "--incident", incident, "--config", _config(tmp_path), "--yes")
    assert r.exit_code == 3 and "FLAG_TOKEN" in r.stderr
    assert _timeline(incident)[-1]["result"] == "failed"


def test_unreachable_http_endpoint_fails(il, tmp_path, monkeypatch) -> None:
    """An endpoint nobody listens on is a failure (exit 4), recorded, never reported as done."""
    monkeypatch.setenv("FLAG_TOKEN", "tok-123456")
    incident = tmp_path / "inc"
    r = il(
        "contain",
        "kill-switch",
        "--incident",
        incident,
        "--config",
        _config(tmp_path, url="http://127.0.0.1:9"),
        "--yes",
    )
    assert r.exit_code == 4
    assert _timeline(incident)[-1]["result"] == "failed"


def test_unknown_backend_is_rejected(il, tmp_path) -> None:
    """A config naming an unknown backend exits 3 and lists the known ones."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[contain.actions.kill-switch]\nbackend = "teleport"\n')
    r = il("contain", "kill-switch", "--incident", tmp_path / "i", "--config", cfg, "--yes")
    assert r.exit_code == 3 and "teleport" in r.stderr and "kubectl" in r.stderr


def test_command_backend_fills_tools_and_undoes(il, tmp_path) -> None:
    """disable-tools runs the command template with the tool list, and its undo template."""
    cfg = _config(tmp_path)
    incident = tmp_path / "inc"
    r = il(
        "contain",
        "disable-tools",
        "--tool",
        "send_email",
        "--tool",
        "http_get",
        "--incident",
        incident,
        "--config",
        cfg,
        "--yes",
    )
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "flags.txt").read_text() == "AGENT_TOOLS=off:send_email,http_get"
    assert il("contain", "--undo", "--incident", incident, "--config", cfg, "--yes").exit_code == 0
    assert (tmp_path / "flags.txt").read_text() == "AGENT_TOOLS=on"


def test_undo_reverses_in_reverse_order(
    il, tmp_path, fake_kubectl, http_server, monkeypatch
) -> None:
    """Two actions are undone last-first."""
    monkeypatch.setenv("FLAG_TOKEN", "tok-abcdef")
    cfg = _config(tmp_path, url=http_server.url)
    incident = tmp_path / "inc"
    il("contain", "scale-to-zero", "--incident", incident, "--config", cfg, "--yes")
    il("contain", "kill-switch", "--incident", incident, "--config", cfg, "--yes")
    assert il("contain", "--undo", "--incident", incident, "--config", cfg, "--yes").exit_code == 0
    undos = [e["action"] for e in _timeline(incident) if e["kind"] == "undo"]
    assert undos == ["kill-switch", "scale-to-zero"]


def test_declining_the_prompt_changes_nothing(il, tmp_path, fake_kubectl) -> None:
    """Answering 'n' at the confirmation prompt aborts without running kubectl."""
    r = il(
        "contain",
        "scale-to-zero",
        "--incident",
        tmp_path / "i",
        "--config",
        _config(tmp_path),
        input="n\n",
    )
    assert r.exit_code == 130
    assert fake_kubectl.calls() == []


@pytest.mark.parametrize("action", ["kill-switch", "route-to-baseline"])
def test_unconfigured_action_names_the_table_to_add(il, tmp_path, action) -> None:
    """An action missing from the config exits 3 and says which table to add."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    r = il("contain", action, "--incident", tmp_path / "i", "--config", cfg, "--yes")
    assert r.exit_code == 3 and f"[contain.actions.{action}]" in r.stderr


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("contain = 5\n", "[contain] must be a table"),
        (
            '[contain.actions.kill-switch]\nbackend = "http"\nurl = 5\n',
            "url must be a non-empty string",
        ),
        ('[notify.slack]\nurl = "http://x"\nattempts = "x"\n', "attempts must be a whole number"),
        (
            '[contain.actions.kill-switch]\nbackend = "command"\ncommand = [1, 2]\n',
            "list of strings",
        ),
    ],
)
def test_wrong_typed_config_values_are_config_errors(il, tmp_path, toml, needle) -> None:
    """A config value of the wrong type exits 3 naming the key, never an internal error."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    r = il("contain", "kill-switch", "--incident", tmp_path / "i", "--config", cfg, "--yes")
    assert r.exit_code == 3 and needle in r.stderr, r.stderr
