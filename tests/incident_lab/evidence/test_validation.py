"""The fast trajectory check agrees with jsonschema: fast True implies schema-valid."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.evidence.validation import fast_is_valid, fast_path_active, trajectory_problems
from incident_lab.trajectory import validate_trajectory
from tests.doc_paths import doc_paths as _paths
from tests.incident_lab.evidence.conftest import make_session


def test_fast_path_is_tied_to_the_shipped_schema() -> None:
    """The fast check mirrors trajectory.v1.json as shipped; if the schema changes this fails
    (update evidence/validation.py and WRITTEN_FOR_SCHEMA_SHA256 together)."""
    assert fast_path_active()


def test_a_realistic_session_takes_the_fast_path() -> None:
    """A normal valid session is accepted by the fast check itself."""
    assert fast_is_valid(make_session(1))


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(
        [
            "message",
            "tool_call",
            "tool_result",
            "safeguard",
            "user",
            "allow",
            "block",
            "input",
            "2026-02-01T12:00:00Z",
            "2026-02-01T12:00:00Z\n",
            "trajectory/v1",
            "",
        ]
    ),
    st.lists(st.integers(-1, 8), max_size=3),
    st.just({}),
    st.just({"name": "t"}),
)


@settings(max_examples=600, deadline=None)
@given(
    seed=st.integers(0, 40),
    picks=st.lists(
        st.tuples(st.integers(0, 10_000), st.booleans(), _junk, st.text(max_size=6)), max_size=3
    ),
)
def test_fast_check_never_accepts_what_jsonschema_rejects(seed: int, picks: list) -> None:
    """Random edits anywhere in a session (replace a value, delete a key, add a key):
    whenever the fast check says valid, jsonschema agrees; trajectory_problems == jsonschema."""
    doc = copy.deepcopy(make_session(seed))
    for index, delete, value, new_key in picks:
        # st.just({}) hands out one shared object: copy it, or a later edit can insert a
        # dict into itself and make the document cyclic (infinite recursion, not a finding).
        value = copy.deepcopy(value)
        paths = _paths(doc)
        path = paths[index % len(paths)]
        if not path:
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if delete and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict) and new_key and not delete:
            parent[new_key if value is None else path[-1]] = value
        else:
            parent[path[-1]] = value
    expected = validate_trajectory(doc)
    if fast_is_valid(doc):
        assert expected == []
    assert trajectory_problems(doc) == expected


def _full_session() -> dict[str, Any]:
    """make_session plus the blocks it leaves out (labels, source) and optional step fields."""
    doc = copy.deepcopy(make_session(3))
    doc["labels"] = {"verdict": "unsafe", "unsafe_steps": [2], "notes": "exfiltration"}
    doc["source"] = {"format": "native", "path": "log.jsonl", "line": 7, "entry": "e1"}
    doc["steps"][3]["name"] = "read_document"
    doc["steps"][4]["rule_id"] = "r1"
    return doc


_EDITS: list[tuple[tuple[Any, ...], Any]] = [
    (("labels", "unsafe_steps"), [6]),
    (("labels", "unsafe_steps"), [-1]),
    (("labels", "unsafe_steps"), [True]),
    (("labels", "unsafe_steps"), 2),
    (("labels", "verdict"), "maybe"),
    (("labels", "verdict"), None),
    (("labels", "notes"), 1),
    (("labels",), []),
    (("source", "line"), "7"),
    (("source", "line"), None),
    (("source", "entry"), 1),
    (("source", "format"), None),
    (("source", "path"), 3),
    (("source",), "log.jsonl"),
    (("actor", "tenant_id"), 1),
    (("agent", "tools", 0, "name"), ""),
    (("agent", "model", "name"), 4),
    (("steps", 3, "is_error"), "yes"),
    (("steps", 3, "call_id"), 1),
    (("steps", 3, "name"), 1),
    (("steps", 3, "output"), None),
    (("steps", 4, "type"), "guard"),
    (("steps", 4, "target_step"), 6),
    (("steps", 4, "target_step"), 5),
    (("steps", 4, "target_step"), -1),
    (("steps", 4, "score"), "high"),
    (("steps", 4, "score"), 1),
    (("steps", 4, "rule_id"), 2),
    (("steps", 4, "stage"), "later"),
    (("steps", 4, "decision"), "deny"),
    (("steps", 4, "safeguard"), ""),
    (("steps", 2, "name"), ""),
    (("steps", 2, "arguments"), []),
    (("steps", 1, "role"), "tool"),
    (("steps", 1, "timestamp"), "yesterday"),
    # valid edits too: the fast check must not refuse what jsonschema accepts
    (("steps", 1, "timestamp"), "2026-02-01T12:00:00Z"),
    (("steps", 1, "timestamp"), "2026-02-01T12:00:00.5+02:00"),
    (("steps", 1, "timestamp"), 5),
    (("steps", 4, "target_step"), 0),
    (("labels", "unsafe_steps"), [0, 5]),
    (("labels", "unsafe_steps"), []),
    (("agent", "name"), 5),
    (("agent", "name"), None),
    (("agent", "model"), "gpt-4o"),
    (("agent", "policy"), None),
    (("agent", "tools", 0, "description"), "Send an email."),
    (("agent", "tools", 0, "description"), None),
    (("agent", "tools", 0, "description"), 5),
    (("agent", "tools", 0, "parameters"), []),
    (("agent", "tools", 0, "parameters"), None),
    (("schema_version",), "trajectory/v2"),
    (("schema_version",), None),
    (("session_id",), "s"),
    (("session_id",), ""),
    (("session_id",), "s" * 512),
    (("session_id",), "s" * 513),
    (("session_id",), 5),
    (("started_at",), "2026-02-01T12:00:00Z"),
    (("started_at",), "2026-02-01 12:00"),
    (("steps",), []),
    (("steps",), {}),
]


def test_fast_check_agrees_with_jsonschema_on_each_field_edit() -> None:
    """One edit per rule of the fast check, on every optional block and step kind: the fast
    check answers exactly what jsonschema answers (a rule it dropped would accept)."""
    assert fast_is_valid(_full_session()) and validate_trajectory(_full_session()) == []
    for path, value in _EDITS:
        doc = _full_session()
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        assert fast_is_valid(doc) == (validate_trajectory(doc) == []), (path, value)


def test_documents_that_are_not_objects_are_left_to_jsonschema() -> None:
    for doc in (None, [], [make_session(1)], "trajectory/v1", 5):
        assert fast_is_valid(doc) is False
        assert trajectory_problems(doc) == validate_trajectory(doc) != []


def test_a_valid_session_never_reaches_jsonschema(monkeypatch) -> None:
    """The point of the fast check: a valid session costs microseconds, not a jsonschema run."""
    from incident_lab.evidence import validation

    def boom(doc: Any) -> list[str]:
        raise AssertionError("jsonschema was asked about a valid session")

    monkeypatch.setattr(validation, "validate_trajectory", boom)
    assert trajectory_problems(_full_session()) == []
    with pytest.raises(AssertionError, match="jsonschema was asked"):
        trajectory_problems({"schema_version": "trajectory/v1"})
