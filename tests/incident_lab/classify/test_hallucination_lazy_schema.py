"""The tool-hallucination detector reads a schema's validity with jsonschema only for a call
that may have a problem (issue 10: a fresh process's first classify pass), and reports
exactly what checking every schema up front reported."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import jsonschema

from incident_lab.classify import hallucination
from incident_lab.schemacheck import Unsupported, compile_checker


def schema_problems(parameters: Any, arguments: dict[str, Any]) -> list[str]:
    """What the detector reports of a call with ``arguments`` to a tool with ``parameters``."""
    return hallucination._problems(hallucination._key(parameters), arguments)


def _problems_checked_first(parameters: dict[str, Any], arguments: dict[str, Any]) -> list[str]:
    """``schema_problems`` as it was: the schema checked (jsonschema) before anything else
    (a schema with a regular expression is not checked)."""
    text = json.dumps(parameters, sort_keys=True, default=str)
    if '"pattern' in text:
        return []
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return []
    try:
        fast = compile_checker(schema)
    except (Unsupported, Exception):
        fast = None
    problems = []
    if fast is None or not fast(arguments):
        for err in cls(schema).iter_errors(arguments):
            where = "/".join(str(p) for p in err.absolute_path)
            problems.append(f"{where + ': ' if where else ''}{err.message}")
    declared = schema.get("properties")
    if isinstance(declared, dict) and schema.get("additionalProperties") is not False:
        problems += [
            f"{k!r} is not a parameter of this tool" for k in arguments if k not in declared
        ]
    return problems


_PROPERTY_SCHEMAS: list[Any] = [
    {"type": "string"}, {"type": "integer"}, {"type": "number", "minimum": 0},
    {"type": "string", "enum": ["a", "b"]}, {"type": "array", "items": {"type": "string"}},
    {"type": "boolean"}, {"anyOf": [{"type": "string"}, {"type": "null"}]},
    {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
    {"type": "string", "pattern": "^[a-z]+$"}, {"type": "string", "format": "email"},
    {},
    # invalid: the whole schema is then no tool's fault
    {"type": "not-a-type"}, {"type": 5}, {"minimum": "zero"}, {"required": "x"},
    {"enum": 3}, {"items": 4}, {"pattern": 7},
]  # fmt: skip
_VALUES: list[Any] = ["a", "b", "Hello", "", 0, 3, -2, 1.5, True, None, ["a"], [1], {"x": 1},
                      {"y": "z"}, "a@b.example"]  # fmt: skip


def _schema(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(["a", "b", "c", "to", "x"], rng.randint(0, 3))
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {n: rng.choice(_PROPERTY_SCHEMAS) for n in names},
    }
    if names and rng.random() < 0.5:
        schema["required"] = rng.sample(names, rng.randint(1, len(names)))
    if rng.random() < 0.3:
        schema["additionalProperties"] = rng.choice([False, True, {"type": "string"}])
    if rng.random() < 0.1:
        schema["type"] = rng.choice(["objekt", 3, ["object", "null"]])
    return schema


def test_problems_equal_checking_the_schema_first() -> None:
    """On 3,000 random schemas (a sixth of them invalid somewhere) and calls, the problems
    are exactly those of the schema-first order, and some calls have problems."""
    rng = random.Random(10)
    with_problems = invalid = 0
    for _ in range(3000):
        schema = _schema(rng)
        args = {n: rng.choice(_VALUES) for n in rng.sample(["a", "b", "c", "to", "x", "q"], 2)}
        expected = _problems_checked_first(schema, args)
        assert schema_problems(schema, args) == expected, (schema, args)
        with_problems += bool(expected)
        key = hallucination._key(schema)
        if key is not None:  # None: a schema with a pattern, not checked
            invalid += hallucination._validator(key) is None
    assert with_problems > 500 and invalid > 200


def test_a_call_the_fast_check_accepts_needs_no_jsonschema() -> None:
    """A call within its (valid) schema is answered without building the jsonschema
    validator; a call with an invented name builds it once; an invalid schema still yields
    no problems."""
    hallucination._validator.cache_clear()
    hallucination._compiled.cache_clear()
    schema = {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}
    for _ in range(3):
        assert schema_problems(schema, {"to": "bob@example.com"}) == []
    assert hallucination._validator.cache_info().misses == 0
    assert schema_problems(schema, {"to": "x", "cc": "y"}) == [
        "'cc' is not a parameter of this tool"
    ]
    assert schema_problems(schema, {"to": 3}) == ["to: 3 is not of type 'string'"]
    assert hallucination._validator.cache_info().misses == 1
    assert schema_problems({"type": "object", "properties": {"a": {"type": 5}}}, {"b": 1}) == []


def test_a_tools_own_regular_expressions_are_not_run() -> None:
    """A tool schema is recorded data (a poisoned MCP listing is one): its ``pattern`` and
    ``patternProperties`` regexes are not run in Python's backtracking engine — the
    classic ``^(a+)+$`` against 40 characters took minutes before (run by the fast check
    and again by jsonschema). Such a schema is not checked at all: leaving only the patterns
    out turned ``not``/``oneOf``/``if`` around them into false problems (final review)."""
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "pattern": "^(a+)+$"},
            "user": {"type": "string", "not": {"pattern": "^admin"}},
            "id": {"oneOf": [{"type": "string", "pattern": "^A"}, {"pattern": "^B"}]},
        },
        "patternProperties": {"^(b+)+$": {"type": "string"}},
        "additionalProperties": False,
    }
    started = time.process_time()
    assert schema_problems(schema, {"a": "a" * 40 + "!"}) == []
    assert schema_problems(schema, {"b" * 40 + "!": "x"}) == []
    assert schema_problems(schema, {"user": "alice", "id": "A12"}) == []
    assert time.process_time() - started < 2.0
    assert schema_problems({"type": "object", "properties": {"n": {"type": "integer"}}}, {"n": "x"})
