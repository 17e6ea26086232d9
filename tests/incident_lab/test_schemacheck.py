"""The compiled schema check gives jsonschema's verdict, on generated near-valid documents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_lab.schemacheck import Unsupported, compile_checker
from incident_lab.trajectory import _fast_check, _validator, load_schema, validation_errors
from regression_suite.testing import TrajectoryBuilder, build_scenario

SCHEMAS = {
    name: load_schema(name)
    for name in ("trajectory.v1", "scenario.v1", "taxonomy.v1", "manifest.v1", "suite.v1")
}
BY_ID = {doc["$id"]: doc for doc in SCHEMAS.values()}

#: Values that break most fields: wrong types, bool-as-int, empty strings, near-miss enums.
JUNK = st.sampled_from(
    [None, True, False, 0, 1, -1, 2.5, -0.5, "", "x", "SEV-1", "SEV-5", "user", "User",
     "message", "tool_call", "tool_result", "safeguard", "allow", "pre_action", "trajectory/v1",
     "scenario/v1", "2024-01-01T00:00:00Z", [], {}, ["a"], [1], {"a": 1}, {"type": "message"}]
)  # fmt: skip


def _resolve(schema: Any, base: str) -> tuple[Any, str]:
    while isinstance(schema, Mapping) and "$ref" in schema:
        uri, fragment = urldefrag(urljoin(base, schema["$ref"]))
        node: Any = BY_ID[uri]
        for part in fragment.split("/")[1:]:
            node = node[part]
        schema, base = node, uri
    return schema, base


def _merged_properties(schema: Mapping[str, Any], base: str) -> dict[str, tuple[Any, str]]:
    """Properties of the schema and of every if/then branch, so each branch gets exercised."""
    props = {k: (v, base) for k, v in (schema.get("properties") or {}).items()}
    for sub in schema.get("allOf") or []:
        sub, sub_base = _resolve(sub, base)
        for branch in (sub, sub.get("then") or {}):
            for k, v in (branch.get("properties") or {}).items():
                props.setdefault(k, (v, sub_base))
    return props


def _required(schema: Mapping[str, Any]) -> set[str]:
    names = set(schema.get("required") or [])
    for sub in schema.get("allOf") or []:
        names |= set((sub.get("then") or {}).get("required") or [])
    return names


@st.composite
def near_valid(draw: st.DrawFn, schema: Any, base: str, junk: int = 0, depth: int = 0) -> Any:
    """A document shaped by ``schema``; with ``junk`` > 0, about one value in ``junk`` is
    replaced by a wrong one (and required fields and minimum sizes are sometimes missed)."""
    schema, base = _resolve(schema, base)
    if junk and (draw(st.integers(0, junk - 1)) == 0 or depth > 6):
        return draw(JUNK)
    if not isinstance(schema, Mapping):
        return draw(JUNK)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    types = schema.get("type", "object")
    kind = draw(st.sampled_from([types] if isinstance(types, str) else types))
    if kind == "object":
        return _near_object(draw, schema, base, junk, depth)
    if kind == "array":
        items = schema.get("items", {})
        low = schema.get("minItems", 0)
        size = draw(st.integers(max(0, low - 1) if junk else low, low + 3))
        return [draw(near_valid(items, base, junk, depth + 1)) for _ in range(size)]
    scalar = _NEAR_SCALARS.get(kind)
    return scalar(draw, schema, junk) if scalar else None


def _near_object(draw: st.DrawFn, schema: Any, base: str, junk: int, depth: int) -> Any:
    """Required properties kept (mostly, with junk), optional ones sometimes, and
    sometimes one extra key."""
    out: dict[Any, Any] = {}
    required = _required(schema)
    for name, (sub, sub_base) in _merged_properties(schema, base).items():
        if name in required and not junk:
            keep = True
        else:
            keep = draw(st.integers(0, 19)) < (19 if name in required else 8)
        if keep:
            out[name] = draw(near_valid(sub, sub_base, junk, depth + 1))
    extra = schema.get("additionalProperties")
    if draw(st.booleans()):
        key = draw(st.sampled_from(["extra", "x-note", "owasp_llm"]))
        out[key] = draw(near_valid(extra, base, junk, depth + 1)) if extra else draw(JUNK)
    return out


def _near_string(draw: st.DrawFn, schema: Any, junk: int) -> Any:
    if "pattern" in schema and (not junk or draw(st.booleans())):
        return draw(st.from_regex(schema["pattern"], fullmatch=False))
    low = schema.get("minLength", 0) if not junk else 0
    high = min(schema.get("maxLength", 600), 600)
    return draw(st.text(min_size=low, max_size=draw(st.sampled_from([low + 2, high]))))


def _near_integer(draw: st.DrawFn, schema: Any, junk: int) -> Any:
    low = schema.get("minimum", -2) if not junk else -2
    return draw(st.one_of(st.integers(low, low + 5), st.sampled_from([low + 1.0, 2.0])))


def _near_number(draw: st.DrawFn, schema: Any, junk: int) -> Any:
    low = schema.get("minimum", -1.5) if not junk else -1.5
    high = schema.get("maximum", 1.5) if not junk else 1.5
    return draw(st.one_of(st.integers(int(low) + 1, int(high)), st.floats(low, high)))


def _near_boolean(draw: st.DrawFn, schema: Any, junk: int) -> Any:
    return draw(st.booleans())


_NEAR_SCALARS: dict[str, Callable[[st.DrawFn, Any, int], Any]] = {
    "string": _near_string,
    "integer": _near_integer,
    "number": _near_number,
    "boolean": _near_boolean,
}


def documents(name: str) -> st.SearchStrategy[Any]:
    """Valid documents, and documents broken in a few places or in many."""
    schema = SCHEMAS[name]
    return st.sampled_from([0, 0, 40, 12]).flatmap(
        lambda junk: near_valid(schema, schema["$id"], junk)
    )


def _jsonschema_valid(doc: Any, name: str) -> bool:
    return not any(True for _ in _validator(name).iter_errors(doc))


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", ["trajectory.v1", "scenario.v1", "suite.v1", "taxonomy.v1"])
@SETTINGS
@given(data=st.data())
def test_compiled_check_agrees_with_jsonschema(name: str, data: st.DataObject) -> None:
    """On near-valid documents (valid ones and ones with one or more broken fields) the
    compiled check says valid exactly when jsonschema does."""
    doc = data.draw(documents(name))
    check = _fast_check(name)
    assert check is not None
    assert check(doc) is _jsonschema_valid(doc, name)


@SETTINGS
@given(doc=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
))  # fmt: skip
def test_compiled_check_agrees_on_arbitrary_json(doc: Any) -> None:
    """Arbitrary JSON values: same verdict as jsonschema for both schemas."""
    for name in ("trajectory.v1", "scenario.v1", "manifest.v1", "suite.v1", "taxonomy.v1"):
        check = _fast_check(name)
        assert check is not None
        assert check(doc) is _jsonschema_valid(doc, name)


@pytest.mark.parametrize("name", ["trajectory.v1", "scenario.v1"])
@SETTINGS
@given(data=st.data())
def test_validation_errors_unchanged(name: str, data: st.DataObject) -> None:
    """validation_errors returns jsonschema's own messages (empty exactly when valid)."""
    doc = data.draw(documents(name))
    expected = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(_validator(name).iter_errors(doc), key=lambda e: list(e.path))
    ]
    assert validation_errors(doc, name) == expected


def test_typical_documents_take_the_fast_path() -> None:
    """What builders, targets and scenario files produce is accepted without jsonschema."""
    traj = (
        TrajectoryBuilder("s-1", started_at="2024-05-01T10:00:00Z")
        .user("hi")
        .tool_call("search", {"q": "x"})
        .tool_result("ok")
        .safeguard("allow", stage="pre_action", score=0.5)
        .assistant("done")
        .unsafe()
        .build()
    )
    assert _fast_check("trajectory.v1")(traj) is True  # type: ignore[misc]
    assert _fast_check("scenario.v1")(build_scenario()) is True  # type: ignore[misc]
    suite = {"schema_version": "suite/v1", "name": "gate", "scenarios": ["a", "b"]}
    assert _fast_check("suite.v1")(suite) is True  # type: ignore[misc]
    assert _fast_check("suite.v1")({**suite, "scenarios": ["a", "a"]}) is False  # type: ignore[misc]


def test_edge_semantics_match_jsonschema() -> None:
    """bool is not an integer but 1.0 is, 1 is not True, a str only equals a str, items
    apply to every element, pattern is a search (not a full match)."""
    base = {"schema_version": "trajectory/v1", "session_id": "s", "steps": []}
    cases = [
        {**base, "labels": {"unsafe_steps": [True]}},
        {**base, "labels": {"unsafe_steps": [1.0]}},
        {**base, "labels": {"unsafe_steps": [0, -1]}},
        {**base, "labels": {"verdict": None}},
        {**base, "labels": {"verdict": 0}},
        {**base, "session_id": "x" * 513},
        {**base, "started_at": "2024-01-01T00:00:00Z trailing"},
        {**base, "started_at": "2024-01-01 00:00:00Z"},
        {**base, "steps": [{"type": "safeguard", "safeguard": "g", "stage": "input",
                            "decision": "allow", "score": True}]},
        {**base, "steps": [{"type": "tool_call", "name": "t", "arguments": []}]},
        {**base, "steps": [{"type": "other"}]},
        {**base, "schema_version": "trajectory/v2"},
        ("not", "a", "dict"),
    ]  # fmt: skip
    check = _fast_check("trajectory.v1")
    assert check is not None
    for doc in cases:
        assert check(doc) is _jsonschema_valid(doc, "trajectory.v1"), doc


def test_unknown_keyword_is_refused_and_validation_still_works() -> None:
    """A schema keyword the checker does not implement is refused at compile time
    (the caller then uses jsonschema alone): never a silently weaker check."""
    with pytest.raises(Unsupported):
        compile_checker({"$id": "https://x/s.json", "type": "object", "patternProperties": {}})
    with pytest.raises(Unsupported):
        compile_checker({"$id": "https://x/s.json", "enum": [1, 2]})
    with pytest.raises(Unsupported):
        compile_checker({"$id": "https://x/s.json", "$ref": "other.json#/x"})
    assert validation_errors({"schema_version": "taxonomy/v1"}, "taxonomy.v1") == [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(
            _validator("taxonomy.v1").iter_errors({"schema_version": "taxonomy/v1"}),
            key=lambda e: list(e.path),
        )
    ]


def test_property_names_match_jsonschema() -> None:
    """propertyNames checks every key as an instance of its own (the shipped taxonomy's
    ids and levels), so loading the taxonomy needs no jsonschema; a bad key is refused
    exactly when jsonschema refuses it."""
    from incident_lab.taxonomy.load import _base_path, _base_text, _parse

    schema = {
        "$id": "https://example.test/names",
        "type": "object",
        "propertyNames": {"pattern": "^SEV-[0-9]+$", "maxLength": 6},
    }
    check = compile_checker(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for doc in ({}, {"SEV-1": 1}, {"SEV-10": 1, "SEV-2": {}}, {"SEV-100": 1}, {"sev-1": 1},
                {"SEV-1": 1, "x": 2}, [], "SEV-x", 3):  # fmt: skip
        assert check(doc) is validator.is_valid(doc), doc
    taxonomy = dict(_parse(_base_text(), _base_path()))
    fast = _fast_check("taxonomy.v1")
    assert fast is not None and fast(taxonomy) is True
    bad = {
        **taxonomy,
        "severities": {**taxonomy["severities"], "SEV-X": {"meaning": "m", "priority": 1}},
    }
    assert fast(bad) is False and not _jsonschema_valid(bad, "taxonomy.v1")


def test_one_of_and_any_of_match_jsonschema() -> None:
    """oneOf is "exactly one branch" (two passing branches fail it); anyOf is "at least one"."""
    schema = {
        "$id": "https://example.test/one",
        "type": "object",
        "properties": {
            "one": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 2}]},
            "any": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    check = compile_checker(schema)
    import jsonschema

    for doc in ({"one": 1}, {"one": 3}, {"one": 2.5}, {"one": "x"}, {"any": None}, {"any": 1}):
        assert check(doc) is jsonschema.Draft202012Validator(schema).is_valid(doc), doc
    assert check({"one": 1}) is True and check({"one": 3}) is False  # 3 passes both branches


def test_recursive_ref_compiles() -> None:
    """A schema that refers to itself compiles and checks nested documents."""
    schema = {
        "$id": "https://x/tree.json",
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}, "n": {"type": "integer"}},
    }
    check = compile_checker(schema)
    assert check({"kids": [{"kids": [{"n": 1}]}]}) is True
    assert check({"kids": [{"kids": [{"n": "1"}]}]}) is False
