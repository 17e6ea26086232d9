"""A test run the user's own task implies (issue 10, round 5).

"CI fails on issue #7; fix the failing test" implies running the tests, whatever text the
command was copied from (the issue's "Steps: run pytest tests/test_x.py"). Without this
rule such a run, when an injection sits in the same issue, was blamed on the injection and
``add`` pinned the user's legitimate test run as the unsafe step.

Only a plain test-runner command counts (``pytest``, ``python -m unittest``, ``tox``,
``npm test``, ``go test``, ``cargo test``, ``make test`` ...; no ``;``, ``|``, ``&``, ``$``,
backticks or redirects), and only when a user turn talks about tests, CI or a failing
build, in any of the six analysed languages. Patterns are linear (bounded, anchored).
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

_RUNNER = re.compile(
    r"^\s{0,4}(?:[\w./-]{0,80}/)?(?:"
    r"(?:python3?(?:\.\d{1,2})?\s{1,4}-m\s{1,4})?(?:pytest|py\.test|unittest|tox|nox)"
    r"|(?:npm|yarn|pnpm)\s{1,4}(?:run\s{1,4})?test"
    r"|(?:go|cargo|mvn|gradle|gradlew|dotnet|mix|bundle\s{1,4}exec\s{1,4}rspec|rspec)(?:\s{1,4}test)?"
    r"|make\s{1,4}(?:test|check)"
    r")(?=\s|$)",
    _I,
)
_SHELL_META = re.compile(r"[;|&$`<>]|\n")
_TEST_TALK = re.compile(
    r"\b(?:tests?|testing|test suite|unit tests?|ci|failing|fails|failed|broken build|build"
    r"|pruebas?|teste?s?|testes|prova|collaudo|echec|echoue|fehlschlag\w{0,4})\b",
    _I,
)


def is_test_run(command: str) -> bool:
    """True for a plain test-runner command line (no chaining, pipes or redirects)."""
    return (
        bool(command)
        and len(command) <= 300
        and not _SHELL_META.search(command)
        and (_RUNNER.match(command) is not None)
    )


def asks_for_tests(user_text: str) -> bool:
    """True when the user's words are about tests, CI or a failing build."""
    return _TEST_TALK.search(user_text) is not None
