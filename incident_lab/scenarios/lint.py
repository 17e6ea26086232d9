"""Linting the scenario library: every problem named by file and field.

Checks, per scenario file (library and ``variants/``): YAML is safe and parses;
the document validates against ``scenario.v1``; the id matches the file name and
is unique; the failure mode, severity and every external id exist in the taxonomy;
no unredacted secret or personal value remains; every expectation kind is known and
well-formed; the payload sits where its location says; a gated scenario is no
longer a mere suggestion; a variant's parent exists; and the scenario is two-sided:
at least one expectation fails against its own recording and every expectation passes
on the counterfactual safe trajectory (a variant without a recording is checked
against its parent's).

Per suite file (``suites/*.yaml``): it is a regular file inside the library (no
symlink out of it, for ``suites/`` too), parses, validates against ``suite.v1`` and
its ``name`` matches the file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incident_lab.errors import IncidentLabError, InputError
from incident_lab.readers.base import confine
from incident_lab.scenarios.io import (
    LOCATIONS,
    iter_scenario_paths,
    load_scenario,
    load_yaml,
    located_items,
)
from incident_lab.scenarios.redact import Redactor
from incident_lab.scenarios.suitefile import SUITES_DIR
from incident_lab.trajectory import validation_errors


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One problem: ``path: field: message``."""

    path: str
    field: str
    message: str

    def render(self) -> str:
        """Return the one-line form ``file: field: message``."""
        return f"{self.path}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-ready dict."""
        return {"path": self.path, "field": self.field, "message": self.message}


@dataclass(slots=True)
class LintReport:
    """The outcome of linting a library."""

    checked: int
    problems: list[LintProblem]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": [p.to_dict() for p in self.problems],
        }


def _walk_strings(
    obj: Any, path: str = "", key: str | None = None
) -> Iterator[tuple[str, str, str | None]]:
    """``(where, text, dict key holding it)`` for every string (keys included)."""
    if isinstance(obj, str):
        yield path or "(root)", obj, key
    elif isinstance(obj, dict):
        for k, v in obj.items():
            name = str(k)
            yield f"{path}/{name} (key)".lstrip("/"), name, None
            yield from _walk_strings(v, f"{path}/{name}".lstrip("/"), name)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_strings(v, f"{path}/{i}".lstrip("/"), key)


def _secret_kinds(text: str, key: str | None) -> set[str]:
    """The kinds of secret or personal value ``text`` (held under ``key``) still holds: what
    the redactor would replace in it, so lint and ``add`` share one truth (a JSON output's
    escaped values and credential fields included: rev-s35c M1, rev-red35 M1)."""
    redactor = Redactor()
    redactor.redact_obj(text if key is None else {key: text})
    return set(redactor.report())


def _split(message: str) -> tuple[str, str]:
    where, _, what = message.partition(": ")
    return (where, what) if what else ("(root)", message)


class _Linter:
    def __init__(self, directory: Path) -> None:
        from incident_lab.taxonomy import load_taxonomy

        self.directory = directory
        self.taxonomy = load_taxonomy()
        self.problems: list[LintProblem] = []
        self.docs: dict[Path, dict[str, Any]] = {}

    def add(self, path: Path, field: str, message: str) -> None:
        self.problems.append(LintProblem(str(path), field, message))

    def load(self, path: Path) -> dict[str, Any] | None:
        try:
            doc = load_yaml(path, allow_aliases=False)
        except InputError as exc:
            where = f"line {exc.line}" if exc.line else "(file)"
            self.add(path, where, exc.message)
            return None
        if not isinstance(doc, dict):
            self.add(path, "(root)", f"expected a mapping, got {type(doc).__name__}")
            return None
        return self.materialise(path, doc)

    def materialise(self, path: Path, doc: dict[str, Any]) -> dict[str, Any] | None:
        """A variant stored by reference is linted as rebuilt from its parent."""
        from incident_lab.scenarios import reference

        if not reference.is_reference(doc) or validation_errors(doc, "scenario.v1"):
            return doc  # not a reference, or check_schema reports what is wrong with it
        try:
            return reference.materialise(doc, path, load_scenario, validate=False)
        except IncidentLabError as exc:
            self.add(path, "variant", exc.message)
            return None

    def check_schema(self, path: Path, doc: dict[str, Any]) -> bool:
        errors = validation_errors(doc, "scenario.v1")
        for message in errors:
            self.add(path, *_split(message))
        return not errors

    def check_taxonomy(self, path: Path, doc: dict[str, Any]) -> None:
        tax = doc.get("taxonomy") or {}
        mode = tax.get("failure_mode")
        if mode not in self.taxonomy.failure_modes:
            known = ", ".join(self.taxonomy.failure_modes)
            self.add(
                path, "taxonomy/failure_mode", f"{mode!r} is not a failure mode (one of: {known})"
            )
        if tax.get("severity") not in self.taxonomy.severities:
            known = ", ".join(self.taxonomy.severities)
            self.add(path, "taxonomy/severity", f"{tax.get('severity')!r} is not one of {known}")
        for message in self.taxonomy.check_ids(tax.get("external_ids") or {}):
            self.add(path, "taxonomy/external_ids", message)
        if doc.get("status") == "gated" and tax.get("suggested"):
            self.add(
                path,
                "taxonomy/suggested",
                "a gated scenario still carries the classifier's unconfirmed suggestion "
                "(run 'incident_lab tag ID --failure-mode M --severity S')",
            )

    def check_secrets(self, path: Path, doc: dict[str, Any]) -> None:
        for where, text, key in _walk_strings(doc):
            kinds = sorted(_secret_kinds(text, key))
            if kinds:
                self.add(
                    path,
                    where,
                    f"unredacted {', '.join(kinds)} (re-run 'incident_lab add' to replace it with "
                    "a surrogate; never commit the value)",
                )

    def check_payload(self, path: Path, doc: dict[str, Any]) -> None:
        payload = doc.get("payload")
        if not payload:
            return
        loc = payload.get("location") or {}
        found = located_items(doc.get("replay") or {}, loc.get("kind"))
        items, key = found or ([], "")
        index = loc.get("index", -1)
        if not 0 <= index < len(items):
            self.add(path, "payload/location", f"{loc.get('kind')} {index} does not exist")
            return
        if payload.get("text") not in str(items[index].get(key, "")):
            where = LOCATIONS[loc["kind"]][0]
            self.add(path, "payload/text", f"not found verbatim in replay/{where}/{index}")

    def check_documents(self, path: Path, doc: dict[str, Any]) -> None:
        """Every document comes before a user turn the replay has (else no target ever
        hands it to the system under test)."""
        replay = doc.get("replay") or {}
        turns = len(replay.get("turns") or [])
        for i, document in enumerate(replay.get("documents") or []):
            turn = document.get("turn") or 0
            if turn >= turns:
                self.add(
                    path,
                    f"replay/documents/{i}/turn",
                    f"turn {turn} does not exist (turns 0..{turns - 1})",
                )

    def check_reproduction(self, path: Path, doc: dict[str, Any], recording: Any) -> None:
        from incident_lab.scenarios.reproduce import scenario_problems

        for problem in scenario_problems(doc, recording or None):
            where, _, what = problem.partition(" ")
            field = where if where.startswith(("expectations/", "recording")) else "expectations"
            self.add(path, field, what if field.startswith("expectations/") else problem)


def lint_library(directory: str | Path) -> LintReport:
    """Lint every scenario (and variant) in ``directory``.

    Returns:
        The report; ``report.ok`` is False when any problem was found.
    """
    base = Path(directory)
    linter = _Linter(base)
    paths = iter_scenario_paths(base, variants=True)
    seen: dict[str, Path] = {}
    for path in paths:
        doc = linter.load(path)
        if doc is None:
            continue
        valid = linter.check_schema(path, doc)
        ident = doc.get("id")
        if isinstance(ident, str):
            if ident != path.stem:
                linter.add(path, "id", f"{ident!r} does not match the file name {path.name!r}")
            if ident in seen:
                linter.add(path, "id", f"{ident!r} is also used by {seen[ident]}")
            seen.setdefault(ident, path)
        linter.check_taxonomy(path, doc)
        linter.check_secrets(path, doc)
        if valid:
            linter.check_payload(path, doc)
            linter.check_documents(path, doc)
            linter.docs[path] = doc
    by_id = {d.get("id"): d for d in linter.docs.values()}
    for path, doc in linter.docs.items():
        recording = doc.get("recording")
        parent_id = (doc.get("variant") or {}).get("parent")
        if parent_id is not None:
            parent = by_id.get(parent_id)
            if parent is None:
                linter.add(path, "variant/parent", f"no scenario {parent_id!r} in the library")
            elif not recording:
                recording = parent.get("recording")
        linter.check_reproduction(path, doc, recording)
    return LintReport(len(paths) + _lint_suites(linter, base), linter.problems)


def _lint_suites(linter: _Linter, base: Path) -> int:
    """Lint ``suites/*.yaml``; return how many suite files were checked."""
    folder = base / SUITES_DIR
    try:
        confine(folder, base, what="suites directory")
    except InputError as exc:
        linter.add(folder, "(file)", exc.message)
        return 0
    if not folder.exists():
        return 0
    if not folder.is_dir():
        linter.add(folder, "(file)", "not a directory")
        return 0
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    for path in paths:
        try:
            doc = load_yaml(confine(path, base, what="suite file"), allow_aliases=False)
        except InputError as exc:
            linter.add(path, f"line {exc.line}" if exc.line else "(file)", exc.message)
            continue
        problems = validation_errors(doc, "suite.v1")
        for message in problems:
            linter.add(path, *_split(message))
        if not problems and doc["name"] != path.stem:
            linter.add(path, "name", f"{doc['name']!r} does not match the file name {path.name!r}")
    return len(paths)
