"""The public Python surface is exactly what the docs show (issue 14).

A module's ``__all__`` declares its public names; a module without one is internal.
``PUBLIC`` pins every ``(module, name)`` pair of the two packages: adding a name to an
``__all__`` (or a new ``__all__``) fails here until it is pinned *and* documented, and
the docs may not cite a name that is not pinned. docs/api.md lists the surface.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("incident_lab", "regression_suite")

#: Every public name, by module. Change it together with docs/api.md.
PUBLIC: dict[str, tuple[str, ...]] = {
    "incident_lab": (
        "IncidentLabError",
        "__version__",
        "classify_many",
        "classify_trajectory",
        "hookimpl",
        "load_taxonomy",
        "read_paths",
        "take_snapshot",
        "trajectory_sha256",
        "validate_trajectory",
    ),
    "incident_lab.adapters.backends": ("ActionOutcome", "run_argv"),
    "incident_lab.classify": (
        "Classification",
        "CrossSessionDetector",
        "Detector",
        "RankedMode",
        "SeveritySuggestion",
        "Signal",
        "THRESHOLD",
        "classify_many",
        "classify_trajectory",
        "cross_session_detector",
        "detector",
        "get_detectors",
    ),
    "incident_lab.evidence": ("append_event", "load_bundle", "take_snapshot"),
    "incident_lab.example.traffic": ("generate_log",),
    "incident_lab.expectations": ("ExpectationKind", "Result"),
    "incident_lab.hookspecs": ("hookimpl",),
    "incident_lab.incident_record": ("record_decision", "update_record"),
    "incident_lab.pii": ("kind", "sensitive_kinds"),
    "incident_lab.plugins": ("BUILTIN_HOOKS", "DEFAULT_PLUGINS"),
    "incident_lab.provenance": ("Provenance", "analyse"),
    "incident_lab.readers": ("read_paths",),
    "incident_lab.readers.base": (
        "Reader",
        "Record",
        "head_object",
        "iter_json_documents",
        "iter_json_lines",
    ),
    "incident_lab.readers.mapping": ("finish",),
    "incident_lab.report.svg": ("bar_chart",),
    "incident_lab.taxonomy": (
        "Catalogue",
        "FRAMEWORKS",
        "FailureMode",
        "PRIORITIES",
        "Severity",
        "TAXONOMY_ENV",
        "Taxonomy",
        "load_taxonomy",
    ),
    "incident_lab.trajectory": ("new_trajectory", "tool_calls"),
    "incident_lab.variants": (
        "Converter",
        "NotApplicable",
        "StructuralConverter",
        "apply_chain",
        "converter",
        "generate_variants",
        "get_converters",
        "write_variants",
    ),
    "regression_suite": (
        "ExpectationKind",
        "ReplaySession",
        "Result",
        "ScriptedTarget",
        "TrajectoryBuilder",
        "build_scenario",
        "build_trajectory",
        "evaluate_all",
        "resolve_target",
    ),
    "regression_suite.gate": ("finalize",),
    "regression_suite.generated": ("check_case", "suite_cases"),
    "regression_suite.history": ("record_report",),
    "regression_suite.plugin_items": ("LazyItems",),
    "regression_suite.reports.base": ("Reporter",),
    "regression_suite.runner": ("materialize",),
    "regression_suite.suites": ("stub",),
    "regression_suite.targets": (
        "BaseTarget",
        "Target",
        "TargetError",
        "TargetKind",
        "TargetUnreachable",
        "complete_trajectory",
    ),
    "regression_suite.testing": (
        "ReplaySession",
        "ScriptedTarget",
        "TrajectoryBuilder",
        "build_scenario",
        "build_trajectory",
    ),
}

PINNED = {(module, name) for module, names in PUBLIC.items() for name in names}
_CITED_PATH = re.compile(r"(?<![\w.])((?:incident_lab|regression_suite)(?:\.\w+)+)")
_FROM_IMPORT = re.compile(
    r"^\s*from ((?:incident_lab|regression_suite)[\w.]*) import ([\w, ]+)$", re.M
)
_FILE_SUFFIXES = {"md", "toml", "json", "yaml", "yml", "py", "txt"}


def module_name(path: Path) -> str:
    """The dotted module name of a source file of the packages."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def declared_all(path: Path) -> list[str] | None:
    """A module's ``__all__`` read from its source (None when it has none).

    Raises:
        AssertionError: ``__all__`` is not one literal list or tuple of strings, or is
            extended after it is set (the pin could not see such a surface).
    """
    found: list[str] | None = None
    for node in ast.parse(path.read_text("utf-8")).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        assert found is None and isinstance(node, ast.Assign | ast.AnnAssign), (
            f"{path}:{node.lineno}: __all__ is set more than once"
        )
        value = ast.literal_eval(node.value)  # type: ignore[arg-type]
        assert isinstance(value, list | tuple) and all(isinstance(v, str) for v in value), (
            f"{path}:{node.lineno}: __all__ must be a literal list of names"
        )
        found = list(value)
    return found


def surface() -> set[tuple[str, str]]:
    """Every ``(module, name)`` the packages declare public in an ``__all__``."""
    pairs: set[tuple[str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            names = declared_all(path)
            if names is not None:
                assert len(set(names)) == len(names), f"{path}: a name twice in __all__"
                pairs |= {(module_name(path), name) for name in names}
    return pairs


def docs_text() -> str:
    """docs/*.md and the README, the pages that show the public surface."""
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    return "\n".join(p.read_text("utf-8") for p in pages)


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this tree (without importing it)."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def cited(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The module paths and the ``(module, name)`` pairs ``text`` cites.

    A dotted path resolves to its longest prefix that is a module; the next part is a
    name in it (``incident_lab.evidence.take_snapshot``). File names such as
    ``incident_lab.toml`` are not citations.
    """
    modules: set[str] = set()
    names: set[tuple[str, str]] = set()
    for match in _CITED_PATH.finditer(text):
        parts = match.group(1).split(".")
        if parts[-1] in _FILE_SUFFIXES:
            continue
        cut = next(i for i in range(len(parts), 0, -1) if is_module(".".join(parts[:i])))
        if cut == len(parts):
            modules.add(match.group(1))
        else:
            names.add((".".join(parts[:cut]), parts[cut]))
    for match in _FROM_IMPORT.finditer(text):
        names |= {(match.group(1), n.strip()) for n in match.group(2).split(",") if n.strip()}
    return modules, names


def test_the_public_surface_is_pinned() -> None:
    """The ``__all__``s of both packages declare exactly the pinned names."""
    actual = surface()
    added, removed = sorted(actual - PINNED), sorted(PINNED - actual)
    assert not added, (
        f"new public names: pin them in PUBLIC and document them in docs/api.md: {added}"
    )
    assert not removed, f"public names gone: unpin them and update docs/api.md: {removed}"


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_pinned_name_resolves(module: str) -> None:
    """Each pinned name is an attribute of its module (lazy exports included)."""
    mod = importlib.import_module(module)
    missing = [name for name in PUBLIC[module] if not hasattr(mod, name)]
    assert not missing, f"{module}: {missing}"


def test_every_pinned_name_is_cited_in_the_docs() -> None:
    """Each public name appears in the docs as ``module.name`` or in a ``from`` import."""
    _, names = cited(docs_text())
    undocumented = sorted(PINNED - names)
    assert not undocumented, f"public but not in docs/ (add to docs/api.md): {undocumented}"


def test_the_docs_cite_only_public_names() -> None:
    """A name the docs show is pinned (a path that is not a module reads as a name in one)."""
    _, names = cited(docs_text())
    internal = sorted(names - PINNED)
    assert not internal, f"docs cite names that are not public (pin them or reword): {internal}"


def test_entry_points_resolve() -> None:
    """The console scripts and the pytest plugin (loaded by path from pyproject) exist."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    targets = [*project["scripts"].values(), *project["entry-points"]["pytest11"].values()]
    for target in targets:
        module, _, attr = target.partition(":")
        assert is_module(module), target
        if attr:
            assert callable(getattr(importlib.import_module(module), attr)), target


def test_citations_are_parsed_as_modules_and_names() -> None:
    """The docs parser tells a module from a name in it, and skips file names."""
    modules, names = cited(
        "`incident_lab.evidence.take_snapshot` and `regression_suite.spool`; see "
        "incident_lab.toml.\n    from incident_lab.readers.base import Record, head_object\n"
    )
    assert modules == {"regression_suite.spool", "incident_lab.readers.base"}
    assert names == {
        ("incident_lab.evidence", "take_snapshot"),
        ("incident_lab.readers.base", "Record"),
        ("incident_lab.readers.base", "head_object"),
    }


def test_a_module_level_all_is_read_statically(tmp_path: Path) -> None:
    """``declared_all`` reads the literal, and refuses an ``__all__`` built at run time."""
    good = tmp_path / "good.py"
    good.write_text('"""Doc."""\n\nimport os\n\n__all__ = ["a", "b"]\n\na = b = 1\n')
    assert declared_all(good) == ["a", "b"]
    none = tmp_path / "none.py"
    none.write_text("x = 1\n")
    assert declared_all(none) is None
    extended = tmp_path / "extended.py"
    extended.write_text('__all__ = ["a"]\n__all__ += ["b"]\n')
    with pytest.raises(AssertionError, match="more than once"):
        declared_all(extended)
