"""The gate's failure summary: every failure's messages, in time linear in the failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

from tests.conftest import CliResult
from tests.regression_suite._library import scenario, write, write_suite


def test_thousands_of_failures_are_listed_without_the_quadratic_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rs: Callable[..., CliResult]
) -> None:
    """3,000 failing items: each one's expectation message and diff is in the output, and
    pytest's per-failure scan of every report (``_handle_teardown_sections``, O(failures x
    items)) never runs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    base = write(tmp_path / "scenarios", scenario("inc-0", severity="SEV-1"))
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    scans: list[str] = []
    monkeypatch.setattr(TerminalReporter, "_handle_teardown_sections", scans.append)
    start = time.process_time()
    result = rs("run", "--target", "recorded", "--repeats", "2000")
    cpu = time.process_time() - start
    assert result.exit_code == 2
    assert scans == []
    assert "gate failures (2000)" in result.stderr
    for k in (1, 1000, 2000):
        assert f"FAILED inc-0#{k} _" in result.stderr and f"\ninc-0#{k} (SEV-1, " in result.stderr
    assert result.stderr.count("forbidden tool call send_email") == 2000
    assert result.stderr.count("difference from the recorded incident:") == 2000
    assert cpu < 60  # about 5 s here; the quadratic scan alone took minutes at this size
