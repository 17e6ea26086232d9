"""Lines of code per package and per folded concept, at two revisions (issue 14's measure).

A *code line* is a line of a ``.py`` file that holds a Python token other than a comment,
and is not part of a docstring (the string that opens a module, class or function body).
Blank lines, comment lines and docstrings are not counted; a multi-line string that is not
a docstring counts every line it spans. Files are read from git (``git cat-file``), so the
counts are those of the committed revisions, whatever the working tree holds.

Three tables:

- per package: every subpackage of ``incident_lab`` and ``regression_suite``, the
  top-level modules of each counted together, with physical lines (``wc -l``) beside the
  code lines;
- per concept issue 14 folded (:data:`CONCEPTS`): the files, or the named top-level
  definitions inside a file (``path::name,name``), that implemented it at each revision;
- with ``--commits``, per package, the code lines each commit since OLD added or removed,
  split by :data:`FEATURES` into commits that added a feature and the rest (same features).

Usage::

    python benchmarks/loc_report.py [--old 3b65ea4] [--new HEAD] [--commits]
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("incident_lab", "regression_suite")
#: Revision before issue 14 was worked on.
BEFORE_ISSUE_14 = "3b65ea4"

#: What implemented each concept issue 14 asked to have once: ``path`` (whole file) or
#: ``path::name,name`` (those top-level definitions and assignments only), at the old
#: revision and the new one.
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "MinHash/LSH": (
        (
            "incident_lab/blast/minhash.py",
            "incident_lab/classify/coordination.py::_PRIME,_COEFFS,_minhash",
        ),
        ("incident_lab/text/minhash.py", "incident_lab/classify/coordination.py::_shingle_ids"),
    ),
    "secrets/PII detection": (
        (
            "incident_lab/scenarios/redact.py",
            "incident_lab/classify/lexicon.py::SENSITIVE",
            "incident_lab/classify/session.py::sensitive_kinds",
        ),
        (
            "incident_lab/pii/__init__.py",
            "incident_lab/pii/_checks.py",
            "incident_lab/pii/_surrogates.py",
            "incident_lab/pii/_table.py",
            "incident_lab/scenarios/redact.py",
            "incident_lab/classify/session.py::sensitive_kinds",
        ),
    ),
    "HTTP client (targets, notifiers, backends)": (
        (
            "regression_suite/targets/transport.py",
            "incident_lab/adapters/notifiers.py::parse_retry_after,deliver",
            "incident_lab/adapters/backends.py::send_request",
        ),
        (
            "incident_lab/httpclient.py",
            "regression_suite/targets/transport.py",
            "incident_lab/adapters/notifiers.py::deliver",
            "incident_lab/adapters/backends.py::send_request",
        ),
    ),
    "SVG charts": (
        ("incident_lab/report/svg.py", "regression_suite/reports/svg.py"),
        ("incident_lab/report/svg.py",),
    ),
    "metrics": (
        ("incident_lab/evidence/metrics.py",),
        ("incident_lab/evidence/metrics.py",),
    ),
    "fast validators": (
        (
            "incident_lab/schemacheck.py",
            "incident_lab/evidence/validation.py",
            "incident_lab/evidence/manifest.py::fast_manifest_valid,MANIFEST_SCHEMA_SHA256",
        ),
        ("incident_lab/schemacheck.py", "incident_lab/evidence/validation.py"),
    ),
    "expectations + reproduction check": (
        (
            "regression_suite/expectations.py",
            "incident_lab/scenarios/derive.py::reproduction_results,reproduces",
        ),
        ("incident_lab/expectations.py", "incident_lab/scenarios/reproduce.py"),
    ),
}

#: Commits since 3b65ea4 that added a feature (their subject names it), by short hash.
#: A commit not listed changed code whose features already existed (refactors, folds,
#: fixes, splits, speed work), or belongs to a package that did not gain a feature.
FEATURES: dict[str, str] = {}


def git(*args: str, data: bytes | None = None) -> bytes:
    """Output of one git command run in the repository."""
    return subprocess.run(
        ["git", *args], cwd=ROOT, input=data, capture_output=True, check=True
    ).stdout


def python_files(rev: str) -> list[str]:
    """Every ``.py`` path of the packages at ``rev``."""
    out = git("ls-tree", "-r", "--name-only", rev, "--", *PACKAGES).decode()
    return [p for p in out.splitlines() if p.endswith(".py")]


def read_blobs(rev: str, paths: list[str]) -> dict[str, str]:
    """The text of each path at ``rev`` (one ``git cat-file --batch`` call); missing: absent."""
    if not paths:
        return {}
    query = "".join(f"{rev}:{p}\n" for p in paths).encode()
    raw = git("cat-file", "--batch", data=query)
    texts: dict[str, str] = {}
    pos = 0
    for path in paths:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        texts[path] = raw[pos : pos + size].decode("utf-8")
        pos += size + 1
    return texts


def _docstring_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    nodes: list[ast.AST] = [tree]
    nodes += [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    for node in nodes:
        body = getattr(node, "body", [])
        first = body[0] if body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


_NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


def code_lines(text: str) -> set[int]:
    """Line numbers of ``text`` that hold code: not blank, not only a comment, no docstring."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in _NOT_CODE:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return lines - _docstring_lines(ast.parse(text))


def count_selector(texts: dict[str, str], selector: str) -> int:
    """Code lines of ``path`` or of the named top-level statements of ``path::a,b``."""
    path, _, names = selector.partition("::")
    text = texts.get(path)
    if text is None:
        return 0
    lines = code_lines(text)
    if not names:
        return len(lines)
    wanted = set(names.split(","))
    keep: set[int] = set()
    for stmt in ast.parse(text).body:
        if _defined_names(stmt) & wanted:
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            keep.update(range(first, (stmt.end_lineno or stmt.lineno) + 1))
    return len(lines & keep)


def _defined_names(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def package_of(path: str) -> str:
    """``incident_lab/cli`` for a subpackage file, ``incident_lab/*.py`` for a top-level one."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else f"{parts[0]}/*.py"


def per_package(rev: str) -> dict[str, tuple[int, int]]:
    """``package -> (code lines, physical lines)`` at ``rev``."""
    texts = read_blobs(rev, python_files(rev))
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, text in texts.items():
        row = out[package_of(path)]
        row[0] += len(code_lines(text))
        row[1] += len(text.splitlines())
    return {k: (v[0], v[1]) for k, v in out.items()}


def package_table(old: str, new: str) -> list[str]:
    """The per-package table, one formatted line per row."""
    before, after = per_package(old), per_package(new)
    rows = [f"{'package':30} {'code ' + old:>14} {'code ' + new:>14} {'change':>7}"]
    rows[0] += f" {'wc -l ' + old:>16} {'wc -l ' + new:>16}"
    totals = defaultdict(lambda: [0, 0, 0, 0])
    for pkg in sorted(set(before) | set(after)):
        b, a = before.get(pkg, (0, 0)), after.get(pkg, (0, 0))
        rows.append(f"{pkg:30} {b[0]:>14,} {a[0]:>14,} {a[0] - b[0]:>+7,} {b[1]:>16,} {a[1]:>16,}")
        total = totals[pkg.split("/")[0]]
        for i, value in enumerate((b[0], a[0], b[1], a[1])):
            total[i] += value
    for top, (b0, a0, b1, a1) in sorted(totals.items()):
        rows.append(f"{top + ' (all)':30} {b0:>14,} {a0:>14,} {a0 - b0:>+7,} {b1:>16,} {a1:>16,}")
    return rows


def concept_table(old: str, new: str) -> list[str]:
    """The per-concept table: code lines that implemented each folded concept."""
    paths = {s.partition("::")[0] for pair in CONCEPTS.values() for side in pair for s in side}
    texts = {old: read_blobs(old, sorted(paths)), new: read_blobs(new, sorted(paths))}
    rows = [f"{'concept':44} {old:>10} {new:>10} {'change':>7}"]
    for name, (was, now) in CONCEPTS.items():
        b = sum(count_selector(texts[old], s) for s in was)
        a = sum(count_selector(texts[new], s) for s in now)
        rows.append(f"{name:44} {b:>10,} {a:>10,} {a - b:>+7,}")
    return rows


def commit_table(old: str, new: str) -> list[str]:
    """Per package: code-line change from commits that added a feature, and from the rest."""
    log = git("log", "--reverse", "--format=%h", f"{old}..{new}").decode().split()
    change: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for commit in log:
        names = git("diff-tree", "--no-commit-id", "-r", "--name-only", f"{commit}^", commit)
        paths = [
            p
            for p in names.decode().splitlines()
            if p.endswith(".py") and p.split("/")[0] in PACKAGES
        ]
        if not paths:
            continue
        before, after = read_blobs(f"{commit}^", paths), read_blobs(commit, paths)
        feature = commit in FEATURES or any(commit.startswith(k) for k in FEATURES)
        for path in paths:
            delta = len(code_lines(after[path])) if path in after else 0
            delta -= len(code_lines(before[path])) if path in before else 0
            change[package_of(path)][0 if feature else 1] += delta
    rows = [f"{'package':30} {'feature commits':>16} {'same features':>14}"]
    for pkg in sorted(change):
        feat, same = change[pkg]
        rows.append(f"{pkg:30} {feat:>+16,} {same:>+14,}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=BEFORE_ISSUE_14, help="the revision before")
    parser.add_argument("--new", default="HEAD", help="the revision after")
    parser.add_argument("--commits", action="store_true", help="split growth by commit")
    args = parser.parse_args(argv)
    print("\n".join(package_table(args.old, args.new)))
    print()
    print("\n".join(concept_table(args.old, args.new)))
    if args.commits:
        print()
        print("\n".join(commit_table(args.old, args.new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
