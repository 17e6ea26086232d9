"""The one error tree of incident-lab, rendered in one place by the CLI.

Every error a user can cause or meet carries a message (what failed, where),
a hint (what to run next) and a documented exit code::

    IncidentLabError                    exit 4  (base; unexpected environment failure)
    ├── UsageError                      exit 3  bad flags, unknown ids, bad option values
    ├── InputError                      exit 3  unreadable / malformed input file (file:line)
    │   └── SchemaError                 exit 3  a document that does not match its JSON Schema
    ├── ConfigError                     exit 3  incident_lab.toml / suite file problems
    ├── CheckFailed                     exit 6  verify / lint / confirm found problems
    ├── ExternalError                   exit 4  a subprocess, endpoint or target failed
    └── PartialResult                   exit 5  work done, but some records were rejected
                                                (or a classifier detector raised)

The gate's verdict codes (0 OK, 1 WARN, 2 BLOCK) are not errors and are produced
by ``regression_suite run`` only, so an error can never look like a verdict.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARN = 1
EXIT_BLOCK = 2
EXIT_USAGE = 3
EXIT_EXTERNAL = 4
EXIT_PARTIAL = 5
EXIT_CHECK_FAILED = 6
EXIT_INTERRUPTED = 130


class IncidentLabError(Exception):
    """Base of every error incident-lab reports to a user.

    Args:
        message: What failed, naming the file and line where there is one.
        hint: What to run or change next; optional.
        path: The file concerned, if any.
        line: The 1-based line number concerned, if any.
    """

    exit_code: int = EXIT_EXTERNAL

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line

    def location(self) -> str:
        """Return ``file:line: `` (or ``file: ``) for the message prefix, or ``""``."""
        if self.path is None:
            return ""
        if self.line is None:
            return f"{self.path}: "
        return f"{self.path}:{self.line}: "

    def render(self) -> str:
        """Render the error as the one line the CLI prints to stderr."""
        text = f"{self.location()}{self.message}"
        text = " ".join(text.split("\n"))
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class UsageError(IncidentLabError):
    """A flag, option value or id the user gave is wrong."""

    exit_code = EXIT_USAGE


class InputError(IncidentLabError):
    """An input file is missing, unreadable or malformed."""

    exit_code = EXIT_USAGE


class SchemaError(InputError):
    """A document does not validate against its JSON Schema."""


class ConfigError(IncidentLabError):
    """A configuration or suite file is invalid."""

    exit_code = EXIT_USAGE


class CheckFailed(IncidentLabError):
    """A check (verify, lint, confirm) ran and found problems."""

    exit_code = EXIT_CHECK_FAILED


class ExternalError(IncidentLabError):
    """A subprocess, HTTP endpoint or target failed or was unreachable."""

    exit_code = EXIT_EXTERNAL


class PartialResult(IncidentLabError):
    """The work was done, but some input records were rejected (or, for ``classify`` and
    ``add``, a classifier detector raised on a session, which may then miss a finding)."""

    exit_code = EXIT_PARTIAL
