"""examples/ci/: the tox gate env runs for real and exits with the verdict; the workflow is sound.

The tox run needs no network: the test overrides the env's ``deps`` (which install
incident-lab from PyPI for users) and points ``PYTHONPATH`` at this checkout and
the current environment's site-packages instead.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_lab.demo import build_incident_library

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "examples" / "ci"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout-like directory whose scenarios/ holds the example incident in release_gate."""
    root = tmp_path_factory.mktemp("ci-repo")
    build_incident_library(root)
    return root


def _tox(root: Path, target: str, report_dir: Path) -> tuple[int, str]:
    python_path = os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]])
    env = {
        **os.environ,
        "GATE_ROOT": str(root),
        "GATE_TARGET": target,
        "GATE_REPORT_DIR": str(report_dir),
    }
    env.pop("INCIDENT_LAB_SCENARIOS", None)
    cmd = [
        sys.executable, "-m", "tox", "-c", str(CI / "tox.ini"), "-e", "gate",
        "--workdir", str(root / ".tox"),
        "-x", "testenv:gate.deps=",
        "-x", f"testenv:gate.set_env=PYTHONPATH={python_path}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _report(report_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((report_dir / "report.json").read_text("utf-8"))
    return report


def test_tox_gate_blocks_the_vulnerable_agent(library: Path) -> None:
    """tox exits 2 (BLOCK) and leaves report.json, report.html and junit.xml."""
    out = library / "report-vulnerable"
    code, log = _tox(library, "example:vulnerable", out)
    assert code == 2, log[-3000:]
    report = _report(out)
    assert (report["verdict"], report["exit_code"]) == ("BLOCK", 2)
    assert report["versions"]["target"] == "example:vulnerable"
    for name in ("report.html", "report.md", "junit.xml"):
        assert (out / name).is_file()
    assert "verdict: BLOCK (exit 2)" in log


def test_tox_gate_passes_the_patched_agent(library: Path) -> None:
    out = library / "report-patched"
    code, log = _tox(library, "example:patched", out)
    assert code == 0, log[-3000:]
    assert _report(out)["verdict"] == "OK"


def test_tox_ini_defines_the_gate_env() -> None:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(CI / "tox.ini", encoding="utf-8")
    env = ini["testenv:gate"]
    command = " ".join(env["commands"].split())
    assert "regression_suite run" in command
    for flag in ("--suite", "--target", "--report-dir", "--warn-exit-code"):
        assert flag in command
    assert "incident-lab" in env["deps"]


def test_github_workflow_gates_pull_requests_and_uploads_reports() -> None:
    doc = yaml.safe_load((CI / "github-actions.yml").read_text("utf-8"))
    # PyYAML reads the bare key `on` as True (YAML 1.1); either spelling is the trigger.
    triggers = doc.get("on", doc.get(True))
    assert "pull_request" in triggers
    steps = doc["jobs"]["gate"]["steps"]
    gate = next(s for s in steps if "regression_suite run" in s.get("run", ""))
    assert "--suite release_gate" in gate["run"] and "--report-dir gate-report" in gate["run"]
    # BLOCK (2) and errors (3, 4) fail the step; WARN is reported with exit 0.
    assert "--warn-exit-code 0" in gate["run"] and "exit $code" in gate["run"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "gate-report/"
    tox_job = doc["jobs"]["gate-tox"]["steps"]
    assert any("tox -c examples/ci/tox.ini -e gate" in s.get("run", "") for s in tox_job)
