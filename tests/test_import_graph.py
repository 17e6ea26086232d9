"""Layering: incident_lab never imports regression_suite, and subpackages form no cycle.

The import graph is read statically (``ast``) from every module of both packages,
counting every ``import`` wherever it appears (module level, inside functions,
under ``TYPE_CHECKING``): a lazy import is still a dependency. A *subpackage* is
the first two components of a module name (``incident_lab.readers``,
``regression_suite.gate``; a top-level module such as ``incident_lab.errors`` is
its own).

Today's violations are listed in the two allow-lists below, so the set can only
shrink: a new upward import or a new cycle fails, and so does an allow-list entry
that no longer occurs (delete it). Both lists are meant to be empty.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("incident_lab", "regression_suite")

#: ``(importer, imported)`` module pairs where incident_lab imports regression_suite: none
#: (the demo drives ``regression_suite`` as a command, in its own process).
KNOWN_UPWARD_IMPORTS: frozenset[tuple[str, str]] = frozenset()

#: Strongly connected sets of subpackages (each a cycle of imports): none. The shared
#: low-level pieces live below their users (``incident_lab.text``: disguise tables,
#: normaliser, MinHash, lexicon; ``evidence.timeline``: reading the timeline;
#: ``scenarios.suitefile``, ``gate_report``: suite files and gate reports).
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of both packages: name -> (file, is a package ``__init__``)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join(parts)] = (path, is_package)
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``: annotations, never run."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return hidden


def _imports(tree: ast.AST, package: str, modules: dict[str, tuple[Path, bool]]) -> Iterator[str]:
    """Absolute names of the modules ``tree`` imports at run time (``from X import sub`` ->
    ``X.sub``); imports under ``if TYPE_CHECKING:`` are left out."""
    hidden = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in modules else base


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the modules of both packages it imports."""
    modules = _modules()
    graph: dict[str, frozenset[str]] = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        package = name if is_package else name.rpartition(".")[0]
        graph[name] = frozenset(
            m for m in _imports(tree, package, modules) if m.split(".")[0] in PACKAGES
        )
    return graph


def subpackage(module: str) -> str:
    return ".".join(module.split(".")[:2])


def upward_imports(graph: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer, targets in graph.items()
        if importer.split(".")[0] == "incident_lab"
        for imported in targets
        if imported.split(".")[0] == "regression_suite"
    }


def cycles(graph: dict[str, frozenset[str]]) -> set[frozenset[str]]:
    """Strongly connected sets (of two or more) of the subpackage graph (Tarjan)."""
    edges: dict[str, set[str]] = {}
    for importer, targets in graph.items():
        for imported in targets:
            a, b = subpackage(importer), subpackage(imported)
            if a != b:
                edges.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_packages() -> None:
    """The walk finds the modules and their imports (a broken walk would pass vacuously)."""
    graph = import_graph()
    assert len(graph) > 100
    assert "incident_lab.errors" in graph["incident_lab.scenarios.io"]
    assert "regression_suite.gate.baseline" in graph["regression_suite.gate"]
    assert "incident_lab.hookspecs" in graph["incident_lab.plugins"]  # from incident_lab import x
    # relative imports resolve against the importing package
    modules = {"incident_lab.readers.base": (Path(), False), "incident_lab.errors": (Path(), False)}
    tree = ast.parse("from . import base\nfrom ..errors import InputError\n")
    assert set(_imports(tree, "incident_lab.readers", modules)) == {
        "incident_lab.readers.base",
        "incident_lab.errors",
    }


def test_no_new_upward_import() -> None:
    """incident_lab never imports regression_suite, beyond the shrinking allow-list."""
    new = upward_imports(import_graph()) - KNOWN_UPWARD_IMPORTS
    assert not new, f"incident_lab imports regression_suite: {sorted(new)}"


def test_allowed_upward_imports_still_exist() -> None:
    """An allow-list entry that no longer occurs must be deleted (the list only shrinks)."""
    gone = KNOWN_UPWARD_IMPORTS - upward_imports(import_graph())
    assert not gone, f"delete from KNOWN_UPWARD_IMPORTS: {sorted(gone)}"


def test_no_new_cycle_between_subpackages() -> None:
    """Every cycle is (part of) a known one: none grows, none appears."""
    new = [c for c in cycles(import_graph()) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"import cycles between subpackages: {[sorted(c) for c in new]}"


def test_known_cycles_are_current() -> None:
    """A known cycle that is gone or smaller must be updated in KNOWN_CYCLES."""
    stale = KNOWN_CYCLES - cycles(import_graph())
    assert not stale, f"update KNOWN_CYCLES, no longer current: {[sorted(c) for c in stale]}"


def test_detectors_catch_a_planted_violation() -> None:
    """The checks report an upward import and a two-package cycle in a made-up graph."""
    graph = {
        "incident_lab.a.x": frozenset({"regression_suite.b"}),
        "regression_suite.b": frozenset({"incident_lab.a"}),
        "incident_lab.a": frozenset(),
    }
    assert upward_imports(graph) == {("incident_lab.a.x", "regression_suite.b")}
    assert cycles(graph) == {frozenset({"incident_lab.a", "regression_suite.b"})}


def _third_party_imports() -> set[str]:
    import sys

    names: set[str] = set()
    for path, _ in _modules().values():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def _requirement_names(spec: str) -> set[str]:
    """``dask[distributed]>=1`` -> {dask, distributed} (an extra named after a package)."""
    import re

    name, _, rest = spec.partition("[")
    names = {re.split(r"[<>=!~; ]", name, maxsplit=1)[0]}
    if rest:
        names.update(e.strip() for e in rest.partition("]")[0].split(","))
    return {n.lower().replace("_", "-") for n in names}


def test_runtime_dependencies_match_imports() -> None:
    """Every runtime dependency is imported somewhere, and every import is declared
    (runtime, or an optional extra for lazily imported engines such as dask)."""
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    runtime = set().union(*(_requirement_names(s) for s in project["dependencies"]))
    extras = set().union(
        *(
            _requirement_names(s)
            for specs in project["optional-dependencies"].values()
            for s in specs
        )
    )
    dists = packages_distributions()
    imported = {
        name: {d.lower().replace("_", "-") for d in dists.get(name, [name])}
        for name in _third_party_imports()
    }
    undeclared = {n for n, ds in imported.items() if not ds & (runtime | extras)}
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"
    used = set().union(*imported.values())
    unused = runtime - used
    assert not unused, f"runtime dependencies never imported: {sorted(unused)}"
