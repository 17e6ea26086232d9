"""Reading and writing scenario files safely.

Scenario text is data: it is only ever loaded with a YAML *safe* loader (anchors
that build Python objects are refused), validated against ``scenario.v1``, and
written atomically under an exclusive library lock so two concurrent writers
never corrupt the library.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import yaml

from incident_lab.atomic import write_text_atomic
from incident_lab.errors import InputError, SchemaError, UsageError
from incident_lab.readers.base import read_text
from incident_lab.scenarios.fastyaml import load_plain
from incident_lab.trajectory import validation_errors

SCHEMA_VERSION = "scenario/v1"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
#: Generated variants live in this sub-directory of the library.
VARIANTS_DIR = "variants"
DEFAULT_MAX_STEPS = 20

#: Where a payload can sit in ``replay``: location kind -> (list key, text key).
LOCATIONS = {
    "turn": ("turns", "content"),
    "fixture": ("fixtures", "output"),
    "document": ("documents", "content"),
}


def located_items(replay: dict[str, Any], kind: Any) -> tuple[list[Any], str] | None:
    """The items of ``replay`` a payload location of ``kind`` indexes, and the key of
    their text (``None`` for an unknown kind)."""
    if kind not in LOCATIONS:
        return None
    key, text = LOCATIONS[kind]
    return list(replay.get(key) or []), text


def default_scenarios_dir() -> Path:
    """Return ``$INCIDENT_LAB_SCENARIOS`` or ``./scenarios``."""
    return Path(os.environ.get("INCIDENT_LAB_SCENARIOS", "scenarios"))


# libyaml's C safe loader when available (about 6x faster on a large library); both
# construct only plain data, never Python objects.
_BaseSafeLoader: type = (
    yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
)


class _SafeLoader(_BaseSafeLoader):
    """Safe loader that also refuses duplicate keys (a hand-editing mistake)."""


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):  # ``? [a, b]``: a list as a key
            raise yaml.constructor.ConstructorError(
                None, None, "found unhashable key", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _refuse_aliases(text: str) -> None:
    """Raise a marked YAML error at the first ``*alias`` (scenario files never need one).

    ``incident_lab add`` never writes anchors; an alias in a scenario is a hand edit or
    an attack (nested aliases expand exponentially when the document is walked). The
    event scan uses the same (C when available) parser as the loader.
    """
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*anchor) are not allowed in scenario files",
                event.start_mark,  # type: ignore[arg-type]
            )


_BaseSafeDumper: type = (
    yaml.CSafeDumper if getattr(yaml, "__with_libyaml__", False) else yaml.SafeDumper
)


class _NoAliasDumper(_BaseSafeDumper):
    """Safe dumper that writes a repeated object twice instead of an anchor and alias.

    libyaml's emitter is used when available: several times faster, and it escapes
    NEL/LINE SEPARATOR characters (the pure-Python emitter writes them raw, and they
    read back as line breaks).
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def load_yaml(path: str | Path, *, allow_aliases: bool = True) -> Any:
    """Load one YAML document with the safe loader.

    Args:
        path: The file.
        allow_aliases: False refuses ``*alias`` references (scenario files).

    Raises:
        InputError: missing/unreadable file, invalid UTF-8, YAML syntax errors,
            or tags that try to construct objects (reported with file and line).
    """
    p = Path(path)
    # The input gate: a FIFO, device or directory is refused without blocking; bounded.
    return parse_yaml(read_text(p, "a YAML document"), p, allow_aliases=allow_aliases)


def parse_yaml(text: str, path: str | Path, *, allow_aliases: bool = True) -> Any:
    """:func:`load_yaml` of ``text``, the content of ``path`` (named in errors)."""
    try:
        # _SafeLoader subclasses a safe loader: no Python object construction.
        if "*" not in text:  # an alias token starts with "*": none here
            return load_plain(text, _SafeLoader)
        if not allow_aliases:
            _refuse_aliases(text)
            return load_plain(text, _SafeLoader)
        return yaml.load(text, Loader=_SafeLoader)
    except RecursionError:
        raise InputError("YAML: nested too deeply", path=str(path)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"YAML: {problem}", path=str(path), line=mark_line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML: {exc}", path=str(path)) from None


def load_scenario(path: str | Path, *, validate: bool = True) -> dict[str, Any]:
    """Load and validate one scenario file.

    Raises:
        InputError: the file cannot be read or parsed.
        SchemaError: the document does not match ``scenario.v1`` (field named).
    """
    text = read_text(Path(path), "a YAML document")
    doc = parse_scenario(text, path, validate=validate)
    return materialise_variant(doc, path, validate=validate)


def parse_scenario(text: str, path: str | Path, *, validate: bool = True) -> dict[str, Any]:
    """The document of a scenario file's ``text``, checked (a mapping, valid against
    ``scenario.v1`` when ``validate``) but not materialised (:func:`materialise_variant`).

    Raises:
        InputError / SchemaError: as :func:`load_scenario`.
    """
    doc = parse_yaml(text, path, allow_aliases=False)
    if doc is None:
        raise SchemaError(
            "the scenario file is empty",
            path=str(path),
            hint="re-create it with 'incident_lab add'",
        )
    if not isinstance(doc, dict):
        raise SchemaError(
            f"expected a mapping at the top level, got {type(doc).__name__}", path=str(path)
        )
    if validate:
        problems = validation_errors(doc, "scenario.v1") or [
            f"{field}: {message}" for field, message in document_problems(doc)
        ]
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            raise SchemaError(
                f"{problems[0]}{more}",
                path=str(path),
                hint="run 'incident_lab lint' for every problem",
            )
    return doc


def document_problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, message)`` for each document of a (schema-valid) scenario that comes
    before no user turn the replay has: no target would ever hand it to the system under
    test. Checked wherever a scenario is loaded (``run``, ``show``) and by ``lint``."""
    replay = doc.get("replay") or {}
    turns = len(replay.get("turns") or [])
    return [
        (f"replay/documents/{i}/turn", f"turn {turn} does not exist (turns 0..{turns - 1})")
        for i, document in enumerate(replay.get("documents") or [])
        if isinstance(document, dict) and (turn := document_turn(document)) >= turns
    ]


def materialise_variant(doc: dict[str, Any], path: str | Path, *, validate: bool) -> dict[str, Any]:
    """A variant stored by reference (``variant.changes``): its parent with the changes applied.

    Every other scenario (full-copy variants included) is returned as it is.
    """
    from incident_lab.scenarios import reference

    if not reference.is_reference(doc):
        return doc
    return reference.materialise(doc, path, load_scenario, validate=validate)


def dump_scenario(scenario: dict[str, Any]) -> str:
    """Serialise a scenario as human-editable YAML (key order kept, unicode kept)."""
    return yaml.dump(
        scenario,
        Dumper=_NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def check_id(scenario_id: str) -> str:
    """Return ``scenario_id`` if it is a safe file name, else raise.

    Raises:
        UsageError: the id is empty, has path separators, ``..`` or other characters.
    """
    if not isinstance(scenario_id, str) or not ID_PATTERN.match(scenario_id) or ".." in scenario_id:
        raise UsageError(
            f"invalid scenario id {scenario_id!r}",
            hint="ids are lower-case letters, digits, '-', '_' and '.', no '..' or '/'",
        )
    return scenario_id


def scenario_path(directory: str | Path, scenario_id: str, *, variant: bool = False) -> Path:
    """Return the file of ``scenario_id`` inside ``directory``, refusing path tricks."""
    check_id(scenario_id)
    base = Path(directory).resolve()
    folder = base / VARIANTS_DIR if variant else base
    path = (folder / f"{scenario_id}.yaml").resolve()
    if base not in path.parents:
        raise UsageError(f"scenario id {scenario_id!r} escapes the scenarios directory")
    return path


def iter_scenario_paths(directory: str | Path, *, variants: bool = False) -> list[Path]:
    """List scenario files (``*.yaml``/``*.yml``) of the library, sorted.

    Suites (``suites/``) are never scenarios. With ``variants``, also the files of
    the ``variants/`` sub-directory.
    """
    return [Path(name) for name in iter_scenario_files(directory, variants=variants)]


def _scenario_suffix(name: str) -> bool:
    """``Path(name).suffix`` is ``.yaml`` or ``.yml`` (a leading dot is not a suffix)."""
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[dot:] in (".yaml", ".yml")


def _names_in(folder: Path) -> list[str]:
    """The scenario files directly in ``folder`` as strings (``str(folder / name)``), by name."""
    prefix = os.fspath(folder / "_")[:-1]  # how pathlib joins one plain name: no Path each
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if _scenario_suffix(e.name))
    return [prefix + name for name in names]


def iter_scenario_files(directory: str | Path, *, variants: bool = False) -> list[str]:
    """:func:`iter_scenario_paths` as strings: the same files, in the same order, spelled
    as ``str()`` of those paths. For a whole library held during a load (a
    100,000-file library: 11 MB of strings instead of 45 MB of ``Path`` objects).
    """
    base = Path(directory)
    if not base.is_dir():
        return []
    # Every entry named *.yaml, whatever it is: a FIFO or a directory named <id>.yaml is
    # reported by whoever loads it (the input gate), never silently left out.
    files = _names_in(base)
    if variants and (base / VARIANTS_DIR).is_dir():
        files += _names_in(base / VARIANTS_DIR)
    return files


@contextlib.contextmanager
def library_lock(directory: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the library (``.incident_lab.lock``) while writing."""
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".incident_lab.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_scenario(
    directory: str | Path, scenario: dict[str, Any], *, force: bool = False, variant: bool = False
) -> tuple[Path, str]:
    """Validate and atomically write a scenario under the library lock.

    Returns:
        ``(path, status)`` where status is ``"created"``, ``"unchanged"`` (same
        content already there) or ``"overwritten"``.

    Raises:
        SchemaError: the scenario is invalid (nothing is written).
        UsageError: a different scenario with that id exists and ``force`` is False.
    """
    problems = validation_errors(scenario, "scenario.v1")
    if problems:
        raise SchemaError(f"scenario {scenario.get('id')!r} is invalid: {problems[0]}")
    path = scenario_path(directory, scenario["id"], variant=variant)
    text = dump_scenario(scenario)
    with library_lock(directory):
        if path.exists():
            if path.read_text("utf-8") == text:
                return path, "unchanged"
            if not force:
                raise UsageError(
                    f"scenario {scenario['id']!r} already exists with different content",
                    path=str(path),
                    hint="pass --force to overwrite, or --id to choose another id",
                )
            write_text_atomic(path, text)
            return path, "overwritten"
        write_text_atomic(path, text)
        return path, "created"


def turn_documents(replay: dict[str, Any], turn: int) -> list[tuple[int, dict[str, Any]]]:
    """The replay's documents the harness hands the system before user turn ``turn``
    (``turn`` absent: the first), with their indices."""
    documents = [d for d in replay.get("documents") or [] if isinstance(d, dict)]
    return [(i, d) for i, d in enumerate(documents) if document_turn(d) == turn]


def document_turn(document: dict[str, Any]) -> int:
    """The user turn a replay's document comes before (``turn``; absent: the first, 0)."""
    return int(document.get("turn") or 0)


def document_message(document: dict[str, Any]) -> str:
    """A document as the harness puts it before the model: a message naming it."""
    return f"Contents of {document.get('name')}:\n\n{document.get('content', '')}"


def document_step(index: int, document: dict[str, Any]) -> dict[str, Any]:
    """The ``tool_result`` step a replay records for document ``index``: loaded by the
    harness, so marked so (``x_replay.attachment``: the document's kind, else
    ``document``) and of a ``call_id`` (``document:<index>``) no call has
    (:func:`~incident_lab.trajectory.harness_loaded`)."""
    notes: dict[str, Any] = {
        "attachment": str(document.get("kind") or "document"),
        "arguments": {"name": str(document.get("name"))},
    }
    return {
        "type": "tool_result",
        "call_id": f"document:{index}",
        "name": "document",
        "output": str(document.get("content", "")),
        "is_error": False,
        "x_replay": notes,
    }


def replay_input(scenario: dict[str, Any]) -> dict[str, Any]:
    """Build the replay input a target receives (see docs/formats.md)."""
    context = scenario.get("context") or {}
    replay = scenario.get("replay") or {}
    return {
        "scenario_id": scenario["id"],
        "system_prompt": context.get("system_prompt"),
        "tools": list(context.get("tools") or []),
        "turns": [dict(t) for t in replay.get("turns") or []],
        "fixtures": [dict(f) for f in replay.get("fixtures") or []],
        "documents": [dict(d) for d in replay.get("documents") or []],
        "max_steps": int(replay.get("max_steps") or DEFAULT_MAX_STEPS),
        "model": context.get("model"),
        "policy": context.get("policy"),
    }
