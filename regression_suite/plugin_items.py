"""The pytest plugin's collectors and items: scenario and suite files, one item per case.

A :class:`ScenarioFile` yields a scenario's cases, a :class:`SuiteFile` the
``--suite``'s resolved cases; each :class:`CaseItem` replays its case on the
target in ``setup`` and is judged in ``runtest``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pytest

from regression_suite.plugin_state import GateState, get_state

if TYPE_CHECKING:
    from regression_suite.runner import Case, CaseRun

__all__ = ["LazyItems"]


#: What a case's scenario becomes once the case has run in a gate run (``--gate-lean``).
_RELEASED: dict[str, Any] = {"released": True}


class CaseFailed(Exception):
    """The target's trajectory broke an expectation (outcome ``failed``)."""


class CaseErrored(Exception):
    """The case could not be judged: target error or invalid trajectory (outcome ``error``)."""


class _CaseCollector(pytest.File):
    def _items(self, cases: list[Case]) -> Iterator[CaseItem]:
        for case in cases:
            yield CaseItem.from_parent(self, name=case.id, case=case)

    def _fail(self, exc: Exception) -> pytest.Collector.CollectError:
        from incident_lab.errors import IncidentLabError

        message = exc.render() if isinstance(exc, IncidentLabError) else str(exc)
        get_state(self.config).collect_errors.append(message)
        return self.CollectError(message)


class ScenarioFile(_CaseCollector):
    """A scenario file: one item per repeat (a variant file: the variant's repeats)."""

    def collect(self) -> Iterator[CaseItem]:
        """Load the scenario and yield its cases."""
        from incident_lab.errors import IncidentLabError
        from incident_lab.scenarios.io import load_scenario
        from regression_suite.runner import build_cases

        state = get_state(self.config)
        try:
            scenario = load_scenario(self.path)
            cases = build_cases([scenario], state.repeats())
        except IncidentLabError as exc:
            raise self._fail(exc) from None
        yield from self._items(cases)


class SuiteFile(_CaseCollector):
    """The ``--suite`` file: the suite's resolved scenarios × variants × repeats."""

    def collect(self) -> Iterator[CaseItem]:
        """Load and resolve the suite and yield its cases."""
        from incident_lab.errors import IncidentLabError
        from regression_suite.runner import build_cases
        from regression_suite.suites import load_suite, resolve

        state = get_state(self.config)
        try:
            assert state.suite_name is not None
            if state.suite is None:
                state.suite = load_suite(state.suite_name, state.scenarios_dir)
            if state.resolved is None:
                state.resolved = resolve(state.suite, state.scenarios_dir, cache=None)
            if state.lazy_items_allowed():
                from regression_suite.runner import case_groups

                build_cases([], state.repeats())  # the same check of --repeats
                state.lazy = LazyItems(self, case_groups(state.resolved), state.repeats())
                state.resolved = None
                return  # the items are made one at a time as the run reaches them
            cases = build_cases(state.resolved, state.repeats())
        except IncidentLabError as exc:
            raise self._fail(exc) from None
        if self.config.getoption("gate_lean"):
            state.resolved = None  # each case holds its scenario (until it has run)
        yield from self._items(cases)


class LazyItems(Sequence[pytest.Item]):
    """The session's items when nothing needs them all up front (``--gate-lean``, no
    pytest-xdist, no ``-k``/``-m``): each :class:`CaseItem` is made when the run
    loop reaches it and dropped once it has run.

    pytest's run loop reads ``session.items[i]`` and ``session.items[i + 1]`` (the
    next item); the last two made are kept. Memory holds a scenario stub per case
    group (see :func:`regression_suite.suites.stub`), never an item or a case per
    repeat: a million cases cost what their distinct scenarios cost.
    """

    def __init__(
        self, parent: pytest.Collector, groups: list[tuple[str, dict[str, Any]]], repeats: int
    ) -> None:
        self.parent = parent
        self.groups = groups
        self.repeats = repeats
        self._made: dict[int, CaseItem] = {}
        from regression_suite.runner import repeat_case

        self._repeat_case = repeat_case  # looked up once, not per case

    def __len__(self) -> int:
        return len(self.groups) * self.repeats

    def case(self, index: int) -> Case:
        """The case at ``index`` (group by group, repeat by repeat)."""
        group, scenario = self.groups[index // self.repeats]
        return self._repeat_case(group, scenario, index % self.repeats + 1, self.repeats)

    def cases(self) -> Iterator[Case]:
        """Every case, in run order."""
        return (self.case(i) for i in range(len(self)))

    def keep(self, predicate: Any) -> None:
        """Keep only the case groups for which ``predicate(group id)`` is true (shards)."""
        self.groups = [g for g in self.groups if predicate(g[0])]

    @overload
    def __getitem__(self, index: int) -> CaseItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[CaseItem]: ...
    def __getitem__(self, index: int | slice) -> CaseItem | list[CaseItem]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        made = self._made
        item = made.get(index)
        if item is not None:  # the run loop asks for each item twice (as the next one first)
            return item
        size = len(self.groups) * self.repeats
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(index)
        item = made.get(index)  # asked for by a negative index
        if item is not None:
            return item
        case = self.case(index)
        item = CaseItem.from_parent(self.parent, name=case.id, case=case)
        previous = made.get(index - 1)
        for old_index, old in made.items():
            if old_index != index - 1:
                _let_go(old)
        self._made = {index: item} if previous is None else {index - 1: previous, index: item}
        return item


def _let_go(item: pytest.Item) -> None:
    """Let an item that has run be freed as soon as it is dropped.

    pytest's ``NodeKeywords`` refers back to its node (only to name it in its repr): a
    reference cycle, so every dropped item (with its keywords, stash, node id...)
    waited for the cyclic garbage collector, whose collections then spent a few
    percent of a 10,000-case run freeing some 3,000 items each. Without the back
    reference, reference counting frees the item when the run loop lets go of it.
    """
    keywords = getattr(item, "keywords", None)
    if keywords is not None and getattr(keywords, "node", None) is item:
        keywords.node = None


class CaseItem(pytest.Item):
    """One case: replayed on the target in ``setup`` and judged in ``runtest``."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.gate_run: CaseRun | None = None
        self._taken = False  # whether setup has asked for the result replayed ahead
        for tag in (case.scenario.get("taxonomy") or {}).get("tags") or []:
            self.extra_keyword_matches.add(str(tag))

    def setup(self) -> None:
        """Replay the case (or take the result replayed ahead); target errors end here."""
        IncidentLabError, run_case, TargetUnreachable = _runtime()
        state = get_state(self.config)
        if state.fatal is not None:
            raise CaseErrored(f"not run: {render_error(state.fatal)}")
        try:
            # replayed ahead (or stopped there); asked once: a rerun of this item (e.g.
            # pytest-rerunfailures) replays here, it does not wait for the whole replay
            try:
                run = None if self._taken else state.runs.pop(self.case.id, None)
            except TargetUnreachable:
                raise
            except IncidentLabError as exc:  # the replay ahead stopped reading its cases
                state.fatal = exc
                self.session.shouldstop = render_error(exc)
                raise CaseErrored(render_error(exc)) from None
            self._taken = True
            if run is None:
                run = self._replay(state, run_case, TargetUnreachable)
        except TargetUnreachable as exc:
            state.fatal = exc
            self.session.shouldstop = f"target unreachable: {render_error(exc)}"
            raise CaseErrored(render_error(exc)) from None
        self.gate_run = run
        if run.item["outcome"] == "error":
            raise CaseErrored(run.item["message"])

    def _replay(self, state: GateState, run_case: Any, unreachable: type[Exception]) -> CaseRun:
        """Replay the case here. Whatever the target (or loading its scenario) raises
        is this case's error — ``SystemExit``, ``pytest.skip`` included — except an
        unreachable target, Ctrl-C and ``pytest.exit`` (they stop the run)."""
        from regression_suite.runner import _case_raised, _stops_the_run

        target = state.get_target()
        try:
            return run_case(target, self.case)
        except BaseException as exc:
            if isinstance(exc, unreachable) or _stops_the_run(exc):
                raise
            return _case_raised(target, self.case, exc)

    def runtest(self) -> None:
        """Fail with the expectation messages when the trajectory broke one."""
        assert self.gate_run is not None
        if self.gate_run.item["outcome"] == "failed":
            raise CaseFailed(self.gate_run.item["message"])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """Show what failed at which step, and the difference from the recorded incident."""
        if isinstance(excinfo.value, CaseFailed | CaseErrored):
            head = f"{self.case.id}: {self.case.scenario.get('title', '')}".rstrip(": ")
            diff = self.gate_run.item.get("diff") if self.gate_run else None
            return "\n".join(failure_lines(head, str(excinfo.value), diff))
        return super().repr_failure(excinfo)

    def _repr_failure_py(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        """Setup errors (target error, invalid trajectory) read like failures: the
        message, not a traceback through pytest's internals."""
        if isinstance(excinfo.value, CaseFailed | CaseErrored):
            return self.repr_failure(excinfo, style)
        return super()._repr_failure_py(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Name the case in reports."""
        return self.path, None, f"scenario {self.case.id}"

    @functools.cached_property
    def location(self) -> tuple[str, int | None, str]:
        """pytest's ``(relative path, line, name)``, the path worked out once per file:
        pytest makes an absolute ``Path`` and looks it up for every item (about 4 % of
        a 10,000-case run whose cases all come from one suite file)."""
        parent = self.parent
        relpath = getattr(parent, "_gate_relpath", None)
        if relpath is None:
            path = Path(os.path.abspath(self.path))
            relpath = self.session._node_location_to_relpath(path)
            parent._gate_relpath = relpath  # type: ignore[union-attr]
        return relpath, None, f"scenario {self.case.id}"

    def attach(self, when: str, report: Any) -> None:
        """Put the report item on the report of the phase that decided it.

        With ``--gate-record`` the produced trajectory goes along; after the last
        phase the item lets go of its run, so a long run does not keep every
        produced trajectory in memory, and (``--gate-lean``) of its scenario.
        """
        run = self.gate_run
        if report is not None and (report.failed or report.skipped):
            report.gate_case = True  # counted against the items (GateState.unrecorded)
            if run is None and when != "teardown":
                # failed or skipped without a run of its own (a hook of another plugin
                # raised or skipped): the case's error, never a case that vanishes
                from regression_suite.runner import unrecorded_item

                target = get_state(self.config).target_name()
                report.gate_item = unrecorded_item(self.case, report, target)
        if run is None:
            return
        error = run.item["outcome"] == "error"
        if (when == "setup" and error) or (when == "call" and not error):
            report.gate_item = run.item
            if run.trajectory is not None and self.config.option.gate_record:
                report.gate_trajectory = run.trajectory
        if when == "teardown":
            self.gate_run = None
            if self.config.option.gate_lean:
                # a gate run replays each case once: its scenario (recording included)
                # is not needed again, and 100,000 of them should not stay in memory
                self.case = self.case.with_scenario(_RELEASED)


@functools.cache
def _runtime() -> tuple[type[Exception], Any, type[Exception]]:
    """What :meth:`CaseItem.setup` uses, imported on first use (a plain pytest run that
    collects no scenario imports none of it) and then looked up once, not per case."""
    from incident_lab.errors import IncidentLabError
    from regression_suite.runner import run_case
    from regression_suite.targets.base import TargetUnreachable

    return IncidentLabError, run_case, TargetUnreachable


def failure_lines(head: str, message: str, diff: str | None) -> list[str]:
    """A failed case as text: ``head``, the expectation messages, the step-level diff."""
    lines = [head]
    lines += [f"  {line}" for line in message.splitlines()]
    if diff:
        lines.append("difference from the recorded incident:")
        lines += [f"  {line}" for line in diff.splitlines()]
    return lines


def render_error(exc: Exception) -> str:
    """One line for ``exc``: its ``render()`` when it has one, else its type and message."""
    render = getattr(exc, "render", None)
    return str(render()) if callable(render) else f"{type(exc).__name__}: {exc}"
