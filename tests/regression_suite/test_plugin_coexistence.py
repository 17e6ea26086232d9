"""The plugin and the repository's pytest configuration beside common third-party plugins.

``pytest scenarios/`` runs with this repository's ``[tool.pytest.ini_options]`` and with
pytest-asyncio, pytest-cov and pytest-randomly loaded (the test extras install them):
no INTERNALERROR from a plugin's deprecation warning, and ``--lf``/``--ff`` work (the
cache provider is on, case ids are stable).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.regression_suite._library import AGENT_SOURCE, scenario, write

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "scenarios", *[scenario(f"inc-{i}") for i in range(4)])
    (tmp_path / "agents.py").write_text(AGENT_SOURCE, "utf-8")
    return tmp_path


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("INCIDENT_LAB_SCENARIOS", None)
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(REPO)])
    cmd = [
        sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"),
        f"--rootdir={project}", "scenarios/", "--target", "python:agents:leak_some",
        "-p", "asyncio", "-p", "pytest_cov", "-p", "randomly", "-v", *args,
    ]  # fmt: skip
    return subprocess.run(
        cmd, cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ran(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(
        line.split(" ", 1)[0]
        for line in proc.stdout.splitlines()
        if line.startswith("scenarios/") and (" PASSED" in line or " FAILED" in line)
    )


def test_scenarios_run_beside_asyncio_cov_and_randomly_and_lf_reruns_the_failure(
    project: Path,
) -> None:
    first = _pytest(project, "--cov=agents", "-p", "randomly", "-p", "asyncio")
    assert "INTERNALERROR" not in first.stdout + first.stderr, first.stderr[-2000:]
    assert first.returncode == 1, first.stdout[-2000:] + first.stderr[-2000:]
    assert "Using --randomly-seed" in first.stdout  # the plugins were really active
    assert "coverage: platform" in first.stdout or "Cover" in first.stdout
    assert len(_ran(first)) == 4
    assert "scenarios/inc-1.yaml::inc-1 FAILED" in first.stdout
    again = _pytest(project, "--lf")
    assert again.returncode == 1
    assert _ran(again) == ["scenarios/inc-1.yaml::inc-1"]
    assert "run-last-failure: rerun previous 1 failure" in again.stdout
    ff = _pytest(project, "--ff", "-p", "no:randomly")
    ran = [
        line.split(" ", 1)[0] for line in ff.stdout.splitlines() if line.startswith("scenarios/")
    ]
    assert ran[0] == "scenarios/inc-1.yaml::inc-1" and len(ran) == 4
