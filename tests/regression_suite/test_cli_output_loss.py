"""The verdict survives the loss of the output: closed stdout, ``| head -1``, read-only reports.

These run the real console script in a subprocess: click's EPIPE handling and the
interpreter's flush at exit are only exercised there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.regression_suite._library import scenario, write, write_suite

SCRIPT = Path(sys.executable).parent / "regression_suite"


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """Forty SEV-1 scenarios the recorded target repeats: verdict BLOCK (exit 2)."""
    base = write(
        tmp_path / "scenarios", *[scenario(f"inc-{i}", severity="SEV-1") for i in range(40)]
    )
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    return base


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("INCIDENT_LAB_SCENARIOS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.pop("GITHUB_ACTIONS", None)
    return env


def _verdict(lib: Path, report_dir: str = "gate-report") -> str:
    report = json.loads((lib.parent / report_dir / "report.json").read_text("utf-8"))
    return str(report["verdict"])


def test_closed_stdout_and_stderr_keep_the_block_exit_code(lib: Path) -> None:
    """``>&- 2>&-``: both descriptors closed at start; the verdict is still exit 2."""
    proc = subprocess.run(
        ["bash", "-c", f'"{SCRIPT}" run --target recorded >&- 2>&-'],
        cwd=lib.parent, env=_env(), timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert _verdict(lib) == "BLOCK"


def test_head_1_keeps_the_block_exit_code(lib: Path) -> None:
    """``run 2>&1 | head -1``: the reader leaves after one line, the gate still exits 2."""
    proc = subprocess.run(
        ["bash", "-c", f'"{SCRIPT}" run --target recorded 2>&1 | head -1; exit "${{PIPESTATUS[0]}}"'],
        cwd=lib.parent, env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    assert _verdict(lib) == "BLOCK"


def test_a_pipe_closed_before_any_output_keeps_the_exit_code(lib: Path) -> None:
    """The reader closes its end before the gate writes a byte (``| true``)."""
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--target", "recorded", "--json"],
        cwd=lib.parent, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.close()
    assert proc.wait(timeout=120) == 2
    assert _verdict(lib) == "BLOCK"
