"""The ``regression_suite`` command: suites, the release gate, and its reports."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, TextIO

import click

from incident_lab import __version__
from incident_lab.cli.app import LazyGroup, run

COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("regression_suite.cli.suites:add", "Add a scenario to a suite (default release_gate)."),
    "remove": ("regression_suite.cli.suites:remove", "Remove a scenario from a suite."),
    "list": ("regression_suite.cli.suites:list_", "List suites or a suite's resolved scenarios."),
    "run": ("regression_suite.cli.gate:run_", "Run the release gate: verdict OK / WARN / BLOCK."),
    "generate": ("regression_suite.cli.gate:generate", "Write a pytest module that runs a suite."),
    "diff": (
        "regression_suite.cli.reports:diff",
        "Compare two gate reports: newly failing, fixed, changed.",
    ),
    "merge": (
        "regression_suite.cli.reports:merge",
        "Merge shard reports into one report and verdict.",
    ),
    "suite": ("regression_suite.cli.suite_settings:suite", "Change a suite's settings (variants)."),
    "history": (
        "regression_suite.cli.history:history",
        "Pass and bypass rates across releases; flag slow erosion.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="regression_suite")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Replay incident scenarios against a system under test and gate the release.

    \b
    Example:
      regression_suite add --scenario inc-20260201-mail-exfil-injected-doc
      regression_suite run --suite release_gate --target example:patched

    Exit codes: 0 OK, 1 WARN, 2 BLOCK (the gate's verdict); 3 usage, config or
    input error; 4 unreachable target or internal error; 6 a check found
    problems (diff --fail-on-new-failures, history --fail-on-erosion);
    130 interrupted.
    """


class _PipeGuard:
    """A standard stream whose write failures (reader gone, stream closed) are dropped.

    The first write or flush that fails with EPIPE (``| head -1`` exited), EBADF or
    EINVAL points the descriptor at ``/dev/null`` and discards the text: output is
    only a view of the run, and losing it must not change the exit code (click
    turns EPIPE into exit 1, the WARN verdict, and an unflushed stream at exit
    into 120). Everything else is delegated to the wrapped stream.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def _drop(self, exc: OSError) -> None:
        if exc.errno not in (errno.EPIPE, errno.EBADF, errno.EINVAL):
            raise exc
        self.broken = True
        # what is still buffered goes to /dev/null when the stream is finalised
        with contextlib.suppress(OSError, ValueError):
            _devnull_onto(self._stream.fileno())

    def write(self, text: str) -> int:
        """Write ``text``; after a broken pipe, discard it."""
        if not self.broken:
            try:
                return self._stream.write(text)
            except OSError as exc:
                self._drop(exc)
        return len(text)

    def flush(self) -> None:
        """Flush; a broken pipe is dropped."""
        if not self.broken:
            try:
                self._stream.flush()
            except OSError as exc:
                self._drop(exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _devnull_onto(fd: int) -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        if null != fd:
            os.dup2(null, fd)
    finally:
        if null != fd:
            os.close(null)


def guard_std_streams() -> None:
    """Make stdout and stderr safe to lose before click runs.

    A descriptor closed at start (``>&-``) is reopened on ``/dev/null`` (so no
    report file can take descriptor 1 or 2); both streams are wrapped in
    :class:`_PipeGuard`. The verdict is then always the exit code and always in
    ``report.json``, whatever happens to the output.
    """
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            _devnull_onto(fd)
            setattr(sys, name, open(fd, "w", encoding="utf-8", closefd=False))  # noqa: SIM115
        stream = getattr(sys, name)
        if stream is None:
            stream = open(fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        if not isinstance(stream, _PipeGuard):
            setattr(sys, name, _PipeGuard(stream))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (stdout and stderr guarded: see :func:`guard_std_streams`)."""
    guard_std_streams()
    code = run(cli, "regression_suite", argv)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    sys.exit(code)
