"""Driving pytest in-process for ``regression_suite run``.

The arguments of a gate run, the environment it runs in (only our plugin, and
xdist with workers: no conftest files, ini options or autoloaded third-party
plugins that could change a verdict), the controller plugin that hands the
resolved suite and target in and the session state out, the garbage-collector
tuning of a large run, and the translation of what stopped pytest into the one
error the CLI reports.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from incident_lab.errors import ExternalError, IncidentLabError, InputError, UsageError
from regression_suite.suites import suite_path


class Controller:
    """A pytest plugin object that hands the resolved target in and the state out."""

    def __init__(self, target: Any, spec: str, suite: dict[str, Any], scenarios: list[Any]) -> None:
        self.target = target
        self.spec = spec
        self.suite = suite
        self.scenarios = scenarios
        self.state: Any = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: Any) -> None:
        """Hand the resolved suite and target to the plugin's state; keep the state."""
        from regression_suite.plugin_state import get_state

        self.state = get_state(config)
        self.state.target = self.target
        self.state.target_spec = self.spec
        self.state.suite = self.suite  # resolved once, here, not again at collection
        self.state.resolved = self.scenarios
        self.scenarios = []  # the state holds them now, until collection has built the cases


@contextlib.contextmanager
def environment(plugins: list[str]) -> Iterator[None]:
    """Load only our plugin (and xdist) in this run, in this process and in workers."""
    saved = {
        k: os.environ.get(k)
        for k in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS", "PYTEST_ADDOPTS")
    }
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PYTEST_PLUGINS"] = ",".join(plugins)
    os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: pytest's built-in plugins a gate run does not use. Each one that hooks every item
#: (output capture, log capture, warning capture, skip markers, unraisable-exception
#: checks...) costs a few microseconds per item: seconds at 10,000 items. Kept:
#: terminal (progress, failures), junitxml, debugging (xdist reads its options),
#: reports (xdist serialises reports with it), and the essential ones. Without
#: capture, what a python: target prints goes to stderr as it happens. Without
#: faulthandler (a hook wrapper around every item, for a timeout a gate run never
#: sets) the plugin turns Python's fault handler on itself (``--gate-lean``).
UNUSED_PLUGINS = (
    "python", "unittest", "doctest", "capture", "logging", "warnings", "skipping",
    "assertion", "legacypath", "tmpdir", "monkeypatch", "recwarn", "pastebin",
    "cacheprovider", "setuponly", "setupplan", "stepwise", "unraisableexception",
    "threadexception", "subtests", "faulthandler",
)  # fmt: skip


def gate_args(
    *,
    suite: str,
    base: Path,
    spec: str,
    repeats: int | None,
    workers: int,
    concurrency: int,
    shard: str | None,
    keyword: str | None,
    record: bool,
    warn_exit_code: int,
) -> list[str]:
    """Return pytest's command line for a gate run of ``suite`` on ``spec``.

    Lean and quiet: no conftest files or ini file, the unused built-in plugins
    off, collection rooted at the suites directory. The reports (``junit.xml`` too)
    are written by :func:`regression_suite.run_report.finish`, called by the CLI.
    """
    suites = suite_path(base, suite).parent
    args = [
        "--suite", suite,
        "--scenarios-dir", str(base),
        "--target", spec,
        "--concurrency", str(concurrency),
        "--gate-warn-exit-code", str(warn_exit_code),
        "-c", os.devnull,
        # pytest collects every directory from the confcutdir down to the suite file,
        # listing each one: start at suites/, never at the library (10,000 files).
        f"--rootdir={suites}", f"--confcutdir={suites}",
        "--noconftest", "--gate-lean",
        # the gate lists failures itself, linearly: pytest's failure summary scans every
        # report for each failure's teardown sections (quadratic at thousands of failures)
        "--tb=no", "--gate-summary",
        "-q", "--no-header", "-rN",
    ]  # fmt: skip
    for name in UNUSED_PLUGINS:
        args += ["-p", f"no:{name}"]
    if repeats is not None:
        args += ["--repeats", str(repeats)]
    if shard:
        args += ["--shard", shard]
    if keyword:
        args += ["-k", keyword]
    if record:
        args.append("--gate-record")
    if workers > 1:
        args += ["-n", str(workers)]
    return args


def gc_tuned(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with the cyclic garbage collector tuned for a large run.

    A run allocates a few hundred thousand long-lived objects (scenarios, pytest
    items, reports); with the default thresholds the collector scans them again and
    again (about a fifth of a 10,000-case run). Objects that exist before the run
    (imported modules) are frozen out of the scans and collections are less
    frequent; garbage cycles are still collected. Restored afterwards (``run_`` is
    also called in-process, by ``incident_lab demo`` and the tests).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(*_GC_THRESHOLD)
        try:
            return fn(*args, **kwargs)
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()

    return wrapper


def settle() -> None:
    """In a run tuned by :func:`gc_tuned`, freeze what exists now as well: the resolved
    suite (a stub per scenario) lives as long as the run, and scanning its 10,000
    stubs was the whole work of the first collection of a 10,000-case run. Outside
    such a run (nothing frozen), nothing changes; :func:`gc_tuned` unfreezes all."""
    if gc.get_freeze_count():
        gc.freeze()


#: Young-generation allocations between collections, and the older generations' ratios.
_GC_THRESHOLD = (50_000, 20, 100)


def raise_for(state: Any, code: int) -> None:
    """Turn what stopped pytest into the one error the CLI reports."""
    if state is not None and state.fatal is not None:
        fatal = state.fatal
        if isinstance(fatal, IncidentLabError):
            raise fatal
        raise ExternalError(f"{type(fatal).__name__}: {fatal}")
    if state is not None and state.collect_errors:
        errors = state.collect_errors
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{errors[0]}{more}", hint="run 'incident_lab lint'")
    if code == pytest.ExitCode.USAGE_ERROR:
        raise UsageError("pytest refused the run (its message is above)")
    if code == pytest.ExitCode.INTERNAL_ERROR:
        raise ExternalError("pytest failed internally (its message is above)")
    if code == pytest.ExitCode.INTERRUPTED:
        raise click.Abort()
    if state is None:
        raise ExternalError(f"pytest stopped before the gate started (exit {int(code)})")


def run_pytest(args: list[str], controller: Controller, *, workers: int) -> int | pytest.ExitCode:
    """Run pytest in this process with our plugin (and xdist with ``workers`` > 1).

    pytest's own output goes to stderr: stdout is the command's.

    Args:
        args: The command line, from :func:`gate_args`.
        controller: The plugin that hands the target in and the state out.
        workers: Worker processes (pytest-xdist loaded when more than one).

    Returns:
        pytest's exit code.
    """
    plugins = ["regression_suite.pytest_plugin"] + (["xdist.plugin"] if workers > 1 else [])
    settle()
    paced = _paced_terminal(sys.stderr)
    with environment(plugins), paced as out, contextlib.redirect_stdout(out):
        return pytest.main(args, plugins=[controller])


@contextlib.contextmanager
def _paced_terminal(stream: Any) -> Iterator[_PacedFlush]:
    """Yield ``stream`` behind a :class:`_PacedFlush`, which is also ``sys.stderr``
    meanwhile, with one thread that sends out any partial line every
    :data:`FLUSH_EVERY_S`; at the end everything gathered is written.

    Capture is off in a gate run: what a ``python:`` target, logging or warnings
    write to ``sys.stderr`` goes through the same buffer, so it keeps its place
    after the progress text written before it. (A handler that kept the real
    stderr from before the run, or a write to descriptor 2, can still come first.)
    """
    out = _PacedFlush(stream)
    stop = threading.Event()
    flusher = threading.Thread(target=out.flush_until, args=(stop,), daemon=True)
    flusher.start()
    try:
        with contextlib.redirect_stderr(out):
            yield out
    finally:
        stop.set()
        flusher.join()
        out.flush_now()


class _PacedFlush:
    """``stream`` with its own buffer, written and flushed at every line and at most
    every :data:`FLUSH_EVERY_S` seconds otherwise.

    pytest's terminal writes a progress character per case: with an unbuffered
    stderr (``PYTHONUNBUFFERED=1``, common in CI images and containers) each one
    was a system call (10,000 at 10,000 cases), and flushing after each one was
    too. Here text without a line break is gathered and goes out in one write when
    a line ends, when :data:`FLUSH_EVERY_S` has passed since the last flush (at the
    next write or flush, or by :meth:`flush_until` in its own thread), or at the
    end of the run (:meth:`flush_now`). A line always goes out at once.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._last = time.monotonic()
        self._lock = threading.RLock()  # re-entrant: a signal handler may write

    def write(self, text: str) -> int:
        with self._lock:
            self._pending.append(text)
            if "\n" in text or time.monotonic() - self._last >= FLUSH_EVERY_S:
                self.flush_now()
        return len(text)

    def flush(self) -> None:
        now = time.monotonic()
        if now - self._last >= FLUSH_EVERY_S:
            with self._lock:
                self.flush_now(now)

    def flush_now(self, now: float | None = None) -> None:
        """Write what is gathered and flush the stream now."""
        with self._lock:
            self._last = time.monotonic() if now is None else now
            if self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                self._stream.write(text)
            self._stream.flush()

    def flush_until(self, stop: threading.Event) -> None:
        """Every :data:`FLUSH_EVERY_S` until ``stop`` is set, write a partial line
        that no later write or flush has sent (the last progress character before
        a slow case). A stream that fails (closed, broken pipe) ends this: the
        next write in the run's own thread meets the error as before."""
        while not stop.wait(FLUSH_EVERY_S):
            with self._lock:
                if not self._pending:
                    continue
                try:
                    self.flush_now()
                except (OSError, ValueError):
                    return

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


#: How often the paced terminal output is flushed.
FLUSH_EVERY_S = 0.1
