"""Per-case shortcuts of gate runs give what pytest gives: line widths (so the same output), keywords."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _pytest._io import TerminalWriter
from hypothesis import given, settings
from hypothesis import strategies as st

from regression_suite.pytest_plugin import _QUIET_PASSES_COPIES, _ascii_width_writer
from tests.regression_suite._library import AGENT_SOURCE, scenario, write, write_suite

pytest_plugins = ["pytester"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [".", "F", "E", "s", " ", "[", "%", "a", "\t", "\n", "\x1b", "\x7f", "é",
                 "e\u0301", "\u200b", "\u4e2d", "\U0001f600", "\u0301"]
            ),
            max_size=8,
        ).map("".join),
        max_size=6,
    )
)  # fmt: skip
def test_width_of_the_current_line_is_pytests(pieces: list[str]) -> None:
    """After any sequence of writes (ASCII progress, control characters, combining and
    wide characters), the width is the one pytest's own writer computes."""
    ours = _ascii_width_writer()(file=io.StringIO())
    theirs = TerminalWriter(file=io.StringIO())
    for piece in pieces:
        ours.write(piece)
        theirs.write(piece)
        assert ours.width_of_current_line == theirs.width_of_current_line


def test_gate_runs_use_it_and_other_runs_do_not(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--gate-lean`` (what regression_suite run passes) swaps the terminal's writer;
    a plain pytest run with the plugin keeps pytest's."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", scenario("inc-0"), scenario("inc-1"))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    pytester.makeconftest(
        "def pytest_terminal_summary(terminalreporter):\n"
        "    terminalreporter.write_line('writer: ' + type(terminalreporter._tw).__name__)\n"
    )
    args = ["--suite", "gate", "--target", "python:agents:refuse", "-p", "no:randomly"]
    lean = pytester.runpytest(*args, "--gate-lean")
    lean.assert_outcomes(passed=2)
    lean.stdout.fnmatch_lines(["writer: AsciiWidthWriter"])
    plain = pytester.runpytest(*args)
    plain.assert_outcomes(passed=2)
    plain.stdout.fnmatch_lines(["writer: TerminalWriter"])


def test_lean_keywords_equal_pytests_in_order(pytester: pytest.Pytester) -> None:
    """The lean protocol's keywords (parents' part worked out once) are pytest's own,
    in the same order, with markers on the item and on a parent."""
    from regression_suite.lean import _keywords

    pytester.makeini("[pytest]\nmarkers =\n    module_mark\n    slow\n    late\n")
    items = pytester.getitems(
        "import pytest\n"
        "pytestmark = pytest.mark.module_mark\n"
        "class TestGroup:\n"
        "    @pytest.mark.slow\n"
        "    def test_a(self): pass\n"
        "    def test_b(self): pass\n"
    )
    items[1].add_marker("late")
    for item in items:
        expected = dict.fromkeys(item.keywords, 1)
        assert list(_keywords(item).items()) == list(expected.items())
        assert list(_keywords(item).items()) == list(expected.items())  # cached parent part
    assert "late" in _keywords(items[1]) and "late" not in _keywords(items[0])


_REPORT_LOGGER = """
import json

def pytest_runtest_logreport(report):
    with open("reports.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps([
            report.nodeid, report.when, report.outcome, str(report.longrepr),
            list(report.location), sorted(report.keywords), report.sections,
            report.user_properties, report.duration >= 0, report.stop >= report.start,
        ]) + "\\n")
"""


@pytest.mark.parametrize(("agent", "reports"), [("leak_some", 6), ("crash", 4), ("invalid", 4)])
def test_lean_reports_are_pytests(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, agent: str, reports: int
) -> None:
    """With a plugin that logs every report (so passing setup/teardown reports are made
    too), the lean protocol's reports of passing, failing and erroring cases are the
    ones pytest's own protocol makes: same phases, outcomes, failure text, location,
    keywords; durations and times measured."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", scenario("inc-0"), scenario("inc-1"))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    pytester.makeconftest(_REPORT_LOGGER)
    args = ["--suite", "gate", "--target", f"python:agents:{agent}", "-p", "no:randomly"]
    logged = {}
    for mode in ("lean", "pytest"):
        log = pytester.path / "reports.jsonl"
        log.unlink(missing_ok=True)
        pytester.runpytest(*args, *(["--gate-lean"] if mode == "lean" else []))
        logged[mode] = log.read_text("utf-8").splitlines()
    # setup, call (when setup passed: not for a target error), teardown; two cases
    assert len(logged["lean"]) == reports
    assert logged["lean"] == logged["pytest"]


_SEGFAULT_AGENT = """
import ctypes

def segfault(replay):
    ctypes.string_at(0)
"""


def test_a_crashing_target_still_dumps_tracebacks(tmp_path: Path) -> None:
    """``regression_suite run`` leaves pytest's faulthandler plugin out; the gate turns
    Python's fault handler on itself, so a target that crashes the interpreter still
    leaves its traceback on stderr."""
    lib = write(tmp_path / "scenarios", scenario("inc-0"))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (tmp_path / "crasher.py").write_text(_SEGFAULT_AGENT, "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONFAULTHANDLER",)}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])
    done = subprocess.run(
        [sys.executable, "-m", "regression_suite", "run", "--suite", "gate",
         "--target", "python:crasher:segfault", "--scenarios-dir", str(lib),
         "--report-dir", str(tmp_path / "out"), "--scenario-cache", "off"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode < 0 or done.returncode > 128, done.stderr
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert 'crasher.py", line 5 in segfault' in done.stderr


_STATUS_PLUGIN = """
def pytest_report_teststatus(report):
    return None  # decides nothing: only its presence matters (the terminal's own path)
"""

_WHICH_PATH = """
def pytest_terminal_summary(terminalreporter, config):
    impls = config.pluginmanager.hook.pytest_runtest_logreport.get_hookimpls()
    names = [type(i.function).__name__ for i in impls if i.plugin is terminalreporter]
    terminalreporter.write_line("terminal path: " + ",".join(names))
"""


@pytest.mark.parametrize("verbosity", [["-q"], [], ["-p", "no:capture"]])
def test_quiet_passes_print_what_pytests_terminal_prints(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, verbosity: list[str]
) -> None:
    """The terminal's short way for passing call reports (``--gate-lean``) prints what
    pytest's own path prints (progress letters, percentages, summary) for passing,
    failing and erroring cases; a plugin deciding report statuses turns it off."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    ids = [f"inc-{i}" for i in range(90)]  # more than a line of progress letters
    lib = write(pytester.path / "scenarios", *(scenario(i) for i in ids))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(
        AGENT_SOURCE + "\ndef mixed(replay):\n"
        "    n = int(replay['scenario_id'].split('-')[1])\n"
        "    return (leak, refuse, invalid)[n % 3](replay)\n",
        "utf-8",
    )
    pytester.syspathinsert()
    # as in a gate run: no third-party plugin (some decide report statuses too), and
    # not pytest's subtests plugin (it may change a top-level report's outcome)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    args = ["-p", "regression_suite.pytest_plugin", "-p", "no:subtests", "--suite", "gate"]
    args += ["--target", "python:agents:mixed"]
    outputs = {}
    for path, plugins, lean in (
        ("short", _WHICH_PATH, ["--gate-lean"]),
        ("pytest's", _WHICH_PATH + _STATUS_PLUGIN, ["--gate-lean"]),
        ("protocol", _WHICH_PATH, []),  # pytest's own runtest protocol
    ):
        pytester.makeconftest(plugins)
        result = pytester.runpytest(*args, *lean, *verbosity)
        result.assert_outcomes(passed=30, failed=30, errors=30)
        # "collected N items": --gate-lean makes the items lazily (0 at collection)
        lines = [line for line in result.outlines if not line.startswith("collected ")]
        outputs[path] = [re.sub(r" in [\d.]+s", "", line) for line in lines]
    assert _SHORT_PATH in outputs["short"]
    outputs["short"].remove(_SHORT_PATH)
    for path in ("pytest's", "protocol"):
        assert "terminal path: method" in outputs[path]
        outputs[path].remove("terminal path: method")
        assert outputs["short"] == outputs[path]


#: What the short way prints under the installed pytest: the swap where it copies this
#: pytest's terminal, the terminal's own method under any other (the suite runs on every
#: pytest the project allows).
_SHORT_PATH = (
    "terminal path: _QuietPasses"
    if tuple(pytest.version_tuple[:2]) == _QUIET_PASSES_COPIES
    else "terminal path: method"
)


def _gate_lean_output(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A quiet ``--gate-lean`` run of 6 mixed cases: its output, timings left out."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(6)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    pytester.makeconftest(_WHICH_PATH)
    args = ["-p", "regression_suite.pytest_plugin", "-p", "no:subtests", "--suite", "gate"]
    result = pytester.runpytest(*args, "--target", "python:agents:leak_some", "--gate-lean", "-q")
    result.assert_outcomes(passed=5, failed=1)
    return [re.sub(r" in [\d.]+s", "", line) for line in result.outlines]


@pytest.mark.parametrize("version", [(9, 0, 0), (9, 1, 2), (9, 3, 0), (8, 4, 1), (10, 2, 0)])
def test_quiet_passes_only_for_the_pytest_whose_terminal_it_copies(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, version: tuple[int, int, int]
) -> None:
    """The short way copies pytest 9.2's terminal (``report.id`` is 9.2's): under any
    other pytest version the terminal's own method stays (9.0/9.1 would otherwise stop
    every gate run with an INTERNALERROR)."""
    monkeypatch.setattr(pytest, "version_tuple", version)
    assert "terminal path: method" in _gate_lean_output(pytester, monkeypatch)


_REFUSED = AttributeError("function is read-only")


def test_refused_swap_keeps_pytests_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where pluggy refuses the swap (a read-only ``HookImpl.function``), the run keeps
    the terminal's own method and prints what the short way prints."""
    from pluggy import HookImpl

    short = _gate_lean_output(pytester, monkeypatch)
    assert _SHORT_PATH in short
    slot = HookImpl.__dict__["function"]

    class SetOnce:
        """``function`` settable once (in ``__init__``), read-only afterwards."""

        def __get__(self, obj: object, typ: type | None = None) -> object:
            return self if obj is None else slot.__get__(obj, typ)

        def __set__(self, obj: object, value: object) -> None:
            try:
                slot.__get__(obj, type(obj))
            except AttributeError:
                slot.__set__(obj, value)
                return
            raise _REFUSED

    monkeypatch.setattr(HookImpl, "function", SetOnce())
    refused = _gate_lean_output(pytester, monkeypatch)
    assert "terminal path: method" in refused
    short.remove(_SHORT_PATH)
    refused.remove("terminal path: method")
    assert refused == short


_COUNTER = """
import collections
seen = collections.Counter()

def pytest_runtest_logstart(nodeid, location):
    seen["start " + location[2]] += 1

def pytest_runtest_logfinish(nodeid, location):
    seen["finish " + location[2]] += 1

def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line("counted: %s" % sorted(set(seen.values())))
    terminalreporter.write_line("counted items: %d" % len(seen))
"""


def test_start_and_finish_reach_a_plugin_that_listens(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lean protocol leaves out ``pytest_runtest_logstart``/``logfinish`` only when
    no plugin but a quiet terminal would hear them: a plugin implementing them sees
    each case start and finish once, in a quiet run too."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(3)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    pytester.makeconftest(_COUNTER)
    args = ["--suite", "gate", "--target", "python:agents:leak_some", "-p", "no:randomly"]
    result = pytester.runpytest(*args, "--gate-lean", "-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["counted: [1]", "counted items: 6"])


_ALIVE = """
import gc
import weakref

import pytest

refs = []
alive = []

def pytest_sessionstart(session):
    gc.disable()  # only reference counting frees anything in this run

@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    refs.append(weakref.ref(item))
    alive.append(sum(ref() is not None for ref in refs))
    return (yield)

def pytest_terminal_summary(terminalreporter):
    gc.enable()
    terminalreporter.write_line("most alive at once: %d" % max(alive))
"""


def test_run_items_are_freed_without_the_garbage_collector(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lazily made item is freed by reference counting once the run loop drops it
    (pytest's keywords refer back to their item: a cycle left to the collector kept
    thousands of run items alive between collections)."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(30)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    pytester.makeconftest(_ALIVE)
    args = ["--suite", "gate", "--target", "python:agents:refuse", "-p", "no:randomly"]
    # in a subprocess: an in-process run's hook recorder keeps every item it saw
    result = pytester.runpytest_subprocess(*args, "--gate-lean", "-q")
    result.assert_outcomes(passed=30)
    result.stdout.fnmatch_lines(["most alive at once: 2"])  # this item and the one before


def test_settle_freezes_only_inside_a_tuned_run() -> None:
    """``settle`` (called as pytest starts) moves what exists into the permanent
    generation inside :func:`gc_tuned` (the resolved suite lives as long as the run), does
    nothing outside one, and the tuned run leaves nothing frozen."""
    import gc

    from regression_suite.pytest_run import gc_tuned, settle

    assert gc.get_freeze_count() == 0
    settle()
    assert gc.get_freeze_count() == 0  # not tuned: nothing frozen

    def run() -> tuple[int, int]:
        before = gc.get_freeze_count()
        stubs = [[i] for i in range(1000)]  # 1,000 tracked objects made after the tuned start
        settle()
        assert stubs
        return before, gc.get_freeze_count()

    before, after = gc_tuned(run)()
    assert after >= before + 1000
    assert gc.get_freeze_count() == 0
