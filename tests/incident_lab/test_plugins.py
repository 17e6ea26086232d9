"""One plugin manager: built-ins and third parties take the same path."""

from __future__ import annotations

import importlib
import json
import sys
import types

import pytest

from incident_lab.hookspecs import hookimpl
from incident_lab.plugins import DEFAULT_PLUGINS, collect, get_plugin_manager, hook_names


@pytest.mark.parametrize("module", DEFAULT_PLUGINS)
def test_every_builtin_plugin_is_registered(module: str, fresh_plugins) -> None:
    """Each DEFAULT_PLUGINS module imports and is registered under its own name."""
    importlib.import_module(module)
    assert get_plugin_manager().get_plugin(module) is not None


def test_every_hook_has_builtin_items(fresh_plugins) -> None:
    """Every hook has at least one built-in item with a name."""
    for hook in hook_names():
        items = collect(hook)
        assert items, hook
        assert all(isinstance(name, str) and name for name in items)


def test_third_party_plugin_overrides_builtin(fresh_plugins) -> None:
    """A plugin registered after the built-ins replaces a built-in item with the same name."""

    class LoudNative:
        name = "native"
        description = "override"

        def sniff(self, path, head):
            return 0.0

        def read(self, path, *, max_line_bytes=0):
            return iter(())

    plugin = types.ModuleType("my_plugin")

    @hookimpl
    def register_readers():
        return [LoudNative()]

    plugin.register_readers = register_readers  # type: ignore[attr-defined]
    get_plugin_manager().register(plugin, name="my_plugin")
    assert collect("register_readers")["native"].description == "override"


def test_plugins_command_lists_builtins(il, fresh_plugins) -> None:
    """`incident_lab plugins --json` lists every built-in module with its hooks and items."""
    r = il("plugins", "--json")
    assert r.exit_code == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert set(DEFAULT_PLUGINS) <= set(rows)
    assert "native" in rows["incident_lab.readers.native"]["items"]["register_readers"]
    human = il("plugins")
    assert "incident_lab.readers.native  (built-in)" in human.stdout


def test_plugin_manager_is_shared(fresh_plugins) -> None:
    """There is one manager per process."""
    assert get_plugin_manager() is get_plugin_manager()
    assert "incident_lab.plugins" in sys.modules
