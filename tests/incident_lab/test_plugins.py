"""One plugin manager: built-ins and third parties take the same path."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from incident_lab.hookspecs import hookimpl
from incident_lab.plugins import (
    BUILTIN_HOOKS,
    DEFAULT_PLUGINS,
    LazyPlugin,
    collect,
    get_plugin_manager,
)
from tests.test_docs import HOOKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", DEFAULT_PLUGINS)
def test_every_builtin_plugin_is_registered(module: str, fresh_plugins) -> None:
    """Each DEFAULT_PLUGINS module imports and is registered under its own name."""
    importlib.import_module(module)
    assert get_plugin_manager().get_plugin(module) is not None


def test_every_hook_has_builtin_items(fresh_plugins) -> None:
    """Every hook has at least one built-in item with a name."""
    for hook in HOOKS:
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


@pytest.mark.parametrize("module", DEFAULT_PLUGINS)
def test_builtin_table_matches_the_modules(module: str) -> None:
    """BUILTIN_HOOKS names exactly the hooks each module implements (no stale entry)."""
    mod = importlib.import_module(module)
    implemented = {
        name
        for name, obj in inspect.getmembers(mod, inspect.isfunction)
        if getattr(obj, "incident_lab_impl", None) is not None
    }
    assert implemented == set(BUILTIN_HOOKS[module])


def test_builtins_import_only_when_their_hook_is_called(fresh_plugins) -> None:
    """Building the manager imports no built-in; calling one hook imports only its modules."""
    pm = get_plugin_manager()
    stand_ins = {name: pm.get_plugin(name) for name in DEFAULT_PLUGINS}
    assert all(isinstance(p, LazyPlugin) for p in stand_ins.values())
    # Fresh stand-ins: none has imported its module yet, whatever the process imported before.
    assert not any(p.loaded for p in stand_ins.values())
    readers = collect("register_readers")
    assert "native" in readers
    loaded = {name for name, p in stand_ins.items() if p.loaded}
    assert loaded == {m for m, hooks in BUILTIN_HOOKS.items() if "register_readers" in hooks}


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
    )


def test_reading_a_log_does_not_import_heavy_modules(tmp_path: Path) -> None:
    """A fresh process that reads a log imports no classifier, target, variant or pandas."""
    log = tmp_path / "one.jsonl"
    src = ROOT / "examples" / "incidents" / "2026-02-11-unknown-memorised-credential.jsonl"
    log.write_text(src.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    proc = _python(
        f"""
        import sys
        from incident_lab.readers import read_paths
        list(read_paths([{str(log)!r}]))
        heavy = [m for m in sys.modules if m.startswith(("regression_suite", "pandas",
                 "incident_lab.classify", "incident_lab.variants", "incident_lab.adapters"))]
        print(heavy)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_entry_point_plugin_overrides_builtin(tmp_path: Path) -> None:
    """An installed distribution's ``incident_lab`` entry point replaces a built-in by name."""
    (tmp_path / "fake_reader_plugin.py").write_text(
        textwrap.dedent(
            """
            from incident_lab.hookspecs import hookimpl

            class Native:
                name = "native"
                description = "from the entry point"

            @hookimpl
            def register_readers():
                return [Native()]
            """
        ),
        "utf-8",
    )
    dist = tmp_path / "fake_reader_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-reader-plugin\nVersion: 1.0\n", "utf-8"
    )
    (dist / "entry_points.txt").write_text("[incident_lab]\nfake = fake_reader_plugin\n", "utf-8")
    proc = _python(
        """
        import json
        from incident_lab.plugins import collect, plugin_table
        print(collect("register_readers")["native"].description)
        rows = {r["name"]: r for r in plugin_table()}
        print(json.dumps([rows["fake"]["distribution"], rows["fake"]["builtin"],
                          list(rows)[-1], len(rows)]))
        """,
        PYTHONPATH=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    description, table = proc.stdout.splitlines()
    assert description == "from the entry point"
    distribution, builtin, last, count = json.loads(table)
    assert distribution == "fake-reader-plugin 1.0"
    assert builtin is False
    assert last == "fake"  # registered after every built-in
    assert count == len(DEFAULT_PLUGINS) + 1


def _heavy_after(args: list[str]) -> list[str]:
    """Run ``incident_lab ARGS`` in a fresh process; return the heavy modules it imported."""
    proc = _python(
        f"""
        import json, sys
        from incident_lab.cli.app import run
        from incident_lab.cli.main import cli
        code = run(cli, "incident_lab", {args!r})
        heavy = sorted({{m.split(".")[0] if m.startswith(("pandas", "numpy", "jsonschema")) else m
                        for m in sys.modules
                        if m.startswith(("regression_suite", "pandas", "numpy", "jsonschema",
                                         "incident_lab.variants", "incident_lab.adapters",
                                         "incident_lab.blast", "incident_lab.classify.engine"))}})
        print(json.dumps([code, heavy]))
        """
    )
    assert proc.returncode == 0, proc.stderr
    code, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    assert code == 0, proc.stdout
    return list(heavy)


def test_small_commands_import_only_what_they_use(tmp_path: Path) -> None:
    """snapshot loads no pandas (metrics are plain Python), classifier, target or converter;
    verify loads nothing heavy; classify of one session loads neither pandas, numpy,
    regression_suite nor the variant generator (numpy comes with blast's MinHash, which
    coordination across sessions uses only when enough distinct actors could form a cluster)."""
    log = tmp_path / "one.jsonl"
    src = ROOT / "examples" / "incidents" / "2026-02-11-unknown-memorised-credential.jsonl"
    log.write_text(src.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    bundle = tmp_path / "bundle"
    assert _heavy_after(["snapshot", "--from", str(log), "--out", str(bundle)]) == []
    assert _heavy_after(["verify", str(bundle)]) == []
    classify = _heavy_after(["classify", str(bundle)])
    assert "incident_lab.classify.engine" in classify  # the probe sees the command's imports
    unwanted = ("pandas", "numpy", "regression_suite", "incident_lab.variants.generate")
    assert [m for m in classify if m.startswith(unwanted)] == []


def test_classify_lists_a_plugin_readers_warnings_like_rejects(
    il, fresh_plugins, tmp_path: Path
) -> None:
    """A reader's warnings are capped on stderr at MAX_LISTED lines and a count, as
    rejects are, by classify and by snapshot's summary (review revresp38b L1: 20,000
    warnings gave 20,000 lines); one with no line names the file alone (no
    ``path:None:``)."""
    from incident_lab.cli.app import MAX_LISTED
    from incident_lab.readers.base import Record

    src = ROOT / "examples" / "incidents" / "2026-02-11-unknown-memorised-credential.jsonl"
    log = tmp_path / "one.jsonl"
    log.write_text(src.read_text("utf-8").splitlines()[0] + "\n", "utf-8")

    class Noisy:
        name = "noisy"
        description = "warns a lot"

        def sniff(self, path, head):
            return 0.0

        def read(self, path, *, max_line_bytes=0):
            yield Record(path, 1, trajectory=json.loads(Path(path).read_text("utf-8")))
            yield Record(path, None, warning="file note")
            for i in range(500):
                yield Record(path, 1, warning=f"note {i}")

    plugin = types.ModuleType("noisy_plugin")

    @hookimpl
    def register_readers():
        return [Noisy()]

    plugin.register_readers = register_readers  # type: ignore[attr-defined]
    get_plugin_manager().register(plugin, name="noisy_plugin")
    result = il("classify", "--format", "noisy", "--json", log)
    assert result.exit_code == 0, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(lines) == MAX_LISTED + 1
    assert lines[0] == f"warning: {log}: file note"
    assert lines[-1] == f"warning: … and {501 - MAX_LISTED} more"
    assert len(json.loads(result.stdout)) == 1
    result = il("snapshot", "--format", "noisy", "--out", tmp_path / "bundle", log)
    assert result.exit_code == 0, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(lines) == MAX_LISTED + 1 and lines[-1].endswith(f"and {501 - MAX_LISTED} more")
    assert lines[0] == f"warning: {log}: file note"
