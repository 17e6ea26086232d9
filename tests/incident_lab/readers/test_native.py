"""The native JSONL reader and the line I/O it shares with every reader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_lab.trajectory import SCHEMA_VERSION

from .conftest import accepted, read_all, rejected

_text = st.text(max_size=20)
_step = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("message"),
            "role": st.sampled_from(["system", "user", "assistant"]),
            "content": _text,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("tool_call"),
            "name": st.text(min_size=1, max_size=10),
            "arguments": st.dictionaries(st.text(max_size=5), st.integers() | _text, max_size=3),
            "call_id": st.none() | _text,
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("tool_result"), "output": _text, "is_error": st.booleans()}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("safeguard"),
            "safeguard": st.text(min_size=1, max_size=8),
            "stage": st.sampled_from(["input", "pre_action", "post_action", "output"]),
            "decision": st.sampled_from(["allow", "block", "flag", "redact", "escalate"]),
        }
    ),
)
_trajectory = st.fixed_dictionaries(
    {
        "schema_version": st.just(SCHEMA_VERSION),
        "session_id": st.text(min_size=1, max_size=30),
        "steps": st.lists(_step, max_size=6),
    },
    optional={
        "actor": st.fixed_dictionaries({"user_id": st.none() | _text}),
        "x_custom": st.dictionaries(_text, _text, max_size=2),
    },
)


@pytest.fixture(scope="module")
def warm_reader(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load the reader plugin and its validators before Hypothesis starts timing examples.

    The first read imports the reader module (the plugin manager loads built-ins lazily) and
    the schema checks; that one-off cost landed in the first example, which then exceeded
    Hypothesis's 200 ms deadline on a loaded machine and passed on replay (a FlakyFailure
    when the file ran alone). Reading one plain and one gzipped file here pays it up front.
    """
    line = json.dumps({"schema_version": SCHEMA_VERSION, "session_id": "w", "steps": []}) + "\n"
    plain = tmp_path_factory.mktemp("warm") / "t.jsonl"
    plain.write_text(line)
    gz = plain.with_name("t.jsonl.gz")
    gz.write_bytes(gzip.compress(line.encode()))
    assert (
        set(accepted(read_all("native", plain))) == set(accepted(read_all("native", gz))) == {"w"}
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trajs=st.lists(_trajectory, max_size=5), compress=st.booleans())
def test_written_trajectories_read_back_equal(
    warm_reader: None, tmp_path: Path, trajs: list[dict], compress: bool
) -> None:
    """Round trip: any valid trajectories written as (gzipped) JSONL read back unchanged."""
    body = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in trajs).encode()
    path = tmp_path / ("t.jsonl.gz" if compress else "t.jsonl")
    path.write_bytes(gzip.compress(body) if compress else body)
    records = read_all("native", path)
    assert [r.line for r in records] == list(range(1, len(trajs) + 1))
    got = [
        {k: v for k, v in r.trajectory.items() if k != "source"} for r in records if r.trajectory
    ]
    assert got == trajs


def test_gzip_and_plain_read_the_same(logs: Path) -> None:
    """A .gz file is read transparently and gives the same sessions as the plain file."""
    plain = accepted(read_all("native", logs / "native" / "sessions.jsonl"))
    gz = accepted(read_all("native", logs / "native" / "sessions.jsonl.gz"))
    strip = lambda d: {k: {f: v for f, v in t.items() if f != "source"} for k, t in d.items()}  # noqa: E731
    assert strip(plain) == strip(gz) and set(plain) == {"sess-8c1f", "sess-91aa"}
    assert plain["sess-8c1f"]["x_deployment"] == {"region": "eu-west-1"}, "unknown fields kept"


def test_bad_lines_are_rejected_with_line_and_reason(logs: Path) -> None:
    """Malformed, truncated and non-UTF-8 lines are rejects; the good lines still read."""
    cases = {
        "malformed.jsonl": (2, "malformed JSON"),
        "truncated.jsonl": (2, "malformed JSON"),
        "invalid_utf8.jsonl": (2, "invalid UTF-8"),
    }
    for name, (line, reason) in cases.items():
        records = read_all("native", logs / "bad" / name)
        (bad,) = rejected(records)
        assert bad.line == line and reason in bad.reason, name
        assert accepted(records), name


def test_wrong_types_are_schema_rejects(logs: Path) -> None:
    """Wrong field types are rejected naming the field path."""
    reasons = [r.reason for r in read_all("native", logs / "bad" / "wrong_types.jsonl")]
    assert (
        "session_id" in reasons[0]
        and "steps/0/arguments" in reasons[1]
        and "not of type 'object'" in reasons[2]
    )


def test_empty_file_has_no_records(logs: Path) -> None:
    """An empty file is zero records, not an error."""
    assert read_all("native", logs / "bad" / "empty.jsonl") == []


def test_corrupt_gzip_keeps_what_decompressed_and_rejects_the_rest(logs: Path) -> None:
    """A truncated gzip yields the lines before the damage and one reject naming the line."""
    records = read_all("native", logs / "bad" / "corrupt.jsonl.gz")
    bad = rejected(records)
    assert len(bad) == 1 and records[-1] is bad[0]
    assert "corrupt or truncated" in bad[0].reason
    assert bad[0].line == len(records)
    assert len(accepted(records)) == len(records) - 1 > 0


def test_a_line_over_the_limit_is_rejected_without_loading_it(tmp_path: Path) -> None:
    """A huge line is rejected by size; the next line is still read."""
    path = tmp_path / "big.jsonl"
    small = json.dumps({"schema_version": SCHEMA_VERSION, "session_id": "s", "steps": []})
    path.write_text('{"x": "' + "a" * 5000 + '"}\n' + small + "\n")
    from incident_lab.readers import get_readers

    records = list(get_readers()["native"].read(str(path), max_line_bytes=1000))
    assert records[0].line == 1 and "over the 1,000-byte limit" in records[0].reason
    assert records[1].trajectory["session_id"] == "s"
