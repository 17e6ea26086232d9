"""Mutation-driven tests for ``evidence/fastjson.py`` (issue 14): when the fast path answers.

The property tests of ``test_fastjson.py`` pin that the answers equal the stdlib's; a
mutant that only sends everything to the stdlib gives the same answers, slower. These
tests pin the other half: which values orjson serves, and that it does serve them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from incident_lab.evidence import fastjson
from incident_lab.evidence.fastjson import (
    MISSING,
    all_finite,
    canonical_bytes,
    exact_loads,
    floats_exact,
)


def test_orjson_is_installed() -> None:
    """A declared dependency: without it every test below would test the stdlib path."""
    assert fastjson._orjson is not None


def test_missing_says_what_it_is() -> None:
    assert repr(MISSING) == "MISSING"


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        ({"x": [0.5, {"y": -2.25}], "n": 3}, True),
        ([1, "s", None, True, {"k": []}], True),
        (0.1, True),
        (1e-05, False),  # orjson writes 0.00001
        ({"deep": [[{"v": 2.5e-07}]]}, False),  # orjson writes 2.5e-7
        (2.0**63, False),  # may be an out-of-range integer literal read as a float
        (-(2.0**63), False),
        ({"big": [1.0, 2.0**64]}, False),
        (9.2233720368547e18, True),  # just under 2**63 and printed alike
        (-9.2233720368547e18, True),
    ],
)
def test_floats_exact(value: Any, exact: bool) -> None:
    assert floats_exact(value) is exact


@pytest.mark.parametrize(
    ("value", "finite"),
    [
        ({"a": [1.0, {"b": float("nan")}]}, False),
        ([[[float("-inf")]]], False),
        (float("inf"), False),
        ({"a": [1.0, {"b": 2.5}], "c": "NaN"}, True),
        ([1, "x", None, {"d": {}}], True),
        ("text", True),
    ],
)
def test_all_finite(value: Any, finite: bool) -> None:
    assert all_finite(value) is finite


def test_the_fast_path_writes_without_the_stdlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose floats orjson prints alike never reaches json.dumps."""

    def stdlib(obj: Any) -> str:
        raise AssertionError("the stdlib serialised a document orjson can write")

    monkeypatch.setattr(fastjson, "canonical_json", stdlib)
    doc = {"b": [0.5, 1, "é"], "a": {"z": None, "y": True}}
    expected = b'{"a":{"y":true,"z":null},"b":[0.5,1,"\xc3\xa9"]}'
    assert canonical_bytes(doc) == expected
    assert canonical_bytes(doc, floats_checked=True) == expected
    with pytest.raises(AssertionError, match="the stdlib serialised"):
        canonical_bytes({"x": 1e-05})  # printed differently: the stdlib's turn


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "b": [2.5, "x"]}',
        b'{"n": 123456789012345678}',  # 18 digits
        b'{"s": "12345678 9012345678 9"}',
    ],
)
def test_exact_loads_answers_when_it_is_the_stdlib_value(data: bytes) -> None:
    assert exact_loads(data) == json.loads(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"n": 1234567890123456789}',  # 19 digits: maybe beyond 64 bits
        b'{"n": 123456789012345678901234567890}',
        b'{"s": "id 1234567890123456789"}',  # digits in a string count too (conservative)
        b'{"x": NaN}',
        b"[1,]",
    ],
)
def test_exact_loads_leaves_the_rest_to_the_stdlib(data: bytes) -> None:
    assert exact_loads(data) is MISSING


def test_without_orjson_everything_takes_the_stdlib_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson is optional: without it nothing is parsed or written by it."""
    doc = {"b": [0.5, 1, "é"], "a": None}
    expected = canonical_bytes(doc)
    monkeypatch.setattr(fastjson, "_orjson", None)
    assert fastjson.fast_loads(b'{"a": 1}') is MISSING
    assert exact_loads(b'{"a": 1}') is MISSING
    assert floats_exact({"x": 0.5}) is False
    assert floats_exact({"x": 1}) is False
    assert canonical_bytes(doc) == expected
    assert canonical_bytes(doc, floats_checked=True) == expected
