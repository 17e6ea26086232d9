"""Variants stored by reference: parent id + changes, rebuilt exactly when loaded."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from incident_lab.errors import InputError, SchemaError
from incident_lab.scenarios import reference
from incident_lab.scenarios.io import dump_scenario, load_scenario, scenario_path, write_scenario
from incident_lab.scenarios.lint import lint_library
from incident_lab.variants import generate_variants, get_converters, write_variants

from .conftest import make_scenario


def _with_recording(scenario: dict[str, Any], steps: int = 60) -> dict[str, Any]:
    """The parent with a realistic recording (the part full copies repeated per variant)."""
    scenario["recording"] = {
        "schema_version": "trajectory/v1",
        "session_id": "s1",
        "steps": [
            {"type": "message", "role": "assistant", "content": f"step {i}: " + "x" * 200}
            for i in range(steps)
        ],
    }
    return scenario


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    parent = _with_recording(make_scenario(where="fixture"))
    write_scenario(tmp_path, parent)
    return tmp_path, load_scenario(scenario_path(tmp_path, parent["id"]))


@pytest.mark.parametrize("name", sorted(get_converters()))
def test_every_converter_round_trips_by_reference(
    name: str, library: tuple[Path, dict[str, Any]]
) -> None:
    """Each built-in converter's variant is stored as changes and rebuilt equal to itself."""
    _, parent = library
    for v in generate_variants(parent, [name], n=3) + generate_variants(
        parent, [name, "base64"], depth=2, n=3
    ):
        ref = reference.to_reference(parent, v)
        assert ref is not None, v["variant"]["converters"]
        assert "recording" not in ref and "replay" not in ref
        rebuilt = reference.rebuild(parent, ref)
        assert rebuilt == v


def test_write_stores_changes_and_load_rebuilds(library: tuple[Path, dict[str, Any]]) -> None:
    """The file holds the parent id and changes, a fraction of a full copy; loading gives the
    variant exactly as generated."""
    base, parent = library
    variants = generate_variants(parent, depth=2, n=40, seed=5)
    results = write_variants(base, variants)
    assert {s for _, s in results} == {"created"}
    for (path, _), v in zip(results, variants, strict=True):
        text = path.read_text("utf-8")
        assert "changes:" in text and "recording:" not in text and "steps:" not in text
        assert len(text) * 3 < len(dump_scenario(v))
        assert load_scenario(path) == v
    # writing again changes nothing
    assert {s for _, s in write_variants(base, variants)} == {"unchanged"}


def test_old_full_copy_variants_still_load_and_are_kept(
    library: tuple[Path, dict[str, Any]],
) -> None:
    """A full-copy variant (the old format) loads as before; write keeps it unless --force."""
    base, parent = library
    v = generate_variants(parent, ["base64"])[0]
    path = scenario_path(base, v["id"], variant=True)
    path.parent.mkdir()
    path.write_text(dump_scenario(v), "utf-8")
    assert load_scenario(path) == v
    assert write_variants(base, [v]) == [(path, "kept")]
    assert "recording:" in path.read_text("utf-8")
    assert write_variants(base, [v], force=True) == [(path, "overwritten")]
    assert "changes:" in path.read_text("utf-8")
    assert load_scenario(path) == v


def test_without_the_parent_in_the_library_the_full_variant_is_written(tmp_path: Path) -> None:
    parent = make_scenario()
    v = generate_variants(parent, ["base64"])[0]
    [(path, status)] = write_variants(tmp_path, [v])
    assert status == "created" and "changes:" not in path.read_text("utf-8")
    assert load_scenario(path) == v


def test_an_edited_parent_is_refused_not_patched(library: tuple[Path, dict[str, Any]]) -> None:
    """Changing the parent's content after generation makes its variants fail to load,
    with the variant's file and a regenerate hint; metadata edits (status) flow through."""
    base, parent = library
    [(path, _)] = write_variants(base, generate_variants(parent, ["base64"]))
    edited = copy.deepcopy(parent)
    edited["status"] = "draft"
    write_scenario(base, edited, force=True)
    assert load_scenario(path)["status"] == "draft"
    edited["replay"]["fixtures"][0]["output"] += " (edited)"
    write_scenario(base, edited, force=True)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert err.value.path == str(path)
    assert "changed since this variant was generated" in err.value.message
    assert "incident_lab variants --scenario inc-demo --force" in (err.value.hint or "")
    problems = lint_library(base).problems
    assert [(p.path, p.field) for p in problems if p.path == str(path)] == [(str(path), "variant")]


def test_a_missing_parent_is_an_input_error(library: tuple[Path, dict[str, Any]]) -> None:
    base, parent = library
    [(path, _)] = write_variants(base, generate_variants(parent, ["base64"]))
    scenario_path(base, parent["id"]).unlink()
    with pytest.raises(InputError, match="not in the library"):
        load_scenario(path)


def test_show_renders_a_broken_reference_as_one_line(il, library) -> None:
    """The CLI reports a bad change as a one-line error with exit code 3, no traceback."""
    base, parent = library
    [(path, _)] = write_variants(base, generate_variants(parent, ["base64"]))
    text = path.read_text("utf-8").replace("/replay/fixtures/0/", "/replay/fixtures/7/", 1)
    path.write_text(text, "utf-8")
    r = il("show", path.stem, "--scenarios-dir", str(base))
    assert r.exit_code == 3
    assert "'7' does not exist" in r.stderr and str(path) in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_schema_refuses_unknown_change_operations(library) -> None:
    base, parent = library
    [(path, _)] = write_variants(base, generate_variants(parent, ["base64"]))
    path.write_text(path.read_text("utf-8").replace("value:", "valeu:", 1), "utf-8")
    with pytest.raises(SchemaError, match="changes"):
        load_scenario(path)


def test_materialising_never_modifies_the_parent(library: tuple[Path, dict[str, Any]]) -> None:
    _, parent = library
    before = copy.deepcopy(parent)
    for v in generate_variants(parent, depth=2, n=30):
        ref = reference.to_reference(parent, v)
        assert ref is not None
        reference.rebuild(parent, ref)
    assert parent == before


def test_diff_operations() -> None:
    """Long strings become splices, lists get splices, keys are escaped per RFC 6901."""
    text = "a" * 100 + "PAYLOAD" + "b" * 100
    old = {"s": text, "l": [1, 2, 3], "d": {"a/b": 1, "t~": 2, "gone": 3}}
    new = {"s": text.replace("PAYLOAD", "Q"), "l": [1, 9, 9, 9, 3], "d": {"a/b": 5, "t~": 2}}
    changes = reference.diff(old, new)
    assert {"path": "/s", "splice": {"start": 100, "end": 107, "value": "Q"}} in changes
    assert {"path": "/d/a~1b", "value": 5} in changes
    assert {"path": "/d/gone", "remove": True} in changes
    assert {"path": "/l", "splice": {"start": 2, "end": 2, "value": [9, 9]}} in changes
    assert reference.patch(old, changes) == new


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=100, deadline=None)
@given(
    old=st.dictionaries(st.text(max_size=5), _json, max_size=6),
    new=st.dictionaries(st.text(max_size=5), _json, max_size=6),
)
def test_patch_of_diff_rebuilds_any_document(old: dict[str, Any], new: dict[str, Any]) -> None:
    for own in ("id", "title", "variant"):
        old.pop(own, None)
        new.pop(own, None)
    frozen = copy.deepcopy(old)
    assert reference.patch(old, reference.diff(old, new)) == new
    assert old == frozen


_piece = st.text(alphabet="ab\u00e9\U0001f600\n", max_size=90)


@settings(max_examples=150, deadline=None)
@given(prefix=_piece, old_mid=_piece, new_mid=_piece, suffix=_piece)
@example(prefix="a" * 70, old_mid="", new_mid="a", suffix="")  # prefix and suffix overlap
@example(prefix="ab" * 40, old_mid="ab", new_mid="", suffix="ab" * 3)
@example(prefix="", old_mid="", new_mid="b" * 5, suffix="b" * 80)
def test_string_and_list_splices_rebuild_exactly(
    prefix: str, old_mid: str, new_mid: str, suffix: str
) -> None:
    """Shared prefixes/suffixes long enough for a splice (including overlapping repeats)."""
    old = {"s": prefix + old_mid + suffix, "l": list(prefix + old_mid + suffix)}
    new = {"s": prefix + new_mid + suffix, "l": list(prefix + new_mid + suffix)}
    changes = reference.diff(old, new)
    assert reference.patch(old, changes) == new
    for change in changes:
        if "splice" in change and change["path"] == "/s":
            assert len(change["splice"]["value"]) <= len(new["s"]) - 64


def _reference_file(base: Path, parent: dict[str, Any], changes: list[dict[str, Any]]) -> Path:
    """A variant file by reference with hand-written ``changes`` (a valid digest)."""
    ref = {
        "schema_version": "scenario/v1",
        "id": f"{parent['id']}--v-hand",
        "title": "hand-written variant",
        "variant": {
            "parent": parent["id"],
            "parent_sha256": reference._memo_digest(parent, changes, None),
            "converters": ["base64"],
            "changes": changes,
        },
    }
    path = scenario_path(base, ref["id"], variant=True)
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump_scenario(ref), "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"path": "/payload/location/index", "value": "x"}, "payload/location/index"),
        ({"path": "/expectations/0", "value": {}}, "expectations/0"),
        ({"path": "/status", "value": "on-fire"}, "status"),  # a key untouched by converters
        ({"path": "/taxonomy", "remove": True}, "taxonomy"),  # required at the top level
        ({"path": "/replay/turns/0/role", "value": 7}, "replay/turns/0/role"),
    ],
)
def test_a_change_that_breaks_the_schema_is_reported_whatever_it_touches(
    library: tuple[Path, dict[str, Any]], change: dict[str, Any], field: str
) -> None:
    """The rebuilt variant is checked where it differs from its (valid) parent, and its
    top-level rules whole: an invalid value a change brings is a SchemaError naming the
    field, never served because the rest is shared with the parent."""
    base, parent = library
    path = _reference_file(base, parent, [change])
    with pytest.raises(SchemaError, match="rebuilt from its parent") as err:
        load_scenario(path)
    assert field in err.value.message or field.split("/")[0] in err.value.message
    assert load_scenario(path, validate=False)["id"].endswith("--v-hand")


_values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4),
    st.lists(st.integers(0, 2), max_size=2), st.dictionaries(st.sampled_from("ab"), st.none()),
)  # fmt: skip
_paths = st.sampled_from(
    ["/status", "/title", "/payload/text", "/payload/location", "/payload/span/end",
     "/replay/turns/0/content", "/replay/turns/0", "/replay/fixtures/0/output",
     "/replay/max_steps", "/expectations/0", "/expectations/0/kind", "/taxonomy/severity",
     "/context/tools", "/recording/steps/0/role", "/owner", "/schema_version"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(changes=st.lists(st.fixed_dictionaries({"path": _paths, "value": _values}), max_size=3))
def test_the_shared_parts_shortcut_gives_the_schemas_verdict(changes: list[dict[str, Any]]) -> None:
    """``_certainly_valid`` (only the parts not shared with the parent checked) says
    "valid" exactly when the whole variant passes ``scenario.v1``."""
    from incident_lab.trajectory import validation_errors

    parent = _with_recording(make_scenario(where="fixture"), steps=3)
    assert validation_errors(parent, "scenario.v1") == []
    info = {"parent": parent["id"], "converters": ["base64"], "changes": changes}
    try:
        full = reference.rebuild(parent, {"id": "v", "title": "t", "variant": info})
    except ValueError:
        return  # a change that does not apply: reported before any schema check
    assert reference._certainly_valid(full, parent) is (
        validation_errors(full, "scenario.v1") == []
    )
