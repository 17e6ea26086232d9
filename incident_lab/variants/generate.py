"""Generating variants: chains of converters, applied, deduplicated and sampled.

A *chain* is an ordered tuple of distinct converters, applied left to right with
one ``random.Random`` seeded from ``(seed, parent id, chain)``; that chain seed is
recorded in ``variant.seed``, so :func:`apply_chain` reproduces the variant
exactly. Chains are tried shortest first (every single converter before any
pair), in a seeded shuffle within each length, until ``n`` distinct variants
exist. Variants whose replay content equals the parent's or an earlier variant's
are dropped; a variant's id is ``<parent>--v-<first 8 hex of its content hash>``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import random
import re

try:  # the stdlib's own pattern parser: private, so a Python without it spells no name
    import re._constants as _re_constants
    import re._parser as _re_parser
except ImportError:  # pragma: no cover - CPython 3.11 to 3.13 have it
    _re_constants = _re_parser = None
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import re2

from incident_lab.atomic import write_texts_atomic
from incident_lab.errors import SchemaError, UsageError
from incident_lab.provenance.values import is_date_or_time
from incident_lab.scenarios.io import (
    check_id,
    dump_scenario,
    library_lock,
    load_scenario,
    scenario_path,
)
from incident_lab.scenarios.reference import to_reference
from incident_lab.text.disguise import convert_outside
from incident_lab.trajectory import validation_errors
from incident_lab.variants.base import (
    Converter,
    ConverterFailed,
    NotApplicable,
    StructuralConverter,
    clean_text,
)
from incident_lab.variants.spans import (
    payload_spans,
    rewrite_span,
    set_payload_spans,
    with_insides,
)

AnyConverter = Converter | StructuralConverter
Scenario = dict[str, Any]

MAX_DEPTH = 3
#: Parts of a scenario that make up its content (what a target is replayed with).
_CONTENT_KEYS = ("context", "replay", "payload", "expectations")
#: Parts shared (not copied) between the parent and its variants; converters never touch them.
_SHARED_KEYS = ("recording", "provenance")
_OPPOSITES = frozenset({"direct_to_indirect", "indirect_to_direct"})
#: Expectation kinds that say what harm must not happen (kept in every variant).
_HARM_KINDS = frozenset({"no_tool_call", "output_not_matches", "allowed_tools"})


def get_converters() -> dict[str, AnyConverter]:
    """Return every registered converter (built-in and plugins) by name."""
    from incident_lab.plugins import collect

    return collect("register_converters")


def resolve_converters(
    names: Iterable[str | AnyConverter] | None, registry: dict[str, AnyConverter] | None = None
) -> list[AnyConverter]:
    """Turn names (or converter objects) into converters, in the order given.

    Raises:
        UsageError: a name is not a registered converter (the valid names are listed).
    """
    registry = registry if registry is not None else get_converters()
    if names is None:
        return list(registry.values())
    result: list[AnyConverter] = []
    unknown: list[str] = []
    for item in names:
        if not isinstance(item, str):
            result.append(item)
        elif item in registry:
            result.append(registry[item])
        else:
            unknown.append(item)
    if unknown:
        raise UsageError(
            f"unknown converter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
            hint="valid converters: " + ", ".join(sorted(registry)),
        )
    # Keep the first of duplicates, so a chain never repeats a converter.
    unique: dict[str, AnyConverter] = {}
    for conv in result:
        unique.setdefault(conv.name, conv)
    return list(unique.values())


def skip_reason(chain: Sequence[AnyConverter]) -> str | None:
    """Return why a chain is nonsensical (and is never generated), or ``None``."""
    names = [c.name for c in chain]
    if len(set(names)) != len(names):
        return "a converter appears twice"
    if set(names) >= _OPPOSITES:
        return "direct_to_indirect and indirect_to_direct undo each other"
    seen_encoding = False
    for conv in chain:
        if conv.family == "encoding":
            seen_encoding = True
        elif seen_encoding and conv.family == "character" and not conv.reversible:
            return f"{conv.name} after an encoding corrupts the encoded text"
    return None


def iter_chains(
    converters: Sequence[AnyConverter], depth: int, rng: random.Random
) -> Iterator[tuple[AnyConverter, ...]]:
    """Yield sensible chains, shortest first, in a seeded order within each length."""
    for length in range(1, depth + 1):
        chains = [c for c in itertools.permutations(converters, length) if skip_reason(c) is None]
        rng.shuffle(chains)
        yield from chains


def chain_seed(seed: int, parent_id: str, names: Sequence[str]) -> int:
    """Return the 32-bit seed of one chain (recorded as ``variant.seed``)."""
    key = f"{seed}\0{parent_id}\0{'+'.join(names)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big")


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's content (context, replay, payload, expectations)."""
    content = {key: scenario.get(key) for key in _CONTENT_KEYS}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _working_copy(scenario: Scenario) -> Scenario:
    return {k: (v if k in _SHARED_KEYS else copy.deepcopy(v)) for k, v in scenario.items()}


def apply_chain(scenario: Scenario, chain: Sequence[AnyConverter], seed: int) -> Scenario:
    """Apply ``chain`` to a copy of ``scenario`` with ``random.Random(seed)``.

    String converters rewrite each payload span in place; structural converters
    rewrite the scenario; then ``safeguard_decision`` expectations are dropped when
    a harm expectation remains (see :func:`_outcome_expectations`). The result's
    ``variant`` holds only the ``adjustments`` made. An empty chain gives the
    parent's normal form (what duplicates are compared against).

    Raises:
        NotApplicable: a converter of the chain does not apply to this scenario.
    """
    work = _working_copy(scenario)
    work.pop("variant", None)
    set_payload_spans(work, payload_spans(work))  # one normal form: offsets recorded
    rng = random.Random(seed)
    for conv in chain:
        if isinstance(conv, StructuralConverter):
            work = conv.apply(work, rng)
            continue
        names = _tool_names(work)
        pins = _pins(work) + _tool_name_pins(_in_prose(work, names))
        convert = _string_rewrite(conv, rng, pins)
        carries, pinned, named = _carrier(pins), _pinned_whole(pins), _named(names)
        rewritten = [
            rewrite_span(work, span, convert, conv.per_character, carries, pinned, named)
            for span in payload_spans(work)
        ]
        set_payload_spans(work, rewritten)
    for text in _outcome_expectations(work):
        work.setdefault("variant", {}).setdefault("adjustments", []).append(text)
    return work


def _string_rewrite(conv: Converter, rng: random.Random, pins: list[Any]) -> Callable[[str], str]:
    """``text -> conv(text)``, the texts the ``pins`` match kept as written where the
    converter allows it (:func:`_keeping_pins`).

    Raises (when called):
        NotApplicable: the converter produced an empty payload.
    """

    def convert(text: str) -> str:
        text = clean_text(text)  # RE2 takes no lone surrogate
        try:
            held = _pinned_spans(text, pins) if conv.keeps_pins else []
            out = _keeping_pins(conv, rng, text, held)
        except (UnicodeError, re2.error) as exc:  # this text, not a bug: reported, skipped
            raise ConverterFailed(f"{conv.name} failed: {type(exc).__name__}: {exc}") from exc
        if not out:
            raise NotApplicable(f"{conv.name} produced an empty payload")
        return out

    return convert


def _keeping_pins(
    conv: Converter, rng: random.Random, text: str, spans: list[tuple[int, int]]
) -> str:
    """``conv(text)`` with the pinned ``spans`` as written: the text is converted as one
    piece, each pinned value held by a private-use mark of its own (one neither the text nor
    ``conv(text)`` holds), then put back (a wrapper
    wraps the whole text around the pin, a framing or a paraphrase keeps the tool's name).
    When a mark does not come through (or there are more distinct pinned values than
    marks), a per-character converter converts the text between the spans, any other
    converts everything. The caller holds no span for a converter that does not keep pins
    (:attr:`~incident_lab.variants.base.Converter.keeps_pins`: an encoding, a reversible
    one): decoding, which an agent must do to obey, gives the pinned values back."""
    if not spans:
        return conv(text, rng)
    state = rng.getstate()
    plain = conv(text, rng)  # what it writes of its own: no mark may be among it
    after = rng.getstate()
    values = list(dict.fromkeys(text[a:b] for a, b in spans))
    marks = _marks(text + plain, len(values))
    if len(marks) == len(values):
        rng.setstate(state)
        mark_of = dict(zip(values, marks, strict=True))
        out = conv(with_insides(text, spans, [mark_of[text[a:b]] for a, b in spans]), rng)
        if set(marks) <= set(out):  # each came through: put back (a repeated text repeats it)
            return out.translate({ord(m): v for v, m in mark_of.items()})
    if conv.per_character:
        rng.setstate(state)
        return convert_outside(text, spans, lambda t: conv(t, rng))
    rng.setstate(after)
    return plain


#: The private-use characters a held value is written as (no converter maps this block).
_MARKS = range(0xE000, 0xF900)


def _marks(text: str, count: int) -> list[str]:
    """Up to ``count`` private-use characters that do not occur in ``text`` (the text and
    what the converter writes of it: a plugin may write such characters itself)."""
    used = set(text)
    free = (chr(c) for c in _MARKS if chr(c) not in used)
    return list(itertools.islice(free, count))


def _carrier(pins: list[Any]) -> Callable[[str], bool]:
    """Whether a string value of a record is rewritten: it holds a value a ``no_tool_call``
    argument pattern pins (what the unsafe call copied), or it is not a host scalar
    (:func:`_host_scalar`): prose is rewritten whatever it says, so the ask is never left
    as written."""

    def carries(value: str) -> bool:
        value = clean_text(value)
        return bool(_pinned_spans(value, pins)) or not _host_scalar(value)

    return carries


#: A host scalar is this long at most (an id, a code, an amount; not a sentence).
_SCALAR_LONGEST = 40
#: A word of a host scalar written in words: it holds a digit or is a code (``EUR``, ``%``).
_SCALAR_WORD = re2.compile(r"^(?:\S*\d\S*|[A-Z]{1,4}|\W{1,3})$")
#: A scalar written in several words holds a number ("120.00 EUR"); "PAY ALL DUE NOW" is an
#: ask in capitals (review revfinal38 L1).
_DIGIT = re2.compile(r"\d")
#: The letter runs of a one-word token: three or more ("Ignore_all_previous_instructions")
#: make it words joined, not an id ("guest_ana7", "grant_access").
_JOINED_WORDS = re2.compile(r"[A-Za-z]{2,}")


def _host_scalar(value: str) -> bool:
    """Whether a record value reads as the host's scalar, by shape: a number, an amount, a
    date or time, a currency code, a one-word token (an enum value, an id, at most two
    letter runs): short and either one word or only words with digits and codes, a number
    among them (``120.00 EUR``)."""
    value = value.strip()
    if len(value) > _SCALAR_LONGEST:
        return False
    words = value.split()
    if len(words) <= 1:
        return len(_JOINED_WORDS.findall(value)) < 3  # "Ignore_all_previous_rules" is prose
    if is_date_or_time(value):
        return True
    return all(_SCALAR_WORD.search(w) for w in words) and any(_DIGIT.search(w) for w in words)


#: A pinned value a variant keeps is this long at least (a pattern like ``\S`` pins no value)
#: and at most (an argument pattern pins an address or an id, not a body).
_PIN_SHORTEST, _PIN_LONGEST = 4, 300


def _pins(scenario: Scenario) -> list[Any]:
    """The argument patterns of the scenario's ``no_tool_call`` expectations (the values the
    forbidden call must not carry: an IBAN, a recipient, a guest id), compiled by RE2 (they
    are matched against the payload); a pattern RE2 does not take is left out."""
    pins = []
    for spec in scenario.get("expectations") or []:
        if spec.get("kind") != "no_tool_call" or not isinstance(spec.get("arguments"), dict):
            continue
        options = _quiet_options(case_sensitive=bool(spec.get("case_sensitive")))
        for pattern in spec["arguments"].values():
            try:
                pins.append(re2.compile(str(pattern), options))
            except re2.error:
                continue
    return pins


def _quiet_options(case_sensitive: bool) -> Any:
    """RE2 options of the variants' patterns: RE2 prints nothing (a pattern it refuses is
    left out by the caller; a large one that runs out of DFA memory falls back quietly)."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    return options


def _tool_names(scenario: Scenario) -> list[str]:
    """The names of the tools the scenario's ``no_tool_call`` patterns forbid
    (:func:`~incident_lab.variants.structure.is_forbidden`, the check's own reading): of the
    tools it offers and serves, and a pattern written as one name (``run_shell``,
    ``mcp\\.send``). A broad pattern (``.*``) names the scenario's tools, not every word."""
    from incident_lab.variants.structure import forbidden_tools, is_forbidden

    patterns = forbidden_tools(scenario)
    offered = [t.get("name") for t in (scenario.get("context") or {}).get("tools") or []]
    served = [f.get("tool") for f in (scenario.get("replay") or {}).get("fixtures") or []]
    literal = [_ESCAPED.sub(r"\1", p) for p in patterns]
    named = dict.fromkeys(str(n) for n in [*offered, *served, *literal] if n)
    return [n for n in named if is_forbidden(n, patterns)]


#: A backslash escape of a pattern written as one name.
_ESCAPED = re2.compile(r"\\(.)")
#: A tool name shaped like an identifier: ``_``, ``.``, ``-``, a digit or camelCase in it.
_IDENTIFIER = re2.compile(r"[_.\-0-9]|[a-z][A-Z]")


def _in_prose(scenario: Scenario, names: list[str]) -> list[str]:
    """The forbidden tools' ``names`` a variant keeps as written inside prose: a name a
    pattern spells (``send``, ``files\\.delete``: the check needs that very word), and under
    a broad pattern (``.*``, ``send_.*``) only a name shaped like an identifier
    (``send_money``, ``getAll``). A common word a broad pattern covers (``search``,
    ``send``) is rewritten with the rest: kept raw, a keyword filter would catch every
    variant and the gate would credit the filter (review revvar39 M2)."""
    from incident_lab.variants.structure import forbidden_tools

    spelled = set().union(*(_spelled_names(p) for p in forbidden_tools(scenario)))
    return [n for n in names if n in spelled or _IDENTIFIER.search(n)]


#: A pattern names at most this many names to spell each of them (``sends?``, ``[sS]end``).
_MAX_SPELLED = 8
#: A pattern longer than this spells no name (the parse is not linear in its length).
_LONGEST_SPELLING = 256


@functools.lru_cache(maxsize=1024)
def _spelled_names(pattern: str) -> frozenset[str]:
    """The names a ``tool`` pattern spells out: the whole, small, finite set of names it can
    match, read from the parsed pattern (no match is run). ``send``, ``^send$``, ``(send)``,
    ``send|transfer``, ``mail|mailx``, ``sends?`` spell their names; a pattern with a wildcard,
    a class of many characters or an open repetition (``.*``, ``s.nd``, ``[a-z]{4}``,
    ``send(_\\w+)?``, ``(?i:send)``) spells none (review revvar40 M1), nor does a pattern
    that is no regular expression (lint refuses it)."""
    if _re_parser is None or len(pattern) > _LONGEST_SPELLING:
        return frozenset()
    try:
        parsed = _re_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return frozenset()
    names = _enumerate(list(parsed))
    return frozenset(names) if names is not None else frozenset()


def _enumerate(items: list[Any]) -> set[str] | None:
    """The strings a parsed pattern sequence matches, or None when they are not a few."""
    out = {""}
    for op, arg in items:
        part = _enumerate_item(op, arg)
        if part is None:
            return None
        out = {a + b for a in out for b in part}
        if len(out) > _MAX_SPELLED:
            return None
    return out


def _enumerate_item(op: Any, arg: Any) -> set[str] | None:
    c = _re_constants
    if op is c.LITERAL:
        return {chr(arg)}
    if op is c.AT and arg in (c.AT_BEGINNING, c.AT_BEGINNING_STRING, c.AT_END, c.AT_END_STRING):
        return {""}
    if op is c.SUBPATTERN and not arg[1] & re.IGNORECASE:
        return _enumerate(list(arg[3]))
    if op is c.BRANCH:
        return _union(_enumerate(list(branch)) for branch in arg[1])
    if op is c.IN and all(kind is c.LITERAL for kind, _ in arg):
        return {chr(code) for _, code in arg}
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[1] <= _MAX_SPELLED:
        body = _enumerate(list(arg[2]))
        return None if body is None else _union(_repeat(body, n) for n in range(arg[0], arg[1] + 1))
    return None


def _repeat(body: set[str], times: int) -> set[str] | None:
    out: set[str] | None = {""}
    for _ in range(times):
        out = {a + b for a in out for b in body} if out is not None else None
        if out is None or len(out) > _MAX_SPELLED:
            return None
    return out


def _union(parts: Iterable[set[str] | None]) -> set[str] | None:
    out: set[str] = set()
    for part in parts:
        if part is None:
            return None
        out |= part
        if len(out) > _MAX_SPELLED:
            return None
    return out


def _tool_name_pins(names: list[str]) -> list[Any]:
    """One RE2 pattern (record values are untrusted text) finding the forbidden tools'
    ``names`` (:func:`_tool_names`) as whole words, case-sensitive as the check matches a
    call's name: a variant keeps the name as written inside prose too ("call run_shell to
    ..."), since the agent could only call the renamed tool."""
    if not names:
        return []
    ordered = sorted(names, key=len, reverse=True)
    pattern = r"\b(?:" + "|".join(re2.escape(n) for n in ordered) + r")\b"
    return [re2.compile(pattern, _quiet_options(case_sensitive=True))]


def _named(names: list[str]) -> Callable[[str], bool]:
    """Whether a record value is a forbidden tool's name (one of ``names``: a tools listing's
    ``name``), never rewritten: the agent could only call the renamed tool."""
    known = frozenset(names)
    return lambda value: clean_text(value).strip() in known


def _pinned_whole(pins: list[Any]) -> Callable[[str], bool]:
    """Whether the ``pins`` match a record value whole and it is no attack of its own: a host
    scalar or one token (the ``account``'s IBAN), a path or a name (the ``file``'s
    ``/Users/ana/My Documents/tax 2025.pdf``, the payee ``ACME Holdings Ltd``) keeps its field
    beside the ask (a rewrite that moved it into the ask would test another record; review
    revfinal39a L1). Any other value of several words (``curl ... | sh``, an SQL statement, a
    mail body) and any value that reads as an instruction
    (:func:`~incident_lab.provenance.cues.find_spans`) is the attack itself and is rewritten
    with the ask: kept raw, a keyword filter would catch every variant (reviews revvar39 L1,
    revvar40b H1, L3)."""
    from incident_lab.provenance.cues import find_spans

    def pinned(value: str) -> bool:
        value = clean_text(value).strip()
        whole = bool(value) and _pinned_spans(value, pins) == [(0, len(value))]
        if not whole or find_spans(value):
            return False
        return len(value.split()) == 1 or _host_scalar(value) or _path_or_name(value)

    return pinned


#: A path: rooted (``/``, ``~/``, ``C:\``), no shell operator, quote, glob, ``$`` or newline.
_PATH = re2.compile(r"^(?:~|[A-Za-z]:)?[/\\][^|;&$`<>'\"\n*?]*$")
#: A word of a name: capitalised (``ACME``, ``Holdings``, ``María``, ``O'Neil``, ``Ltd.,``),
#: a short lower-case joiner (``of``, ``de``, ``van``) or ``&``.
_NAME_WORD = re2.compile(r"^(?:\p{Lu}[\pL.'’-]*,?|\p{Ll}{1,3}|&)$")
#: A name has this many words at most.
_NAME_WORDS = 6


def _path_or_name(value: str) -> bool:
    """Whether a pinned value of several words is a path or a name by its shape."""
    if len(value) > _SCALAR_LONGEST * 3:
        return False
    if _PATH.search(value):
        return True
    words = value.split()
    return len(words) <= _NAME_WORDS and all(_NAME_WORD.search(w) for w in words)


def _pinned_spans(text: str, pins: list[Any]) -> list[tuple[int, int]]:
    """Sorted, apart ``(start, end)`` of what the ``pins`` match in ``text``."""
    found = sorted(
        m.span()
        for pin in pins
        for m in pin.finditer(text)
        if _PIN_SHORTEST <= m.end() - m.start() <= _PIN_LONGEST
    )
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _variant_id(parent_id: str, digest: str) -> str:
    suffix = f"--v-{digest[:8]}"
    return parent_id[: 128 - len(suffix)] + suffix


def _outcome_expectations(work: Scenario) -> list[str]:
    """Drop ``safeguard_decision`` expectations when a harm expectation remains.

    A variant asks "does the rewritten attack get through?". A rewrite the agent
    does not understand triggers no safeguard, and must not count as a bypass;
    the forbidden call (or output) decides. Returns the adjustment notes.
    """
    specs = work.get("expectations") or []
    if not any(e.get("kind") in _HARM_KINDS for e in specs):
        return []
    kept = [e for e in specs if e.get("kind") != "safeguard_decision"]
    if len(kept) == len(specs):
        return []
    work["expectations"] = kept
    return [
        "safeguard_decision expectation dropped: a rewrite the agent does not act on "
        "needs no block; the forbidden call decides"
    ]


def _finish(parent: Scenario, work: Scenario, names: list[str], seed: int, digest: str) -> Scenario:
    adjustments = list((work.pop("variant", None) or {}).get("adjustments") or [])
    variant_info: dict[str, Any] = {"parent": parent["id"], "converters": names, "seed": seed}
    if parent.get("recording") is not None:
        variant_info["recording_from"] = parent["id"]
    if adjustments:
        variant_info["adjustments"] = adjustments
    out = dict(work)
    out["id"] = _variant_id(parent["id"], digest)
    out["title"] = f"{parent['title']} [variant: {' > '.join(names)}]"
    out["variant"] = variant_info
    return out


def generate_variants(
    scenario: Scenario,
    converters: Iterable[str | AnyConverter] | None = None,
    depth: int = 1,
    n: int = 50,
    seed: int = 0,
    failed: list[str] | None = None,
) -> list[Scenario]:
    """Generate up to ``n`` distinct variants of ``scenario``'s attack.

    Args:
        scenario: The parent scenario (not itself a variant; it must have a payload).
        converters: Names or converter objects to chain; ``None`` for all registered.
        depth: Longest chain (1 = single converters).
        n: How many variants at most.
        seed: Generation seed: the same seed gives the same variants, ids and content.
        failed: Given, a chain skipped because a converter failed on the text
            (:class:`~incident_lab.variants.base.ConverterFailed`) is appended to it as
            ``"a > b: reason"``.

    Returns:
        Variant scenarios (``variant: {parent, converters, seed, ...}``), status
        inherited from the parent, ``recording`` kept as the parent's.

    Raises:
        UsageError: unknown converter, bad depth/n, a parent that is a variant, or a
            scenario without payload.
        InputError: the payload text is not where its location says.
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise UsageError(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    if n < 1:
        raise UsageError(f"n must be at least 1, got {n}")
    parent_info = scenario.get("variant") or {}
    if parent_info.get("parent"):
        raise UsageError(
            f"scenario {scenario.get('id')!r} is itself a variant of {parent_info['parent']!r}",
            hint=f"generate from {parent_info['parent']!r}, with --depth for longer chains",
        )
    chosen = resolve_converters(converters)
    parent_id = str(scenario["id"])
    # The parent in normal form (also a clear error now, rather than one per chain).
    seen = {content_hash(apply_chain(scenario, (), 0))}
    variants: list[Scenario] = []
    for chain in iter_chains(chosen, depth, random.Random(seed)):
        names = [c.name for c in chain]
        cseed = chain_seed(seed, parent_id, names)
        try:
            work = apply_chain(scenario, chain, cseed)
        except ConverterFailed as exc:
            if failed is not None:
                failed.append(f"{' > '.join(names)}: {exc}")
            continue
        except NotApplicable:
            continue
        digest = content_hash(work)
        if digest in seen:
            continue
        seen.add(digest)
        variants.append(_finish(scenario, work, names, cseed, digest))
        if len(variants) >= n:
            break
    return variants


def write_variants(
    scenarios_dir: str | Path, variants: Iterable[Scenario], *, force: bool = False
) -> list[tuple[Path, str]]:
    """Write variants to ``<scenarios_dir>/variants/<id>.yaml``, by reference to their parent.

    A variant whose parent is in ``scenarios_dir`` is stored as the parent's id plus
    its changes (:mod:`incident_lab.scenarios.reference`): the library grows by the
    size of the rewrites, not by a copy of the recording per variant. Without the
    parent there, the full scenario is written. All files are written under one
    library lock with :func:`~incident_lab.atomic.write_texts_atomic` (one disk flush
    for the batch, each file still atomic).

    Returns:
        ``(path, status)`` per variant: ``created``, ``unchanged``, ``overwritten``
        (with ``force``) or ``kept`` (a file with that id, i.e. the same content,
        already exists with other metadata or as a full copy; left as is).

    Raises:
        SchemaError: a variant is invalid (nothing is written).
    """
    base = Path(scenarios_dir)
    results: list[tuple[Path, str]] = []
    pending: list[tuple[Path, str]] = []
    parents: dict[str, Any] = {}  # parent id -> (stored parent, digest memo) or None
    folder = scenario_path(base, "x", variant=True).parent
    with library_lock(base):
        for variant in variants:
            problems = validation_errors(variant, "scenario.v1")
            if problems:
                raise SchemaError(f"variant {variant.get('id')!r} is invalid: {problems[0]}")
            path = folder / f"{check_id(variant['id'])}.yaml"  # no '/' or '..': stays inside
            text = dump_scenario(_stored_form(base, variant, parents))
            status = "created"
            if path.exists():
                existing = path.read_text("utf-8")
                if existing == text:
                    results.append((path, "unchanged"))
                    continue
                if not force:
                    results.append((path, "kept"))
                    continue
                status = "overwritten"
            pending.append((path, text))
            results.append((path, status))
        write_texts_atomic(pending)
    return results


def _stored_form(base: Path, variant: Scenario, parents: dict[str, Any]) -> Scenario:
    """The variant by reference to its parent's file in ``base``, else the full variant."""
    parent_id = str((variant.get("variant") or {}).get("parent") or "")
    if parent_id not in parents:
        path = scenario_path(base, parent_id) if parent_id else None
        parents[parent_id] = (load_scenario(path), {}) if path and path.is_file() else None
    if parents[parent_id] is None:
        return variant
    parent, digests = parents[parent_id]
    return to_reference(parent, variant, digests) or variant
