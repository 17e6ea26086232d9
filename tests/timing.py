"""CPU time of a piece of work, robust to a busy machine.

A linear-time test compares the CPU seconds of work on hostile input against a bound that
the quadratic (or copying) code it guards against overshoots many times over. On a shared
runner one measurement can still be inflated several-fold by other processes (cache and
core contention, a collector pass), so tests take the least of a few runs: a slow
implementation is slow every time, a busy machine only sometimes.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
