"""Project sessions: tests, lint, typecheck, gate, bench."""

from __future__ import annotations

import nox

LINTED = ("incident_lab", "regression_suite", "tests", "benchmarks")

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff; complexity with ruff (C901) and radon; dead code."""
    session.install("ruff", "vulture>=2.14", "radon>=6")
    session.run("ruff", "check", *LINTED)  # includes C901, max-complexity 15
    session.run("ruff", "format", "--check", *LINTED)
    # radon counts boolean operators too: no function of the packages graded D (CC > 20) or worse
    graded = session.run(
        "radon", "cc", "--min", "D", "--show-complexity", "incident_lab", "regression_suite",
        silent=True,
    )  # fmt: skip
    if str(graded).strip():
        session.error(f"functions graded D or worse by radon, break them into steps:\n{graded}")
    # Dead code: [tool.vulture] in pyproject.toml; uses vulture cannot see: vulture_whitelist.py
    session.run("vulture")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check both packages with mypy."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def gate(session: nox.Session) -> None:
    """Run the release gate on the bundled suite against the patched example agent."""
    session.install("-e", ".")
    session.run(
        "regression_suite",
        "run",
        "--suite",
        "release_gate",
        "--target",
        "example:patched",
        *session.posargs,
    )


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


@nox.session
def mutmut(session: nox.Session) -> None:
    """Mutation testing of evidence/, gate/, the redactor and the reproduction check.

    Configured in pyproject.toml ``[tool.mutmut]``; slow (minutes per module). Narrow it
    with mutant-name globs: ``nox -s mutmut -- "regression_suite.gate*"``. Prints the
    surviving mutants at the end (``mutmut results``).
    """
    session.install("-e", ".[test]", "mutmut>=3.8")
    session.run("mutmut", "run", "--max-children", "2", *session.posargs)
    session.run("mutmut", "results")
