"""load_plain gives yaml.load's result, or its error, for the library's safe loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_lab.errors import InputError
from incident_lab.scenarios.fastyaml import load_plain
from incident_lab.scenarios.io import _SafeLoader, load_yaml

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Lines that exercise YAML 1.1 resolution, tags, merge keys, anchors and errors.
SNIPPETS = [
    "a: 1", "b: 0x1F", "c: 1_000", "d: 0o17", "e: 017", "f: 1:30", "g: .inf", "h: -.Inf",
    "i: .nan", "j: ~", "k: null", "l: yes", "m: No", "n: on", "o: 'yes'", "p: 1.5e3",
    "q: 2024-01-01", "r: 2024-01-01T10:00:00Z", "s: !!binary aGVsbG8=", "t: !!str 12",
    "u: !!int '7'", "v: !!float '1'", "w: &anchor {x: 1}", "x: [1, two, 3.0, null, true]",
    "y: {nested: {deep: [a, {b: c}]}}", "z: !!set {a, b}", "a: duplicate", "1: int key",
    "true: bool key", "~: null key", "1.0: float key", "<<: {m1: 1}", "? [complex]\n: key",
    "list:\n  - one\n  - two: 2\n    three: 3", "text: |\n  block\n  text", "folded: >\n  a\n  b",
    "bad: [unclosed", "tab:\t1", "u1: \"\\u00e9\\x41\"", "!!python/object:os.system {}",
    "obj: !!python/name:os.system", "custom: !mytag 1", "---", "...", "- seq at root",
    "dup: {k: 1, k: 2}", "omap: !!omap [a: 1, b: 2]", "empty:", "e2: ''", "colon: a: b",
]  # fmt: skip

_keys = st.one_of(st.text(max_size=6), st.integers(-3, 3), st.booleans(), st.none())
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12)
)
DATA = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=15,
)


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        return ("ok", repr(fn()))  # repr: 1, 1.0 and True differ; nan equals nan
    except yaml.YAMLError as exc:
        return (type(exc).__name__, str(exc))


def _same(text: str) -> None:
    assert _outcome(lambda: load_plain(text, _SafeLoader)) == _outcome(
        lambda: yaml.load(text, Loader=_SafeLoader)
    )


@SETTINGS
@given(data=DATA, flow=st.sampled_from([None, True, False]))
def test_dumped_documents_load_the_same(data: Any, flow: bool | None) -> None:
    """Anything safe_dump writes (every scalar type, nesting, odd keys) loads the same."""
    _same(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True))


@SETTINGS
@given(lines=st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=8), indent=st.booleans())
def test_hand_written_constructs_load_or_fail_the_same(lines: list[str], indent: bool) -> None:
    """Tags, merge keys, timestamps, YAML 1.1 booleans, duplicate keys, syntax errors
    and unsafe tags: same value or same error (message and position) as yaml.load."""
    body = "\n".join(lines)
    if indent:
        body = "root:\n" + "\n".join("  " + line for line in body.splitlines())
    _same(body)


def test_duplicate_key_reported_at_its_line(tmp_path: Path) -> None:
    """A duplicate key is refused with the file and the line of the second key."""
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\nb:\n  c: 1\n  c: 2\n", "utf-8")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    assert info.value.line == 4 and "duplicate key 'c'" in info.value.render()


def test_root_duplicate_reported_before_nested_one() -> None:
    """Keys of a mapping are checked before its values, as the library's loader does."""
    text = "a:\n  x: 1\n  x: 2\na: 3\n"
    _same(text)
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'a'"):
        load_plain(text, _SafeLoader)


def test_deep_nesting_is_a_one_line_error(tmp_path: Path) -> None:
    """A document nested beyond Python's recursion limit is an InputError, not a crash."""
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 5000 + "]" * 5000, "utf-8")
    with pytest.raises(InputError, match=r"nested too deeply|YAML"):
        load_yaml(path)


def test_unhashable_key_is_a_one_line_error(tmp_path: Path) -> None:
    """``? [a, b]`` (a list as a mapping key) is an InputError naming the line."""
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\n? [x, y]\n: v\n", "utf-8")
    with pytest.raises(InputError, match="unhashable key") as info:
        load_yaml(path)
    assert info.value.line == 2


def test_aliases_still_refused_in_scenario_files(tmp_path: Path) -> None:
    """With allow_aliases=False an alias is refused; a '*' inside a string is not one."""
    path = tmp_path / "s.yaml"
    path.write_text("a: &x [1]\nb: *x\n", "utf-8")
    with pytest.raises(InputError, match="aliases"):
        load_yaml(path, allow_aliases=False)
    assert load_yaml(path) == {"a": [1], "b": [1]}
    path.write_text("a: '2 * 3'\nb: \"*\"\n", "utf-8")
    assert load_yaml(path, allow_aliases=False) == {"a": "2 * 3", "b": "*"}
