"""Auto-detection between all six formats, and reading a directory of mixed formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.readers import detect_format, get_readers, read_paths
from incident_lab.readers.base import read_head

from .conftest import LOGS

FIXTURES = {
    "native/sessions.jsonl": "native",
    "native/sessions.jsonl.gz": "native",
    "events/mail_agent_events.jsonl": "events",
    "events/inconsistent_session.jsonl": "events",
    "openai_chat/chat_completions.jsonl": "openai_chat",
    "otel/collector_file_exporter.jsonl": "otel",
    "otel/legacy_events_trace.json": "otel",
    "inspect/inbox_injection.eval": "inspect",
    "inspect/inbox_injection.json": "inspect",
    "seed_incident/incident_0042.json": "seed_incident",
    "seed_incident/incidents_array.json": "seed_incident",
    "seed_incident/incidents.jsonl": "seed_incident",
}
#: Fixtures written by the real tools (tests/fixtures/<tool>/make_fixture.py).
REAL = LOGS.parent
REAL_FIXTURES = {
    "inspect_ai/mail_injection.eval": "inspect",
    "inspect_ai/mail_injection.json": "inspect",
    "otel_genai/v2.1b0_capture_true/traces.jsonl": "otel",
    "otel_genai/v2.1b0_capture_true/logs.jsonl": "otel",
    "otel_genai/v2.4b0_event_only/traces.jsonl": "otel",
    "otel_genai/v2.4b0_event_only/logs.jsonl": "otel",
    "otel_genai/v2.4b0_span_only/traces.jsonl": "otel",
    "otel_genai/v2.4b0_no_content/traces.jsonl": "otel",
    "openinference/spans.jsonl": "openinference",
    "inspect_ai_react/agent_incidents.eval": "inspect",
    "inspect_ai_react/agent_incidents.json": "inspect",
    "otel_genai_agent/span_only/traces.jsonl": "otel",
    "otel_genai_agent/event_only/logs.jsonl": "otel",
    "otel_genai_agent/v2.1b0_capture_true/logs.jsonl": "otel",
    "traceloop_openai/traces.jsonl": "otel",
    "otel_google_genai/span_only/traces.jsonl": "otel",
    "otel_google_genai/event_only/logs.jsonl": "otel",
    "anthropic_spans/traceloop/traces.jsonl": "otel",
    "anthropic_spans/openinference/traces.jsonl": "openinference",
    "openinference_calls/traces.jsonl": "openinference",
    "openinference_agents/spans.jsonl": "openinference",
    "openinference_agents/spans_responses.jsonl": "openinference",
    "openinference_langchain/spans.jsonl": "openinference",
    "openinference_langchain/spans_create_agent.jsonl": "openinference",
    "openai_responses/run_inbox.json": "openai_responses",
    "openai_responses/runs.jsonl": "openai_responses",
    "openai_responses/exchanges.jsonl": "openai_responses",
    "openai_responses/responses.jsonl": "openai_responses",
    "openinference_agents/run.json": "openai_responses",
    "openinference_agents/run_responses.json": "openai_responses",
    "otel_openai_agents/span_only/run_responses.json": "openai_responses",
}


def test_all_eight_readers_are_registered() -> None:
    """The built-in readers register through the plugin manager."""
    assert set(get_readers()) >= {
        "native",
        "events",
        "openai_chat",
        "claude_code",
        "otel",
        "openinference",
        "inspect",
        "seed_incident",
    }


@pytest.mark.parametrize(("name", "fmt"), sorted(REAL_FIXTURES.items()))
def test_each_real_tool_fixture_is_detected_as_its_own_format_only(name: str, fmt: str) -> None:
    """What inspect-ai, the OTel GenAI and OpenInference instrumentations write: one claimant."""
    path = str(REAL / name)
    assert detect_format(path) == fmt
    head = read_head(path)
    scores = {n: r.sniff(path, head) for n, r in get_readers().items()}
    rivals = {n: s for n, s in scores.items() if n != fmt and s >= 0.5}
    assert scores[fmt] >= 0.5 and not rivals, scores


@pytest.mark.parametrize(("name", "fmt"), sorted(FIXTURES.items()))
def test_each_fixture_is_detected_as_its_own_format_only(name: str, fmt: str) -> None:
    """The right reader wins, and it is the only one claiming the file with confidence."""
    path = str(LOGS / name)
    assert detect_format(path) == fmt
    head = read_head(path)
    scores = {n: r.sniff(path, head) for n, r in get_readers().items()}
    rivals = {n: s for n, s in scores.items() if n != fmt and s >= 0.5}
    assert scores[fmt] >= 0.5 and not rivals, scores


def test_every_fixture_reads_cleanly_with_its_detected_reader() -> None:
    """Each good fixture yields at least one accepted trajectory and no mapping bug."""
    for name in FIXTURES:
        records = [r for _fmt, r in read_paths([str(LOGS / name)])]
        assert any(r.accepted for r in records), name
        assert not any((r.reason or "").startswith("reader could not map") for r in records), name


def test_a_mixed_directory_reads_each_file_with_its_reader() -> None:
    """read_paths on a directory detects each file's format and reads them all."""
    seen: dict[str, set[str]] = {}
    for fmt, record in read_paths([str(LOGS / "mixed")]):
        if record.accepted:
            seen.setdefault(fmt, set()).add(record.trajectory["session_id"])
            assert record.trajectory["source"]["format"] == fmt
    assert set(seen) == {"native", "events", "openai_chat", "otel", "inspect", "seed_incident"}
    assert seen["seed_incident"] == {"INC-2026-0042"}
    assert "sess-8c1f" in seen["events"] and "sess-8c1f" in seen["native"]


def test_forced_format_and_unknown_format(tmp_path: Path) -> None:
    """--format overrides detection; an unknown name is a usage error."""
    records = [r for _f, r in read_paths([str(LOGS / "native" / "sessions.jsonl")], fmt="events")]
    assert records and not any(r.accepted for r in records)
    with pytest.raises(UsageError):
        list(read_paths([str(LOGS / "native")], fmt="nope"))


def test_an_unrecognised_file_in_a_directory_is_a_reject(tmp_path: Path) -> None:
    """Inside a directory an unknown file is a rejected record; named directly it is an error."""
    (tmp_path / "notes.txt").write_text("hello\n")
    ((fmt, record),) = list(read_paths([str(tmp_path)]))
    assert fmt == "unknown" and "cannot tell the log format" in record.reason
    with pytest.raises(InputError):
        list(read_paths([str(tmp_path / "notes.txt")]))


def test_jsonl_with_damaged_first_line_reads_as_native(tmp_path) -> None:
    """A .jsonl whose first line is garbage is read as native: each line is a reject, not a refusal."""
    from incident_lab.readers import detect_format, read_paths

    path = tmp_path / "broken.jsonl"
    path.write_bytes(b'{"bad json\n\xff\xfe\n')
    assert detect_format(str(path)) == "native"
    records = [r for _, r in read_paths([str(path)])]
    assert [(r.line, r.accepted) for r in records] == [(1, False), (2, False)]


def test_unrecognised_non_jsonl_file_is_refused_with_hint(tmp_path) -> None:
    """A file that is neither a known format nor JSONL is refused naming --format."""
    import pytest

    from incident_lab.errors import InputError
    from incident_lab.readers import detect_format

    path = tmp_path / "notes.txt"
    path.write_text("hello world\n")
    with pytest.raises(InputError, match="cannot tell the log format"):
        detect_format(str(path))
