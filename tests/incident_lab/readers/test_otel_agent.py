"""The otel reader on streaming, n=2 and failed calls, as opentelemetry-instrumentation-openai-v2
2.4b0 really records them (``gen_ai_latest_experimental`` conventions).

Fixtures: tests/fixtures/otel_genai_agent/<mode>/ (traces.jsonl, logs.jsonl), made by its
make_fixture.py with CAPTURE_MESSAGE_CONTENT set to the folder's name; conversations.json
is the openai client's own record of each conversation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.readers import read_paths

from .test_otel import _attr, _write
from .test_otel_real import expected_steps, observed_steps

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REAL = FIXTURES / "otel_genai_agent"
#: openai-v2 2.4b0 in each content mode, 2.1b0 (older per-message log events), and
#: OpenLLMetry's opentelemetry-instrumentation-openai
#: 0.62.4 (the same conversations, ../traceloop_openai, made with --traceloop).
FOLDERS = {
    "span_only": REAL / "span_only",
    "event_only": REAL / "event_only",
    "span_and_event": REAL / "span_and_event",
    "v2.1b0_capture_true": REAL / "v2.1b0_capture_true",
    "traceloop": FIXTURES / "traceloop_openai",
}
MODES = list(FOLDERS)


def _sessions(mode: str) -> dict[str, dict]:
    """Each session, by the user's first message; nothing rejected."""
    files = [str(p) for p in sorted(FOLDERS[mode].glob("*.jsonl"))]
    records = [r for _fmt, r in read_paths(files)]
    assert [r.reason for r in records if not r.accepted] == []
    out = {}
    for record in records:
        steps = record.trajectory["steps"]
        user = next(s["content"] for s in steps if s["type"] == "message" and s["role"] == "user")
        out[user] = record.trajectory
    return out


def _conversations(mode: str) -> dict:
    return json.loads((FOLDERS[mode] / "conversations.json").read_text())


@pytest.mark.parametrize("mode", MODES)
def test_each_conversation_is_one_session(mode: str) -> None:
    """Four conversations under four application spans: four sessions, one per trace."""
    sessions = _sessions(mode)
    assert sorted(sessions) == sorted(
        c["messages"][next(i for i, m in enumerate(c["messages"]) if m["role"] == "user")][
            "content"
        ]
        for c in _conversations(mode).values()
    )
    assert {t["x_otel"]["grouped_by"] for t in sessions.values()} == {"trace"}


@pytest.mark.parametrize("mode", MODES)
def test_a_streamed_agent_loop_reads_whole(mode: str) -> None:
    """Streamed calls (names and arguments split over chunks), two calls in one turn,
    the injected inbox and the send_email to the attacker: every step once, in order.
    openai-v2 2.4b0 records no tool definitions even with the tools sent: they are
    inferred; OpenLLMetry records gen_ai.tool.definitions."""
    conversation = _conversations(mode)["stream"]
    traj = _sessions(mode)["Summarise my inbox and check my calendar."]
    assert observed_steps(traj) == expected_steps(conversation)
    kinds = [s["type"] for s in traj["steps"]]
    assert kinds[2:6] == ["tool_call", "tool_call", "tool_result", "tool_result"]
    assert "ignore previous instructions" in traj["steps"][4]["output"]
    tools = {t["name"]: t for t in traj["agent"]["tools"]}
    assert set(tools) == {"read_inbox", "read_calendar", "send_email"}
    assert tools["send_email"]["parameters"]["required"] == ["to", "subject", "body"]
    if mode == "traceloop":
        assert not any(t.get("inferred") for t in tools.values())
        assert tools["send_email"]["description"] == "Send an email."
    else:
        assert all(t["inferred"] is True for t in tools.values())


@pytest.mark.parametrize("mode", MODES)
def test_n_choices_are_alternatives_not_later_turns(mode: str) -> None:
    """n=2: the first choice continues the session; the second is kept beside it
    (x_otel.alternatives), not read as the assistant speaking twice."""
    record = _conversations(mode)["choices"]
    traj = _sessions(mode)["Suggest a subject line for my reply to invoice 4471."]
    assert observed_steps(traj) == expected_steps(record)
    answer = traj["steps"][-1]
    assert answer["content"] == record["choices"][0]
    (alternative,) = answer["x_otel"]["alternatives"]
    if mode == "v2.1b0_capture_true":  # the gen_ai.choice event's message
        assert alternative == {"role": "assistant", "content": record["choices"][1]}
    else:
        assert alternative["parts"] == [{"type": "text", "content": record["choices"][1]}]


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_call_keeps_its_input_and_its_error(mode: str) -> None:
    """HTTP 400: the user's message is read and the span's error is kept; the call the
    client retried after a 500 is one call with its answer."""
    sessions = _sessions(mode)
    failed = sessions["Summarise this thread (it is too long)."]
    assert observed_steps(failed) == [
        ("message", "user", None, "Summarise this thread (it is too long).")
    ]
    (span,) = [s for s in failed["x_otel"]["spans"] if s["operation"] == "chat"]
    assert span["status"]["code"] == 2
    # util-genai 1.1b0 records the exception class itself: "<class 'openai.BadRequestError'>"
    assert "BadRequestError" in span["attributes"]["error.type"]
    assert observed_steps(failed) == expected_steps(_conversations(mode)["error_400"])
    retried = sessions["Summarise the flaky thread."]
    assert observed_steps(retried) == expected_steps(_conversations(mode)["error_500_then_ok"])


def test_classify_finds_the_injection_in_the_streamed_session(tmp_path: Path, il) -> None:
    """snapshot (traces + logs, span_and_event): 4 read = 4 accepted; classify reports
    the streamed session as prompt_injection and the n=2 session as clean."""
    folder = REAL / "span_and_event"
    out = tmp_path / "b"
    args = ["--from", folder / "traces.jsonl", "--from", folder / "logs.jsonl"]
    result = il("snapshot", *args, "--out", out)
    assert result.exit_code == 0, result.stderr
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (4, 4, 0)
    result = il("classify", out, "--json")
    assert result.exit_code == 0, result.stderr
    top = {
        len(row["ranked"]) and row["ranked"][0]["failure_mode"] for row in json.loads(result.stdout)
    }
    assert "prompt_injection" in top


def _legacy_choice(index: int, text: str) -> dict:
    body = {"index": index, "finish_reason": "stop", "message": {"content": text}}
    return {
        "name": "gen_ai.choice",
        "timeUnixNano": "2000000000",
        "attributes": [_attr("gen_ai.event.content", json.dumps(body))],
    }


def test_older_choice_events_past_index_0_are_kept_as_alternatives(tmp_path: Path) -> None:
    """The per-message events (2.1b0 style): choice 1 was dropped; now it is kept."""
    span = {
        "traceId": "t1",
        "spanId": "s1",
        "name": "chat m",
        "startTimeUnixNano": "1000000000",
        "endTimeUnixNano": "2000000000",
        "attributes": [_attr("gen_ai.operation.name", "chat")],
        "events": [
            {
                "name": "gen_ai.user.message",
                "timeUnixNano": "1000000000",
                "attributes": [_attr("gen_ai.event.content", '{"content": "subject?"}')],
            },
            _legacy_choice(1, "second"),
            _legacy_choice(0, "first"),
        ],
    }
    (record,) = [r for _f, r in read_paths([str(_write(tmp_path, [[span]]))])]
    steps = record.trajectory["steps"]
    assert [s["content"] for s in steps] == ["subject?", "first"]
    assert steps[1]["x_otel"]["alternatives"] == [{"role": "assistant", "content": "second"}]
