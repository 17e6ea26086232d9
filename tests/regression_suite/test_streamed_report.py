"""The streamed gate report: spools on disk, counters in memory, same verdict as in memory."""

from __future__ import annotations

import json
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.errors import SchemaError
from incident_lab.gate_report import load_report
from regression_suite.gate import finalize, finalize_stream
from regression_suite.gate.cases import build_cases, item_order, stream_cases
from regression_suite.junit import render_junit
from regression_suite.reports.html_report import MAX_FAILURES, render_html
from regression_suite.reports.json_report import FILENAME, _entries, write_json
from regression_suite.spool import SortedSpool, Spool

SUITE: dict[str, Any] = {"name": "stream"}
TARGET: dict[str, Any] = {"spec": "example:patched"}


def _item(sid: str, outcome: str, repeat: int, **kw: Any) -> dict[str, Any]:
    chain = kw.pop("chain", None)
    return {
        "id": f"{sid}#{repeat}",
        "scenario_id": sid,
        "parent_id": kw.pop("parent", None),
        "variant": {"converters": chain, "seed": 0} if chain else None,
        "repeat": repeat,
        "failure_mode": kw.pop("mode", "prompt_injection"),
        "severity": kw.pop("severity", "SEV-3"),
        "tags": [],
        "outcome": outcome,
        "results": [],
        "message": None if outcome == "passed" else f"{sid}: send_email called at step {repeat}",
        "diff": None,
        "duration_s": 0.001,
        "target": "example:patched",
    }


def _mixed_run(seed: int) -> list[dict[str, Any]]:
    """Scenarios of every severity with repeats, variants that bypass, errors; shuffled."""
    rng = random.Random(seed)
    items = []
    for n in range(40):
        sid, sev = f"inc-{n:03d}", f"SEV-{1 + n % 4}"
        for k in range(1, 4):
            outcome = rng.choice(["passed"] * 6 + ["failed", "error"])
            items.append(_item(sid, outcome, k, severity=sev, mode=f"mode{n % 3}"))
        for chain in (["base64"], ["rot13", "base64"]):
            vid = f"{sid}[{'+'.join(chain)}]"
            outcome = rng.choice(["passed", "failed"])
            items.append(_item(vid, outcome, 1, severity=sev, parent=sid, chain=chain))
    rng.shuffle(items)  # as pytest-xdist may report them
    return items


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    out = {k: (list(v) if isinstance(v, Spool) else v) for k, v in report.items()}
    out["run"] = {k: v for k, v in out["run"].items() if k not in ("id", "finished_at")}
    out["run"]["started_at"] = None
    return json.loads(json.dumps(out, default=str))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streamed_report_equals_the_in_memory_one(seed: int) -> None:
    """Items spooled out of order (runs of 7, merged) give the report finalize gives on
    the list: verdict, reasons, cases, aggregates, bypass rates, items in report order."""
    items = _mixed_run(seed)
    spool = SortedSpool(item_order, chunk=7)
    for item in items:
        spool.add(item)
    streamed = finalize_stream(spool, suite=SUITE, target=TARGET, options={"run_id": "r"})
    in_memory = finalize(items, suite=SUITE, target=TARGET, options={"run_id": "r"})
    assert isinstance(streamed["cases"], Spool) and isinstance(streamed["items"], Spool)
    assert _comparable(streamed) == _comparable(in_memory)
    assert streamed["verdict"] == "BLOCK"  # SEV-1 failures are in every seed
    # the cases are those of the independent in-memory grouping, in report order
    expected = {c["scenario_id"]: c["status"] for c in build_cases(items)}
    assert {c["scenario_id"]: c["status"] for c in streamed["cases"]} == expected
    ids = [i["id"] for i in streamed["items"]]
    assert ids == [i["id"] for i in sorted(items, key=item_order)]
    assert streamed["summary"]["items"] == len(items) == len(streamed["items"])
    assert streamed["summary"]["errors"] == sum(i["outcome"] == "error" for i in items)


def test_variant_actions_and_bypass_reasons_are_set_after_their_parent_is_counted() -> None:
    """A SEV-1 parent's bypassing variant is blocked (its action decided once all of the
    parent's variants are counted); the variant that held keeps ``none``."""
    items = [
        _item("p", "passed", 1, severity="SEV-1"),
        _item("p[a]", "failed", 1, severity="SEV-1", parent="p", chain=["a"]),
        _item("p[b]", "passed", 1, severity="SEV-1", parent="p", chain=["b"]),
    ]
    report = finalize_stream(sorted(items, key=item_order), suite=SUITE, target=TARGET, options={})
    actions = {c["scenario_id"]: c["action"] for c in report["cases"]}
    assert actions == {"p": "none", "p[a]": "block", "p[b]": "none"}
    [reason] = list(report["reasons"])
    assert reason["code"] == "bypass" and "1 of 2 rewrites of p" in reason["message"]
    assert report["bypass"]["converters"][0]["converter"] == "a"


def test_items_of_a_case_must_be_together() -> None:
    """stream_cases folds one case at a time: a case split in two is refused, not miscounted."""
    items = [_item("a", "passed", 1), _item("b", "passed", 1), _item("a", "failed", 2)]
    with pytest.raises(SchemaError, match="not together"):
        list(stream_cases(items))


def test_sorted_spool_is_stable_and_repeatable() -> None:
    """Equal keys keep their arrival order across runs; reading twice gives the same."""
    spool = SortedSpool(lambda r: r["k"], chunk=3)
    records = [{"k": k, "n": n} for n, k in enumerate([3, 1, 2, 1, 3, 1, 2, 0, 1, 3])]
    for record in records:
        spool.add(record)
    expected = sorted(records, key=lambda r: r["k"])  # sorted() is stable
    assert list(spool) == expected == list(spool)
    assert len(spool) == len(records)
    assert list(SortedSpool(lambda r: r)) == []  # an empty run (a suite that selects nothing)


def test_spool_lines_slices_and_unicode() -> None:
    """Records survive the round trip (non-ASCII, newlines in strings); front slices work."""
    spool = Spool({"n": n, "text": f"é\n{n}\u2028"} for n in range(2500))
    assert len(spool) == 2500 and spool
    assert spool[:2] == [{"n": 0, "text": "é\n0\u2028"}, {"n": 1, "text": "é\n1\u2028"}]
    assert [r["n"] for r in spool[10:13]] == [10, 11, 12]
    assert sum(1 for _ in spool.lines()) == 2500
    with pytest.raises(TypeError):
        spool[-1:]
    assert not Spool()


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 2**70, -(10**30), 2**64 - 1, -(2**63)])
def test_spool_keeps_integers_at_and_beyond_64_bits_exact(number: int) -> None:
    """Integers orjson cannot write (or would read back as a float: 19 digits below
    -2**63 too) come back as the same integer, not a float, from both spools."""
    record = {"seed": number, "list": [number, "1234567890123456789 in a string"]}
    assert list(Spool([record])) == [record]
    assert type(next(iter(Spool([record])))["seed"]) is int
    spool = SortedSpool(lambda r: r["seed"], chunk=1)
    spool.add(record)
    spool.add({"seed": 0, "list": []})
    assert list(spool) == sorted([record, {"seed": 0, "list": []}], key=lambda r: r["seed"])


def test_spool_reads_records_across_its_read_blocks() -> None:
    """Records longer than a read block's share: 3.5 MB of lines, read in blocks, come back whole."""
    big = "x" * 70_000
    spool = Spool({"n": n, "pad": big} for n in range(50))
    assert [r["n"] for r in spool] == list(range(50))


def _failing(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield _item(f"s{i:06d}", "failed" if i % 2 else "passed", 1, severity="SEV-4")


def _peak(n: int) -> int:
    tracemalloc.start()
    try:
        report = finalize_stream(_failing(n), suite=SUITE, target=TARGET, options={})
        for _ in report["items"]:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_cases() -> None:
    """Four times the cases (half of them failing) and the peak stays flat: items,
    cases and reasons are on disk, the verdict is counters (both runs are larger than
    the spool's 256 KB read block, the one buffer that grows with a small run)."""
    small, large = _peak(2_000), _peak(8_000)
    assert large < small * 1.5, (small, large)


def test_reports_render_from_spools_with_bounded_failure_lists(tmp_path: Path) -> None:
    """report.json (valid, every item), junit.xml (every testcase, counts) and report.html
    (the first failures, the rest counted and linked) from a streamed report."""
    n = 2 * (MAX_FAILURES + 50)
    report = finalize_stream(_failing(n), suite=SUITE, target=TARGET, options={})
    write_json(report, tmp_path)
    loaded = load_report(tmp_path / FILENAME)
    assert len(loaded["items"]) == n and len(loaded["cases"]) == n
    assert len(loaded["reasons"]) == n // 2
    junit = "".join(render_junit(report))
    assert junit.count("<testcase ") == n
    assert f'tests="{n}"' in junit and f'skipped="{n // 2}"' in junit
    html = render_html(report)
    assert html.count("<details open>") == MAX_FAILURES
    assert "50 more in report.json" in html and '<a href="report.json">' in html


def test_spools_work_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson is optional at run time: the standard library writes and reads the spools,
    and the streamed report is the same."""
    import regression_suite.spool as spool_module

    items = _mixed_run(4)
    expected = _comparable(finalize(items, suite=SUITE, target=TARGET, options={"run_id": "r"}))
    monkeypatch.setattr(spool_module, "orjson", None)
    spool = SortedSpool(item_order, chunk=5)
    for item in items:
        spool.add(item)
    streamed = finalize_stream(spool, suite=SUITE, target=TARGET, options={"run_id": "r"})
    assert _comparable(streamed) == expected
    assert list(Spool([{"é": "\u2028"}])) == [{"é": "\u2028"}]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5), max_size=40),
    st.integers(1, 8),
    st.booleans(),
)
def test_sorted_spool_in_order_and_shuffled_chunks(
    keys: list[int], chunk: int, presort: bool
) -> None:
    """Chunks that arrive in key order are kept as they are (no copy), the others are
    sorted: either way (and mixed) the records come back in stable key order."""
    if presort:
        keys = sorted(keys)
    spool = SortedSpool(lambda r: r["k"], chunk=chunk)
    records = [{"k": k, "n": n} for n, k in enumerate(keys)]
    for record in records:
        spool.add(record)
    assert list(spool) == sorted(records, key=lambda r: r["k"]) == list(spool)


def _reads(report: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the full reads of the report's ``items`` and ``cases`` spools from now on."""
    names = {id(report["items"]): "items", id(report["cases"]): "cases"}
    reads = dict.fromkeys(names.values(), 0)
    lines = Spool.lines

    def counted(self: Spool, *args: Any) -> Iterator[bytes]:
        if id(self) in names:
            reads[names[id(self)]] += 1
        return lines(self, *args)

    monkeypatch.setattr(Spool, "lines", counted)
    return reads


def test_a_passing_run_is_not_read_again_for_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no failed item (the summary's counts), junit.xml reads no case (a case's
    action only decides a failed item's level) and report.html no item (its failure
    list is empty): one read of each spool fewer, for the same output."""
    passing = [_item(f"s{i:04d}", "passed", 1) for i in range(30)]
    timed = {"wall_time_s": 1.5}  # as a gate run has (else junit.xml sums the items' times)
    report = finalize_stream(iter(passing), suite=SUITE, target=TARGET, options=timed)
    reads = _reads(report, monkeypatch)
    junit = "".join(render_junit(report))
    assert reads == {"items": 1, "cases": 0}  # the test cases only
    assert junit.count("<testcase ") == 30 and 'failures="0"' in junit
    html = render_html(report)
    assert "Every test item passed." in html
    assert reads["items"] == 1
    in_memory = finalize(passing, suite=SUITE, target=TARGET, options=timed)
    in_memory["run"] = report["run"]  # the run's id and times differ
    assert junit == "".join(render_junit(in_memory)) and html == render_html(in_memory)
    # an errored item: report.html lists it, still without reading a case for junit.xml
    errored = [*passing, _item("s9999", "error", 1)]
    report = finalize_stream(iter(errored), suite=SUITE, target=TARGET, options=timed)
    reads = _reads(report, monkeypatch)
    assert "<error " in "".join(render_junit(report)) and reads["cases"] == 0
    assert "Every test item passed." not in render_html(report)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 600])
def test_report_json_entries_from_a_spool_in_batches(tmp_path: Path, n: int) -> None:
    """report.json's entries from a spool (joined a batch at a time) are its lines as
    they are, one an entry, non-ASCII text included; the file loads back whole."""
    items = [_item(f"s{i:04d}-é✓", "passed" if i % 3 else "failed", 1) for i in range(n)]
    report = finalize_stream(iter(items), suite=SUITE, target=TARGET, options={})
    spool = report["items"]
    expected = ",\n  ".join(line[:-1].decode("utf-8") for line in spool.lines())
    assert "".join(_entries(spool)) == expected
    write_json(report, tmp_path)
    written = json.loads((tmp_path / FILENAME).read_text("utf-8"))
    assert [i["id"] for i in written["items"]] == [i["id"] for i in items]
    assert f'"items": [\n  {expected}\n ]' in (tmp_path / FILENAME).read_text("utf-8")
