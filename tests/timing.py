"""CPU time of a piece of work, robust to a busy machine.

A linear-time test compares the CPU seconds of work on hostile input against a bound that
the quadratic (or copying) code it guards against overshoots many times over. On a shared
runner one measurement can still be inflated several-fold by other processes (cache and
core contention, a collector pass, a virtual machine's stolen time: a CI run measured
0.67 s for work that takes 0.16 s here), so a bound is judged on the least of a few cold
runs: a slow implementation is slow every time, a busy machine only sometimes.

Two ways to get there: :func:`least_cpu_seconds` inside a test, or the
:func:`pytest_pyfunc_call` hook (installed by ``tests/conftest.py``), which runs a test
whose ``time.process_time()`` bound failed again before it fails.
"""

from __future__ import annotations

import inspect
import linecache
import time
from collections.abc import Callable, Generator
from types import TracebackType

import pytest

#: How many more times a test whose CPU-time bound failed is run before it fails.
CPU_RETRIES = 2


def least_cpu_seconds(work: Callable[[int], object], runs: int = 3) -> float:
    """The least CPU time (``time.process_time``) of ``work(run)`` over ``runs`` runs.

    ``work`` gets the run's number so that it can use fresh inputs each time (work whose
    answers are memoised would otherwise be measured from the memo after the first run).
    """
    best = float("inf")
    for run in range(runs):
        start = time.process_time()
        work(run)
        best = min(best, time.process_time() - start)
    return best


def cpu_bound_failed(error: AssertionError) -> bool:
    """Whether ``error`` is a failed CPU-time bound: an ``assert`` in the test's own code
    that reads ``time.process_time()`` or a measure of this module."""
    if "process_time" in str(error):  # pytest's rewritten message names the call
        return True
    trace: TracebackType | None = error.__traceback__
    last = None
    while trace is not None:
        last = trace
        trace = trace.tb_next
    if last is None:
        return False
    line = linecache.getline(last.tb_frame.f_code.co_filename, last.tb_lineno).lstrip()
    return line.startswith("assert") and ("process_time" in line or "cpu_seconds" in line)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Run a test whose CPU-time bound failed up to :data:`CPU_RETRIES` more times, each
    after classify's per-text memos are cleared (a retry must be as cold as the first
    run, not measured from the memo it filled). The test passes only if one whole run
    passes; otherwise the first failure is reported. Any other failure fails at once."""
    try:
        return (yield)
    except AssertionError as first:
        if inspect.iscoroutinefunction(pyfuncitem.obj) or not cpu_bound_failed(first):
            raise
        from incident_lab.classify.session import clear_memo

        names = pyfuncitem._fixtureinfo.argnames
        arguments = {name: pyfuncitem.funcargs[name] for name in names}
        for _ in range(CPU_RETRIES):
            clear_memo()
            try:
                pyfuncitem.obj(**arguments)
            except Exception:  # a run again that fails in any way is a failed run
                continue
            return True
        raise
