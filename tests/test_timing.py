"""The retry of a failed CPU-time bound (``tests/timing.py``): a bound is judged on the
least of a few cold runs, and nothing else is ever retried."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

# The test module run by pytester: a bound that the first ``slow_runs`` runs overshoot (by
# burning CPU), and a record of each run and of what classify's memo held when it began.
_MODULE = """
import json
import time

from incident_lab.classify.session import _words_memo

RUNS = []


def _burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def test_bound():
    RUNS.append(_words_memo.cache_info().currsize)
    _words_memo("a memoised text " + str(len(RUNS)))
    start = time.process_time()
    if len(RUNS) <= {slow_runs}:
        _burn(0.2)
    assert time.process_time() - start < 0.1


def test_plain_failure():
    RUNS.append("plain")
    assert 1 + 1 == 3


def test_zz_report():
    print("RUNS=" + json.dumps(RUNS))
"""


def _run(pytester: pytest.Pytester, slow_runs: int) -> tuple[pytest.RunResult, list[object]]:
    pytester.makeconftest("from tests.timing import pytest_pyfunc_call as pytest_pyfunc_call\n")
    pytester.makepyfile(test_bound=_MODULE.replace("{slow_runs}", str(slow_runs)))
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:xdist", "-s")
    line = next(text for text in result.outlines if "RUNS=" in text)
    return result, json.loads(line.partition("RUNS=")[2])


def test_a_bound_overshot_once_passes_on_a_cold_run_and_nothing_else_is_retried(
    pytester: pytest.Pytester,
) -> None:
    result, runs = _run(pytester, slow_runs=1)
    result.assert_outcomes(passed=2, failed=1)
    # the bound ran twice, the second time with the memo the first run filled cleared;
    # the plain failure ran once
    assert runs == [runs[0], 0, "plain"]


def test_a_bound_overshot_every_time_fails_with_the_first_failure(
    pytester: pytest.Pytester,
) -> None:
    result, runs = _run(pytester, slow_runs=99)
    result.assert_outcomes(passed=1, failed=2)
    assert runs == [runs[0], 0, 0, "plain"]  # once and CPU_RETRIES more, each cold
    result.stdout.fnmatch_lines(["*def test_bound*", "*process_time*"])
