"""Project sessions: tests, lint, typecheck, gate, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", "incident_lab", "regression_suite", "tests", "benchmarks")
    session.run("ruff", "format", "--check", "incident_lab", "regression_suite", "tests", "benchmarks")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check both packages with mypy."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def gate(session: nox.Session) -> None:
    """Run the release gate on the bundled suite against the patched example agent."""
    session.install("-e", ".")
    session.run("regression_suite", "run", "--suite", "release_gate", "--target", "example:patched", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ (slow; not part of CI)."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
    # triage_eval: classify/add on public third-party data; fetches pinned packages into
    # ~/.cache/incident-lab/triage_eval (or $INCIDENT_LAB_EVAL_CACHE), never into the repo.
    session.run("python", "benchmarks/triage_eval/fetch.py")
    session.run("python", "benchmarks/triage_eval/convert.py")
    session.run("python", "benchmarks/triage_eval/run.py", "--label", "bench")
