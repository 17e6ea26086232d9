"""Suite files (``<library>/suites/<name>.yaml``, schema ``suite.v1``): where they live,
their schema check, and the comment-preserving read/write that adds a scenario.

This is the part of suites that :mod:`incident_lab` needs (``respond`` adds the new
scenario to the release gate's suite, ``oncall`` checks a suite name) and
:mod:`regression_suite.suites` builds on (loading, resolving, removing): one
implementation, below both.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from incident_lab.atomic import write_text_atomic
from incident_lab.errors import ConfigError, UsageError
from incident_lab.scenarios.io import check_id, default_scenarios_dir, library_lock, load_yaml
from incident_lab.trajectory import validation_errors

if TYPE_CHECKING:  # imported for an invalid suite only (~50 ms)
    import jsonschema

SUITES_DIR = "suites"
DEFAULT_SUITE = "release_gate"
SUITE_SCHEMA_VERSION = "suite/v1"


@cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema

    # The suite schema lives with the library's other schemas: 'incident_lab lint' checks
    # suite files too (and incident_lab never imports regression_suite).
    text = resources.files("incident_lab.schemas").joinpath("suite.v1.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def suite_problems(doc: Any) -> list[str]:
    """Return the schema violations of a suite document (empty when valid)."""
    if not validation_errors(doc, "suite.v1"):  # a compiled check first: microseconds
        return []
    problems = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        problems.append(f"{where}: {err.message}")
    return problems


def suite_path(scenarios_dir: str | Path, name: str) -> Path:
    """Return the file of suite ``name`` (``<scenarios_dir>/suites/<name>.yaml``).

    Raises:
        UsageError: ``name`` is not a safe suite name (path separators, ``..``).
        InputError: ``suites/`` or the file is a symlink (never read or written through).
    """
    try:
        check_id(name)
    except UsageError:
        raise UsageError(
            f"invalid suite name {name!r}",
            hint="suite names are lower-case letters, digits, '-', '_' and '.'",
        ) from None
    from incident_lab.readers.base import confine

    path = Path(scenarios_dir) / SUITES_DIR / f"{name}.yaml"
    return confine(path, scenarios_dir, what="suite file")  # no symlink out of the library


def read_raw(path: Path) -> tuple[str, dict[str, Any]]:
    """Return the file's leading comment block and its document."""
    text = path.read_text("utf-8")
    header: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") or (header and not line.strip()):
            header.append(line)
            continue
        break
    doc = load_yaml(path)
    problems = suite_problems(doc)
    if problems:
        raise ConfigError(f"invalid suite: {problems[0]}", path=str(path))
    return ("\n".join(header).rstrip() + "\n") if header else "", doc


def write_suite(path: Path, header: str, doc: dict[str, Any]) -> None:
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
    write_text_atomic(path, header + body)


def add_to_suite(
    scenario_id: str, suite: str = DEFAULT_SUITE, scenarios_dir: str | Path | None = None
) -> str:
    """Add a scenario to a suite's explicit ids, creating the suite if needed.

    The caller checks first that the scenario exists and lints (the CLI does).

    Returns:
        ``"created"`` (new suite file), ``"added"`` or ``"unchanged"`` (already listed).
    """
    check_id(scenario_id)
    base = Path(scenarios_dir or default_scenarios_dir())
    path = suite_path(base, suite)
    with library_lock(base):
        if not path.exists():
            doc: dict[str, Any] = {
                "schema_version": SUITE_SCHEMA_VERSION,
                "name": suite,
                "scenarios": [scenario_id],
            }
            write_suite(path, f"# Suite {suite}: created by 'regression_suite add'.\n", doc)
            return "created"
        header, doc = read_raw(path)
        ids = list(doc.get("scenarios") or [])
        excluded = list(doc.get("exclude") or [])
        changed = False
        if scenario_id in excluded:
            excluded.remove(scenario_id)
            if excluded:
                doc["exclude"] = excluded
            else:
                doc.pop("exclude", None)
            changed = True
        if scenario_id not in ids:
            ids.append(scenario_id)
            doc["scenarios"] = ids
            changed = True
        if not changed:
            return "unchanged"
        write_suite(path, header, doc)
        return "added"
