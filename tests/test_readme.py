"""README's two set-up commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_opens_with_demo_then_test_command() -> None:
    """The first command installs and runs the demo, the second installs and runs the tests."""
    commands = _readme_commands()
    assert "pip install -e ." in commands[0] and "incident_lab demo" in commands[0]
    assert "pip install -e '.[test]'" in commands[1] and "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run contains the README's test command verbatim, as its last command."""
    test_command = _readme_commands()[1]
    ci_lines = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text("utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert ci_lines[-1] == test_command
