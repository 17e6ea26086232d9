"""`regression_suite generate`: a small pytest module that loads the suite at test time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult
from tests.regression_suite._library import AGENT_SOURCE, scenario, write, write_suite

pytest_plugins = ["pytester"]

Rs = Callable[..., CliResult]
SECRET_TURN = "Summarise my inbox"  # scenario text that must never reach Python source


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    monkeypatch.delenv("REGRESSION_SUITE_TARGET", raising=False)
    lib = write(pytester.path / "scenarios", scenario("inc-0", severity="SEV-1"), scenario("inc-1"))
    write_suite(lib, "release_gate", "name: release_gate\nselect: {status: [gated]}\nrepeats: 2\n")
    (pytester.path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    pytester.syspathinsert()
    return pytester


def test_generated_module_holds_no_scenario_text_and_runs_green_or_red(
    project: pytest.Pytester, rs: Rs, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project.path / "tests" / "test_regressions.py"
    result = rs(
        "generate",
        "--suite",
        "release_gate",
        "--out",
        str(out),
        "--scenarios-dir",
        str(project.path / "scenarios"),
    )
    assert result.exit_code == 0, result.stderr
    source = out.read_text("utf-8")
    compile(source, str(out), "exec")
    for text in (SECRET_TURN, "send_email", "EMAIL_1", "Ignore previous instructions", "inc-0"):
        assert text not in source
    assert "SCENARIOS_DIR = (Path(__file__).resolve().parent / '../scenarios').resolve()" in source

    monkeypatch.setenv("REGRESSION_SUITE_TARGET", "python:agents:refuse")
    green = project.runpytest("tests/test_regressions.py", "-v")
    green.assert_outcomes(passed=4)
    green.stdout.fnmatch_lines(["*test_regression?inc-0#1? PASSED*"])

    monkeypatch.setenv("REGRESSION_SUITE_TARGET", "recorded")
    red = project.runpytest("tests/test_regressions.py")
    red.assert_outcomes(failed=4)
    red.stdout.fnmatch_lines(
        ["*forbidden tool call send_email*", "*difference from the recorded incident*"]
    )


def test_scenario_edits_need_no_regeneration(
    project: pytest.Pytester, rs: Rs, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project.path / "test_gen.py"
    rs(
        "generate",
        "--out",
        str(out),
        "--target",
        "recorded",
        "--scenarios-dir",
        str(project.path / "scenarios"),
    )
    write_suite(
        project.path / "scenarios", "release_gate", "name: release_gate\nscenarios: [inc-1]\n"
    )
    project.runpytest("test_gen.py").assert_outcomes(failed=1)


def test_generate_refuses_to_overwrite_and_unknown_suites(project: pytest.Pytester, rs: Rs) -> None:
    out = project.path / "test_t.py"
    out.write_text("# mine\n", "utf-8")
    args = ["generate", "--out", str(out), "--scenarios-dir", str(project.path / "scenarios")]
    assert rs(*args).exit_code == 3
    assert rs(*args, "--force").exit_code == 0
    assert "unchanged" in rs(*args).stdout
    assert (
        rs(
            "generate",
            "--suite",
            "nope",
            "--out",
            str(out),
            "--scenarios-dir",
            str(project.path / "scenarios"),
        ).exit_code
        == 3
    )


def test_generate_refuses_uncollectable_names_and_unknown_targets(
    tmp_path, rs, monkeypatch
) -> None:
    """An --out pytest would never collect, or a target kind nobody provides, exits 3 and writes nothing."""
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    shutil.copytree(repo / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    r = rs("generate", "--out", tmp_path / "regressions.py")
    assert r.exit_code == 3 and "never be collected" in r.stderr
    r = rs("generate", "--out", tmp_path / "test_r.py", "--target", "nope:x")
    assert r.exit_code == 3 and "unknown target kind" in r.stderr
    assert not (tmp_path / "test_r.py").exists() and not (tmp_path / "regressions.py").exists()
