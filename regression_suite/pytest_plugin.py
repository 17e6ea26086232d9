"""pytest plugin (``pytest11`` entry point): scenarios and suites as test items.

Each scenario × variant × repeat is one test item with a readable id
(``inc-3f2a9c1b[base64+rot13]#2``)::

    pytest scenarios/ --target example:patched              # every scenario file
    pytest --suite release_gate --target example:patched    # a suite
    pytest --suite release_gate --gate-report-dir gate/     # + report.json / report.html

What is collected: ``.yaml``/``.yml`` files under a path given on the command
line that is the scenarios directory (``--scenarios-dir``, default
``$INCIDENT_LAB_SCENARIOS`` or ``./scenarios``) or inside it, or a YAML file
named directly; never files under ``suites/``, and never from ``testpaths`` or
a bare ``pytest``. With ``--suite NAME``, the suite file
``<scenarios-dir>/suites/NAME.yaml`` is collected and yields the suite's
resolved cases. Any other YAML (a project's ``tests/``) is never opened, and
nothing is imported until a scenario is collected, so an ordinary test run pays
nothing for the plugin.

Concurrency: when the target is I/O-bound (HTTP, OpenAI-compatible) the selected
items are replayed together at the start of the run (``asyncio``, at most
``--concurrency`` in flight), then each item reports its own result. CPU-bound
targets run item by item; use pytest-xdist (``-n N``, ``regression_suite run
--workers N``) to spread them over processes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from regression_suite.run_report import TrajectorySpool
    from regression_suite.runner import Case, CaseRun

__all__ = ["CaseItem", "GateState", "ScenarioFile", "SuiteFile", "get_state"]

SCENARIO_SUFFIXES = (".yaml", ".yml")


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
        runs: Results replayed ahead of their items (I/O-bound targets).
        items: Report items of this session, as reported (controller side).
        trajectories: Produced trajectories, spooled to disk (with ``--gate-record``).
        fatal: The error that stopped the run (target unreachable).
        collect_errors: One-line collection errors (bad scenario or suite file).
        report: The gate report, once finalised.
        report_paths: Files written by the reporters.
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
    runs: dict[str, CaseRun] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    trajectories: TrajectorySpool = field(default_factory=_spool)
    fatal: Exception | None = None
    collect_errors: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None
    report_paths: list[Path] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    active: bool = False

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

    def repeats(self) -> int:
        """``--repeats``, else the suite's ``repeats``, else 1."""
        given = self.option("gate_repeats")
        if given is not None:
            return int(given)
        return int((self.suite or {}).get("repeats") or 1)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather report items where the verdict is computed (controller or single process)."""
        gate_item = getattr(report, "gate_item", None)
        if gate_item is None or self.is_worker:
            return
        self.items.append(gate_item)
        trajectory = getattr(report, "gate_trajectory", None)
        if trajectory is not None:
            self.trajectories.add(gate_item, trajectory)
            del report.gate_trajectory  # on disk now; pytest keeps every report until the end

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


_STATE = pytest.StashKey[GateState]()


def get_state(config: pytest.Config) -> GateState:
    """Return the plugin's state for ``config`` (what ``regression_suite run`` reads)."""
    return config.stash[_STATE]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``regression_suite`` options."""
    group = parser.getgroup("regression_suite", "regression_suite release gate")
    group.addoption("--suite", dest="gate_suite", metavar="NAME", help="collect suite NAME")
    group.addoption("--target", dest="gate_target", metavar="SPEC", help="system under test")
    group.addoption(
        "--repeats", dest="gate_repeats", type=int, metavar="K", help="run each case K times"
    )
    group.addoption(
        "--scenarios-dir",
        dest="gate_scenarios_dir",
        metavar="DIR",
        help="scenario library (default $INCIDENT_LAB_SCENARIOS or ./scenarios)",
    )
    group.addoption("--shard", dest="gate_shard", metavar="I/N", help="run shard I of N only")
    group.addoption(
        "--concurrency",
        dest="gate_concurrency",
        type=int,
        default=8,
        metavar="N",
        help="I/O-bound targets: cases in flight at once (default 8)",
    )
    group.addoption(
        "--gate-report-dir", dest="gate_report_dir", metavar="DIR", help="write the gate report"
    )
    group.addoption(
        "--gate-baseline", dest="gate_baseline", metavar="REPORT", help="baseline report.json"
    )
    group.addoption(
        "--gate-warn-exit-code", dest="gate_warn_exit_code", type=int, default=1, metavar="N"
    )
    group.addoption(
        "--gate-record",
        dest="gate_record",
        action="store_true",
        help="write the produced trajectories to <gate-report-dir>/trajectories.jsonl",
    )
    group.addoption(
        "--gate-lean",
        dest="gate_lean",
        action="store_true",
        help="run cases through a lean runtest protocol: same reports, but no per-phase "
        "setup/call/teardown hooks for other plugins (regression_suite run sets it)",
    )


def _scenarios_dir(config: pytest.Config) -> Path:
    given = config.getoption("gate_scenarios_dir")
    raw = Path(given) if given else Path(os.environ.get("INCIDENT_LAB_SCENARIOS", "scenarios"))
    return (config.invocation_params.dir / raw).resolve()


def pytest_configure(config: pytest.Config) -> None:
    """Set up the state; with ``--suite``, collect the suite file."""
    name = config.getoption("gate_suite")
    scenarios_dir = _scenarios_dir(config)
    suite_file = None
    if name:
        from incident_lab.errors import IncidentLabError
        from regression_suite.suites import suite_path

        try:
            suite_file = suite_path(scenarios_dir, name).resolve()
        except IncidentLabError as exc:
            raise pytest.UsageError(exc.render()) from None
        if not suite_file.is_file():
            raise pytest.UsageError(f"--suite {name}: no suite file {suite_file}")
        if config.args_source == pytest.Config.ArgsSource.ARGS:
            given = {
                (config.invocation_params.dir / a.split("::")[0]).resolve() for a in config.args
            }
            if suite_file not in given:
                config.args.append(str(suite_file))
        else:
            config.args[:] = [str(suite_file)]
    state = GateState(config, scenarios_dir, name, suite_file)
    state.scenario_roots = _scenario_roots(config, scenarios_dir)
    state.active = bool(name)
    config.stash[_STATE] = state
    config.pluginmanager.register(state, "regression_suite-state")


def _scenario_roots(config: pytest.Config, scenarios_dir: Path) -> list[Path]:
    """Command-line paths under which YAML files are scenarios.

    Only paths given explicitly count (never ``testpaths`` or the invocation dir):
    the scenarios directory or a path inside it, or a YAML file named directly.
    """
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    roots = []
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if (
            path == scenarios_dir
            or scenarios_dir in path.parents
            or path.suffix in SCENARIO_SUFFIXES
        ):
            roots.append(path)
    return roots


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect scenario files and the ``--suite`` file; ignore every other file."""
    if file_path.suffix not in SCENARIO_SUFFIXES:
        return None
    state = get_state(parent.config)
    path = file_path.resolve()
    if state.suite_file is not None and path == state.suite_file:
        state.active = True
        return SuiteFile.from_parent(parent, path=file_path)
    if not any(root == path or root in path.parents for root in state.scenario_roots):
        return None
    if path.parent.name == "suites" and path not in state.scenario_roots:
        return None
    state.active = True
    return ScenarioFile.from_parent(parent, path=file_path)


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
                state.resolved = resolve(state.suite, state.scenarios_dir)
            cases = build_cases(state.resolved, state.repeats())
        except IncidentLabError as exc:
            raise self._fail(exc) from None
        yield from self._items(cases)


class CaseItem(pytest.Item):
    """One case: replayed on the target in ``setup`` and judged in ``runtest``."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.gate_run: CaseRun | None = None
        for tag in (case.scenario.get("taxonomy") or {}).get("tags") or []:
            self.extra_keyword_matches.add(str(tag))

    def setup(self) -> None:
        """Replay the case (or take the result replayed ahead); target errors end here."""
        from regression_suite.runner import run_case
        from regression_suite.targets.base import TargetUnreachable

        state = get_state(self.config)
        if state.fatal is not None:
            raise CaseErrored(f"not run: {_render(state.fatal)}")
        run = state.runs.pop(self.case.id, None)
        if run is None:
            try:
                run = run_case(state.get_target(), self.case)
            except TargetUnreachable as exc:
                state.fatal = exc
                self.session.shouldstop = f"target unreachable: {_render(exc)}"
                raise CaseErrored(_render(exc)) from None
        self.gate_run = run
        if run.item["outcome"] == "error":
            raise CaseErrored(run.item["message"])

    def runtest(self) -> None:
        """Fail with the expectation messages when the trajectory broke one."""
        assert self.gate_run is not None
        if self.gate_run.item["outcome"] == "failed":
            raise CaseFailed(self.gate_run.item["message"])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """Show what failed at which step, and the difference from the recorded incident."""
        if isinstance(excinfo.value, CaseFailed | CaseErrored):
            lines = [f"{self.case.id}: {self.case.scenario.get('title', '')}".rstrip(": ")]
            lines += [f"  {line}" for line in str(excinfo.value).splitlines()]
            diff = self.gate_run.item.get("diff") if self.gate_run else None
            if diff:
                lines.append("difference from the recorded incident:")
                lines += [f"  {line}" for line in diff.splitlines()]
            return "\n".join(lines)
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

    def attach(self, when: str, report: Any) -> None:
        """Put the report item on the report of the phase that decided it.

        With ``--gate-record`` the produced trajectory goes along; after the last
        phase the item lets go of its run, so a long run does not keep every
        produced trajectory in memory.
        """
        run = self.gate_run
        if run is None:
            return
        error = run.item["outcome"] == "error"
        if (when == "setup" and error) or (when == "call" and not error):
            report.gate_item = run.item
            if run.trajectory is not None and self.config.getoption("gate_record"):
                report.gate_trajectory = run.trajectory
        if when == "teardown":
            self.gate_run = None

    def run_lean(self) -> None:
        """The runtest protocol, minus what a case does not need.

        Same reports as pytest's own protocol (setup, call when setup passed,
        teardown; logged through ``pytest_runtest_logreport`` so JUnit XML, the
        terminal, pytest-xdist and the gate see them), built directly: a case has
        no fixtures, setup state or markers to evaluate, so the per-phase
        ``pytest_runtest_setup/call/teardown/makereport`` hooks are skipped
        (about a fifth of the time per case). A failing phase's report is made by
        ``TestReport.from_item_and_call``, exactly as pytest does.
        """
        ihook = self.ihook
        nodeid, location = self.nodeid, self.location
        ihook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        keywords = dict.fromkeys(self.keywords, 1)  # one copy for the three reports
        if self._lean_phase(ihook, "setup", self.setup, keywords):
            self._lean_phase(ihook, "call", self.runtest, keywords)
        self._lean_phase(ihook, "teardown", _nothing, keywords)
        ihook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    def _lean_phase(self, ihook: Any, when: Any, func: Any, keywords: dict[str, Any]) -> bool:
        call = pytest.CallInfo.from_call(func, when=when, reraise=_RERAISE)
        if call.excinfo is None:
            report = pytest.TestReport(
                getattr(self, "id", self.nodeid), self.location, keywords, "passed", None,
                when, [], call.duration, call.start, call.stop, self.user_properties,
            )  # fmt: skip
        else:
            report = pytest.TestReport.from_item_and_call(self, call)
        self.attach(when, report)
        ihook.pytest_runtest_logreport(report=report)
        if call.excinfo is not None and not isinstance(call.excinfo.value, pytest.skip.Exception):
            ihook.pytest_exception_interact(node=self, call=call, report=report)
        return bool(report.passed)


def _nothing() -> None:
    """A case's teardown: nothing to undo."""


#: What pytest never turns into a report (Ctrl-C, pytest.exit): propagated.
_RERAISE = (pytest.exit.Exception, KeyboardInterrupt)


def _render(exc: Exception) -> str:
    render = getattr(exc, "render", None)
    return str(render()) if callable(render) else f"{type(exc).__name__}: {exc}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Keep this shard's cases; refuse duplicate case ids; resolve the target early."""
    state = get_state(config)
    cases = [i for i in items if isinstance(i, CaseItem)]
    if not cases:
        return
    from incident_lab.errors import IncidentLabError
    from regression_suite.runner import parse_shard, shard_of

    seen: dict[str, str] = {}
    for item in cases:
        other = seen.setdefault(item.case.id, item.nodeid)
        if other != item.nodeid:
            raise pytest.UsageError(
                f"two cases share the id {item.case.id}: {other} and {item.nodeid}"
            )
    shard = config.getoption("gate_shard")
    if shard:
        try:
            index, total = parse_shard(shard)
        except IncidentLabError as exc:
            raise pytest.UsageError(exc.render()) from None
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for node in items:
            out = isinstance(node, CaseItem) and shard_of(node.case.group, total) != index
            (drop if out else keep).append(node)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    if not config.option.collectonly and not state.is_xdist_controller:
        try:
            state.get_target()
        except IncidentLabError as exc:
            raise pytest.UsageError(exc.render()) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    """Replay I/O-bound cases concurrently before the items report one by one."""
    state = get_state(session.config)
    cases = [i.case for i in session.items if isinstance(i, CaseItem)]
    if cases and not (
        state.is_worker or state.is_xdist_controller or session.config.option.collectonly
    ):
        target = state.get_target()
        concurrency = int(session.config.getoption("gate_concurrency"))
        if getattr(target, "io_bound", False) and concurrency > 1 and len(cases) > 1:
            from regression_suite.runner import run_cases_async

            try:
                state.runs = asyncio.run(run_cases_async(target, cases, concurrency=concurrency))
            except Exception as exc:  # TargetUnreachable: every item reports it
                from regression_suite.targets.base import TargetUnreachable

                if not isinstance(exc, TargetUnreachable):
                    raise
                state.fatal = exc
                session.shouldstop = f"target unreachable: {_render(exc)}"
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Attach the report item (and, with ``--gate-record``, the trajectory) to the report."""
    report: Any = yield
    if isinstance(item, CaseItem):
        item.attach(call.when, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """With ``--gate-lean``: run a case item through :meth:`CaseItem.run_lean`."""
    if isinstance(item, CaseItem) and item.config.getoption("gate_lean"):
        item.run_lean()
        return True
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``--gate-report-dir``: compute the verdict and write the reports."""
    state = get_state(session.config)
    report_dir = session.config.getoption("gate_report_dir")
    if (
        not report_dir
        or state.is_worker
        or not state.active
        or state.fatal is not None
        or state.collect_errors
        or session.config.option.collectonly
    ):
        return
    from incident_lab.errors import IncidentLabError
    from regression_suite.run_report import finish

    try:
        finish(state, Path(report_dir))
    except IncidentLabError as exc:
        state.fatal = exc
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the gate's verdict (or why there is none) after pytest's own summary."""
    state = get_state(config)
    if state.is_worker or not state.active:
        return
    if state.fatal is not None:
        terminalreporter.write_line(f"gate: no verdict: {_render(state.fatal)}", red=True)
    elif state.collect_errors:
        terminalreporter.write_line(
            "gate: no verdict: a scenario or suite file is invalid", red=True
        )
    elif state.report is not None:
        report = state.report
        terminalreporter.write_line(f"gate: {report.get('headline') or report['verdict']}")
        for path in state.report_paths:
            terminalreporter.write_line(f"gate report: {path}")
