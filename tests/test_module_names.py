"""No module binds the same top-level name twice.

A module-level pattern defined again further down a module takes the first one's name
for every function that reads it when it runs: ``provenance.analysis`` had two
``_NUMBER`` patterns, and ``_numbers`` returned the second one's (number, colon) pairs
instead of digit runs, so a rule built on it never held (found in session 43). ruff's
F811 covers functions and imports, not assignments; this covers assignments."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bound_twice(source: str) -> list[str]:
    """The top-level names ``source`` assigns more than once (augmented assignments and
    ``if``/``try`` branches aside: those are deliberate alternatives)."""
    names: Counter[str] = Counter()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id != "__all__":
                names[target.id] += 1
    return sorted(n for n, k in names.items() if k > 1)


def test_the_check_finds_a_name_bound_twice() -> None:
    assert _bound_twice("_NUMBER = 1\ndef f():\n    return _NUMBER\n_NUMBER = 2\n") == ["_NUMBER"]
    assert _bound_twice("A = 1\nA += 1\nif x:\n    B = 1\nelse:\n    B = 2\n") == []


def test_no_package_module_binds_a_top_level_name_twice() -> None:
    found = {
        str(path.relative_to(ROOT)): twice
        for package in ("incident_lab", "regression_suite")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (twice := _bound_twice(path.read_text(encoding="utf-8")))
    }
    assert found == {}
