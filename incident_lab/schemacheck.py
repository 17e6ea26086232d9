"""A fast yes/no check for the shipped JSON Schemas, in front of ``jsonschema``.

``jsonschema`` builds a validator object per keyword and sub-schema, which makes
one trajectory or scenario cost about 0.1 ms: seconds for a 10,000-case gate run.
:func:`compile_checker` turns a schema into nested Python closures that answer
only "certainly valid?" (no error messages) in a few microseconds.

The contract is one-sided: the checker returns ``True`` only for documents that
``jsonschema`` accepts; ``False`` means "let ``jsonschema`` decide and explain".
Callers therefore keep exactly the schema's verdict and messages, and only the
common valid case gets faster. Every keyword is implemented with ``jsonschema``'s
own semantics (``bool`` is not a number, ``1.0`` is an integer, ``items`` applies to every element,
``required`` only to objects, ``pattern`` is ``re.search``...). A schema using a
keyword this module does not know raises :class:`Unsupported` at compile time,
and the caller falls back to ``jsonschema`` for everything; the property tests in
``tests/incident_lab/test_schemacheck.py`` check the contract on generated
documents. For every schema that compiles the check is in fact exact (the tests
assert ``check(doc) is jsonschema_valid(doc)``), which is what makes ``oneOf``
("exactly one branch passes") implementable here.

This is the one compiled validator: every shipped schema (trajectory, scenario,
taxonomy, manifest) and every tool parameter schema ``classify`` checks goes
through it. The only other fast path is the hand-written trajectory check of
:mod:`incident_lab.evidence.validation`, kept because it measurably wins on the
snapshot/verify hot path (numbers there).

Why not a generated validator (``fastjsonschema``), as issue 14 suggested: measured
with fastjsonschema 2.22.3 (``use_default=False, use_formats=False``) on 3,000
sessions of ``bench-data/native_100MB.jsonl`` (32.6 KB each), CPU per document:
hand-written trajectory check 9.8 µs, this module 66 µs, fastjsonschema 161 µs;
on a real ``manifest.json`` 10 µs (the former hand-written check), 48 µs here,
37 µs fastjsonschema. Compiling costs fastjsonschema 13-15 ms per schema and
process (code generation plus ``exec``), this module 0.5 ms (trajectory) to 4 ms
(manifest, loading every shipped schema). ``classify`` compiles each distinct tool
schema it meets, and those schemas come from the incident's logs: fastjsonschema
would turn that untrusted text into Python source and ``exec`` it, which the
project's rules forbid. fastjsonschema also mutates the schema dict it is given
(the cached one from :func:`incident_lab.trajectory.load_schema`).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

Check = Callable[[Any], bool]
#: What a keyword compiles to: the instance kind it applies to (or None) and its check.
Keyword = tuple[str | None, Check]

#: Keywords that never change validity (annotations and containers of definitions).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "$defs",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "then",  # read together with "if"
        "else",
    }
)
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "null": lambda x: x is None,
    "boolean": lambda x: isinstance(x, bool),
    # draft 6 and later: 1.0 is an integer
    "integer": lambda x: (
        (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer())
    ),
    "number": lambda x: isinstance(x, numbers.Number) and not isinstance(x, bool),
}


class Unsupported(Exception):
    """The schema uses something the fast checker does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _all(checks: list[Check]) -> Check:
    """One check that passes when every one of ``checks`` does (in order, stopping early)."""
    if not checks:
        return lambda x: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    frozen = tuple(checks)

    def check(x: Any) -> bool:
        for c in frozen:  # noqa: SIM110 (a plain loop: faster than all() here)
            if not c(x):
                return False
        return True

    return check


#: Instance kinds that keywords such as ``required`` or ``minLength`` apply to; any
#: other instance passes them (jsonschema's rule). Keyword checks of a kind are
#: grouped behind one isinstance test.
_KIND_GUARDS: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "number": _is_number,
}


def _both(guard: Check, inner: Check) -> Check:
    """Instance of the kind (the declared type) and passing the kind's keywords."""
    return lambda x: guard(x) and inner(x)


def _when(guard: Check, inner: Check) -> Check:
    """The kind's keywords, for instances of that kind only (others pass)."""
    return lambda x: not guard(x) or inner(x)


def _type_check(spec: Any) -> Check:
    names = [spec] if isinstance(spec, str) else list(spec)
    if not names or any(n not in _TYPES for n in names):
        raise Unsupported(f"type {spec!r}")
    if len(names) == 1:
        return _TYPES[names[0]]
    checks = tuple(_TYPES[n] for n in names)
    return lambda x: any(c(x) for c in checks)


def _enum_check(values: list[Any]) -> Check:
    """Members of ``str``/``None``/``bool`` only: jsonschema's ``equal`` is then exact identity
    of type and value (``True`` is not ``1``; a string equals only a string)."""
    if not all(v is None or isinstance(v, str | bool) for v in values):
        raise Unsupported(f"enum/const with non-string members {values!r}")
    strings = frozenset(v for v in values if isinstance(v, str))
    singletons = tuple(v for v in values if not isinstance(v, str))  # None/True/False

    def check(x: Any) -> bool:
        if isinstance(x, str):
            return x in strings
        return any(x is v for v in singletons)

    return check


class _Compiler:
    def __init__(self, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self.resources = resources
        self.memo: dict[tuple[str, str], Check] = {}

    def ref(self, base: str, ref: str) -> Check:
        uri, fragment = urldefrag(urljoin(base, ref))
        key = (uri, fragment)
        if key in self.memo:
            return self.memo[key]
        root = self.resources.get(uri)
        if root is None or (fragment and not fragment.startswith("/")):
            raise Unsupported(f"$ref {ref!r}")
        node: Any = root
        for part in fragment.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise Unsupported(f"$ref {ref!r}")
            node = node[part]
        slot: list[Check] = []
        self.memo[key] = lambda x: slot[0](x)  # a recursive $ref sees the final check
        compiled = self.schema(node, uri)
        slot.append(compiled)
        self.memo[key] = compiled
        return compiled

    def schema(self, schema: Any, base: str) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        by_kind: dict[str | None, list[Check]] = {}
        for key, value in schema.items():
            if key in _ANNOTATIONS or key == "type":
                continue
            if key == "$id":
                if urldefrag(urljoin(base, value))[0] != base:
                    raise Unsupported("nested $id")
                continue
            handler = getattr(self, f"k_{key.lstrip('$')}", None)
            if handler is None:
                raise Unsupported(f"keyword {key!r}")
            kind, check = handler(value, schema, base)
            by_kind.setdefault(kind, []).append(check)
        parts: list[Check] = []
        declared = schema.get("type")
        for kind, guard in _KIND_GUARDS.items():
            if kind not in by_kind:
                continue
            inner = _all(by_kind.pop(kind))
            if declared == kind and kind != "number":  # the type check is the guard
                parts.append(_both(guard, inner))
                declared = None
            else:
                parts.append(_when(guard, inner))
        if declared is not None:
            parts.insert(0, _type_check(declared))
        elif "type" in schema:
            _type_check(schema["type"])  # still refuse an unknown type name
        parts += by_kind.pop(None, [])
        return _all(parts)

    # One method per keyword, with jsonschema's semantics. Each returns the kind of
    # instance it applies to (None: every instance) and a check that may assume it.

    def k_ref(self, value: str, schema: Mapping[str, Any], base: str) -> Keyword:
        return None, self.ref(base, value)

    def k_const(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        return None, _enum_check([value])

    def k_enum(self, value: list[Any], schema: Mapping[str, Any], base: str) -> Keyword:
        return None, _enum_check(list(value))

    def k_required(self, value: list[str], schema: Mapping[str, Any], base: str) -> Keyword:
        names = frozenset(value)
        return "object", lambda x: x.keys() >= names

    def k_properties(
        self, value: Mapping[str, Any], schema: Mapping[str, Any], base: str
    ) -> Keyword:
        props = tuple((name, self.schema(sub, base)) for name, sub in value.items())

        def check(x: dict[Any, Any]) -> bool:
            for name, sub in props:  # noqa: SIM110 (a plain loop: faster than all() here)
                if name in x and not sub(x[name]):
                    return False
            return True

        return "object", check

    def k_additionalProperties(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = frozenset(schema.get("properties") or ())
        sub = self.schema(value, base)
        return "object", lambda x: all(sub(v) for k, v in x.items() if k not in known)

    def k_propertyNames(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        sub = self.schema(value, base)  # each key is an instance of its own (a string in JSON)
        return "object", lambda x: all(sub(k) for k in x)

    def k_items(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        if "prefixItems" in schema or isinstance(value, list):
            raise Unsupported("prefixItems / array-form items")
        sub = self.schema(value, base)

        def check(x: list[Any]) -> bool:
            for item in x:  # noqa: SIM110 (a plain loop: faster than all() here)
                if not sub(item):
                    return False
            return True

        return "array", check

    def k_minItems(self, value: int, schema: Mapping[str, Any], base: str) -> Keyword:
        return "array", lambda x: len(x) >= value

    def k_maxItems(self, value: int, schema: Mapping[str, Any], base: str) -> Keyword:
        return "array", lambda x: len(x) <= value

    def k_uniqueItems(self, value: bool, schema: Mapping[str, Any], base: str) -> Keyword:
        if not value:
            return "array", lambda x: True
        # accepted only when every item is a string (no 1 == True subtleties): anything
        # else goes to jsonschema, which decides
        return "array", lambda x: all(type(i) is str for i in x) and len(set(x)) == len(x)

    def k_minProperties(self, value: int, schema: Mapping[str, Any], base: str) -> Keyword:
        return "object", lambda x: len(x) >= value

    def k_minLength(self, value: int, schema: Mapping[str, Any], base: str) -> Keyword:
        return "string", lambda x: len(x) >= value

    def k_maxLength(self, value: int, schema: Mapping[str, Any], base: str) -> Keyword:
        return "string", lambda x: len(x) <= value

    def k_minimum(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        return "number", lambda x: not x < value

    def k_maximum(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        return "number", lambda x: not x > value

    def k_pattern(self, value: str, schema: Mapping[str, Any], base: str) -> Keyword:
        search = re.compile(value).search
        return "string", lambda x: search(x) is not None

    def k_allOf(self, value: list[Any], schema: Mapping[str, Any], base: str) -> Keyword:
        return None, _all([self.schema(sub, base) for sub in value])

    def k_anyOf(self, value: list[Any], schema: Mapping[str, Any], base: str) -> Keyword:
        subs = tuple(self.schema(sub, base) for sub in value)
        return None, lambda x: any(sub(x) for sub in subs)

    def k_oneOf(self, value: list[Any], schema: Mapping[str, Any], base: str) -> Keyword:
        # Exact because every compiled check is: False means invalid for a schema that
        # compiled, so "exactly one branch passes" is jsonschema's verdict.
        subs = tuple(self.schema(sub, base) for sub in value)
        return None, lambda x: sum(1 for sub in subs if sub(x)) == 1

    def k_if(self, value: Any, schema: Mapping[str, Any], base: str) -> Keyword:
        cond = self.schema(value, base)
        then = self.schema(schema.get("then", True), base)
        else_ = self.schema(schema.get("else", True), base)
        return None, lambda x: then(x) if cond(x) else else_(x)


def compile_checker(
    schema: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]] | None = None
) -> Check:
    """Compile ``schema`` into a function returning ``True`` only for valid documents.

    Args:
        schema: A JSON Schema (draft 2020-12 subset) with an absolute ``$id``.
        resources: Other schemas by ``$id``, for cross-file ``$ref``.

    Returns:
        ``check(document) -> bool``; ``False`` means "not certainly valid".

    Raises:
        Unsupported: the schema uses a keyword or reference form not implemented
            here (use ``jsonschema`` alone for it).
    """
    if schema.get("$schema", _DRAFT) != _DRAFT:
        raise Unsupported(f"$schema {schema.get('$schema')!r} (only draft 2020-12)")
    base = str(schema.get("$id") or "")
    known = dict(resources or {})
    known.setdefault(base, schema)
    return _Compiler(known).schema(schema, base)
