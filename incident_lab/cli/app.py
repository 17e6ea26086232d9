"""Shared CLI machinery: lazy command groups and the one place errors are rendered.

Both console scripts (``incident_lab`` and ``regression_suite``) run through
:func:`run`, which turns every :class:`~incident_lab.errors.IncidentLabError` into
one line on stderr and its documented exit code. A traceback is printed only with
``--debug`` (or ``INCIDENT_LAB_DEBUG=1``), or for a genuine bug.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from incident_lab.errors import (
    EXIT_EXTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    IncidentLabError,
)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked.

    Args:
        lazy_commands: Maps a command name to ``("module:attribute", "short help")``;
            the short help is shown by ``--help`` without importing the module.
    """

    def __init__(
        self, *args: Any, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their short help, without importing them."""
        rows = [(name, self.lazy_commands[name][1]) for name in sorted(self.lazy_commands)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List eager and lazy commands, sorted."""
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command, importing its module on first use."""
        if cmd_name in self.lazy_commands:
            module_name, attr = self.lazy_commands[cmd_name][0].split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)


#: ``--scenarios-dir``, the option of every command that reads or writes the scenario library.
scenarios_dir_option = click.option(
    "--scenarios-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Scenario library (default $INCIDENT_LAB_SCENARIOS or ./scenarios).",
)


def json_option(what: str) -> Callable[[Any], Any]:
    """``--json``: print ``what`` (e.g. "the report") as JSON on stdout instead of text."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON on stdout.")


def echo_json(obj: Any) -> None:
    """Write ``obj`` as JSON to stdout (machine output stays on stdout only)."""
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


#: At most this many lines of one kind (rejected records, detector errors) go to stderr.
MAX_LISTED = 10
#: A listed line longer than this is cut (an exception's message can be a whole document).
_MAX_LISTED_CHARS = 500


def echo_listed(prefix: str, lines: list[str], total: int | None = None) -> None:
    """Print ``PREFIX: line`` on stderr, one printable line each (:func:`quote`: line
    breaks folded, control characters blanked, long ones cut), for the first
    :data:`MAX_LISTED` lines, then ``PREFIX: … and N more``: of ``total`` when only
    some of them were kept in ``lines``."""
    from incident_lab.text import quote

    shown = lines[:MAX_LISTED]
    for line in shown:
        click.echo(f"{prefix}: {quote(line, _MAX_LISTED_CHARS)}", err=True)
    more = max(len(lines), total or 0) - len(shown)
    if more > 0:
        click.echo(f"{prefix}: … and {more} more", err=True)


def progress_enabled() -> bool:
    """True when progress should be drawn: stderr is a terminal and CI is not set."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("INCIDENT_LAB_DEBUG") == "1"


def run(group: click.Group, prog: str, argv: list[str] | None = None) -> int:
    """Run ``group`` as program ``prog`` and return its exit code.

    Error rendering happens here, once: library errors become one line on stderr
    with their own exit code; click usage errors exit 3; Ctrl-C exits 130; any
    other exception is a bug, reported in one line (traceback with ``--debug``)
    with exit code 4. SIGTERM unwinds like Ctrl-C (exit 130, staging removed); input
    nested too deeply for the parser is exit 3.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    previous = _terminate_as_interrupt()
    try:
        result = group.main(args=args, prog_name=prog, standalone_mode=False)
    except (Exception, KeyboardInterrupt) as exc:
        return _exit_code(exc, prog, debug)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if isinstance(result, int):
        return result
    return 0


def _exit_code(exc: BaseException, prog: str, debug: bool) -> int:
    """Render ``exc`` as one line on stderr and return its documented exit code."""
    if isinstance(exc, IncidentLabError):
        if debug:
            traceback.print_exc()
        click.echo(f"{prog}: error: {exc.render()}", err=True)
        return exc.exit_code
    if isinstance(exc, click.exceptions.ClickException | click.exceptions.Exit | click.Abort):
        return _click_exit_code(exc, prog)
    if isinstance(exc, KeyboardInterrupt):
        click.echo(f"{prog}: interrupted", err=True)
        return EXIT_INTERRUPTED
    return _environment_exit_code(exc, prog, debug)


def _click_exit_code(exc: BaseException, prog: str) -> int:
    """Click's own outcomes: help on no arguments, usage errors, explicit exits, aborts."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        click.echo(exc.format_message(), err=True)
        return 0
    if isinstance(exc, click.UsageError):
        hint = f" (hint: run '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"{prog}: error: {exc.format_message()}{hint}", err=True)
        return EXIT_USAGE
    if isinstance(exc, click.ClickException):
        click.echo(f"{prog}: error: {exc.format_message()}", err=True)
        return EXIT_USAGE
    if isinstance(exc, click.exceptions.Exit):
        return int(exc.exit_code)
    click.echo(f"{prog}: interrupted", err=True)  # click.Abort: Ctrl-C at a prompt
    return EXIT_INTERRUPTED


def _environment_exit_code(exc: BaseException, prog: str, debug: bool) -> int:
    """What the environment refused (a closed pipe, EROFS, ENOSPC, deep nesting), else a bug."""
    if isinstance(exc, BrokenPipeError):
        return 0
    if debug:
        traceback.print_exc()
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(
            f"{prog}: error: {where}{exc.strerror or exc} "
            "(hint: check the path, its permissions and the free space; nothing was kept)",
            err=True,
        )
        return EXIT_USAGE
    if isinstance(exc, RecursionError):
        click.echo(
            f"{prog}: error: input nested too deeply to process "
            "(hint: a JSON, YAML or TOML document with thousands of nested levels)",
            err=True,
        )
        return EXIT_USAGE
    click.echo(
        f"{prog}: internal error: {type(exc).__name__}: {exc} "
        "(hint: rerun with --debug and report the traceback)",
        err=True,
    )
    return EXIT_EXTERNAL


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _terminate_as_interrupt() -> Any:
    """Make SIGTERM unwind like Ctrl-C (so staging files are removed); return the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGTERM, _raise_interrupt)
    except (ValueError, OSError):
        return None
