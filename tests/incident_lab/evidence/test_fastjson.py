"""The orjson fast path answers exactly as the stdlib ``json`` would, or not at all.

Property tests over generated JSON texts (valid and damaged: NaN/Infinity, huge and
64-bit-edge integers, float spellings, escapes incl. lone surrogates, duplicate keys,
odd whitespace, invalid UTF-8, BOMs, deep nesting) and generated values.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from incident_lab.evidence import fastjson
from incident_lab.evidence.fastjson import (
    MISSING,
    all_finite,
    canonical_bytes,
    fast_loads,
    floats_exact,
)


def test_orjson_is_installed() -> None:
    """The declared dependency is present, so the fast path is what these tests exercise."""
    assert fastjson._orjson is not None


def _same(a: Any, b: Any) -> bool:
    """Strict equality: same types, same dict key order, floats bit for bit."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return len(a) == len(b) and all(
            ka == kb and _same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is float:
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _same_but_big_ints(fast: Any, std: Any) -> bool:
    """Equal, except that a stdlib integer beyond 64 bits may be orjson's nearest float."""
    if type(fast) is float and type(std) is int and not -(2**63) <= std < 2**64:
        return float(std) == fast
    if type(fast) is not type(std):
        return False
    if type(fast) is dict:
        return len(fast) == len(std) and all(
            ka == kb and _same_but_big_ints(va, vb)
            for (ka, va), (kb, vb) in zip(fast.items(), std.items(), strict=True)
        )
    if type(fast) is list:
        return len(fast) == len(std) and all(
            _same_but_big_ints(x, y) for x, y in zip(fast, std, strict=True)
        )
    return _same(fast, std)


def _stdlib(data: bytes) -> tuple[bool, Any]:
    """The two stdlib calls the evidence code makes: on the decoded text and on bytes."""
    try:
        return True, json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False, None


def _check(data: bytes) -> None:
    fast = fast_loads(data)
    ok, std = _stdlib(data)
    event(
        f"orjson {'rejects' if fast is MISSING else 'accepts'}, stdlib {'accepts' if ok else 'rejects'}"
    )
    if fast is MISSING:
        return  # the caller asks the stdlib: same verdict and message by construction
    event(f"floats_exact {floats_exact(fast)}")
    assert ok, f"orjson accepted what the stdlib rejects: {data[:200]!r}"
    assert _same(fast, json.loads(data)) or _same_but_big_ints(fast, json.loads(data))
    if floats_exact(fast):
        assert _same(fast, std), data[:200]
    else:
        assert _same_but_big_ints(fast, std), data[:200]


# -- generated JSON texts ------------------------------------------------------------

# Texts the stdlib accepts, with its edge cases (NaN, Infinity, numbers overflowing a
# double, integers around and beyond 64 bits, lone-surrogate escapes, duplicate keys);
# invalid texts come from damaging these (test_damaged_texts_...).
_ws = st.text(alphabet=" \t\n\r", max_size=2)
_digits = st.text(alphabet="0123456789", min_size=1, max_size=25)
_valid_number = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "-"]),
    st.just("0")
    | st.builds(lambda a, b: a + b, st.sampled_from("123456789"), _digits | st.just(""))
    | st.sampled_from(["9223372036854775807", "9223372036854775808", "18446744073709551616"]),
    st.just("") | st.builds(lambda d: "." + d, _digits),
    st.just("")
    | st.builds(
        lambda e, sign, d: e + sign + d,
        st.sampled_from(["e", "E"]),
        st.sampled_from(["", "+", "-"]),
        st.integers(0, 400).map(str),
    ),
)
_special_number = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "18446744073709551615",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "-1e400",
        "1e-400",
        "-0",
        "-0.0",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "2.4703282292062328e-324",
        "0.30000000000000004441",
        "1E-5",
        "1" * 4400,
    ]
)
_number = st.one_of(_valid_number, _valid_number, _special_number)
_escape = st.one_of(
    st.integers(0, 0xFFFF).map(lambda c: f"\\u{c:04x}"),  # lone surrogates included
    st.integers(0xD800, 0xDFFF).map(lambda c: f"\\u{c:04X}"),
    st.sampled_from(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]),
)
_raw_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
_ok_char = st.characters(
    min_codepoint=0x20, max_codepoint=0x10FFFF, exclude_categories=("Cs",)
).filter(lambda c: c not in '"\\')
_string = st.lists(st.one_of(_escape, _ok_char, _ok_char), max_size=6).map(
    lambda parts: '"' + "".join(parts) + '"'
)


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    array = st.lists(st.tuples(_ws, children, _ws), max_size=4).map(
        lambda items: "[" + ",".join(a + v + b for a, v, b in items) + "]"
    )
    obj = st.lists(
        st.tuples(
            st.sampled_from(['"a"', '"b"', '"\\u0061"', '"\\ud800"']) | _string, _ws, children
        ),
        max_size=4,
    ).map(lambda items: "{" + ",".join(f"{k}:{w}{v}" for k, w, v in items) + "}")
    return array | obj


_value = st.recursive(
    _number | _string | st.sampled_from(["true", "false", "null"]),
    _compose,
    max_leaves=12,
)
_text = st.builds(lambda a, v, b: (a + v + b).encode("utf-8", "surrogatepass"), _ws, _value, _ws)


def _damaged(data: bytes, pos: float, junk: bytes, cut: bool) -> bytes:
    i = int(pos * len(data))
    return data[:i] if cut else data[:i] + junk + data[i:]


@settings(max_examples=1500, deadline=None)
@given(data=_text)
def test_generated_texts_parse_identically_or_are_left_to_the_stdlib(data: bytes) -> None:
    """Whatever orjson accepts, json.loads accepts too and returns the same value (types,
    key order, float bits); only integers beyond 64 bits differ, and floats_exact says so."""
    _check(data)


@settings(max_examples=1000, deadline=None)
@given(
    data=_text,
    pos=st.floats(0, 1, exclude_max=True),
    junk=st.sampled_from(
        [
            b"\xff",
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\xc0\x80",
            b"\xef\xbb\xbf",
            b"\xf4\x90\x80\x80",
            b"\x00",
            b"\x1f",
            b"\x0b",
            b"\x0c",
            b"\xc2\xa0",
            b"\xe2\x80\xa8",
            b",",
            b"]",
            b"}",
            b":",
            b'"',
            b"\\",
            b"\\x",
            b"\\u12",
            b"\n",
            b"0",
            b"1",
            b".",
            b"e",
            b"-",
            b"+",
            b"tru",
            b"NaN",
        ]
    ),
    cut=st.booleans(),
)
def test_damaged_texts_parse_identically_or_are_left_to_the_stdlib(
    data: bytes, pos: float, junk: bytes, cut: bool
) -> None:
    """Truncated texts and texts with invalid UTF-8, BOMs, NULs or stray syntax inserted."""
    _check(_damaged(data, pos, junk, cut))


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-(2**65), 2**65),
        st.floats(),
        st.text(_raw_char | st.integers(0xD800, 0xDFFF).map(chr), max_size=8),
    )
    return st.recursive(
        scalars,
        lambda kids: (
            st.lists(kids, max_size=4)
            | st.dictionaries(st.text(_raw_char, max_size=4), kids, max_size=4)
        ),
        max_leaves=15,
    )


@settings(max_examples=1000, deadline=None)
@given(
    value=_json_values(),
    style=st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1}, {"separators": (",", ":")}]),
)
def test_stdlib_written_values_parse_identically(value: Any, style: dict[str, Any]) -> None:
    """Texts json.dumps writes (any floats incl. NaN, any ints, any strings) round-trip
    through fast_loads exactly as through json.loads, or are left to the stdlib."""
    text = json.dumps(value, **style)
    _check(text.encode("utf-8", "surrogatepass"))


def test_known_divergences_are_left_to_the_stdlib() -> None:
    """The cases where orjson alone would differ: each is MISSING or flagged by floats_exact."""
    for text in (
        b"NaN",
        b"-Infinity",
        b"1e400",
        b'"\\ud800"',
        b'"\\ude00\\ud83d"',
        b"\xef\xbb\xbf{}",
    ):
        assert fast_loads(text) is MISSING, text
    for text in (
        b"18446744073709551616",
        b"-9223372036854775809",
        b'{"n": [123456789012345678901]}',
    ):
        value = fast_loads(text)
        assert value is not MISSING and not floats_exact(value), text
    assert fast_loads(b"18446744073709551615") == 2**64 - 1
    deep = b"[" * 100_000 + b"]" * 100_000
    assert fast_loads(deep) is MISSING  # the stdlib then raises RecursionError itself
    dup = fast_loads(b'{"a": 1, "b": 2, "a": 3}')
    assert list(dup.items()) == list(json.loads('{"a": 1, "b": 2, "a": 3}').items())


# -- canonical serialisation ---------------------------------------------------------


def _stdlib_canonical(value: Any) -> bytes:
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8", "backslashreplace")


@settings(max_examples=1500, deadline=None)
@given(value=_json_values())
def test_canonical_bytes_equal_the_stdlib_canonical_form(value: Any) -> None:
    """Sorted keys, compact separators, UTF-8 kept, every float spelled as repr spells it,
    integers beyond 64 bits and lone surrogates all as the stdlib writes them; NaN and
    Infinity (no JSON form) refused, never written as orjson's null."""
    if not all_finite(value):
        with pytest.raises(ValueError, match="is not JSON"):
            canonical_bytes(value)
        return
    expected = _stdlib_canonical(value)
    assert canonical_bytes(value) == expected
    if floats_exact(value):
        assert canonical_bytes(value, floats_checked=True) == expected


@pytest.mark.parametrize(
    "value",
    [
        1e-05,
        2.5e-07,
        1e16,
        1e22,
        5e-324,
        -0.0,
        0.1,
        1e300,
        2**64,
        -(2**63) - 1,
    ],
)
def test_canonical_bytes_of_awkward_numbers(value: Any) -> None:
    """Floats orjson spells differently (1e-05 as 0.00001), huge integers."""
    assert canonical_bytes({"x": [value]}) == _stdlib_canonical({"x": [value]})


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (float("nan"), "x/0: nan"),
        (float("inf"), "x/0: inf"),
        (float("-inf"), "x/0: -inf"),
        (json.loads("1e400"), "x/0: inf"),
    ],
)
def test_canonical_bytes_refuse_nan_and_infinity(value: float, where: str) -> None:
    """orjson would write NaN as null and the stdlib as NaN: two writers, two digests of the
    same value. Neither is JSON, so both paths refuse it and say where it is."""
    with pytest.raises(ValueError) as err:
        canonical_bytes({"x": [value]})
    assert str(err.value) == f"{where} is not JSON (NaN and Infinity have no canonical form)"
    assert not all_finite({"x": [value]})
    assert not floats_exact({"x": [value]})  # so no caller may pass floats_checked=True


def test_every_code_point_is_escaped_as_the_stdlib_escapes_it() -> None:
    """Exhaustive over Unicode: strings (values and keys) of every code point, surrogates
    included, serialise byte for byte as json.dumps(ensure_ascii=False) would."""
    for start in range(0, 0x110000, 512):
        text = "".join(chr(c) for c in range(start, min(start + 512, 0x110000)))
        value = {text: text, text[::-1]: [text[:3]]}
        assert canonical_bytes(value) == _stdlib_canonical(value), hex(start)


def test_lone_surrogates_are_written_as_escapes_that_parse_back() -> None:
    """The stdlib cannot encode a lone surrogate as UTF-8; its \\uXXXX escape is written."""
    value = {"content": "a\ud800b\\\udfff"}
    data = canonical_bytes(value)
    assert data == b'{"content":"a\\ud800b\\\\\\udfff"}'
    assert json.loads(data) == value
