"""Variants stored by reference: the parent's id plus what the rewrite changed.

A generated variant differs from its parent only where the converters rewrote the
attack (a span of one fixture or turn, the payload block, an adjusted expectation).
Instead of a full copy of the parent (recording included) the variant file holds::

    variant:
      parent: inc-x
      parent_sha256: <hash of the parent parts the changes apply to>
      converters: [base64]
      seed: 1234
      changes:
        - {path: /payload, value: {...}}                              # set
        - {path: /replay/fixtures/0/output, splice: {start: 120, end: 190, value: "..."}}
        - {path: /expectations/1, remove: true}                       # mapping key only

``path`` is a JSON Pointer (RFC 6901) into the scenario. ``value`` sets the member
(a mapping key or an existing list index), ``remove`` deletes a mapping key, and
``splice`` replaces ``[start:end)`` of a string or a list with ``value``. Changes
apply in order. :func:`materialise` rebuilds the variant when it is loaded; parts it
does not change are shared with the parent in memory, not copied, so loaded
scenarios are read-only. ``parent_sha256`` covers the parent's content keys and
every top-level key a change touches: a parent edited since the variants were
generated is refused (regenerate them), never patched blindly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError, SchemaError
from incident_lab.schemacheck import Check, Unsupported, compile_checker
from incident_lab.trajectory import load_schema, schemas_by_id, validation_errors

Scenario = dict[str, Any]
Change = dict[str, Any]

#: Top-level parts that make a scenario's content (always covered by ``parent_sha256``).
CONTENT_KEYS = ("context", "replay", "payload", "expectations")
#: Top-level keys of the variant itself, never inherited from the parent.
_OWN_KEYS = ("id", "title", "variant")
#: Keys of ``variant`` that only say how it is stored (dropped when it is rebuilt).
_STORAGE_KEYS = ("parent_sha256", "changes")
#: A string change is stored as a splice when it keeps at least this many characters.
_MIN_KEPT = 64
#: Parents kept parsed, keyed by file identity and modification (see _parent).
_PARENTS: dict[tuple[str, int, int, int], tuple[Scenario, dict[frozenset[str], str]]] = {}
_MAX_PARENTS = 32
#: Top-level keywords of ``scenario.v1`` under which each top-level property is valid or
#: not by its own value (no sibling rules such as ``dependentSchemas``); with any other
#: keyword there the rebuilt variant is checked whole.
_PER_PROPERTY = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "type", "properties",
     "required", "if", "then", "else"}
)  # fmt: skip


def is_reference(doc: Any) -> bool:
    """True if ``doc`` is a variant stored by reference (``variant.changes``)."""
    variant = doc.get("variant") if isinstance(doc, dict) else None
    return isinstance(variant, dict) and "changes" in variant


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _split(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise ValueError(f"change path {pointer!r} is not a JSON Pointer (starts with '/')")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (bisection over slice compares: C speed, not per char)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most ``limit``."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _diff_str(old: str, new: str, path: str, out: list[Change]) -> None:
    start = _common_prefix(old, new)
    end = _common_suffix(old, new, min(len(old), len(new)) - start)
    if start + end < _MIN_KEPT:
        out.append({"path": path, "value": new})
        return
    splice = {"start": start, "end": len(old) - end, "value": new[start : len(new) - end]}
    out.append({"path": path, "splice": splice})


def _diff_list(old: list[Any], new: list[Any], path: str, out: list[Change]) -> None:
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old_mid, new_mid = len(old) - end - start, len(new) - end - start
    both = min(old_mid, new_mid)
    for i in range(start, start + both):  # same positions in both: change in place
        _diff(old[i], new[i], f"{path}/{i}", out)
    if old_mid != new_mid:
        splice = {
            "start": start + both,
            "end": start + old_mid,
            "value": new[start + both : start + new_mid],
        }
        out.append({"path": path, "splice": splice})


def _diff(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if old is new or (type(old) is type(new) and old == new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                out.append({"path": f"{path}/{_escape(key)}", "remove": True})
        for key, value in new.items():
            if key in old:
                _diff(old[key], value, f"{path}/{_escape(key)}", out)
            else:
                out.append({"path": f"{path}/{_escape(key)}", "value": value})
    elif isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, out)
    elif isinstance(old, str) and isinstance(new, str):
        _diff_str(old, new, path, out)
    else:
        out.append({"path": path, "value": new})


def diff(parent: Scenario, variant: Scenario) -> list[Change]:
    """Return the changes that turn ``parent`` into ``variant`` (own keys excluded)."""
    base = {k: v for k, v in parent.items() if k not in _OWN_KEYS}
    target = {k: v for k, v in variant.items() if k not in _OWN_KEYS}
    out: list[Change] = []
    _diff(base, target, "", out)
    return out


def _copy(node: Any) -> Any:
    return dict(node) if isinstance(node, dict) else list(node)


def _index(node: list[Any], part: str, *, size: int) -> int:
    if not part.isdigit() or not 0 <= int(part) < size:
        raise ValueError(f"list index {part!r} does not exist (length {len(node)})")
    return int(part)


def _apply(doc: Scenario, change: Change) -> None:
    """Apply one change to ``doc`` in place, copying each container on the path first."""
    parts = _split(str(change.get("path")))
    ops = [op for op in ("value", "remove", "splice") if op in change]
    if len(ops) != 1:
        raise ValueError(
            f"change at {change.get('path')!r} needs exactly one of value/remove/splice"
        )
    node = _parent_for_write(doc, parts, str(change["path"]))
    last = parts[-1]
    op = ops[0]
    if op == "splice":
        _splice(node, last, change)
    elif isinstance(node, list):
        if op == "remove":
            raise ValueError(f"{change['path']}: remove applies to mapping keys only")
        node[_index(node, last, size=len(node))] = change["value"]
    elif op == "remove":
        if last not in node:
            raise ValueError(f"{change['path']}: no member {last!r} to remove")
        del node[last]
    else:
        node[last] = change["value"]


def _parent_for_write(doc: Scenario, parts: list[str], path: str) -> Any:
    """The container the path's last part names a member of, each container on the way
    copied first (copy on write: the parent scenario stays as it is)."""
    node: Any = doc
    for part in parts[:-1]:
        key: Any = _index(node, part, size=len(node)) if isinstance(node, list) else part
        if isinstance(node, dict) and key not in node:
            raise ValueError(f"{path}: no member {part!r}")
        child = node[key]
        if not isinstance(child, dict | list):
            raise ValueError(f"{path}: {part!r} is not a mapping or list")
        node[key] = child = _copy(child)
        node = child
    return node


def _splice(node: Any, last: str, change: Change) -> None:
    """Replace ``[start:end]`` of the string or list at ``last`` with a value of its kind."""
    splice = change["splice"]
    start, end, value = splice.get("start"), splice.get("end"), splice.get("value")
    key: Any = _index(node, last, size=len(node)) if isinstance(node, list) else last
    target = node[key] if (isinstance(node, list) or key in node) else None
    if not isinstance(target, str | list) or type(value) is not type(target):
        raise ValueError(f"{change['path']}: splice needs a string or list of the same kind")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(target)):
        raise ValueError(f"{change['path']}: splice [{start}:{end}] is out of range")
    node[key] = target[:start] + value + target[end:]  # type: ignore[operator]


def patch(parent: Scenario, changes: list[Change]) -> Scenario:
    """Return ``parent`` with ``changes`` applied (the parent itself is not modified).

    Raises:
        ValueError: a change is malformed or does not fit the parent.
    """
    doc = dict(parent)
    for change in changes:
        if not isinstance(change, dict):
            raise ValueError(f"a change must be a mapping, got {type(change).__name__}")
        _apply(doc, change)
    return doc


def _digest_keys(changes: list[Change]) -> frozenset[str]:
    keys = set(CONTENT_KEYS)
    for change in changes:
        keys.add(_top(str(change.get("path"))))
    return frozenset(keys)


def _top(pointer: str) -> str:
    """``_split(pointer)[0]``: the top-level key a change path names (without splitting
    the rest of it)."""
    if not pointer.startswith("/"):
        raise ValueError(f"change path {pointer!r} is not a JSON Pointer (starts with '/')")
    head = pointer[1:].split("/", 1)[0]
    return head.replace("~1", "/").replace("~0", "~") if "~" in head else head


def _memo_digest(
    parent: Scenario, changes: list[Change], memo: dict[frozenset[str], str] | None
) -> str:
    keys = _digest_keys(changes)
    if memo is None:
        return _digest(parent, keys)
    if keys not in memo:
        memo[keys] = _digest(parent, keys)
    return memo[keys]


def _digest(parent: Scenario, keys: frozenset[str]) -> str:
    part = {key: parent.get(key) for key in sorted(keys)}
    text = json.dumps(part, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rebuild(parent: Scenario, reference: Scenario) -> Scenario:
    """Return the variant: ``parent`` with the reference's changes and its own keys.

    Keys come in the parent's order; ``id``, ``title`` and ``variant`` (without the
    storage keys) are the reference's. Parts no change touches are shared with
    ``parent``, which is never modified.

    Raises:
        ValueError: a change is malformed or does not fit the parent.
    """
    changes = reference["variant"].get("changes") or []
    body = patch({k: v for k, v in parent.items() if k not in _OWN_KEYS}, changes)
    out: Scenario = {}
    for key in ("schema_version", "id", "title"):
        if key in reference or key in body:
            out[key] = reference.get(key, body.get(key))
    for key, value in body.items():
        out.setdefault(key, value)
    out["variant"] = {k: v for k, v in reference["variant"].items() if k not in _STORAGE_KEYS}
    return out


def to_reference(
    parent: Scenario, variant: Scenario, digests: dict[frozenset[str], str] | None = None
) -> Scenario | None:
    """Return ``variant`` in reference form against ``parent``, or None if that cannot be.

    None when the variant does not name ``parent`` or the changes do not rebuild it
    exactly (the caller then keeps the full copy).

    Args:
        parent: The parent as stored in the library.
        variant: A variant of it (full form).
        digests: Optional memo of ``parent_sha256`` by key set, for many variants of
            one unchanged parent.
    """
    info = variant.get("variant")
    if not isinstance(info, dict) or info.get("parent") != parent.get("id"):
        return None
    changes = diff(parent, variant)
    own: Scenario = {k: variant[k] for k in ("schema_version", "id", "title") if k in variant}
    reference_info = {
        "parent": info["parent"],
        "parent_sha256": _memo_digest(parent, changes, digests),
        **{k: v for k, v in info.items() if k not in ("parent", *_STORAGE_KEYS)},
        "changes": changes,
    }
    reference = {**own, "variant": reference_info}
    try:
        rebuilt = rebuild(parent, reference)
    except ValueError:
        return None
    expected = {k: v for k, v in variant.items() if k != "variant"}
    expected["variant"] = {k: v for k, v in info.items() if k not in _STORAGE_KEYS}
    return reference if rebuilt == expected else None


def _parent(
    path: Path | str, load: Callable[[Path], Scenario], st: os.stat_result | None = None
) -> tuple[Scenario, dict[frozenset[str], str]]:
    """The parent file parsed once per process and modification (stat-keyed, small cache),
    with its memo of digests (``st``: the file's stat, when the caller has it)."""
    st = st or os.stat(path)
    key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    entry = _PARENTS.get(key)
    if entry is None:
        entry = (load(Path(path)), {})
        if len(_PARENTS) >= _MAX_PARENTS:
            del _PARENTS[next(iter(_PARENTS))]
        _PARENTS[key] = entry
    return entry


def _find_parent(variant_path: Path, parent_id: str) -> tuple[str, os.stat_result] | None:
    """Where the parent of a variant at ``variant_path`` lives (library root, else the same
    folder), as a string, with the file's stat (one ``stat`` per candidate)."""
    for prefix in _parent_dirs(os.path.dirname(os.fspath(variant_path))):
        for suffix in (".yaml", ".yml"):
            candidate = f"{prefix}{parent_id}{suffix}"
            try:
                st = os.stat(candidate)
            except (OSError, ValueError):
                continue
            if stat.S_ISREG(st.st_mode):
                return candidate, st
    return None


@functools.lru_cache(maxsize=256)
def _parent_dirs(folder: str) -> tuple[str, ...]:
    """Where the parents of the variants in ``folder`` are looked for (the library root,
    then ``folder`` itself), each spelt as pathlib joins a name to it."""
    path = Path(folder or ".")
    dirs = (path.parent, path) if path.name == "variants" else (path,)
    return tuple(os.fspath(d / "_")[:-1] for d in dirs)


@functools.lru_cache(maxsize=64)
def _check_with_trusted(trusted: frozenset[str]) -> Check | None:
    """The compiled ``scenario.v1`` check with the top-level properties ``trusted`` not
    looked into (``None``: the schema's top level is not property by property)."""
    schema = dict(load_schema("scenario.v1"))  # a copy: load_schema's dict is shared
    if not set(schema) <= _PER_PROPERTY:
        return None
    props = schema.get("properties") or {}
    schema["properties"] = {k: True if k in trusted else sub for k, sub in props.items()}
    try:
        return compile_checker(schema, schemas_by_id())
    except Unsupported:
        return None


def _certainly_valid(full: Scenario, parent: Scenario) -> bool:
    """True when the rebuilt variant ``full`` certainly passes ``scenario.v1``.

    ``parent`` passed it (its loader validates), and at the top level the schema judges
    each property by its own value: so a top-level value ``full`` shares with ``parent``
    (the same object: no change touched it, e.g. the recording) is valid, and only the
    rest is checked, with the top level's own rules (type, required, if/then/else).
    False means "not known": the caller checks the whole variant and reports.
    """
    trusted = frozenset(k for k, v in full.items() if k != "variant" and parent.get(k) is v)
    check = _check_with_trusted(trusted)
    return check is not None and check(full)


def materialise(
    reference: Scenario,
    path: str | Path,
    load: Callable[[Path], Scenario],
    *,
    validate: bool = True,
) -> Scenario:
    """Rebuild the variant stored at ``path`` from its parent's file and its changes.

    Args:
        reference: The variant file's document (reference form).
        path: The variant file (its parent is looked up next to the library root).
        load: Loads and validates the parent file (``load_scenario``): the check of
            the rebuilt variant trusts the parts it shares with the parent.
        validate: Check the rebuilt variant against ``scenario.v1``.

    Raises:
        InputError: the parent is missing, is itself stored by reference, has changed
            since the variant was generated, or a change does not apply.
        SchemaError: the rebuilt variant does not match ``scenario.v1``.
    """
    where = str(path)
    info = reference["variant"]
    parent_id = str(info.get("parent"))
    found = _find_parent(Path(path), parent_id) if "/" not in parent_id else None
    if found is None:
        raise InputError(
            f"variant of {parent_id!r}, which is not in the library",
            path=where,
            hint="restore the parent scenario, or delete the variant file",
        )
    parent, digests = _parent(found[0], load, found[1])
    if is_reference(parent) or (parent.get("variant") or {}).get("parent"):
        raise InputError(f"parent {parent_id!r} is itself a variant", path=where)
    changes = info.get("changes") or []
    regenerate = f"regenerate: incident_lab variants --scenario {parent_id} --force"
    try:
        if _memo_digest(parent, changes, digests) != info.get("parent_sha256"):
            raise InputError(
                f"parent {parent_id!r} changed since this variant was generated",
                path=where,
                hint=regenerate,
            )
        full = rebuild(parent, reference)
    except ValueError as exc:
        raise InputError(f"variant/changes: {exc}", path=where, hint=regenerate) from None
    if validate and not _certainly_valid(full, parent):
        problems = validation_errors(full, "scenario.v1")
        if problems:
            raise SchemaError(
                f"rebuilt from its parent: {problems[0]}", path=where, hint=regenerate
            )
    return full
