"""The evaluations count sessions whose detectors raised: a crash must not read as a miss."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import classify_identity
from benchmarks.triage_eval import run
from tests.incident_lab.classify.test_cli import _sessions

ROOT = Path(__file__).resolve().parents[2]


def _crash_provenance(monkeypatch: pytest.MonkeyPatch) -> None:
    import incident_lab.provenance.analysis as analysis

    def recursion(*_args: Any, **_kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(analysis, "_call", recursion)


def _labelled() -> list[dict[str, Any]]:
    attack, calm = _sessions()
    truth = {"source": "t", "lang": "en", "channel": "c", "expected_severity": None}
    return [
        {**attack, "triage_eval": {**truth, "kind": "hijacked"}},
        {**calm, "triage_eval": {**truth, "kind": "benign"}},
    ]


def test_triage_eval_counts_sessions_with_detector_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    clean = run.classify_metrics(run.classify_all(_labelled()))
    assert clean["sessions_with_detector_errors"] == 0 and clean["recall"] == 1.0
    _crash_provenance(monkeypatch)
    rows = run.classify_all(_labelled())
    assert any("RecursionError" in e for e in rows[0]["detector_errors"])
    m = run.classify_metrics(rows)
    assert m["sessions_with_detector_errors"] == 2
    assert m["recall"] == 0.0  # what the crash costs, now beside its count


def test_triage_eval_markdown_names_the_count_per_source() -> None:
    m = run.classify_metrics(run.classify_all(_labelled()))
    text = run.markdown_detector_errors({"a": {**m, "sessions_with_detector_errors": 3}, "b": m})
    assert "a 3" in text and "b 0" in text


def test_classify_identity_collects_detector_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[str] = []
    classify_identity.digests({"t": _sessions()}, errors=errors)
    assert errors == []
    _crash_provenance(monkeypatch)
    classify_identity.digests({"t": _sessions()}, errors=errors)
    assert errors and errors[0].startswith("t/single: attack: ")
    assert "RecursionError" in errors[0]


def test_classify_identity_fails_naming_the_first_errors(tmp_path: Path) -> None:
    """End to end through main() in a child process: provenance crashes on a one-source
    corpus; the script must exit 1 and name the first errors on stderr."""
    cache = tmp_path / "cache"
    (cache / "trajectories").mkdir(parents=True)
    code = subprocess.run(
        [sys.executable, "-c", _CHILD, str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    assert code.returncode == 1, code.stderr
    assert "detector errors: 8\n" in code.stdout  # two detectors x two sessions x two modes
    assert "x/single: attack: " in code.stderr and "RecursionError" in code.stderr


_CHILD = f"""
import json
import sys
import incident_lab.provenance.analysis as analysis
from benchmarks import classify_identity

def recursion(*a, **k):
    raise RecursionError("maximum recursion depth exceeded")

analysis._call = recursion
classify_identity.corpus = lambda cache: {{"x": json.loads({json.dumps(_sessions())!r})}}
sys.argv = ["classify_identity.py", "--cache", sys.argv[1]]
classify_identity.main()
"""
