"""The caps on how much of a line or code is followed fail closed (whole-diff read of s30):
past :data:`_MAX_FIND_RUNS` commands ``find`` runs, and past :data:`_MAX_ALIASES` names for
``os`` or ``environ``, the read is the environment, not nothing."""

from __future__ import annotations

import pytest

from incident_lab.provenance.sensitive import _WHOLE, environment_read
from incident_lab.text.shell import command_words


def _shell(line: str) -> str | None:
    return environment_read(command_words(line), line, "bash")


def test_find_past_its_run_cap_fails_closed() -> None:
    line = "find . " + "-exec true {} + " * 8 + "-exec env {} +"
    assert _shell(line) == _WHOLE


def test_find_within_its_run_cap_reads_what_it_runs() -> None:
    assert _shell("find . " + "-exec true {} + " * 3 + "-exec sh -c env {} +") == _WHOLE
    assert _shell("find . " + "-exec true {} + " * 3) is None


@pytest.mark.parametrize(
    "code",
    [
        "".join(f"import os as a{k}\n" for k in range(8)) + "import os as z\nprint(z.environ)\n",
        "".join("from os import environ as a\n" for _ in range(8))
        + "from os import environ as z\nprint(z)\n",
        "".join(f"from os import environ as a{k}\n" for k in range(8))
        + "from os import environ as z\nprint(z)\n",
    ],
)
def test_names_for_the_environment_past_the_alias_cap_fail_closed(code: str) -> None:
    assert environment_read([], code, "run_python") == _WHOLE


def test_a_few_names_for_os_that_read_nothing_are_no_read() -> None:
    code = "".join(f"import os as a{k}\n" for k in range(3)) + "print(a1.getcwd())\n"
    assert environment_read([], code, "run_python") is None


@pytest.mark.parametrize(
    "line",
    [
        "find . -exec true \\; -exec printenv \\;",
        "find . -type f -exec grep -q x {} \\; -exec sh -c env \\;",
        "find . -exec true {} ; env",  # the shell runs env after find: read either way
    ],
)
def test_a_find_run_after_an_escaped_semicolon_is_read(line: str) -> None:
    assert _shell(line) == _WHOLE


@pytest.mark.parametrize(
    "line",
    [
        "find . -name '*.py' -exec grep -l foo {} \\;",
        "find . -exec true \\; -exec ls -l {} \\;",
        "find . -type f -exec chmod 644 {} \\; -print",
    ],
)
def test_ordinary_find_runs_read_nothing(line: str) -> None:
    assert _shell(line) is None
