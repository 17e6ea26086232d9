"""examples/ci/: the tox gate env runs for real and exits with the verdict; the workflow is sound.

tox runs the example exactly as written, in a new virtual environment, with its real
install step: incident-lab from this checkout (the path the example computes), its
dependencies from the package registry (pip's cache). Only the documented knobs are
set (GATE_ROOT, GATE_TARGET, GATE_REPORT_DIR, INCIDENT_LAB_SOURCE for the failure).
The environment is created once for the module (about 30 s), then reused.
"""

from __future__ import annotations

import configparser
import fcntl
import json
import os
import subprocess
import sys
import tempfile
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


def _tox(root: Path, target: str, report_dir: Path, **knobs: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "GATE_ROOT": str(root),
        "GATE_TARGET": target,
        "GATE_REPORT_DIR": str(report_dir),
        **knobs,
    }
    for var in ("INCIDENT_LAB_SCENARIOS", "PYTHONPATH", "VIRTUAL_ENV", "GITHUB_STEP_SUMMARY"):
        env.pop(var, None)
    if "INCIDENT_LAB_SOURCE" not in knobs:
        env.pop("INCIDENT_LAB_SOURCE", None)
    cmd = [
        sys.executable, "-m", "tox", "-c", str(CI / "tox.ini"), "-e", "gate",
        "--workdir", str(root / ".tox"),
    ]  # fmt: skip
    # pip builds the checkout in place (build/, *.egg-info): one build at a time, also
    # when pytest-xdist runs these tests in two workers
    with open(Path(tempfile.gettempdir()) / "incident-lab-ci-example.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=600, check=False
        )
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


def test_a_failed_install_is_exit_4_not_a_verdict(library: Path) -> None:
    """incident-lab cannot be installed: tox exits 4 (an error), never 1 (WARN)."""
    out = library / "report-broken"
    code, log = _tox(
        library, "example:patched", out, INCIDENT_LAB_SOURCE=str(library / "no-such-checkout")
    )
    assert code == 4, log[-3000:]
    assert not (out / "report.json").exists()


def test_tox_ini_defines_the_gate_env() -> None:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(CI / "tox.ini", encoding="utf-8")
    env = ini["testenv:gate"]
    command = " ".join(env["commands"].split())
    assert "regression_suite run" in command
    for flag in ("--suite", "--target", "--report-dir", "--warn-exit-code"):
        assert flag in command
    assert "deps" not in env  # nothing from a package index that does not have it
    assert "{env:INCIDENT_LAB_SOURCE:{toxinidir}{/}..{/}..}" in env["commands_pre"]


def test_github_workflow_gates_pull_requests_and_uploads_reports() -> None:
    doc = yaml.safe_load((CI / "github-actions.yml").read_text("utf-8"))
    # PyYAML reads the bare key `on` as True (YAML 1.1); either spelling is the trigger.
    triggers = doc.get("on", doc.get(True))
    assert "pull_request" in triggers
    steps = doc["jobs"]["gate"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    # from the repository (the checkout, or a VCS URL set as a repository variable);
    # a failed install exits 4, never a verdict code
    assert install["env"]["INCIDENT_LAB_SOURCE"] == (
        "${{ vars.INCIDENT_LAB_SOURCE || github.workspace }}"
    )
    assert 'pip install "$INCIDENT_LAB_SOURCE" || exit 4' in install["run"]
    assert "incident-lab" not in install["run"].replace("$INCIDENT_LAB_SOURCE", "")
    gate = next(s for s in steps if "regression_suite run" in s.get("run", ""))
    assert "--suite release_gate" in gate["run"] and "--report-dir gate-report" in gate["run"]
    # BLOCK (2) and errors (3, 4) fail the step; WARN is reported with exit 0.
    assert "--warn-exit-code 0" in gate["run"] and "exit $code" in gate["run"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "gate-report/"
    tox_job = doc["jobs"]["gate-tox"]["steps"]
    assert any("tox -c examples/ci/tox.ini -e gate" in s.get("run", "") for s in tox_job)
