"""What a gate run imports: only what its target needs (start-up is a fixed cost per run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.regression_suite._library import scenario, write, write_suite

ROOT = Path(__file__).resolve().parents[2]

TARGET = """
def run(replay):
    return {
        "schema_version": "trajectory/v1",
        "session_id": "s-" + replay["scenario_id"],
        "steps": [{"type": "message", "role": "assistant", "content": "I cannot help."}],
    }
"""


def test_a_gate_run_on_a_synchronous_target_does_not_import_asyncio(tmp_path: Path) -> None:
    """asyncio (~20 ms to import) is loaded by the concurrent replay and async targets
    only: a run on a plain python: target never imports it, and still passes."""
    lib = tmp_path / "scenarios"
    write(lib, scenario("inc-a"), scenario("inc-b"))
    write_suite(lib, "gate", "schema_version: suite/v1\nname: gate\nscenarios: [inc-a, inc-b]\n")
    (tmp_path / "sync_target.py").write_text(TARGET, "utf-8")
    code = f"""
        import json, sys
        from incident_lab.cli.app import run
        from regression_suite.cli.main import cli
        code = run(cli, "regression_suite", ["run", "--suite", "gate", "--scenarios-dir",
                   {str(lib)!r}, "--target", "python:sync_target:run", "--report-dir",
                   {str(tmp_path / "out")!r}, "--scenario-cache", "off"])
        print(json.dumps([code, "asyncio" in sys.modules]))
        """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    exit_code, imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert exit_code == 0, proc.stderr
    assert imported is False
