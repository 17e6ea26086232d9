"""The pytest plugin's per-session state: :class:`GateState` and :func:`get_state`.

One :class:`GateState` per pytest session, kept in the config's stash and
registered as a plugin itself (it gathers the report items as they are logged).
``regression_suite run`` reads it through :func:`get_state`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from regression_suite.plugin_items import LazyItems
    from regression_suite.run_report import TrajectorySpool
    from regression_suite.runner import CaseRun, ReplayAhead
    from regression_suite.spool import SortedSpool


def _items() -> SortedSpool:
    from regression_suite.gate.cases import item_order
    from regression_suite.spool import SortedSpool

    return SortedSpool(item_order)


def _spool() -> TrajectorySpool:
    from regression_suite.run_report import TrajectorySpool

    return TrajectorySpool()


@dataclass(eq=False)  # registered as a pytest plugin: must stay hashable
class GateState:
    """Everything the plugin knows about one pytest session.

    Attributes:
        scenarios_dir: The scenario library (resolved against the invocation dir).
        suite_name: ``--suite``, if given.
        suite: The loaded suite, once collected.
        resolved: The suite's scenarios (``regression_suite run`` hands them in).
        target_spec: ``--target``, else the suite's ``target``.
        target: The resolved target (created lazily, once per process).
        runs: Results replayed ahead of their items (I/O-bound targets: a
            :class:`~regression_suite.runner.ReplayAhead` while the items run).
        items: Report items of this session, as reported (controller side), spooled to
            disk and read back in report order.
        trajectories: Produced trajectories, spooled to disk (with ``--gate-record``).
        fatal: The error that stopped the run (target unreachable).
        collect_errors: One-line collection errors (bad scenario or suite file).
        report: The gate report, once finalised.
        report_paths: Files written by the reporters.
        lazy: The suite's items, made as the run reaches them (see
            :meth:`lazy_items_allowed`), instead of collected.
        not_passed: How many of ``items`` failed or errored.
        unrecorded: pytest's failed or skipped reports of cases less the items that
            failed or errored: above 0, some case's error has no item (a teardown that
            raised, say) and there is no verdict (``pytest_sessionfinish``).
        recorded_ids: The ids of the cases recorded so far, kept only by a pytest-xdist
            controller (it holds every item anyway): a crashed worker's report names a
            case that may already have its item (:meth:`pytest_runtest_logreport`).
    """

    config: pytest.Config
    scenarios_dir: Path
    suite_name: str | None
    suite_file: Path | None
    suite: dict[str, Any] | None = None
    resolved: list[dict[str, Any]] | None = None
    scenario_roots: list[Path] = field(default_factory=list)
    target_spec: str | None = None
    target: Any = None
    runs: dict[str, CaseRun] | ReplayAhead = field(default_factory=dict)
    items: SortedSpool = field(default_factory=_items)
    trajectories: TrajectorySpool = field(default_factory=_spool)
    fatal: Exception | None = None
    collect_errors: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None
    report_paths: list[Path] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    active: bool = False
    lazy: LazyItems | None = None
    not_passed: int = 0
    unrecorded: int = 0
    recorded_ids: set[str] | _NoIds | None = field(default=None, repr=False)

    def option(self, name: str) -> Any:
        """Return a command-line option value."""
        return self.config.getoption(name)

    @property
    def is_worker(self) -> bool:
        """True inside a pytest-xdist worker process."""
        return hasattr(self.config, "workerinput")

    @property
    def is_xdist_controller(self) -> bool:
        """True in the process that hands items to pytest-xdist workers."""
        return self.config.pluginmanager.has_plugin("dsession")

    def lazy_items_allowed(self) -> bool:
        """True when no one needs every item before the run: ``--gate-lean`` (set by
        ``regression_suite run``), no pytest-xdist, no ``-k``/``-m`` selection and not
        ``--collect-only``."""
        opt = self.config.option
        return bool(
            self.option("gate_lean")
            and not (self.is_worker or self.is_xdist_controller)
            and not (getattr(opt, "keyword", "") or getattr(opt, "markexpr", ""))
            and not getattr(opt, "collectonly", False)
            and not getattr(opt, "deselect", None)
        )

    def repeats(self) -> int:
        """``--repeats``, else the suite's ``repeats``, else 1."""
        given = self.option("gate_repeats")
        if given is not None:
            return int(given)
        return int((self.suite or {}).get("repeats") or 1)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather report items where the verdict is computed (controller or single process)."""
        if self.is_worker or report.outcome == "rerun":  # pytest-rerunfailures: the last attempt's
            return
        gate_item = getattr(report, "gate_item", None)
        if getattr(report, "gate_case", False):
            self.unrecorded += 1
        if gate_item is None:
            if report.when != "???" or not report.failed:  # xdist's report of a crashed worker
                return
            gate_item = self._crashed_item(report)
            if gate_item is None:
                return
            self.unrecorded += 1
            if gate_item["id"] in self._recorded():
                # the worker died after the case's result arrived (in a teardown): one
                # result per case; the crash stays unrecorded, so there is no verdict
                return
        self._recorded().add(gate_item["id"])
        self.items.add(gate_item)
        if gate_item["outcome"] != "passed":
            self.not_passed += 1
            self.unrecorded -= 1
        trajectory = getattr(report, "gate_trajectory", None)
        if trajectory is not None:
            self.trajectories.add(gate_item, trajectory)
            del report.gate_trajectory  # on disk now; pytest keeps every report until the end

    def _recorded(self) -> set[str] | _NoIds:
        """:attr:`recorded_ids`, made on first use: a set in a pytest-xdist controller
        (the only process where a worker's crash is reported), else :data:`_NO_IDS`
        (a million-case run keeps no million ids)."""
        ids = self.recorded_ids
        if ids is None:
            ids = self.recorded_ids = set() if self.is_xdist_controller else _NO_IDS
        return ids

    def _crashed_item(self, report: pytest.TestReport) -> dict[str, Any] | None:
        """The ``error`` item of the case a crashed xdist worker was running (``None``
        when the node is not one of the suite's cases)."""
        from regression_suite.runner import Case, build_cases, unrecorded_item

        path, _, case_id = report.nodeid.partition("::")
        suite_file = self.suite_file
        if not case_id or suite_file is None or Path(path).name != suite_file.name:
            return None
        known = [c for c in build_cases(self.resolved or [], self.repeats()) if c.id == case_id]
        case = known[0] if known else Case(case_id, case_id, {"id": case_id})
        return unrecorded_item(case, report, self.target_name())

    def target_name(self) -> str:
        """The target's name once resolved, else its spec (``--target`` or the suite's)."""
        return str(self.target.name if self.target is not None else self.target_spec)

    def get_target(self) -> Any:
        """Resolve the target once (``--target`` wins over the suite's)."""
        if self.target is None:
            from incident_lab.errors import UsageError
            from regression_suite.targets import resolve_target

            spec = self.option("gate_target") or (self.suite or {}).get("target")
            if not spec:
                raise UsageError(
                    "no target to run the scenarios against",
                    hint="pass --target (e.g. --target example:patched) or set target: in the suite",
                )
            self.target_spec = spec
            self.target = resolve_target(spec)
        return self.target


class _NoIds:
    """The recorded ids where no worker can crash: nothing kept, nothing found."""

    def add(self, case_id: str) -> None:
        """Keep nothing."""

    def __contains__(self, case_id: object) -> bool:
        return False


_NO_IDS = _NoIds()


STATE_KEY = pytest.StashKey[GateState]()


def get_state(config: pytest.Config) -> GateState:
    """Return the plugin's state for ``config`` (what ``regression_suite run`` reads)."""
    return config.stash[STATE_KEY]
