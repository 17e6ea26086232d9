"""The run again of a failed CPU-time bound (``tests/timing.py``): a bound is judged on the
least of a few cold runs, a failure elsewhere is reported once, and a run again can never
hide the first failure."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.timing import MAX_SLOWNESS, clear_text_memos, measured_slowness

pytest_plugins = ["pytester"]

# A module that measures CPU time: a bound that the first ``slow_runs`` runs overshoot (by
# burning CPU), with what two memos held when each run began: classify's own
# (``_words_memo``) and one that classify's clear_memo does not reach (``name_words``).
_MEASURING = """
import json
import time

import pytest

from incident_lab.classify.session import _words_memo
from incident_lab.text.lexicon import name_words

RUNS = []
SKIPPED = []


def _burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def test_bound():
    RUNS.append([_words_memo.cache_info().currsize, name_words.cache_info().currsize])
    _words_memo("a memoised text " + str(len(RUNS)))
    name_words("get_memoised_name_" + str(len(RUNS)))
    start = time.process_time()
    if len(RUNS) <= {slow_runs}:
        _burn(0.2)
    assert time.process_time() - start < 0.1


def test_a_skip_in_a_run_again_is_no_pass():
    SKIPPED.append(1)
    if len(SKIPPED) > 1:
        pytest.skip("the run again skips")
    took = 1.0
    assert took < 0.5


def test_zz_report():
    print("RUNS=" + json.dumps([RUNS, len(SKIPPED)]))
"""

# A module that measures nothing: its failure is reported at once.
_PLAIN = """
PLAIN = []


def test_plain_failure():
    PLAIN.append(1)
    assert len(PLAIN) > 1


def test_zz_report():
    print("PLAIN=" + str(len(PLAIN)))
"""


def _run(pytester: pytest.Pytester, slow_runs: int) -> tuple[pytest.RunResult, Any, int]:
    pytester.makeconftest("from tests.timing import pytest_pyfunc_call as pytest_pyfunc_call\n")
    pytester.makepyfile(
        test_measuring=_MEASURING.replace("{slow_runs}", str(slow_runs)), test_plain=_PLAIN
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:xdist", "-s")
    runs = next(t.partition("RUNS=")[2] for t in result.outlines if "RUNS=" in t)
    plain = next(t.partition("PLAIN=")[2] for t in result.outlines if "PLAIN=" in t)
    return result, json.loads(runs), int(plain.split()[0])


def _runs_recorded(result: pytest.RunResult, name: str) -> list[object]:
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    return [
        value
        for r in reports
        if r.when == "call" and r.nodeid.endswith(name)
        for key, value in r.user_properties
        if key == "cpu_bound_runs"
    ]


def test_a_bound_overshot_once_passes_on_a_cold_run_and_says_so(pytester: pytest.Pytester) -> None:
    result, (runs, skipped), plain = _run(pytester, slow_runs=1)
    result.assert_outcomes(passed=3, failed=2)
    # two runs; the second began with both memos empty, not only classify's own
    assert len(runs) == 2 and runs[1] == [0, 0], runs
    assert _runs_recorded(result, "test_bound") == [2]
    # a failure in a module that measures no CPU time is run once
    assert plain == 1
    # a bound written as "assert took < 0.5" in a module that measures CPU time is run again,
    # and a run again that skips is a failed run: the first failure is reported, no skip
    assert skipped == 3
    result.stdout.fnmatch_lines(["*test_a_skip_in_a_run_again_is_no_pass*", "*took < 0.5*"])
    assert "skipped" not in result.stdout.lines[-1]


def test_a_bound_overshot_every_time_fails_with_the_first_failure(
    pytester: pytest.Pytester,
) -> None:
    result, (runs, _), _ = _run(pytester, slow_runs=99)
    result.assert_outcomes(passed=2, failed=3)
    assert [run[0] for run in runs[1:]] == [0, 0] and len(runs) == 3  # once and twice more
    assert _runs_recorded(result, "test_bound") == []
    result.stdout.fnmatch_lines(["*def test_bound*", "*process_time*"])


def test_clearing_the_memos_reaches_every_per_text_memo_and_keeps_patterns() -> None:
    """After a session is classified, every bounded memo of the packages is empty once
    cleared, except compiled patterns (a run again must not read another run's answers)."""
    import sys

    from incident_lab.classify import classify_trajectory
    from incident_lab.provenance.actions import _verb_pattern
    from tests.incident_lab.classify.builders import call, result, traj, user

    classify_trajectory(
        traj(user("Summarise the report and email it to bob@corp.example."),
             call("read_document", "1", doc_id="d"), result("Quarterly revenue grew.", "1"),
             call("send_email", "2", to="bob@corp.example", body="Revenue grew."),
             result("sent", "2"))
    )  # fmt: skip
    assert clear_text_memos() > 20
    left = {
        f"{module_name}.{name}": value.cache_info().currsize
        for module_name, module in list(sys.modules.items())
        if module_name.startswith("incident_lab") and module is not None
        for name, value in list(vars(module).items())
        if not isinstance(value, type)
        and callable(getattr(value, "cache_info", None))
        and value.cache_info().maxsize is not None
        and "pattern" not in name.lower()
        and value.cache_info().currsize
    }
    kept = {
        "incident_lab.provenance.tools._any_name",
        "incident_lab.provenance.values._pattern",
        "incident_lab.provenance.cues._closing_tag",  # compiled tag patterns
        "incident_lab.provenance.cues._opening_tag",
    }
    assert set(left) <= kept | {"incident_lab.provenance.analysis._source_of_result"}, left
    assert _verb_pattern.cache_info().currsize > 0  # compiled patterns stay


def test_a_slower_machine_stretches_the_bound_within_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reference work measured on a machine three times slower (a CPU clock that runs
    3x) reads as about 3x; one 100x slower is capped, so a quadratic stays caught."""
    real = time.process_time
    monkeypatch.setattr(time, "process_time", lambda: real() * 2.5)
    assert 2.0 <= measured_slowness() <= MAX_SLOWNESS
    monkeypatch.setattr(time, "process_time", lambda: real() * 100)
    assert measured_slowness() == MAX_SLOWNESS
