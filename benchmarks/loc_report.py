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
- per concept issue 14 folded (:data:`CONCEPTS`, with the default ``--old``): the files,
  or the named top-level definitions inside a file (``path::name,name``), that implemented
  it at each revision;
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

#: A commit that changed a package by fewer code lines than this was not reviewed.
REVIEWED = 20

#: Commits since 3b65ea4 that added behaviour, by short hash: a feature, hardening (a new
#: refusal or check of bad input) or what issue 14 itself asked for beyond a fold. Every
#: commit that changed a package by REVIEWED code lines or more was read; those not listed
#: changed code whose features already existed (refactors, folds, splits, speed, fixes).
#: Commits that moved code from one package to another (a package's share of such a commit
#: is code that came from, or went to, another package; the project total is near zero).
MOVES: dict[str, str] = {
    "1cab8ed": "incident_lab/pii.py split into the incident_lab.pii package",
    "76754b8": "incident_lab.text from blast (minhash, normalize) and classify (lexicon)",
    "df11565": "suite files from regression_suite.suites to incident_lab.scenarios.suitefile",
    "3f7f762": "gate report schema from regression_suite.reports to incident_lab.gate_report",
}

FEATURES: dict[str, str] = {
    "6a2df37": "hardening: exit code survives a closed stdout",
    "8361032": "issue 14: lazy plugin stand-ins",
    "3e31cfe": "feature: incident record",
    "0556ee9": "feature: inspect reader zstd/deflate/bzip2/lzma members",
    "46b8997": "feature: gate JUnit",
    "767b3dc": "feature: otel reader joins OTLP logs",
    "22fde84": "feature: confirm reads undo events, --last edge warning, report status",
    "5ca9ba7": "feature: openinference reader",
    "9ce92dd": "feature: gate failure summary",
    "84269a2": "feature: incident record links sessions",
    "ea44d15": "feature: provenance view",
    "0a34272": "feature: variants stored by reference",
    "d13d0ea": "feature: run --summary-md",
    "7dd2a55": "feature: blast exposure vs harm",
    "d801461": "feature: classify reads provenance",
    "1d29148": "feature: PII module with surrogates (and the fold)",
    "603cca8": "feature: sealed, signed timeline",
    "aa28937": "feature: suite set --variants",
    "981045b": "feature: add from provenance, two-sided reproduction check",
    "597e969": "feature: ReplaySession",
    "fe4cc80": "feature: incident report n/a phases, rejects section",
    "047aefa": "hardening: input gate",
    "96e8645": "hardening: linear-time regex bounds",
    "f153cb7": "feature: classify --flagged/--min-severity/--session",
    "3d81b12": "issue 14: one HTTP client with real async and pooling",
    "18209e4": "feature: snapshot reads an OTLP reader's files together",
    "4967da1": "feature: provenance rules",
    "4d66bd3": "hardening: channel escaping",
    "5bd0e1a": "feature: typed config model",
    "0929daf": "hardening: taxonomy anchors refused, bounded read",
    "8851c6f": "feature: third-party-shaped incidents",
    "4da4f6f": "hardening: suite paths confined",
    "fa1d7b7": "feature: provenance rules",
    "56cef9f": "feature: --last edge warning",
    "d763cbb": "feature: provenance rules",
    "a43f3be": "hardening: bundle readers through the gate",
    "2f4e6b5": "feature: dask engine reads every format",
    "0922073": "feature: timed decisions in the timeline",
    "fc5aec2": "feature: tag --incident",
    "d333bf4": "feature: lint checks suite files",
    "94fb712": "feature: add pins obedient answers",
    "26058d8": "feature: provenance rules",
    "11b5881": "feature: add payload fallback",
    "8396ab5": "feature: provenance rules",
    "480a376": "feature: add payload spans",
    "15682f7": "feature: provenance rules",
    "854f5ee": "feature: provenance rules",
    "e462987": "feature: classify calibration",
    "c623754": "feature: provenance rules",
    "b56a36f": "feature: add localisation",
    "2e92ce0": "feature: provenance rules",
    "c2f3602": "feature: provenance rules",
    "80ab118": "feature: provenance rules",
    "2bcd33f": "feature: add localisation",
    "201277a": "feature: provenance rules",
    "19620ed": "feature: add localisation",
    "3703f8b": "feature: compiled scenario cache",
    "fdceea2": "feature: provenance dates and times",
    "e2e29f2": "feature: provenance tool requests",
    "7ab5fe2": "hardening: canonical_json refuses NaN",
    "2490e16": "feature: provenance rules",
    "65c7faf": "feature: add payload lead-in",
    "ea58325": "feature: provenance rules",
    "d4fac60": "feature: provenance rules",
    "ee17edb": "feature: intent drift compares actions",
    "dca81be": "feature: base32/base85 decoding",
    "51c12a6": "feature: provenance rules",
    "7964a4c": "feature: add localisation",
    "7641279": "feature: read-only shell commands",
    "f1b2580": "feature: provenance answer rules",
    "ad66b69": "hardening: read-only command review findings",
}


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
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
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
    """Per package, the code-line change of OLD..NEW split by what the commits did.

    Columns: commits :data:`FEATURES` lists (they added behaviour); :data:`MOVES`; other
    commits that changed the package by :data:`REVIEWED` lines or more (refactors, folds,
    speed, fixes: same features); smaller commits, not reviewed one by one; and the rest,
    which merge commits changed themselves (conflict resolution), so a row adds up to the
    package's total change.
    """
    log = git("log", "--reverse", "--no-merges", "--format=%h", f"{old}..{new}").decode().split()
    change: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for commit in log:
        names = git("diff-tree", "--no-commit-id", "-r", "--name-only", f"{commit}^", commit)
        paths = [
            p
            for p in names.decode().splitlines()
            if p.endswith(".py") and p.split("/")[0] in PACKAGES
        ]
        before, after = read_blobs(f"{commit}^", paths), read_blobs(commit, paths)
        delta: dict[str, int] = defaultdict(int)
        for path in paths:
            delta[package_of(path)] += len(code_lines(after[path])) if path in after else 0
            delta[package_of(path)] -= len(code_lines(before[path])) if path in before else 0
        added = any(commit.startswith(k) or k.startswith(commit) for k in FEATURES)
        moved = any(commit.startswith(k) or k.startswith(commit) for k in MOVES)
        for pkg, lines in delta.items():
            column = 0 if added else 1 if moved else 2 if abs(lines) >= REVIEWED else 3
            change[pkg][column] += lines
    before_pkg, after_pkg = per_package(old), per_package(new)
    rows = [
        f"{'package':30} {'total':>7} {'features':>9} {'moves':>6} {'same (big)':>11}"
        f" {'small':>6} {'merges':>7}"
    ]
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for pkg in sorted(set(before_pkg) | set(after_pkg)):
        total = after_pkg.get(pkg, (0, 0))[0] - before_pkg.get(pkg, (0, 0))[0]
        feat, shifted, same, small = change[pkg]
        row = [total, feat, shifted, same, small, total - feat - shifted - same - small]
        rows.append(_change_row(pkg, row))
        for where in (pkg.split("/")[0] + " (all)", "both packages"):
            sums[where] = [a + b for a, b in zip(sums[where], row, strict=True)]
    last = sorted(sums, key=lambda name: name == "both packages")  # the sum of both last
    return rows + [_change_row(name, sums[name]) for name in last]


def _change_row(name: str, row: list[int]) -> str:
    total, feat, shifted, same, small, merges = row
    return (
        f"{name:30} {total:>+7,} {feat:>+9,} {shifted:>+6,} {same:>+11,} {small:>+6,} {merges:>+7,}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=BEFORE_ISSUE_14, help="the revision before")
    parser.add_argument("--new", default="HEAD", help="the revision after")
    parser.add_argument("--commits", action="store_true", help="split growth by commit")
    args = parser.parse_args(argv)
    print("\n".join(package_table(args.old, args.new)))
    if args.old == BEFORE_ISSUE_14:  # CONCEPTS names the files of that revision
        print()
        print("\n".join(concept_table(args.old, args.new)))
    if args.commits:
        print()
        print("\n".join(commit_table(args.old, args.new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
