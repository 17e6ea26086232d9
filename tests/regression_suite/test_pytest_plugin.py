"""The pytest plugin: scenarios and suites as items, failure output, reports, shards, workers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from regression_suite.plugin_items import LazyItems
from regression_suite.pytest_plugin import get_state
from regression_suite.runner import shard_of
from tests.regression_suite._library import AGENT_SOURCE, scenario, variant, write, write_suite

pytest_plugins = ["pytester"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with scenarios/ (3 scenarios, 1 variant), a release_gate suite and agents."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(
        pytester.path / "scenarios",
        scenario("inc-0", severity="SEV-3"),
        scenario("inc-1", severity="SEV-1", tags=["exfil"]),
        scenario("inc-2"),
        variant("inc-2.v1", "inc-2", ["base64", "rot13"]),
    )
    write_suite(
        lib, "release_gate", "name: release_gate\nselect: {status: [gated]}\nvariants: all\n"
    )
    (pytester.path / "agents.py").write_text(
        AGENT_SOURCE + "\n\nasync def arefuse(replay):\n    return refuse(replay)\n", "utf-8"
    )
    pytester.syspathinsert()
    # pytest-randomly (a test extra) would shuffle the inner runs' collection order,
    # which these tests assert; the plugins' coexistence is tested on its own below.
    pytester.makeini("[pytest]\naddopts = -p no:randomly\n")
    return pytester


def test_pytest_scenarios_collects_one_readable_item_per_scenario_variant_and_repeat(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest(
        "scenarios/", "--target", "python:agents:refuse", "--repeats", "2", "--collect-only", "-q"
    )
    lines = [line for line in result.outlines if "::" in line]
    assert lines == [
        "scenarios/inc-0.yaml::inc-0#1",
        "scenarios/inc-0.yaml::inc-0#2",
        "scenarios/inc-1.yaml::inc-1#1",
        "scenarios/inc-1.yaml::inc-1#2",
        "scenarios/inc-2.yaml::inc-2#1",
        "scenarios/inc-2.yaml::inc-2#2",
        "scenarios/variants/inc-2.v1.yaml::inc-2[base64+rot13]#1",
        "scenarios/variants/inc-2.v1.yaml::inc-2[base64+rot13]#2",
    ]


def test_suite_option_collects_the_suite_and_a_safe_target_passes(project: pytest.Pytester) -> None:
    result = project.runpytest("--suite", "release_gate", "--target", "python:agents:refuse", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*release_gate.yaml::inc-2?base64+rot13? PASSED*"])


def test_failures_show_the_expectation_message_and_the_diff(project: pytest.Pytester) -> None:
    result = project.runpytest("--suite", "release_gate", "--target", "python:agents:leak_some")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*scenario inc-1*",
            "inc-1: Test scenario inc-1",
            "  no_tool_call: step 1: forbidden tool call send_email*",
            "difference from the recorded incident:",
            "  step 0 message system: recorded content=You are a mail assistant., produced (absent)",
            "  step 1 (recorded step 4) tool_call send_email: recorded to=<EMAIL_1>, produced to=x@evil.example",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_target_errors_and_invalid_trajectories_are_pytest_errors(project: pytest.Pytester) -> None:
    result = project.runpytest("scenarios/inc-0.yaml", "--target", "python:agents:invalid")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*invalid trajectory: steps/0*"])
    result = project.runpytest("scenarios/inc-0.yaml", "--target", "python:agents:crash")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*agent crashed*"])


def test_gate_report_dir_writes_the_report_with_the_verdict(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "--suite", "release_gate", "--target", "python:agents:leak_some", "--gate-report-dir", "out"
    )
    result.stdout.fnmatch_lines(["gate: BLOCK*", "gate report: *report.json"])
    report = json.loads((project.path / "out" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "BLOCK" and report["exit_code"] == 2
    assert [i["id"] for i in report["items"]] == ["inc-0", "inc-1", "inc-2", "inc-2[base64+rot13]"]
    assert report["items"][1]["outcome"] == "failed"


def test_ordinary_runs_ignore_yaml_and_scenarios_unless_named(project: pytest.Pytester) -> None:
    """YAML in tests/ is never opened; a bare `pytest` does not collect scenarios/."""
    tests = project.mkdir("tests")
    (tests / "data.yaml").write_text("not: [valid yaml", "utf-8")
    (tests / "test_ok.py").write_text("def test_ok():\n    pass\n", "utf-8")
    project.runpytest("tests").assert_outcomes(passed=1)
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_invalid_scenario_file_is_a_one_line_collection_error(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "bad.yaml").write_text("id: [unclosed\n", "utf-8")
    result = project.runpytest("scenarios/", "--target", "python:agents:refuse")
    result.stdout.fnmatch_lines(["*bad.yaml:*YAML*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_missing_target_and_bad_shard_are_usage_errors(project: pytest.Pytester) -> None:
    result = project.runpytest("scenarios/")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no target*--target*"])
    result = project.runpytest("scenarios/", "--target", "recorded", "--shard", "3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert project.runpytest("--suite", "nope").ret == pytest.ExitCode.USAGE_ERROR


def test_shards_split_the_items_and_k_selects_by_tag(project: pytest.Pytester) -> None:
    counts = []
    for i in (1, 2):
        result = project.runpytest(
            "scenarios/", "--target", "python:agents:refuse", "--shard", f"{i}/2"
        )
        counts.append(result.parseoutcomes())
    groups = ["inc-0", "inc-1", "inc-2", "inc-2[base64+rot13]"]
    expected = [sum(shard_of(g, 2) == i for g in groups) for i in (1, 2)]
    assert [c.get("passed", 0) for c in counts] == expected  # by the SHA-256 of the case ids
    assert [c.get("deselected", 0) for c in counts] == expected[::-1]
    result = project.runpytest("scenarios/", "--target", "python:agents:refuse", "-k", "exfil")
    result.assert_outcomes(passed=1, deselected=3)


def test_async_targets_are_replayed_concurrently_then_reported_per_item(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest(
        "--suite", "release_gate", "--target", "python:agents:arefuse", "--concurrency", "4"
    )
    result.assert_outcomes(passed=4)


def test_a_rerun_item_does_not_ask_the_replay_ahead_again(project: pytest.Pytester) -> None:
    """An item set up twice (pytest-rerunfailures) asks the concurrent replay for its
    result once; asking again would run the whole replay to its end, holding every
    other result in memory, before replaying the case in the item."""
    project.makeconftest(
        """
import pytest
from regression_suite.plugin_state import get_state

ASKED = []

@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    runs = get_state(item.config).runs
    if not getattr(runs, "counted", False):
        pop = runs.pop
        def counting(case_id, default=None):
            ASKED.append(case_id)
            return pop(case_id, default)
        runs.pop, runs.counted = counting, True
    result = yield
    item.setup()  # the rerun
    return result

def pytest_sessionfinish(session):
    print("ASKED", len(ASKED), len(set(ASKED)))
"""
    )
    result = project.runpytest(
        "-s", "--suite", "release_gate", "--target", "python:agents:arefuse", "--concurrency", "4"
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*ASKED 4 4*"])


def test_unreachable_target_stops_the_run_without_a_verdict(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "--suite",
        "release_gate",
        "--target",
        "http://127.0.0.1:9/agent",
        "--gate-report-dir",
        "out",
    )
    result.stdout.fnmatch_lines(["*gate: no verdict: *unreachable*"])
    assert not (project.path / "out" / "report.json").exists()


def test_xdist_workers_send_their_items_back_for_one_report(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(project.path))  # the workers import the agents too
    result = project.runpytest_subprocess(
        "--suite",
        "release_gate",
        "--target",
        "python:agents:leak_some",
        "-n",
        "2",
        "--gate-report-dir",
        "out",
    )
    result.assert_outcomes(passed=3, failed=1)
    report = json.loads((Path(project.path) / "out" / "report.json").read_text("utf-8"))
    assert len(report["items"]) == 4 and report["verdict"] == "BLOCK"


MIXED_AGENT = """

def mixed(replay):
    sid = replay["scenario_id"]
    if sid == "inc-0":
        raise RuntimeError("agent crashed on inc-0")
    if sid == "inc-2.v1":
        return invalid(replay)
    return leak_some(replay)
"""

#: JUnit attributes that differ between any two runs.
_VOLATILE = re.compile(r' (time|timestamp|hostname)="[^"]*"')


def _run_both(project: pytest.Pytester, *args: str) -> dict[bool, Any]:
    out = {}
    for lean in (False, True):
        result = project.runpytest(
            *args, "--junitxml=out/junit.xml", "--gate-report-dir", "out",
            # in-process after this worker imported incident_lab: whether pytest warns that it
            # cannot rewrite the plugin depends on the tests run before (xdist, randomly)
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            *(["--gate-lean"] if lean else []),
        )  # fmt: skip
        report = json.loads((project.path / "out" / "report.json").read_text("utf-8"))
        for item in report["items"]:
            item.pop("duration_s")
        junit = _VOLATILE.sub("", (project.path / "out" / "junit.xml").read_text("utf-8"))
        text = result.stdout.str().split("= ERRORS =", 1)[-1]
        sections = re.sub(
            r"\d+\.\d+s( \(\d+:\d\d:\d\d\))?", "T", text
        )  # a run over 60 s adds (H:MM:SS)
        out[lean] = (result.parseoutcomes(), junit, report["items"], report["verdict"], sections)
    return out


def test_lean_protocol_reports_exactly_what_pytests_protocol_reports(
    project: pytest.Pytester,
) -> None:
    """--gate-lean (what regression_suite run uses) skips the per-phase hooks but gives
    the same outcomes, JUnit XML, report items, verdict and failure/error output, for
    a pass, an expectation failure, a target crash and an invalid trajectory."""
    (project.path / "agents.py").write_text(AGENT_SOURCE + MIXED_AGENT, "utf-8")
    runs = _run_both(project, "--suite", "release_gate", "--target", "python:agents:mixed")
    assert runs[True] == runs[False]
    outcomes, junit, items, verdict, sections = runs[True]
    assert outcomes == {"passed": 1, "failed": 1, "errors": 2}
    assert junit.count("<testcase ") == 4 and junit.count("<failure ") == 1
    assert junit.count("<error ") == 2
    assert [i["outcome"] for i in items] == ["error", "failed", "passed", "error"]
    assert verdict == "BLOCK"
    assert "agent crashed on inc-0" in sections and "difference from the recorded" in sections


def test_lean_protocol_with_xdist_workers(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers run the lean protocol too and send every item back for one report."""
    monkeypatch.setenv("PYTHONPATH", str(project.path))
    result = project.runpytest_subprocess(
        "--suite", "release_gate", "--target", "python:agents:leak_some", "-n", "2",
        "--gate-lean", "--gate-report-dir", "out", "--junitxml=out/junit.xml",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    report = json.loads((project.path / "out" / "report.json").read_text("utf-8"))
    assert [i["outcome"] for i in report["items"]] == ["passed", "failed", "passed", "passed"]
    assert (project.path / "out" / "junit.xml").read_text("utf-8").count("<testcase ") == 4


@pytest.mark.parametrize("lean", [False, True])
def test_items_let_go_of_produced_trajectories_unless_recording(
    project: pytest.Pytester, lean: bool
) -> None:
    """After its reports, an item keeps no run, and no report keeps a trajectory (nothing
    produced stays in memory for the rest of a long run); with --gate-record every
    trajectory is in the spool."""
    flags = ["--gate-lean"] if lean else []
    for record in (False, True):
        rec = project.inline_run(
            "--suite", "release_gate", "--target", "python:agents:leak_some", *flags,
            *(["--gate-record"] if record else []),
        )  # fmt: skip
        session = rec.getcall("pytest_collection_finish").session
        reports = [r for r in rec.getreports("pytest_runtest_logreport") if r.when == "call"]
        assert len(reports) == 4 and all(hasattr(r, "gate_item") for r in reports)
        assert not any(hasattr(r, "gate_trajectory") for r in reports)  # spooled, then dropped
        state = get_state(session.config)
        assert len(state.trajectories) == (4 if record else 0)
        assert (state.resolved is None) == lean
        if lean:
            # a gate run makes each item when the loop reaches it and keeps the last two,
            # which have let go of their run and of their scenario
            items = state.lazy
            assert isinstance(items, LazyItems) and session.items is items and len(items) == 4
            held = list(items._made.values())
            assert len(held) == 2 and {i.nodeid for i in held} == {r.nodeid for r in reports[2:]}
            assert all(i.gate_run is None and i.case.scenario == {"released": True} for i in held)
        else:
            items = session.items
            assert len(items) == 4 and all(item.gate_run is None for item in items)
            assert all(item.case.scenario != {"released": True} for item in items)
        state.trajectories.close()


def test_gate_summary_keeps_counts_not_passing_reports(project: pytest.Pytester) -> None:
    """--gate-summary (what regression_suite run sets): the terminal still counts every
    passing case but holds no passing report; failures are kept and listed by the gate."""
    result = project.runpytest(
        "--suite", "release_gate", "--target", "python:agents:leak_some",
        "--gate-summary", "--tb=no", "--gate-lean", "-p", "no:randomly",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    assert "gate failures (1)" in result.stdout.str()
    rec = project.inline_run(
        "--suite", "release_gate", "--target", "python:agents:leak_some",
        "--gate-summary", "--tb=no", "--gate-lean",
    )  # fmt: skip
    config = rec.getcall("pytest_collection_finish").session.config
    stats = config.pluginmanager.get_plugin("terminalreporter").stats
    assert len(stats["passed"]) == 3 and not any(
        isinstance(r, pytest.TestReport) for r in stats["passed"]
    )
    assert stats.get("", []) == []
    assert [r.nodeid.split("::")[-1] for r in stats["failed"]] == ["inc-1"]
    # the progress counts cases without keeping a set of every node id
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    assert not isinstance(terminal._progress_nodeids_reported, set)
    assert terminal.reported_progress == 4
    assert re.search(r"\[100%\]", result.stdout.str())


def test_case_locations_are_pytests_own(project: pytest.Pytester) -> None:
    """A case item's location (worked out once per file) is what pytest's would be:
    the file relative to the root, no line, the case named; and the items of one file
    share its path."""
    items, _ = project.inline_genitems("scenarios/", "--target", "python:agents:refuse")
    assert len(items) == 4
    for item in items:
        assert item.location == pytest.Item.location.func(item)  # type: ignore[attr-defined]
    assert [i.location for i in items][-1] == (
        "scenarios/variants/inc-2.v1.yaml",
        None,
        "scenario inc-2[base64+rot13]",
    )


PHASE_LISTENER = """
def pytest_runtest_logreport(report):
    with open("phases.txt", "a") as fh:
        fh.write(report.when + "\\n")
"""


def _phases(reprec: Any) -> list[str]:
    return [r.when for r in reprec.getreports("pytest_runtest_logreport")]


def test_lean_makes_no_passing_setup_teardown_reports_when_no_one_listens(
    project: pytest.Pytester,
) -> None:
    """With only the terminal, the session and the gate listening to reports, a passing
    case logs its call report alone; a plugin that listens gets all three, as before."""
    args = ["--suite", "release_gate", "--target", "python:agents:refuse", "--gate-lean"]
    # what regression_suite run turns off; pytest's live-logging plugin listens to reports
    quiet = ["-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:logging"]
    # a third-party plugin that listens (a test extra; regression_suite run loads none)
    quiet += ["-p", "no:rerunfailures"]
    reprec = project.inline_run(*args, *quiet)
    reprec.assertoutcome(passed=4)
    assert _phases(reprec) == ["call"] * 4
    (project.path / "phase_listener.py").write_text(PHASE_LISTENER, "utf-8")
    reprec = project.inline_run(*args, *quiet, "-p", "phase_listener")
    reprec.assertoutcome(passed=4)
    assert _phases(reprec) == ["setup", "call", "teardown"] * 4
    phases = (project.path / "phases.txt").read_text("utf-8").split()
    assert phases == ["setup", "call", "teardown"] * 4


def test_lean_protocol_with_pytests_own_junitxml(project: pytest.Pytester) -> None:
    """pytest's own --junitxml (another file than the gate's) listens to every report and
    writes one test case per case under the lean protocol."""
    result = project.runpytest(
        "--suite", "release_gate", "--target", "python:agents:leak_some", "--gate-lean",
        "--junitxml=pytest-junit.xml",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    xml = (project.path / "pytest-junit.xml").read_text("utf-8")
    assert xml.count("<testcase ") == 4 and xml.count("<failure ") == 1
