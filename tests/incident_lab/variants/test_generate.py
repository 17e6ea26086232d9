"""generate_variants: chains, ids, dedupe, sampling, and writing to the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.scenarios.io import load_scenario, write_scenario
from incident_lab.trajectory import validation_errors
from incident_lab.variants import apply_chain, generate_variants, get_converters, write_variants
from incident_lab.variants.generate import content_hash, resolve_converters, skip_reason

from .conftest import PAYLOAD, make_scenario

PREFIX = "Summarise the Q3 report for me. "


def test_variants_are_valid_scenarios_with_parent_chain_seed_and_own_ids() -> None:
    """Each variant validates, names its parent, chain and seed, and has <parent>--v-<hash8>."""
    parent = make_scenario()
    variants = generate_variants(parent, depth=2, n=200)
    assert len(variants) == 200
    ids = [v["id"] for v in variants]
    assert len(set(ids)) == len(ids)
    for v in variants:
        assert validation_errors(v, "scenario.v1") == []
        assert re.fullmatch(r"inc-demo--v-[0-9a-f]{8}", v["id"])
        assert v["variant"]["parent"] == "inc-demo"
        assert 1 <= len(v["variant"]["converters"]) <= 2
        assert isinstance(v["variant"]["seed"], int)
        assert v["status"] == "gated"
        assert v["recording"] == parent["recording"]
        assert v["variant"]["recording_from"] == "inc-demo"
        assert " > ".join(v["variant"]["converters"]) in v["title"]


def test_string_converters_rewrite_only_the_payload_span() -> None:
    """The rest of the turn and the fixtures are untouched; payload.text is the new span."""
    parent = make_scenario()
    for v in generate_variants(parent, ["base64", "homoglyph", "role_play", "html_comment"]):
        content = v["replay"]["turns"][0]["content"]
        assert content == PREFIX + v["payload"]["text"]
        assert v["payload"]["text"] != PAYLOAD
        assert v["replay"]["fixtures"] == parent["replay"]["fixtures"]
        assert v["expectations"] == parent["expectations"]


def test_shorter_chains_come_first_so_every_single_converter_is_measured() -> None:
    """With n >= the number of converters, every converter appears alone before pairs."""
    names = ["base64", "leetspeak", "role_play", "html_comment"]
    variants = generate_variants(make_scenario(), names, depth=2, n=6)
    chains = [v["variant"]["converters"] for v in variants]
    assert sorted(c[0] for c in chains[:4]) == sorted(names)
    assert all(len(c) == 2 for c in chains[4:])


def test_same_seed_same_variants_other_seed_other_sample() -> None:
    """Generation is a pure function of (scenario, converters, depth, n, seed)."""
    a = generate_variants(make_scenario(), depth=2, n=60, seed=3)
    b = generate_variants(make_scenario(), depth=2, n=60, seed=3)
    c = generate_variants(make_scenario(), depth=2, n=60, seed=4)
    assert a == b
    assert [v["id"] for v in a] != [v["id"] for v in c]


def test_a_variant_is_reproduced_from_its_recorded_chain_and_seed() -> None:
    """apply_chain(parent, variant.converters, variant.seed) gives the same content."""
    parent = make_scenario()
    registry = get_converters()
    for v in generate_variants(parent, depth=2, n=80, seed=11):
        chain = [registry[name] for name in v["variant"]["converters"]]
        again = apply_chain(parent, chain, v["variant"]["seed"])
        assert content_hash(again) == content_hash(v)


def test_duplicates_and_no_op_variants_are_dropped() -> None:
    """A variant equal to the parent (nothing to convert) or to another variant is not kept."""
    parent = make_scenario()
    parent["payload"]["text"] = "1234"
    parent["replay"]["turns"][0]["content"] = "PIN 1234"
    variants = generate_variants(parent, ["leetspeak", "random_capitalization", "base64"], depth=2)
    chains = [v["variant"]["converters"] for v in variants]
    assert ["leetspeak"] not in chains and ["random_capitalization"] not in chains
    assert ["base64"] in chains
    hashes = [content_hash(v) for v in variants]
    assert len(set(hashes)) == len(hashes)


def test_nonsensical_chains_are_skipped() -> None:
    """Repeats, move-and-undo, and lossy character rewrites of an encoding are never chained."""
    r = get_converters()
    assert skip_reason([r["base64"], r["base64"]]) is not None
    assert skip_reason([r["direct_to_indirect"], r["indirect_to_direct"]]) is not None
    assert skip_reason([r["base64"], r["leetspeak"]]) is not None
    assert skip_reason([r["leetspeak"], r["base64"]]) is None
    assert skip_reason([r["base64"], r["zero_width"]]) is None
    chains = {
        tuple(v["variant"]["converters"])
        for v in generate_variants(make_scenario(), depth=2, n=2000)
    }
    assert ("base64", "homoglyph") not in chains and ("homoglyph", "base64") in chains


def test_unknown_converter_is_a_usage_error_listing_valid_ones() -> None:
    """The message names the unknown converter and the hint lists the valid names."""
    with pytest.raises(UsageError) as info:
        resolve_converters(["base64", "base65"])
    assert "'base65'" in info.value.message
    assert "base64" in (info.value.hint or "") and "homoglyph" in (info.value.hint or "")


def test_a_scenario_without_payload_is_a_clear_error() -> None:
    """No payload: the error says variants need one and how to set it."""
    parent = make_scenario()
    parent["payload"] = None
    with pytest.raises(UsageError, match="has no payload") as info:
        generate_variants(parent)
    assert "payload.location" in (info.value.hint or "")


def test_a_payload_that_is_not_where_it_says_is_an_input_error() -> None:
    """payload.text must be copied from its turn/fixture; a mismatch is reported, not ignored."""
    parent = make_scenario()
    parent["payload"]["text"] = "not in the turn"
    with pytest.raises(InputError, match="is not in turn 0"):
        generate_variants(parent)
    parent = make_scenario()
    parent["payload"]["location"]["index"] = 3
    with pytest.raises(InputError, match="turn 3 does not exist"):
        generate_variants(parent)


def test_variants_of_a_variant_are_refused() -> None:
    """Chains are built from the original scenario (use --depth), not stacked on variants."""
    variant = generate_variants(make_scenario(), ["base64"])[0]
    with pytest.raises(UsageError, match="is itself a variant"):
        generate_variants(variant)


@pytest.mark.parametrize(("depth", "n"), [(0, 5), (4, 5), (1, 0)])
def test_bad_depth_or_n_is_a_usage_error(depth: int, n: int) -> None:
    """depth is 1..3 and n at least 1."""
    with pytest.raises(UsageError):
        generate_variants(make_scenario(), depth=depth, n=n)


def test_a_long_parent_id_still_gives_a_valid_variant_id() -> None:
    """Ids stay within the 128-character id pattern."""
    parent = make_scenario(scenario_id="a" * 128)
    v = generate_variants(parent, ["base64"])[0]
    assert len(v["id"]) == 128 and validation_errors(v, "scenario.v1") == []


def test_write_variants_creates_then_reports_unchanged_and_keeps_foreign_files(
    tmp_path: Path,
) -> None:
    """Files land in variants/; rewriting is 'unchanged'; another seed's same-content file is kept."""
    parent = make_scenario()
    write_scenario(tmp_path, parent)
    variants = generate_variants(parent, ["base64", "leetspeak"])
    first = write_variants(tmp_path, variants)
    assert [status for _, status in first] == ["created", "created"]
    assert all(p.parent == (tmp_path / "variants").resolve() for p, _ in first)
    assert load_scenario(first[0][0]) == variants[0]
    assert [s for _, s in write_variants(tmp_path, variants)] == ["unchanged", "unchanged"]
    # leetspeak is unseeded: another seed gives the same content, so the same id.
    other = generate_variants(parent, ["leetspeak"], seed=99)
    assert other[0]["id"] == variants[1]["id"]
    assert [s for _, s in write_variants(tmp_path, other)] == ["kept"]
    assert [s for _, s in write_variants(tmp_path, other, force=True)] == ["overwritten"]


def test_safeguard_expectations_give_way_to_the_forbidden_call() -> None:
    """With a no_tool_call present, safeguard_decision is dropped (a rewrite nobody acts on
    needs no block); alone, it is kept."""
    guard = {"kind": "safeguard_decision", "stage": "pre_action", "decision": ["block"]}
    v = generate_variants(make_scenario(extra_expectations=[guard]), ["base64"])[0]
    assert [e["kind"] for e in v["expectations"]] == ["no_tool_call", "refusal", "max_steps"]
    assert any("safeguard_decision expectation dropped" in a for a in v["variant"]["adjustments"])
    parent = make_scenario()
    parent["expectations"] = [guard]
    v = generate_variants(parent, ["base64"])[0]
    assert v["expectations"] == [guard]


def test_a_recorded_span_offset_picks_the_right_occurrence_and_is_updated() -> None:
    """payload.span {start, end} (as 'incident_lab add' writes it) locates the payload even
    when the same text appears earlier; the variant records the new offsets."""
    parent = make_scenario()
    turn = f"Quote: {PAYLOAD} Real: {PAYLOAD}"
    parent["replay"]["turns"][0]["content"] = turn
    start = turn.rindex(PAYLOAD)
    parent["payload"]["span"] = {"start": start, "end": start + len(PAYLOAD)}
    v = generate_variants(parent, ["base64"])[0]
    content = v["replay"]["turns"][0]["content"]
    assert content.startswith(f"Quote: {PAYLOAD} Real: Decode this base64")
    span = v["payload"]["span"]
    assert content[span["start"] : span["end"]] == v["payload"]["text"]
