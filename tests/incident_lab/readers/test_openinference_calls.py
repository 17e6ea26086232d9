"""The openinference reader on streaming, n=2 and failed calls recorded by
openinference-instrumentation-openai 0.1.66.

Fixture: tests/fixtures/openinference_calls/traces.jsonl, made by
``../otel_genai_agent/make_fixture.py --openinference`` (the same four conversations as
the otel_genai_agent fixtures); conversations.json is the openai client's own record.
"""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab.readers import get_readers

from .test_otel_real import expected_steps, observed_steps

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "openinference_calls"
RECORD = json.loads((REAL / "conversations.json").read_text())


def _sessions() -> dict[str, dict]:
    records = list(get_readers()["openinference"].read(str(REAL / "traces.jsonl")))
    assert [r.reason for r in records if not r.accepted] == []
    out = {}
    for record in records:
        steps = record.trajectory["steps"]
        user = next(s["content"] for s in steps if s["type"] == "message" and s["role"] == "user")
        out[user] = record.trajectory
    return out


def test_a_streamed_agent_loop_reads_whole_with_its_offered_tools() -> None:
    """Streamed calls, two calls in one turn, the injection and the send_email: every
    step once; the tools come from llm.tools (recorded, not inferred)."""
    traj = _sessions()["Summarise my inbox and check my calendar."]
    assert observed_steps(traj) == expected_steps(RECORD["stream"])
    tools = {t["name"]: t for t in traj["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "read_calendar", "send_email"}
    assert not any(t.get("inferred") for t in tools.values())
    assert tools["send_email"]["description"] == "Send an email."


def test_n_choices_are_alternatives_not_later_turns() -> None:
    """llm.output_messages.0 and .1 are two choices: the first continues the session,
    the second is kept in x_openinference.alternatives."""
    traj = _sessions()["Suggest a subject line for my reply to invoice 4471."]
    assert observed_steps(traj) == expected_steps(RECORD["choices"])
    answer = traj["steps"][-1]
    assert answer["content"] == RECORD["choices"]["choices"][0]
    (alternative,) = answer["x_openinference"]["alternatives"]
    assert alternative["message"]["content"] == RECORD["choices"]["choices"][1]


def test_failed_and_retried_calls() -> None:
    """HTTP 400: the user's message, the span's error status kept; a call the client
    retried after a 500 is one call with its answer."""
    sessions = _sessions()
    failed = sessions["Summarise this thread (it is too long)."]
    assert observed_steps(failed) == expected_steps(RECORD["error_400"])
    (llm,) = [s for s in failed["x_openinference"]["spans"] if s["kind"] == "LLM"]
    assert llm["status"]["code"] == 2
    assert "context length exceeded" in llm["status"]["message"]
    retried = sessions["Summarise the flaky thread."]
    assert observed_steps(retried) == expected_steps(RECORD["error_500_then_ok"])
