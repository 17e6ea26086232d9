"""orjson as an exact fast path for the evidence hot paths, the stdlib ``json`` as the authority.

Parsing and re-serialising sessions is most of the work of ``snapshot`` and ``verify``.
orjson does both several times faster than ``json``, but it does not behave
identically, so it is used only where the answer is provably the stdlib's:

- **Parsing.** orjson rejects some texts the stdlib accepts (``NaN``/``Infinity``,
  numbers that overflow a double, lone-surrogate escapes, a UTF-8 BOM, UTF-8-encoded
  surrogates, nesting deeper than 1,024). :func:`fast_loads` then answers
  :data:`MISSING` and the caller runs its usual ``json.loads`` call, so what is
  accepted or rejected, and every reject message, is the stdlib's. Whatever orjson
  accepts the stdlib accepts too, with an equal value, *except* that orjson reads an
  integer literal outside the 64-bit range as a ``float``; :func:`floats_exact`
  detects that (such a float is at least 2**63 in magnitude).
- **Canonical JSON.** :func:`canonical_bytes` equals
  ``canonical_json(obj).encode("utf-8")`` byte for byte. orjson escapes strings and
  sorts keys as ``json.dumps(sort_keys=True, ensure_ascii=False)`` does; it prints
  some floats differently (``1e-05`` as ``0.00001``) and NaN as ``null``, and refuses
  integers beyond 64 bits and lone surrogates. So it is used only when every float in
  the document prints identically, and anything else goes through the stdlib. NaN and
  Infinity have no JSON form: both paths refuse them (``ValueError``), so no two
  writers can disagree on the bytes that are hashed.

orjson is optional: without it every function takes the stdlib path. The
equivalences are pinned by hypothesis property tests
(``tests/incident_lab/evidence/test_fastjson.py``).
"""

from __future__ import annotations

from math import isfinite
from types import ModuleType
from typing import Any, Final

from incident_lab.trajectory import canonical_json

_orjson: ModuleType | None
try:
    import orjson as _orjson
except ImportError:  # orjson is a declared dependency; without it the stdlib does everything
    _orjson = None


class _Missing:
    """The type of :data:`MISSING`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Returned by :func:`fast_loads` when the fast path cannot answer (run ``json.loads``).
MISSING: Final = _Missing()

# Magnitude from which orjson may have read an out-of-range integer literal as a float.
_BIG = 2.0**63
# Every digit becomes "0", every other byte "x": a 19-digit run is then a substring search.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_LONG_DIGITS = b"0" * 19


def fast_loads(data: bytes | bytearray | memoryview) -> Any:
    """Parse UTF-8 JSON with orjson, or return :data:`MISSING` when orjson rejects it.

    When the result is not :data:`MISSING`, ``json.loads`` accepts ``data`` too (as
    bytes or decoded as UTF-8) and returns a value equal to it, dict key order
    included, except that integers outside the 64-bit range come back here as
    floats: check :func:`floats_exact` where numbers matter.

    Args:
        data: One JSON text.

    Returns:
        The parsed value, or :data:`MISSING` (the caller then asks ``json.loads``,
        which gives the verdict and the error message).
    """
    if _orjson is None:
        return MISSING
    try:
        return _orjson.loads(data)
    except _orjson.JSONDecodeError:
        return MISSING


def exact_loads(data: bytes) -> Any:
    """orjson's value of ``data`` when it is exactly ``json.loads``'s, else :data:`MISSING`.

    Like :func:`fast_loads`, but with no float to check afterwards: an integer literal
    beyond 64 bits (which orjson reads as a float) has at least 19 digits, so text
    holding a run of 19 digits is left to the stdlib too. Cheaper than
    :func:`floats_exact` when the value is not re-serialised.
    """
    if _LONG_DIGITS in data.translate(_DIGITS_ONLY):
        return MISSING
    return fast_loads(data)


def _floats(obj: Any) -> list[float]:
    """Every float inside ``obj`` (iterative: no recursion limit).

    Only containers go on the stack; strings, the bulk of a session, are passed over
    with one type check each.
    """
    kind = type(obj)
    if kind is float:
        return [obj]
    if kind is not dict and kind is not list:
        return []
    found: list[float] = []
    stack = [obj]
    pop, push, add = stack.pop, stack.append, found.append
    while stack:
        container = pop()
        for value in container.values() if type(container) is dict else container:
            kind = type(value)
            if kind is dict or kind is list:
                push(value)
            elif kind is float:
                add(value)
    return found


def all_finite(obj: Any) -> bool:
    """True when no float inside ``obj`` is NaN or Infinity (which JSON cannot write).

    Always True for a value from :func:`fast_loads` (orjson refuses ``NaN``,
    ``Infinity`` and ``1e400``); ``json.loads`` reads all three.
    """
    return all(map(isfinite, _floats(obj)))


def _float_ok(value: float) -> bool:
    assert _orjson is not None
    return -_BIG < value < _BIG and _orjson.dumps(value) == float.__repr__(value).encode()


def floats_exact(obj: Any) -> bool:
    """True when every float in ``obj`` is one the stdlib would parse and print identically.

    For a value from :func:`fast_loads`, True means it equals ``json.loads``'s value
    exactly (no out-of-range integer was read as a float), and that orjson prints
    every float of it as ``json.dumps`` does. Conservative: a float of 2**63 or more
    in magnitude answers False even when it was written as a float.
    """
    if _orjson is None:
        return False
    return all(_float_ok(f) for f in _floats(obj))


def canonical_bytes(obj: Any, *, floats_checked: bool = False) -> bytes:
    """``canonical_json(obj).encode("utf-8")``: sorted keys, no whitespace, UTF-8 kept.

    Args:
        obj: A JSON-compatible value (dicts with str keys, lists, str, int, float,
            bool, None), e.g. a parsed trajectory.
        floats_checked: The caller already knows ``floats_exact(obj)`` is True.

    Returns:
        Exactly the bytes of the stdlib's canonical form; a lone surrogate (which
        cannot be encoded as UTF-8, so the stdlib form has no bytes) is written as
        its ``\\uXXXX`` escape instead.

    Raises:
        ValueError: ``obj`` holds NaN or Infinity (the message says where).
    """
    if _orjson is not None and (floats_checked or floats_exact(obj)):
        try:
            return _orjson.dumps(obj, option=_orjson.OPT_SORT_KEYS)
        except _orjson.JSONEncodeError:
            pass  # an integer beyond 64 bits, a lone surrogate, nesting over 255 levels
    text = canonical_json(obj)
    # A lone surrogate (which ``json.loads`` accepts from a ``\ud800`` escape) cannot be
    # encoded as UTF-8: write it back as that escape, which parses to the same string.
    return text.encode("utf-8", "backslashreplace")
