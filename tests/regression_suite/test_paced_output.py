"""The gate's terminal output: gathered into few writes, nothing lost or reordered."""

from __future__ import annotations

import pytest

import regression_suite.pytest_run as pytest_run


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
