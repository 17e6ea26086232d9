"""Documentation completeness: every command, hook and built-in plugin item is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab import hookspecs
from incident_lab.cli.main import COMMANDS as INCIDENT_LAB_COMMANDS
from incident_lab.plugins import DEFAULT_PLUGINS, collect
from regression_suite.cli.main import COMMANDS as REGRESSION_SUITE_COMMANDS

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Every hook the plugin manager knows (the ``register_*`` specs).
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("register_"))


def _text(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


@pytest.mark.parametrize("command", sorted(INCIDENT_LAB_COMMANDS))
def test_every_incident_lab_command_has_a_section(command: str) -> None:
    """docs/incident_lab.md has a `## incident_lab <command>` heading for each command."""
    assert f"## `incident_lab {command}`" in _text("incident_lab.md")


@pytest.mark.parametrize("command", sorted(REGRESSION_SUITE_COMMANDS))
def test_every_regression_suite_command_has_a_section(command: str) -> None:
    """docs/regression_suite.md has a `## regression_suite <command>` heading for each command."""
    assert f"## `regression_suite {command}`" in _text("regression_suite.md")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    """docs/plugins.md has a `### <hook>` heading for each hook."""
    assert f"### `{hook}`" in _text("plugins.md")


def test_every_builtin_plugin_module_is_listed() -> None:
    """docs/plugins.md names each built-in plugin module."""
    text = _text("plugins.md")
    missing = [m for m in DEFAULT_PLUGINS if f"`{m}`" not in text]
    assert not missing


@pytest.mark.parametrize("hook", HOOKS)
def test_every_builtin_item_is_documented(hook: str) -> None:
    """Each built-in reader, detector, converter, target, ... appears in backticks in docs/."""
    corpus = "\n".join(p.read_text("utf-8") for p in DOCS.glob("*.md"))
    missing = [name for name in collect(hook) if f"`{name}`" not in corpus]
    assert not missing, f"{hook}: undocumented built-ins {missing}"


def _section(doc: str, prog: str, command: str) -> str:
    """The text of the `## `prog command`` section of ``doc`` (up to the next `## `)."""
    text = _text(doc)
    start = text.index(f"## `{prog} {command}`")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _options(target: str) -> list[str]:
    import importlib
    import re

    module, attr = target.split(":")
    command = getattr(importlib.import_module(module), attr)
    names = [o for p in command.params for o in p.opts if o.startswith("--") and o != "--help"]
    return [n for n in names if re.match(r"--[a-z]", n)]


@pytest.mark.parametrize(
    ("prog", "doc", "command", "target"),
    [
        ("incident_lab", "incident_lab.md", c, t)
        for c, (t, _) in sorted(INCIDENT_LAB_COMMANDS.items())
    ]
    + [
        ("regression_suite", "regression_suite.md", c, t)
        for c, (t, _) in sorted(REGRESSION_SUITE_COMMANDS.items())
    ],
)
def test_every_option_is_documented_in_its_command_section(
    prog: str, doc: str, command: str, target: str
) -> None:
    """Each `--option` a command accepts appears in that command's section of the docs."""
    import re

    section = _section(doc, prog, command)
    missing = [o for o in _options(target) if not re.search(re.escape(o) + r"(?![\w-])", section)]
    assert not missing, f"{prog} {command}: undocumented options {missing}"
