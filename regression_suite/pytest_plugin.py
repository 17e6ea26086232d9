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
items are replayed together (``asyncio``, at most ``--concurrency`` in flight, the
next case sent as each one finishes), and each item reports its own result as soon
as it has arrived. CPU-bound
targets run item by item; use pytest-xdist (``-n N``, ``regression_suite run
--workers N``) to spread them over processes.

This module holds the hooks; the session state is in
:mod:`regression_suite.plugin_state`, the collectors and case items in
:mod:`regression_suite.plugin_items`, and the lean runtest protocol
(``--gate-lean``) in :mod:`regression_suite.lean`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from regression_suite.lean import crash_tracebacks_off, crash_tracebacks_on, run_lean
from regression_suite.plugin_items import CaseItem, ScenarioFile, SuiteFile, render_error
from regression_suite.plugin_state import STATE_KEY, GateState, get_state

SCENARIO_SUFFIXES = (".yaml", ".yml")


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
        "--gate-summary",
        dest="gate_summary",
        action="store_true",
        help="list failing cases (expectation messages and difference from the recording) "
        "in the gate's own summary, linear in the failures; pair with --tb=no "
        "(regression_suite run sets both)",
    )
    group.addoption(
        "--gate-lean",
        dest="gate_lean",
        action="store_true",
        help="run cases through a lean runtest protocol: same reports, but no per-phase "
        "setup/call/teardown hooks for other plugins, and no passing setup/teardown reports "
        "when no plugin listens to them (regression_suite run sets it)",
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
            if suite_file not in _arg_paths(config):
                config.args.append(str(suite_file))
        else:
            config.args[:] = [str(suite_file)]
    state = GateState(config, scenarios_dir, name, suite_file)
    state.scenario_roots = _scenario_roots(config, scenarios_dir)
    state.active = bool(name)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(state, "regression_suite-state")
    if config.getoption("gate_lean"):
        reruns = getattr(config.option, "reruns", None)
        if reruns:  # pytest-rerunfailures: its protocol never runs a lean case
            raise pytest.UsageError(
                f"--gate-lean replays each case once: --reruns {reruns} is not honoured "
                "(run pytest without --gate-lean to rerun failing cases)"
            )
        crash_tracebacks_on(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Turn off the fault handler :func:`pytest_configure` turned on (``--gate-lean``)."""
    crash_tracebacks_off(config)


class _ProgressCount:
    """What pytest's terminal does with its set of reported node ids: add and count.

    A case reports once with a progress letter (its call phase, or a failed setup);
    a repeated id (an error in a teardown after its call) follows its own report
    directly, so comparing with the last id added keeps the count exact.
    """

    def __init__(self, count: int = 0) -> None:
        self._count = count
        self._last: object = None

    def add(self, node_id: object) -> None:
        if node_id != self._last:
            self._count += 1
            self._last = node_id

    def __len__(self) -> int:
        return self._count


class _SlimTerminalStats:
    """With ``--gate-summary``: the terminal keeps counts of passing phases, not reports.

    pytest's terminal reporter keeps every report until the end (three per case),
    only to count them in the last line and, with ``--tb`` or ``-rA``, to print
    them. A gate run prints failures itself (``--gate-summary``, ``--tb=no``, ``-rN``),
    so a passing report is replaced by a shared marker once the terminal has counted
    it (the marker counts the same); failed and errored reports are kept.
    """

    _PASSED = type("PassedMarker", (), {"count_towards_summary": True, "when": "call"})()

    def __init__(self, terminal: Any) -> None:
        self.terminal = terminal
        # pytest's progress ([ 42%]) keeps a set of every reported node id only to count
        # them (~200 bytes a case): a count of distinct consecutive ids gives the same
        reported = getattr(terminal, "_progress_nodeids_reported", None)
        if isinstance(reported, set):
            terminal._progress_nodeids_reported = _ProgressCount(len(reported))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """After the terminal has filed ``report``: slim what it filed if it passed."""
        if not report.passed:
            return
        stats = self.terminal.stats
        for key, marker in (("passed", self._PASSED), ("", None)):
            filed = stats.get(key)
            if filed and filed[-1] is report:
                if marker is None:
                    filed.pop()  # a passing setup or teardown: never counted or shown
                else:
                    filed[-1] = marker
                return


class _QuietPasses:
    """pytest's terminal ``pytest_runtest_logreport`` with a short way for a passing
    call report in a quiet run (``-q``, what ``regression_suite run`` uses).

    For every report the terminal asks all ``pytest_report_teststatus`` plugins for
    its category and letter, reads the verbosity option and works out colour
    markup: about a tenth of a 10,000-case run. When the only such plugin is the
    terminal's own (whose answer for a passing call report is ``passed``/``.``),
    this does for that report what pytest 9.2's terminal does — file it, count it,
    write a green ``.`` and flush — and hands every other report to the terminal's
    own method. Installed only where it is exact (:func:`_quiet_passes_for`); a
    test compares the output with pytest's.
    """

    def __init__(self, terminal: Any, original: Any) -> None:
        self.terminal = terminal
        self.original = original

    def __call__(self, report: pytest.TestReport) -> None:
        if (
            report.when != "call"
            or report.outcome != "passed"
            or type(report) is not pytest.TestReport
            or hasattr(report, "wasxfail")
        ):
            self.original(report)
            return
        terminal = self.terminal
        terminal._current_logreport = report
        terminal._tests_ran = True
        terminal._add_stats("passed", [report])
        terminal._progress_nodeids_reported.add(report.id)
        terminal._tw.write(".", green=True)
        if terminal._show_progress_info and not terminal._is_last_item:
            terminal._write_progress_information_if_past_edge()
        terminal.flush()


_QUIET_PASSES_COPIES = (9, 2)  # the pytest (major, minor) whose terminal code it copies


def _quiet_passes_for(config: pytest.Config, terminal: Any) -> None:
    """Put :class:`_QuietPasses` in place of the terminal's ``pytest_runtest_logreport``
    (``--gate-lean``), only where it does exactly what the terminal does: pytest 9.2's
    own terminal reporter (the one it copies: ``report.id`` is new in 9.2), not verbose, and no plugin but pytest's terminal, runner and
    skipping deciding a report's status (a plugin that changes the letter or word keeps pytest's
    path)."""
    from _pytest import runner as pytest_runner
    from _pytest import skipping as pytest_skipping
    from _pytest import terminal as pytest_terminal

    hook = config.pluginmanager.hook
    # the runner answers for setup and teardown reports only, skipping for xfail reports
    # only (``wasxfail``: pytest's path); the terminal's answer decides the rest
    known = {
        pytest_terminal.pytest_report_teststatus,
        pytest_runner.pytest_report_teststatus,
        pytest_skipping.pytest_report_teststatus,
    }
    status = {impl.function for impl in hook.pytest_report_teststatus.get_hookimpls()}
    if (
        tuple(pytest.version_tuple[:2]) != _QUIET_PASSES_COPIES
        or type(terminal) is not pytest_terminal.TerminalReporter
        or config.get_verbosity(pytest.Config.VERBOSITY_TEST_CASES) > 0
        or not status <= known
    ):
        return
    for impl in hook.pytest_runtest_logreport.get_hookimpls():
        if impl.plugin is terminal and impl.argnames == ("report",):
            try:  # pluggy types the attribute Final; were it ever read-only, pytest's path
                impl.function = _QuietPasses(terminal, impl.function)  # type: ignore[misc]
            except (AttributeError, TypeError):
                return


@functools.cache
def _ascii_width_writer() -> type:
    """pytest's terminal writer, measuring a printable-ASCII line by its length.

    pytest measures the current line's display width after every progress character
    (``wcswidth``: a Unicode normalisation and a lookup per character, ~7 us at 40
    characters, for each case). For printable ASCII that width is the length; any
    other line is measured as pytest does. Same numbers, so the same output.

    pytest marks its writer ``@final`` (no API promise to subclasses): this one is
    swapped in only for a writer of exactly that class (``pytest_sessionstart``), it
    overrides nothing but this property, and a test pins its widths to pytest's.
    """
    from _pytest._io import TerminalWriter

    class AsciiWidthWriter(TerminalWriter):  # type: ignore[misc]  # see above
        @property
        def width_of_current_line(self) -> int:
            line = getattr(self, "_current_line", None)
            if isinstance(line, str) and line.isascii() and line.isprintable():
                return len(line)
            return int(super().width_of_current_line)

    return AsciiWidthWriter


def pytest_sessionstart(session: pytest.Session) -> None:
    """``--gate-summary``: see :class:`_SlimTerminalStats`. ``--junitxml`` naming ``<gate-report-dir>/junit.xml``: the gate's reporter writes it.

    Two writers of one file would race; the gate's file has the verdict's levels
    (WARN as ``<skipped>``) and each case's own time, so pytest's is left out.
    """
    config = session.config
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if config.getoption("gate_summary") and terminal is not None:
        config.pluginmanager.register(_SlimTerminalStats(terminal), "regression_suite-slim-stats")
    if config.getoption("gate_lean") and terminal is not None:
        writer = getattr(terminal, "_tw", None)
        faster = _ascii_width_writer()
        if writer is not None and type(writer) is faster.__base__:
            writer.__class__ = faster
        _quiet_passes_for(config, terminal)
    report_dir, xmlpath = config.getoption("gate_report_dir"), config.option.xmlpath
    if not report_dir or not xmlpath:
        return
    from _pytest.junitxml import xml_key

    here = config.invocation_params.dir
    if (here / xmlpath).resolve() == (here / report_dir / "junit.xml").resolve():
        logxml = config.stash.get(xml_key, None)
        if logxml is not None:
            del config.stash[xml_key]
            config.pluginmanager.unregister(logxml)


def _scenario_roots(config: pytest.Config, scenarios_dir: Path) -> list[Path]:
    """Command-line paths under which YAML files are scenarios.

    Only paths given explicitly count (never ``testpaths`` or the invocation dir):
    the scenarios directory or a path inside it, or a YAML file named directly.
    """
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    return [
        path
        for path in _arg_paths(config)
        if path == scenarios_dir
        or scenarios_dir in path.parents
        or path.suffix in SCENARIO_SUFFIXES
    ]


def _arg_paths(config: pytest.Config) -> list[Path]:
    """The command-line paths, resolved against the invocation dir (``::node`` parts dropped)."""
    return [(config.invocation_params.dir / a.split("::")[0]).resolve() for a in config.args]


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Keep this shard's cases; refuse duplicate case ids; resolve the target early."""
    state = get_state(config)
    if state.lazy is not None:
        _select_lazy(config, state)
        return
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


def _select_lazy(config: pytest.Config, state: GateState) -> None:
    """The lazy items' shard (``--shard``) and target, as for collected items."""
    from incident_lab.errors import IncidentLabError
    from regression_suite.runner import parse_shard, shard_of

    assert state.lazy is not None
    try:
        shard = config.getoption("gate_shard")
        if shard:
            index, total = parse_shard(shard)
            state.lazy.keep(lambda group: shard_of(group, total) == index)
        state.get_target()
    except IncidentLabError as exc:
        raise pytest.UsageError(exc.render()) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    """Hand the lazy items to the run loop; replay I/O-bound cases concurrently while
    the items report one by one."""
    state = get_state(session.config)
    if state.lazy is not None:
        session.items = state.lazy  # type: ignore[assignment]
        session.testscollected = len(state.lazy)
    _replay_ahead(session)  # in a function: no list of every case stays alive below
    try:
        return (yield)
    finally:
        runs = state.runs
        if not isinstance(runs, dict):
            runs.close()
            state.runs = {}


def _replay_ahead(session: pytest.Session) -> None:
    """Start replaying the cases (I/O-bound targets): the items take their results
    as they arrive (:class:`regression_suite.runner.ReplayAhead`)."""
    state = get_state(session.config)
    config = session.config
    if state.is_worker or state.is_xdist_controller or config.option.collectonly:
        return
    lazy = state.lazy
    items = [] if lazy is not None else [i for i in session.items if isinstance(i, CaseItem)]
    count = len(lazy) if lazy is not None else len(items)
    concurrency = int(config.getoption("gate_concurrency"))
    if count < 2 or concurrency < 2 or not getattr(state.get_target(), "io_bound", False):
        return
    # the lazy items' cases are made one at a time as the replay reaches them: a list
    # of a million cases (repeats of lazy items) would be the run's peak memory
    cases: Iterable[Any] = lazy.cases() if lazy is not None else (i.case for i in items)
    from regression_suite.runner import ReplayAhead

    record = bool(config.getoption("gate_record"))

    def done(case: Any, run: Any) -> None:
        if not record:  # judged already: only --gate-record needs the trajectory
            run.trajectory = None

    state.runs = ReplayAhead(state.get_target(), cases, concurrency=concurrency, on_done=done)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Attach the report item (and, with ``--gate-record``, the trajectory) to the report."""
    report: Any = yield
    if isinstance(item, CaseItem):
        item.attach(call.when, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """With ``--gate-lean``: run a case item through :func:`regression_suite.lean.run_lean`."""
    if isinstance(item, CaseItem) and item.config.option.gate_lean:
        run_lean(item)
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
    from incident_lab.errors import ExternalError, IncidentLabError
    from regression_suite.run_report import finish

    if state.unrecorded > 0:  # never a verdict that leaves out a case's error
        state.fatal = ExternalError(
            f"pytest reported {state.unrecorded} failed, errored or skipped case phase(s) "
            "the gate has no result for (pytest's output above): no verdict"
        )
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        return
    try:
        finish(state, Path(report_dir))
    except IncidentLabError as exc:
        state.fatal = exc
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the gate's failures (``--gate-summary``) and its verdict (or why there is none)."""
    state = get_state(config)
    if state.is_worker or not state.active:
        return
    if config.getoption("gate_summary"):
        _failure_summary(terminalreporter, state.items, state.not_passed)
    if state.fatal is not None:
        terminalreporter.write_line(f"gate: no verdict: {render_error(state.fatal)}", red=True)
    elif state.collect_errors:
        terminalreporter.write_line(
            "gate: no verdict: a scenario or suite file is invalid", red=True
        )
    elif state.report is not None:
        report = state.report
        terminalreporter.write_line(f"gate: {report.get('headline') or report['verdict']}")
        for path in state.report_paths:
            terminalreporter.write_line(f"gate report: {path}")


def _failure_summary(terminalreporter: Any, items: Iterable[dict[str, Any]], count: int) -> None:
    """One section per failed or errored item, in report order: its expectation messages
    and its difference from the recorded incident.

    pytest's own failure summary (``--tb`` other than ``no``) looks up each failure's
    teardown sections by scanning every report: O(failures x items), minutes for a
    gate with thousands of failing variants. This reads the session's items (in
    report order, from their spool on disk) once, and only when ``count`` (the failed
    and errored items, counted as they were logged) is not zero.
    """
    from regression_suite.plugin_items import failure_lines

    if not count:
        return
    terminalreporter.write_sep("=", f"gate failures ({count})")
    for item in items:
        if item["outcome"] == "passed":
            continue
        label = "ERROR" if item["outcome"] == "error" else "FAILED"
        terminalreporter.write_sep("_", f"{label} {item['id']}", red=True, bold=True)
        head = f"{item['id']} ({item.get('severity') or 'no severity'}, {item.get('failure_mode')})"
        for line in failure_lines(head, str(item.get("message") or ""), item.get("diff")):
            terminalreporter.write_line(line)
