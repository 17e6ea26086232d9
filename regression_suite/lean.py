"""The lean runtest protocol (``--gate-lean``): a case's reports without per-phase hooks.

``regression_suite run`` sets ``--gate-lean``; the plugin's
``pytest_runtest_protocol`` then runs each case item through :func:`run_lean`.
"""

from __future__ import annotations

import sys
from time import perf_counter as _counter
from time import time as _wall
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from regression_suite.plugin_items import CaseItem


def run_lean(item: CaseItem) -> None:
    """The runtest protocol, minus what a case does not need.

    Same reports as pytest's own protocol (setup, call when setup passed,
    teardown; logged through ``pytest_runtest_logreport`` so JUnit XML, the
    terminal, pytest-xdist and the gate see them), built directly: a case has
    no fixtures, setup state or markers to evaluate, so the per-phase
    ``pytest_runtest_setup/call/teardown/makereport`` hooks are skipped
    (about a fifth of the time per case). A failing phase's report is made by
    ``TestReport.from_item_and_call``, exactly as pytest does. When no plugin
    listens to passing setup and teardown reports (:func:`_quiet_passes`), those
    two are not made (two of a passing case's three reports).

    Args:
        item: The case item to run.
    """
    ihook = _ihook(item)
    nodeid, location = item.nodeid, item.location  # worked out once for every use
    log_start, log_finish = _listened(item.config)
    if log_start:
        ihook.pytest_runtest_logstart(nodeid=nodeid, location=location)
    # pytest >= 9 keys reports by the structured ``item.id`` (as from_item_and_call
    # does); junitxml pairs a case's reports by it. Older pytest has only nodeid.
    report_id = getattr(item, "id", None)
    # one copy of the keywords for the three reports
    head = (nodeid if report_id is None else report_id, location, _keywords(item))
    quiet = _quiet_passes(item.config)
    if _lean_phase(item, ihook, "setup", item.setup, head, quiet):
        _lean_phase(item, ihook, "call", item.runtest, head, False)
    if quiet:  # a case's teardown does nothing: nothing can fail, no report is made
        item.attach("teardown", None)
    else:
        _lean_phase(item, ihook, "teardown", _nothing, head, quiet)
    if log_finish:
        ihook.pytest_runtest_logfinish(nodeid=nodeid, location=location)


def _ihook(item: CaseItem) -> Any:
    """``item.ihook``, looked up once per parent: pytest works out the hook proxy from
    the item's path (which conftest plugins apply) every time, and a parent's items
    share its path."""
    parent = item.parent
    ihook = getattr(parent, "_gate_ihook", None)
    if ihook is None or parent is None:
        ihook = item.ihook
        if parent is not None:
            parent._gate_ihook = ihook  # type: ignore[attr-defined]
    return ihook


def _keywords(item: CaseItem) -> dict[str, Any]:
    """``dict.fromkeys(item.keywords, 1)``, the parents' part worked out once per parent.

    Iterating ``item.keywords`` walks the whole parent chain (about 14 generator steps
    a case); the item's own keywords come first, then its parent's not already there,
    which is what updating a copy of the item's own with the parent's gives.
    """
    own = getattr(item.keywords, "_markers", None)
    parent = item.parent
    if not isinstance(own, dict) or parent is None:
        return dict.fromkeys(item.keywords, 1)
    inherited = getattr(parent, "_gate_keywords", None)
    if inherited is None:
        inherited = dict.fromkeys(parent.keywords, 1)
        parent._gate_keywords = inherited  # type: ignore[attr-defined]
    keywords = dict.fromkeys(own, 1)
    keywords.update(inherited)
    return keywords


#: The plugins whose ``pytest_runtest_logreport`` does nothing with a passing setup or
#: teardown report: pytest's terminal (counts nothing, prints nothing for them) and
#: session (counts failures), and the gate's own (reads the item off the call report).
_PASSES_IGNORED_BY = frozenset(
    {"terminalreporter", "session", "regression_suite-state", "regression_suite-slim-stats"}
)


def _quiet_passes(config: pytest.Config) -> bool:
    """True when no plugin listens to passing setup/teardown reports (decided once a
    session): then they are not made. pytest's JUnit XML, xdist and any third-party
    plugin that logs reports keep them all."""
    quiet = config.stash.get(_QUIET_KEY, None)
    if quiet is None:
        hook = config.pluginmanager.hook.pytest_runtest_logreport
        names = {config.pluginmanager.get_name(impl.plugin) for impl in hook.get_hookimpls()}
        quiet = names <= _PASSES_IGNORED_BY
        config.stash[_QUIET_KEY] = quiet
    return quiet


_QUIET_KEY = pytest.StashKey[bool]()


def _listened(config: pytest.Config) -> tuple[bool, bool]:
    """Whether ``pytest_runtest_logstart`` and ``pytest_runtest_logfinish`` would do
    anything (decided once a session); when not, they are not called.

    ``logfinish``: not when no plugin implements it (a gate run: logging is off).
    ``logstart``: not when pytest 9's terminal is its only implementer and the run is
    quiet (``-q``: it neither names the test nor its file, it only asks for the
    verbosity twice). Any other plugin (logging, xdist, a third party's) gets both.
    """
    found = config.stash.get(_LISTENED_KEY, None)
    if found is None:
        from _pytest.terminal import TerminalReporter

        hook = config.pluginmanager.hook
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        starts = [impl.plugin for impl in hook.pytest_runtest_logstart.get_hookimpls()]
        quiet_terminal = (
            pytest.version_tuple[0] == 9
            and type(terminal) is TerminalReporter
            and getattr(terminal, "_showfspath", True) is None
            and config.get_verbosity(pytest.Config.VERBOSITY_TEST_CASES) < 0
        )
        found = (
            not (quiet_terminal and starts == [terminal]),
            bool(hook.pytest_runtest_logfinish.get_hookimpls()),
        )
        config.stash[_LISTENED_KEY] = found
    return found


_LISTENED_KEY = pytest.StashKey[tuple[bool, bool]]()


def _lean_phase(
    item: CaseItem,
    ihook: Any,
    when: Any,
    func: Any,
    head: tuple[Any, tuple[str, int | None, str], dict[str, Any]],
    quiet: bool,
) -> bool:
    """One phase: ``func`` called and its report made and logged (see :func:`run_lean`;
    ``head``: the report's node id, location and keywords).

    A phase that passes is timed with the clocks ``pytest.CallInfo.from_call`` reads
    (wall time for ``start``/``stop``, the performance counter for ``duration``) but
    without making its ``CallInfo`` and two ``Instant`` objects (frozen dataclasses,
    about 3 us a phase); a phase that raises gets the ``CallInfo`` pytest would make.
    """
    start, begun = _wall(), _counter()
    try:
        func()
    except _RERAISE:
        raise
    except BaseException:
        call = _failed_call(when, start, _wall(), _counter() - begun)
        return _failed_phase(item, ihook, call)
    if quiet:
        item.attach(when, None)  # nothing to put on a passing setup/teardown: lets go
        return True
    duration, stop = _counter() - begun, _wall()
    report_id, location, keywords = head
    report = pytest.TestReport(
        report_id, location, keywords, "passed", None,
        when, [], duration, start, stop, item.user_properties,
    )  # fmt: skip
    item.attach(when, report)
    ihook.pytest_runtest_logreport(report=report)
    return True


def _failed_call(when: Any, start: float, stop: float, duration: float) -> pytest.CallInfo[None]:
    """The ``CallInfo`` of a phase that raised (called in its ``except`` block), as
    ``pytest.CallInfo.from_call`` makes it (that is how pytest's own runner calls
    the private ``_ispytest`` constructor)."""
    excinfo = pytest.ExceptionInfo.from_current()
    return pytest.CallInfo(
        None, excinfo, start, stop, duration, when, _ispytest=True
    )  # fmt: skip


def _failed_phase(item: CaseItem, ihook: Any, call: pytest.CallInfo[None]) -> bool:
    """Report a phase that raised exactly as pytest does (``from_item_and_call``), log
    it and let plugins interact with the exception."""
    report = pytest.TestReport.from_item_and_call(item, call)
    item.attach(call.when, report)
    ihook.pytest_runtest_logreport(report=report)
    excinfo = call.excinfo
    if excinfo is not None and not isinstance(excinfo.value, pytest.skip.Exception):
        ihook.pytest_exception_interact(node=item, call=call, report=report)
    return bool(report.passed)


def _nothing() -> None:
    """A case's teardown: nothing to undo."""


#: What pytest never turns into a report (Ctrl-C, pytest.exit): propagated.
_RERAISE = (pytest.exit.Exception, KeyboardInterrupt)


def crash_tracebacks_on(config: pytest.Config) -> None:
    """Python's fault handler on for the run, as pytest's ``faulthandler`` plugin turns
    it on, when that plugin is not loaded (``regression_suite run`` leaves it out: its
    only per-item work, a ``faulthandler_timeout``, is never set in a gate run, and
    its hook wrapper cost every case two ini look-ups). A crash of the target (a
    segmentation fault in an extension) still prints every thread's traceback."""
    import faulthandler

    if config.pluginmanager.has_plugin("faulthandler") or faulthandler.is_enabled():
        return
    stream = sys.__stderr__
    if stream is None:
        return
    try:
        faulthandler.enable(file=stream)
    except (OSError, ValueError, AttributeError):  # stderr closed or not a file
        return
    config.stash[_FAULTHANDLER_KEY] = True


def crash_tracebacks_off(config: pytest.Config) -> None:
    """Undo :func:`crash_tracebacks_on` (``regression_suite run`` is also called
    in-process, by ``incident_lab demo`` and the tests)."""
    import faulthandler

    if config.stash.get(_FAULTHANDLER_KEY, False):
        faulthandler.disable()
        del config.stash[_FAULTHANDLER_KEY]


_FAULTHANDLER_KEY = pytest.StashKey[bool]()
