"""CPU time of a piece of work, robust to a busy machine.

A linear-time test compares the CPU seconds of work on hostile input against a bound that
the quadratic (or copying) code it guards against overshoots many times over. On a shared
runner one measurement can still be inflated several-fold by other processes (cache and
core contention, a collector pass, a virtual machine's stolen time: a CI run measured
0.67 s for work that takes 0.16 s here), so a bound is judged on the least of a few cold
runs: a slow implementation is slow every time, a busy machine only sometimes.

Two ways to get there: :func:`least_cpu_seconds` inside a test, or the
:func:`pytest_pyfunc_call` hook (installed by ``tests/conftest.py``), which runs a test of a
module that measures CPU time again, cold, before it fails.
"""

from __future__ import annotations

import functools
import linecache
import re
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from types import TracebackType

import pytest

#: How many more times a test whose CPU-time bound failed is run before it fails.
CPU_RETRIES = 2


def least_cpu_seconds(work: Callable[[int], object], runs: int = 3) -> float:
    """The least CPU time (``time.process_time``) of ``work(run)`` over ``runs`` runs, in
    seconds of the reference machine: divided by :func:`slowness`, so that a bound set
    where the code was written holds on a slower CI runner (one measured 0.60 s for work
    that takes 0.30 s here, with the same code).

    ``work`` gets the run's number so that it can use fresh inputs each time (work whose
    answers are memoised would otherwise be measured from the memo after the first run).
    """
    best = float("inf")
    for run in range(runs):
        start = time.process_time()
        work(run)
        best = min(best, time.process_time() - start)
    return best / slowness()


#: Least CPU seconds of :func:`_reference_work` on the machine the bounds were set on (2
#: cores, Python 3.11; least of 7 runs, four times: 0.0512-0.0514 s).
REFERENCE_SECONDS = 0.051
#: The most a bound is stretched: the quadratic code a bound guards against is 10-100
#: times slower, so a slower machine may not hide it.
MAX_SLOWNESS = 3.0


def _reference_work() -> frozenset[str]:
    """Pure-Python work of the kind the bounded code does (strings, dicts, a regex)."""
    words = [f"word{k} Item" for k in range(60_000)]
    seen = {}
    for word in words:
        seen[word.lower()] = len(word.split())
    text = " ".join(words)
    re.findall(r"[a-z]+\d+", text)
    return frozenset(text.split())


def measured_slowness(runs: int = 7) -> float:
    """How many times slower than the reference machine this one runs
    :func:`_reference_work` (least of ``runs`` runs), between 1 (a faster machine keeps
    the bound as written) and :data:`MAX_SLOWNESS`."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        _reference_work()
        best = min(best, time.process_time() - start)
    return min(MAX_SLOWNESS, max(1.0, best / REFERENCE_SECONDS))


@functools.cache
def slowness() -> float:
    """:func:`measured_slowness`, measured once per test session."""
    return measured_slowness()


def cpu_bound_failed(error: AssertionError, module_file: str) -> bool:
    """Whether ``error`` may be a failed CPU-time bound: pytest's message or the failing
    line reads ``time.process_time()`` or a measure of this module, or the test's module
    measures CPU time at all (a bound written as ``assert took < 0.5`` or inside a helper
    names neither). A deterministic failure of such a module fails on every run, so it is
    only slower to report."""
    if "process_time" in str(error):  # pytest's rewritten message names the call
        return True
    trace: TracebackType | None = error.__traceback__
    last = None
    while trace is not None:
        last = trace
        trace = trace.tb_next
    if last is not None:
        line = linecache.getline(last.tb_frame.f_code.co_filename, last.tb_lineno)
        if "process_time" in line or "cpu_seconds" in line:
            return True
    return _measures_cpu(module_file)


@functools.cache
def _measures_cpu(module_file: str) -> bool:
    try:
        text = Path(module_file).read_text("utf-8")
    except OSError:
        return False
    return "process_time" in text or "cpu_seconds" in text


#: Memos kept on purpose between runs: compiled patterns built from a word, a value or a
#: tool list, never from a session's text (``incident_lab.provenance.cues.PATTERN_CACHES``
#: and every cache named for a pattern).
def _keeps_patterns(module: str, name: str) -> bool:
    from incident_lab.provenance.cues import PATTERN_CACHES

    return "pattern" in name.lower() or f"{module.rsplit('.', 1)[-1]}.{name}" in PATTERN_CACHES


def clear_text_memos() -> int:
    """Forget every bounded memo of incident_lab and regression_suite (per-text results:
    ``functools.lru_cache`` with a size and :class:`incident_lab.text.memo.TextMemo`), as a
    first run in a new process finds them; unbounded caches (a schema, the detectors, a
    loaded config) and compiled patterns stay. Returns how many memos were cleared."""
    from incident_lab.classify.session import clear_memo

    clear_memo()  # also the provenance analysis' own dictionaries
    cleared = 0
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(("incident_lab", "regression_suite")) or module is None:
            continue
        for name, value in list(vars(module).items()):
            info = getattr(value, "cache_info", None)
            if isinstance(value, type) or not callable(info):
                continue
            if info().maxsize is None or _keeps_patterns(module_name, name):
                continue
            value.cache_clear()
            cleared += 1
    return cleared


#: What a run again may raise and still be a failed run, not the test's outcome: a pytest
#: ``fail``/``skip``/``xfail`` there must not replace the first run's failure.
_RUN_AGAIN_FAILED = (
    Exception,
    pytest.fail.Exception,
    pytest.skip.Exception,
    pytest.xfail.Exception,
)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Run a test whose CPU-time bound failed (:func:`cpu_bound_failed`) up to
    :data:`CPU_RETRIES` more times, each after every per-text memo is cleared
    (:func:`clear_text_memos`: a run again must be as cold as the first, not measured from
    the memo the first run filled). The test passes only if one whole run passes, and then
    records how many runs it took (``user_properties`` ``cpu_bound_runs``, so a bound that
    drifts up is visible); otherwise the first failure is reported. Any other failure
    fails at once. A run again reuses the first run's fixtures (their values, tmp_path)."""
    try:
        return (yield)
    except AssertionError as first:
        if not cpu_bound_failed(first, str(pyfuncitem.path)):
            raise
        names = pyfuncitem._fixtureinfo.argnames
        arguments = {name: pyfuncitem.funcargs[name] for name in names}
        for run in range(2, CPU_RETRIES + 2):
            clear_text_memos()
            try:
                pyfuncitem.obj(**arguments)
            except _RUN_AGAIN_FAILED:
                continue
            pyfuncitem.user_properties.append(("cpu_bound_runs", run))
            return True
        raise
