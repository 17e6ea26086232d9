"""The one plugin manager of incident-lab.

Third-party plugins are loaded from the ``incident_lab`` entry-point group first;
then the built-ins in :data:`DEFAULT_PLUGINS` register through the very same
manager. Registries are built by :func:`collect`, where a later item with the same
``name`` replaces an earlier one, and an entry-point plugin is consulted *after*
the built-ins so that it can override them.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

import pluggy

from incident_lab import hookspecs

__all__ = ["DEFAULT_PLUGINS", "collect", "get_plugin_manager", "hook_names", "plugin_table"]

#: Built-in plugins, registered in this order after entry points are loaded.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "incident_lab.readers.native",
    "incident_lab.readers.events",
    "incident_lab.readers.openai_chat",
    "incident_lab.readers.otel",
    "incident_lab.readers.openinference",
    "incident_lab.readers.inspect_log",
    "incident_lab.readers.seed_incident",
    "incident_lab.classify.detectors",
    "incident_lab.variants.converters",
    "incident_lab.adapters.backends",
    "incident_lab.adapters.notifiers",
    "regression_suite.targets.builtin",
    "incident_lab.expectations",
    "regression_suite.reports.builtin",
)

_lock = threading.Lock()
_pm: pluggy.PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """Return the process-wide plugin manager, creating it on first use.

    Returns:
        The manager with entry-point plugins and the built-ins registered.
    """
    global _pm
    with _lock:
        if _pm is None:
            pm = pluggy.PluginManager("incident_lab")
            pm.add_hookspecs(hookspecs)
            for module_name in DEFAULT_PLUGINS:
                pm.register(importlib.import_module(module_name), name=module_name)
            # Entry points register last so that their hookimpls run first
            # (pluggy calls LIFO) and their items win name collisions in collect().
            pm.load_setuptools_entrypoints("incident_lab")
            _pm = pm
        return _pm


def reset_plugin_manager() -> None:
    """Forget the manager so the next call rebuilds it (used by tests)."""
    global _pm
    with _lock:
        _pm = None


def collect(hook_name: str) -> dict[str, Any]:
    """Merge every plugin's items for ``hook_name`` into one name -> item registry.

    Built-ins come first and entry-point plugins later, so a plugin's item with
    the same name replaces the built-in one.

    Args:
        hook_name: e.g. ``"register_readers"``.

    Returns:
        Items keyed by their ``name`` attribute, in registration order.
    """
    pm = get_plugin_manager()
    hook = getattr(pm.hook, hook_name)
    registry: dict[str, Any] = {}
    # pluggy returns results LIFO (last registered first); reverse to get FIFO.
    for items in reversed(hook()):
        for item in items or ():
            registry[item.name] = item
    return registry


def hook_names() -> list[str]:
    """Return the names of every hook the manager knows."""
    return sorted(name for name in dir(hookspecs) if name.startswith("register_"))


def plugin_table() -> list[dict[str, Any]]:
    """Describe every loaded plugin: name, hooks it implements, and items it registers."""
    pm = get_plugin_manager()
    rows: list[dict[str, Any]] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        items: dict[str, list[str]] = {}
        for hname in hooks:
            impl = getattr(plugin, hname, None)
            if impl is None:
                continue
            try:
                result = impl()
            except TypeError:
                continue
            items[hname] = [getattr(i, "name", repr(i)) for i in (result or [])]
        dist = None
        for plugin_obj, distinfo in pm.list_plugin_distinfo():
            if plugin_obj is plugin:
                dist = f"{distinfo.project_name} {distinfo.version}"
        rows.append(
            {
                "name": name,
                "builtin": name in DEFAULT_PLUGINS,
                "distribution": dist,
                "hooks": hooks,
                "items": items,
            }
        )
    return rows
