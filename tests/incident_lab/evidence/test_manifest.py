"""The compiled manifest check (incident_lab.schemacheck) gives jsonschema's verdict."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incident_lab.evidence import take_snapshot
from incident_lab.evidence.manifest import manifest_problems
from incident_lab.trajectory import _fast_check, _validator, validation_errors
from tests.doc_paths import doc_paths as _paths
from tests.incident_lab.evidence.conftest import make_session, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Two real manifests: one with --policy and --since, one with --last and a reject."""
    root = tmp_path_factory.mktemp("manifests")
    log = write_jsonl(root / "log.jsonl", [make_session(i) for i in range(6)] + [b"{bad"])
    (root / "policy.yaml").write_text("rules: []\n")
    a = take_snapshot(
        [log], out=root / "a", policy=root / "policy.yaml", since="2026-02-01T12:00:02Z", now=NOW
    )
    b = take_snapshot([log], out=root / "b", last=2, users=["u1"], now=NOW)
    return [a.manifest, b.manifest]


def test_real_manifests_take_the_fast_path(manifests: list[dict[str, Any]]) -> None:
    """Manifests snapshot writes are accepted by the compiled check itself (no jsonschema)."""
    check = _fast_check("manifest.v1")
    assert check is not None  # manifest.v1 compiles (oneOf included)
    for manifest in manifests:
        assert check(manifest) is True
        assert validation_errors(manifest, "manifest.v1") == []


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.just(1.0),
    st.text(max_size=3),
    st.sampled_from(
        [
            "a" * 64,
            "A" * 64,
            "a" * 64 + "\n",
            "2026-02-01T12:00:00Z",
            "2026-02-01T12:00:00Z\n",
            "2026-02-01 12:00:00",
            "manifest/v1",
            "timeline.jsonl",
            "x" * 201,
            "",
        ]
    ),
    # fresh containers each time (a shared one could be nested into itself)
    st.builds(list),
    st.builds(lambda: ["a", 1]),
    st.builds(dict),
    st.builds(lambda: {"size": 1, "sha256": "a" * 64}),
)


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.integers(0, 1),
    picks=st.lists(
        st.tuples(st.integers(0, 10_000), st.booleans(), _junk, st.text(max_size=6)), max_size=3
    ),
)
def test_compiled_check_agrees_with_jsonschema(
    manifests: list[dict[str, Any]], which: int, picks: list
) -> None:
    """Random edits anywhere in a manifest (replace a value, delete a key, add a key):
    the compiled check says valid exactly when jsonschema does."""
    doc = copy.deepcopy(manifests[which])
    for index, delete, value, new_key in picks:
        paths = _paths(doc)
        path = paths[index % len(paths)]
        if not path:
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if delete and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict) and new_key and value is None:
            parent[new_key] = value
        else:
            parent[path[-1]] = value
    check = _fast_check("manifest.v1")
    assert check is not None
    fast, valid = check(doc), not any(True for _ in _validator("manifest.v1").iter_errors(doc))
    event(f"fast {fast}, jsonschema {'valid' if valid else 'invalid'}")
    assert fast is valid


def test_schema_problems_are_still_worded_by_jsonschema(manifests: list[dict[str, Any]]) -> None:
    """An invalid manifest gets jsonschema's message (the fast check only ever says 'valid')."""
    from incident_lab.evidence.manifest import serialise

    doc = copy.deepcopy(manifests[0])
    doc["counts"]["read"] = -1
    _manifest, problems = manifest_problems(serialise(doc))
    assert problems == [
        "manifest edited: manifest.json: counts/read: -1 is less than the minimum of 0"
    ]
