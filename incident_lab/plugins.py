"""The one plugin manager of incident-lab.

Built-ins and third-party plugins register through the same pluggy manager. The
built-ins in :data:`BUILTIN_HOOKS` register first, each as a light stand-in
(:class:`LazyPlugin`) that imports its module the first time one of its hooks is
called: ``snapshot`` asks only for readers, so it never imports the classifier, the
targets or pandas. Plugins of the ``incident_lab`` entry-point group register
*after* the built-ins. pluggy calls hook implementations last-registered first;
:func:`collect` reverses that, so built-in items come first and an entry-point
plugin's item with the same ``name`` replaces the built-in one.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pluggy

from incident_lab import hookspecs

__all__ = ["BUILTIN_HOOKS", "DEFAULT_PLUGINS"]

#: Built-in plugin modules and the hooks each implements, registered in this order
#: before entry points. A module is imported when one of its hooks is first called
#: (``tests/incident_lab/test_plugins.py`` checks this table against the modules).
BUILTIN_HOOKS: dict[str, tuple[str, ...]] = {
    "incident_lab.readers.native": ("register_readers",),
    "incident_lab.readers.events": ("register_readers",),
    "incident_lab.readers.openai_chat": ("register_readers",),
    "incident_lab.readers.claude_code": ("register_readers",),
    "incident_lab.readers.openai_responses": ("register_readers",),
    "incident_lab.readers.otel": ("register_readers",),
    "incident_lab.readers.openinference": ("register_readers",),
    "incident_lab.readers.inspect_log": ("register_readers",),
    "incident_lab.readers.seed_incident": ("register_readers",),
    "incident_lab.classify.detectors": ("register_detectors",),
    "incident_lab.variants.converters": ("register_converters",),
    "incident_lab.adapters.backends": ("register_containment_backends",),
    "incident_lab.adapters.notifiers": ("register_notifiers",),
    "regression_suite.targets.builtin": ("register_targets",),
    "incident_lab.expectations": ("register_expectations",),
    "regression_suite.reports.builtin": ("register_reporters",),
}

#: Names of the built-in plugins, in registration order.
DEFAULT_PLUGINS: tuple[str, ...] = tuple(BUILTIN_HOOKS)


class LazyPlugin:
    """A built-in plugin module, imported the first time one of its hooks is called.

    Registered under the module's name; each hook in ``hooks`` becomes a hook
    implementation that imports ``module_name`` and calls the module's own function.

    Args:
        module_name: The module defining the ``@hookimpl`` functions.
        hooks: The hooks it implements (names from :mod:`incident_lab.hookspecs`).
    """

    def __init__(self, module_name: str, hooks: tuple[str, ...]) -> None:
        self.module_name = module_name
        self._module: ModuleType | None = None
        for hook in hooks:
            setattr(self, hook, self._delegate(hook))

    @property
    def loaded(self) -> bool:
        """True once the module has been imported through this stand-in."""
        return self._module is not None

    def load(self) -> ModuleType:
        """Import the module (once) and return it."""
        if self._module is None:
            self._module = importlib.import_module(self.module_name)
        return self._module

    def _delegate(self, hook: str) -> Callable[[], Any]:
        def call() -> Any:
            return getattr(self.load(), hook)()

        call.__name__ = call.__qualname__ = hook
        call.__doc__ = f"{hook} of {self.module_name} (imported on first call)."
        return hookspecs.hookimpl(call)

    def __repr__(self) -> str:
        return f"<LazyPlugin {self.module_name}{' (loaded)' if self.loaded else ''}>"


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
            for module_name, hooks in BUILTIN_HOOKS.items():
                pm.register(LazyPlugin(module_name, hooks), name=module_name)
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
