"""Suites: loading, validation, deterministic resolution, add and remove."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.errors import ConfigError, SchemaError, UsageError
from incident_lab.scenarios.suitefile import add_to_suite
from regression_suite.suites import (
    list_suites,
    load_suite,
    remove_from_suite,
    resolve,
    resolve_detailed,
)
from tests.regression_suite._library import scenario, variant, write, write_suite


def ids(scenarios: list[dict]) -> list[str]:
    return [s["id"] for s in scenarios]


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """Four base scenarios of mixed severity/status/tags and three variants of inc-a."""
    return write(
        tmp_path,
        scenario("inc-b", severity="SEV-1", tags=["email", "exfil"]),
        scenario("inc-a", severity="SEV-2"),
        scenario("inc-c", severity="SEV-4", failure_mode="tool_hallucination", tags=["tools"]),
        scenario("inc-d", status="draft"),
        variant("inc-a.v2", "inc-a", ["rot13"]),
        variant("inc-a.v1", "inc-a", ["base64", "rot13"]),
        variant("inc-a.v3", "inc-a", ["leetspeak"], status="retired"),
    )


def test_explicit_ids_and_selectors_resolve_sorted_with_variants_after_their_parent(
    lib: Path,
) -> None:
    """Bases are sorted by id whatever the listing order; each is followed by its variants."""
    write_suite(
        lib,
        "s",
        "name: s\nscenarios: [inc-d, inc-b]\nselect: {severities: [SEV-2]}\nvariants: all\n",
    )
    assert ids(resolve(load_suite("s", lib), lib)) == [
        "inc-a",
        "inc-a.v1",
        "inc-a.v2",
        "inc-b",
        "inc-d",
    ]


def test_selector_fields_all_match_and_a_selector_list_is_ored(lib: Path) -> None:
    """Within a selector every field must match; status defaults to gated (drafts stay out)."""
    write_suite(
        lib,
        "s",
        "name: s\nselect:\n  - {tags: [exfil], severities: [SEV-1, SEV-2]}\n  - {failure_modes: [tool_hallucination]}\n",
    )
    assert ids(resolve(load_suite("s", lib), lib)) == ["inc-b", "inc-c"]
    write_suite(lib, "t", "name: t\nselect: {tags: [email], status: [draft, gated]}\n")
    assert ids(resolve(load_suite("t", lib), lib)) == ["inc-a", "inc-b", "inc-d"]


def test_exclude_beats_ids_and_selectors(lib: Path) -> None:
    write_suite(
        lib,
        "s",
        "name: s\nscenarios: [inc-a]\nexclude: [inc-a, inc-b]\nselect: {status: [gated]}\n",
    )
    assert ids(resolve(load_suite("s", lib), lib)) == ["inc-c"]


def test_variant_sample_is_per_parent_deterministic_and_never_retired(lib: Path) -> None:
    """{sample: 1} keeps one live variant of inc-a, the same one on every resolution."""
    write_suite(lib, "s", "name: s\nscenarios: [inc-a]\nvariants: {sample: 1}\n")
    first = ids(resolve(load_suite("s", lib), lib))
    assert len(first) == 2 and first[1] in ("inc-a.v1", "inc-a.v2")
    assert all(ids(resolve(load_suite("s", lib), lib)) == first for _ in range(3))
    write_suite(lib, "s", "name: s\nscenarios: [inc-a]\nvariants: {sample: 5}\n")
    assert ids(resolve(load_suite("s", lib), lib)) == ["inc-a", "inc-a.v1", "inc-a.v2"]


def test_retired_explicit_ids_are_skipped_and_reported(lib: Path) -> None:
    write_suite(lib, "s", "name: s\nscenarios: [inc-a.v3, inc-c]\n")
    result = resolve_detailed(load_suite("s", lib), lib)
    assert ids(result.scenarios) == ["inc-c"]
    assert result.skipped == [("inc-a.v3", "retired")]


def test_an_explicit_variant_follows_its_parent_even_with_variants_none(lib: Path) -> None:
    write_suite(lib, "s", "name: s\nscenarios: [inc-a.v2, inc-a, inc-c]\n")
    assert ids(resolve(load_suite("s", lib), lib)) == ["inc-a", "inc-a.v2", "inc-c"]


def test_unknown_scenario_in_a_suite_is_a_config_error_naming_the_suite_file(lib: Path) -> None:
    path = write_suite(lib, "s", "name: s\nscenarios: [inc-zz]\n")
    with pytest.raises(ConfigError) as err:
        resolve(load_suite("s", lib), lib)
    assert err.value.exit_code == 3
    assert err.value.path == str(path) and "inc-zz" in err.value.message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: s\nrepeat: 3\n", "Additional properties"),
        ("name: s\nrepeats: 0\n", "repeats"),
        ("name: s\nvariants: some\n", "variants"),
        ("name: s\nselect: {severity: [SEV-1]}\n", "select"),
        ("name: s\nscenarios: [../etc]\n", "scenarios/0"),
        ("name: other\n", "expected 's'"),
        ("name: s\nthresholds: {severities: {SEV-1: 0.9}}\n", "ambiguous"),
        ("name: s\nscenarios: [a\n", "YAML"),
    ],
)
def test_invalid_suites_are_config_errors_with_the_file(lib: Path, text: str, problem: str) -> None:
    """Typos, bad values, ambiguous thresholds and YAML errors exit 3 naming the file."""
    path = write_suite(lib, "s", text)
    with pytest.raises(ConfigError) as err:
        load_suite("s", lib)
    assert err.value.path == str(path)
    assert problem in err.value.message


def test_missing_suite_lists_the_suites_there_are(lib: Path) -> None:
    write_suite(lib, "nightly", "name: nightly\n")
    with pytest.raises(UsageError) as err:
        load_suite("release_gate", lib)
    assert "nightly" in (err.value.hint or "")
    with pytest.raises(UsageError):
        load_suite("../x", lib)


def test_invalid_scenario_file_needed_by_a_selector_is_reported_not_skipped(lib: Path) -> None:
    (lib / "broken.yaml").write_text("schema_version: scenario/v1\nid: broken\n", "utf-8")
    write_suite(lib, "s", "name: s\nselect: {status: [gated]}\n")
    with pytest.raises(SchemaError) as err:
        resolve(load_suite("s", lib), lib)
    assert err.value.path and err.value.path.endswith("broken.yaml")


def test_add_creates_the_suite_then_adds_then_is_idempotent(lib: Path) -> None:
    assert add_to_suite("inc-a", "gate", lib) == "created"
    assert add_to_suite("inc-b", "gate", lib) == "added"
    assert add_to_suite("inc-b", "gate", lib) == "unchanged"
    assert load_suite("gate", lib)["scenarios"] == ["inc-a", "inc-b"]
    assert list_suites(lib) == ["gate"]


def test_add_keeps_the_header_comment_and_lifts_an_exclusion(lib: Path) -> None:
    path = write_suite(lib, "s", "# keep me\n# and me\nname: s\nexclude: [inc-a]\n")
    assert add_to_suite("inc-a", "s", lib) == "added"
    text = path.read_text("utf-8")
    assert text.startswith("# keep me\n# and me\n")
    assert "exclude" not in text


def test_remove_drops_the_id_or_excludes_a_selected_scenario(lib: Path) -> None:
    write_suite(lib, "s", "name: s\nscenarios: [inc-d]\nselect: {severities: [SEV-1]}\n")
    assert remove_from_suite("inc-d", "s", lib) == "removed"
    assert remove_from_suite("inc-b", "s", lib) == "excluded"
    assert remove_from_suite("inc-b", "s", lib) == "unchanged"
    assert resolve(load_suite("s", lib), lib) == []
    with pytest.raises(UsageError):
        remove_from_suite("inc-a", "nope", lib)


def test_slim_resolution_keeps_stubs_that_load_back_the_whole_scenario(lib: Path) -> None:
    """``slim=True`` (regression_suite run): same scenarios, same order, each a stub with
    only id/status/taxonomy/variant; materialize gives back exactly the resolved scenario."""
    from regression_suite.runner import build_cases, materialize
    from regression_suite.suites import STUB_PATH

    write_suite(
        lib,
        "s",
        "name: s\nscenarios: [inc-d, inc-b]\nselect: {severities: [SEV-2]}\nvariants: all\n",
    )
    full = resolve(load_suite("s", lib), lib)
    slim = resolve(load_suite("s", lib), lib, slim=True)
    assert ids(slim) == ids(full)
    for stub, whole in zip(slim, full, strict=True):
        assert set(stub) <= {"id", "status", "taxonomy", "variant", STUB_PATH}
        assert "recording" in whole and "recording" not in stub
        assert stub["taxonomy"] == whole["taxonomy"]
    slim_cases, full_cases = build_cases(slim, 2), build_cases(full, 2)
    assert [c.id for c in slim_cases] == [c.id for c in full_cases]  # variant labels too
    assert [materialize(c).scenario for c in slim_cases] == [c.scenario for c in full_cases]
    assert materialize(full_cases[0]) is full_cases[0]  # a whole scenario is left alone


def test_slim_stubs_never_share_unequal_values(tmp_path: Path) -> None:
    """Equal taxonomy dicts are shared between stubs, but a NaN is not a null (orjson
    writes both as null) and an integer beyond 64 bits (which orjson refuses) neither
    crashes nor is rounded."""
    big = 2**70
    base = write(
        tmp_path,
        scenario("inc-a"),
        scenario("inc-b"),
        variant("inc-a.v1", "inc-a", ["rot13"], seed=big),
    )
    for sid, conf in (("inc-a", float("nan")), ("inc-b", None)):
        path = base / f"{sid}.yaml"
        text = path.read_text("utf-8").replace(
            "taxonomy:\n",
            "taxonomy:\n  confidence: " + (".nan" if conf != conf else "null") + "\n",
            1,
        )
        path.write_text(text, "utf-8")
    write_suite(base, "s", "name: s\nscenarios: [inc-a, inc-b]\nvariants: all\n")
    stubs = {s["id"]: s for s in resolve(load_suite("s", base), base, slim=True)}
    a, b = stubs["inc-a"]["taxonomy"]["confidence"], stubs["inc-b"]["taxonomy"]["confidence"]
    assert a != a and b is None  # NaN stays NaN, null stays None
    assert stubs["inc-a.v1"]["variant"]["seed"] == big


def test_slim_stubs_of_many_variants_stay_small() -> None:
    """Stubs of 2,000 variants (each ``variant`` unique: its own seed) and 2,000 scenarios
    of 20 taxonomies cost a few hundred bytes each: no shared-value table grows with the
    variants (it held a 4 KB key per variant: 40 MB at 10,000), and equal taxonomies are
    one object."""
    import tracemalloc

    from regression_suite import suites

    class _NoStore:
        def put(self, scenario: dict) -> int:
            return 0

    def doc(i: int) -> dict:
        return {
            "id": f"inc-x--v-{i:08x}",
            "status": "gated",
            "taxonomy": {"failure_mode": "prompt_injection", "severity": f"SEV-{i % 20}"},
            "variant": {"parent": "inc-x", "converters": ["base64", "rot13"], "seed": i},
        }

    docs = [doc(i) for i in range(2000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        stubs = [suites.stub(d, _NoStore()) for d in docs]  # type: ignore[arg-type]
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2000 * 600, f"{grown / 2000:.0f} bytes per stub"
    assert stubs[5]["taxonomy"] is stubs[25]["taxonomy"]  # equal taxonomies: one object
    assert stubs[7]["variant"] == docs[7]["variant"]


def test_spooled_lines_keep_integers_beyond_64_bits() -> None:
    """A record with a 70-bit integer is written (orjson refuses it) and read back exact."""
    from regression_suite.spool import dump_line, load_line

    record = {"seed": 2**70, "ok": 1, "s": "é"}
    assert load_line(dump_line(record)) == record
    assert load_line(dump_line({"id": "12345678901234567890abc"})) == {
        "id": "12345678901234567890abc"
    }


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from([0, 10, 500, 70_000, 200_000]), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_store_gives_back_each_scenario_in_any_order(sizes: list[int], rnd: Any) -> None:
    """The stubs' store reads a block at a time: every scenario comes back whole, read
    in storing order, in any order, larger than a block, or stored after a read."""
    from regression_suite.suites import _Store

    store = _Store()
    docs = [{"id": f"inc-{n}", "text": "x" * size} for n, size in enumerate(sizes)]
    half = len(docs) // 2
    stored = [store.put(doc) for doc in docs[:half]]
    assert [s.load() for s in stored] == docs[:half]
    stored += [store.put(doc) for doc in docs[half:]]  # appended after a read
    assert [s.load() for s in stored] == docs
    order = list(range(len(docs)))
    rnd.shuffle(order)
    assert [stored[i].load() for i in order] == [docs[i] for i in order]
