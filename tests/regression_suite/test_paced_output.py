"""The gate's terminal output: gathered into few writes, nothing lost or reordered."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

import regression_suite.pytest_run as pytest_run
from tests.regression_suite._library import scenario, write, write_suite

SCRIPT = Path(sys.executable).parent / "regression_suite"


class _Recording:
    """A stream that records each write and flush (what an unbuffered stderr does)."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.flushes = 0
        self.closed = False

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        self.flushes += 1


def test_progress_characters_go_out_in_one_write_per_line() -> None:
    """10,000 progress dots and a line end: one write (an unbuffered stream saw 10,000)."""
    stream = _Recording()
    out = pytest_run._PacedFlush(stream)
    for _ in range(10_000):
        out.write(".")
        out.flush()  # pytest may flush: paced, not once per character
    assert stream.writes == []
    out.write(" [100%]\n")
    assert stream.writes == ["." * 10_000 + " [100%]\n"]
    assert stream.flushes == 1


def test_pending_text_goes_out_when_the_pace_allows_and_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the pace at zero every write goes out at once; at the end of a run
    flush_now writes what is still gathered, in order."""
    stream = _Recording()
    out = pytest_run._PacedFlush(stream)
    out.write("a")
    out.write("b")
    out.flush_now()
    assert stream.writes == ["ab"]
    monkeypatch.setattr(pytest_run, "FLUSH_EVERY_S", 0.0)
    out.write("c")
    assert stream.writes == ["ab", "c"]
    out.flush_now()  # nothing gathered: no empty write
    assert stream.writes == ["ab", "c"]
    assert out.closed is False  # anything else is the stream's


def test_a_line_is_written_at_once_after_what_was_gathered() -> None:
    """Text before a line break is never overtaken by it."""
    stream = _Recording()
    out = pytest_run._PacedFlush(stream)
    out.write("..F")
    out.write("E\nnext")
    assert "".join(stream.writes) == "..FE\nnext"


def test_direct_stderr_writes_keep_their_place_after_gathered_text() -> None:
    """What a target writes straight to ``sys.stderr`` mid-line comes after the
    progress text written before it (capture is off in a gate run)."""
    stream = _Recording()
    with pytest_run._paced_terminal(stream) as out:
        print("case-1 ", end="", file=out)
        pytest_run.sys.stderr.write("TARGET-STDERR-LINE\n")
        print(". [100%]", file=out)
    assert "".join(stream.writes) == "case-1 TARGET-STDERR-LINE\n. [100%]\n"


def test_a_partial_line_goes_out_without_waiting_for_the_next_write() -> None:
    """The last progress character before a slow case shows within the pace, not
    when that case ends."""
    stream = _Recording()
    with pytest_run._paced_terminal(stream) as out:
        out.write(".")
        out.flush_now()
        out.write("F")
        out.flush()  # paced: too soon after the last flush
        assert stream.writes == ["."]
        start = time.monotonic()
        while "".join(stream.writes) != ".F" and time.monotonic() < start + 3.0:
            time.sleep(0.01)  # no write, no flush: as while a case hangs
        assert "".join(stream.writes) == ".F"
        assert time.monotonic() - start < 10 * pytest_run.FLUSH_EVERY_S  # a busy machine


NOISY_AGENT = """
import sys
import time


def noisy(replay):
    if replay["scenario_id"] == "inc-2":
        time.sleep(1.5)  # slow, and silent
    else:
        sys.stderr.write(f"TARGET-STDERR-LINE {replay['scenario_id']}\\n")
    return {"steps": [{"type": "message", "role": "assistant", "content": "I can't help."}]}
"""


def test_a_gate_run_keeps_target_stderr_in_order_and_shows_progress_in_time(
    tmp_path: Path,
) -> None:
    """A real gate run with PYTHONUNBUFFERED=1: a python: target's stderr lines sit
    between the progress characters in the order written, and the progress of the
    cases before a slow one reaches the terminal while it still runs."""
    base = write(tmp_path / "scenarios", *[scenario(f"inc-{i}") for i in range(3)])
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    (tmp_path / "noisy_agent.py").write_text(NOISY_AGENT, "utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(tmp_path))
    for var in ("INCIDENT_LAB_SCENARIOS", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--target", "python:noisy_agent:noisy"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    seen = b""
    while b"TARGET-STDERR-LINE inc-1\n" not in seen:  # the slow case comes next
        chunk = os.read(proc.stderr.fileno(), 65536)
        assert chunk, seen
        seen += chunk
    time.sleep(0.6)  # inc-2 has started its 1.5 s: the flusher has had its turns
    ready, _, _ = select.select([proc.stderr], [], [], 0)
    if ready:
        seen += os.read(proc.stderr.fileno(), 65536)
    assert proc.wait(timeout=60) == 0
    rest = proc.stderr.read().decode()
    proc.stderr.close()
    before_slow_case_ends = seen.decode()
    text = before_slow_case_ends + rest
    assert before_slow_case_ends.endswith("TARGET-STDERR-LINE inc-1\n."), text
    progress = "TARGET-STDERR-LINE inc-0\n.TARGET-STDERR-LINE inc-1\n..\n"
    assert text.startswith(progress), text  # was: both target lines, then "...\n"
