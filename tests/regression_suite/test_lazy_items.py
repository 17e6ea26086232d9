"""LazyItems: a gate run's items made one at a time, for every case x repeat."""

from __future__ import annotations

import json
from typing import Any

import pytest

from regression_suite.plugin_items import CaseItem, LazyItems
from regression_suite.runner import build_cases, case_groups, shard_of


class _Parent:
    """Stands in for the suite collector: records the items made from it."""

    def __init__(self) -> None:
        self.made: list[str] = []


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parent = _Parent()

    def from_parent(cls: Any, parent_: Any, *, name: str, case: Any) -> Any:
        parent.made.append(name)
        return {"name": name, "case": case}

    monkeypatch.setattr(CaseItem, "from_parent", classmethod(from_parent))
    return parent.made


def _scenarios(n: int) -> list[dict[str, Any]]:
    return [{"id": f"inc-{i}", "taxonomy": {"tags": []}} for i in range(n)]


def test_lazy_items_are_the_cases_of_build_cases_made_on_demand(made: list[str]) -> None:
    """Same ids and order as build_cases (repeats included); items are made only when
    read, and only the last two are kept (what pytest's run loop reads)."""
    scenarios = _scenarios(3)
    lazy = LazyItems(None, case_groups(scenarios), 2)  # type: ignore[arg-type]
    expected = [c.id for c in build_cases(scenarios, 2)]
    assert len(lazy) == 6 and made == []
    assert [c.id for c in lazy.cases()] == expected
    for i in range(len(lazy)):  # as pytest's loop: the item, then the next one
        assert lazy[i]["name"] == expected[i]
        if i + 1 < len(lazy):
            lazy[i + 1]
    assert made == expected  # each made once, though read twice
    assert len(lazy._made) <= 2
    assert lazy[-1]["case"].repeat == 2 and lazy[1:3][0]["name"] == expected[1]
    with pytest.raises(IndexError):
        lazy[6]


def test_lazy_items_keep_a_shard_by_case_group(made: list[str]) -> None:
    """--shard keeps whole groups (all repeats of a case), as for collected items."""
    lazy = LazyItems(None, case_groups(_scenarios(20)), 3)  # type: ignore[arg-type]
    lazy.keep(lambda group: shard_of(group, 2) == 1)
    groups = {c.group for c in lazy.cases()}
    assert groups and all(shard_of(g, 2) == 1 for g in groups)
    assert len(lazy) == 3 * len(groups)


def test_a_cpu_bound_run_never_lists_its_cases_up_front(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, rs: Any
) -> None:
    """Only an I/O-bound target is replayed ahead (and then from an iterator): with a
    python: target, a run of many repeats never asks for the list of every case, which
    was a million Case objects, the whole peak of a 1M-case run."""
    from tests.regression_suite._library import agent_module, scenario, write, write_suite

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = write(tmp_path / "scenarios", scenario("inc-0"), scenario("inc-1"))
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    agents = agent_module(tmp_path)

    def refused(self: LazyItems) -> Any:
        raise AssertionError("every case listed before the run")

    monkeypatch.setattr(LazyItems, "cases", refused)
    result = rs("run", "--target", f"python:{agents}:refuse", "--repeats", "50", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["passed"] == 100
