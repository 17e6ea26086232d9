"""Loading the taxonomy: the shipped YAML, a team's extension merged on top, validation.

The shipped ``taxonomy.yaml`` is the base. A team extension (``extra=`` or the
``INCIDENT_LAB_TAXONOMY`` environment variable) is merged on top: new catalogues,
ids, failure modes and severities are added; an existing entry's scalar fields are
replaced; lists (``signals``, each framework's ``external_ids``) are unioned in order.
The merged document is validated against ``taxonomy.v1.json`` and cross-checked:
every id a failure mode lists exists in its catalogue, and every ``default_severity``
names a severity.
"""

from __future__ import annotations

import copy
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from incident_lab.errors import ConfigError, InputError
from incident_lab.readers.base import read_bounded
from incident_lab.taxonomy.model import Catalogue, FailureMode, Severity, Taxonomy
from incident_lab.trajectory import validation_errors

#: Environment variable naming a team's extension YAML, merged on top of the shipped file.
TAXONOMY_ENV = "INCIDENT_LAB_TAXONOMY"
_TOP_KEYS = ("schema_version", "severities", "catalogues", "failure_modes")


def _kind(value: Any) -> str:
    return type(value).__name__


@cache
def _base_text() -> str:
    return resources.files("incident_lab.taxonomy").joinpath("taxonomy.yaml").read_text("utf-8")


def _base_path() -> str:
    return str(resources.files("incident_lab.taxonomy").joinpath("taxonomy.yaml"))


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases.

    A taxonomy has no use for them, and aliases are how a 1 KB "billion laughs"
    document expands to gigabytes; refusing them keeps loading linear in the text.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a taxonomy file", event.start_mark
            )
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors (&name) are not allowed in a taxonomy file", event.start_mark
            )
        return super().compose_node(parent, index)


#: A taxonomy extension larger than this is refused unread.
MAX_TAXONOMY_BYTES = 4 * 1024 * 1024


def _parse(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader: safe_load minus aliases
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"not valid YAML: {problem}",
            path=path,
            line=(mark.line + 1) if mark is not None else None,
            hint="taxonomy files are plain YAML (no tags, anchors or aliases)",
        ) from None


def _read_extension(path: str | Path) -> tuple[dict[str, Any], str]:
    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            data = read_bounded(p, MAX_TAXONOMY_BYTES)  # regular files only: a FIFO never blocks
            if data is None:
                raise ConfigError(
                    f"taxonomy extension is larger than {MAX_TAXONOMY_BYTES:,} bytes",
                    path=str(path),
                )
            text = data.decode("utf-8")
        else:
            text = p.read_text("utf-8")
    except InputError as exc:
        raise ConfigError(
            f"cannot read taxonomy extension: {exc.message}", path=str(path)
        ) from None
    except FileNotFoundError:
        raise ConfigError(
            "taxonomy extension not found", path=str(path), hint=f"check the path or {TAXONOMY_ENV}"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            "taxonomy extension is a directory, expected a YAML file", path=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"taxonomy extension is not UTF-8 (byte {exc.start})", path=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read taxonomy extension: {exc.strerror}", path=str(path)
        ) from None
    doc = _parse(text, str(path))
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(
            f"a taxonomy extension must be a mapping, not {_kind(doc)}", path=str(path), line=1
        )
    unknown = sorted(str(k) for k in doc if k not in _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {', '.join(unknown)}",
            path=str(path),
            line=_line_of(text, [unknown[0]]),
            hint="allowed: " + ", ".join(_TOP_KEYS),
        )
    return doc, text


def _line_of(text: str, where: list[Any]) -> int | None:
    """Best-effort 1-based line of the node at ``where`` (keys/indices) in YAML ``text``."""
    try:
        node: Any = yaml.compose(text, Loader=_NoAliasLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    line = None if node is None else node.start_mark.line + 1
    for key in where:
        if isinstance(node, yaml.MappingNode):
            found = None
            for knode, vnode in node.value:
                if str(knode.value) == str(key):
                    found = (knode, vnode)
                    break
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _union(base: list[Any], extra: list[Any]) -> list[Any]:
    out = list(base)
    for item in extra:
        if item not in out:
            out.append(item)
    return out


def _merge(base: dict[str, Any], ext: dict[str, Any], path: str) -> dict[str, Any]:
    """Merge extension ``ext`` into a deep copy of ``base`` (see the module docstring)."""
    merged = copy.deepcopy(base)
    if "schema_version" in ext and ext["schema_version"] != merged.get("schema_version"):
        raise ConfigError(
            f"schema_version {ext['schema_version']!r} does not match {merged.get('schema_version')!r}",
            path=path,
        )
    for section in ("severities", "catalogues", "failure_modes"):
        entries = ext.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise ConfigError(f"{section} must be a mapping, not {_kind(entries)}", path=path)
        target = merged.setdefault(section, {})
        for name, entry in entries.items():
            if (
                not isinstance(entry, dict)
                or name not in target
                or not isinstance(target[name], dict)
            ):
                target[name] = copy.deepcopy(entry)
                continue
            for key, value in entry.items():
                _merge_field(section, target[name], key, value)
    return merged


def _merge_field(section: str, current: dict[str, Any], key: str, value: Any) -> None:
    """Merge one field of an extension's entry into the base entry: a catalogue's ids and
    a failure mode's external ids are added to, its signals united; anything else replaced."""
    if section == "catalogues" and key == "ids" and isinstance(value, dict):
        current.setdefault("ids", {}).update(value)
    elif section == "failure_modes" and key == "signals" and isinstance(value, list):
        current["signals"] = _union(current.get("signals") or [], value)
    elif section == "failure_modes" and key == "external_ids" and isinstance(value, dict):
        ids = current.setdefault("external_ids", {})
        for framework, listed in value.items():
            if isinstance(listed, list) and isinstance(ids.get(framework), list):
                ids[framework] = _union(ids[framework], listed)
            else:
                ids[framework] = copy.deepcopy(listed)
    else:
        current[key] = copy.deepcopy(value)


def _cross_problems(doc: dict[str, Any]) -> list[tuple[list[Any], str]]:
    problems: list[tuple[list[Any], str]] = []
    catalogues = doc["catalogues"]
    for mode, entry in doc["failure_modes"].items():
        for framework, ids in entry["external_ids"].items():
            if framework not in catalogues:
                problems.append(
                    (
                        ["failure_modes", mode, "external_ids", framework],
                        f"failure_modes/{mode}/external_ids: unknown framework {framework!r}",
                    )
                )
                continue
            for i, ident in enumerate(ids):
                if ident not in catalogues[framework]["ids"]:
                    problems.append(
                        (
                            ["failure_modes", mode, "external_ids", framework, i],
                            f"failure_modes/{mode}/external_ids/{framework}: id {ident!r} is not in "
                            f"the {catalogues[framework]['name']} {catalogues[framework]['version']} catalogue",
                        )
                    )
        default = entry.get("default_severity")
        if default is not None and default not in doc["severities"]:
            problems.append(
                (
                    ["failure_modes", mode, "default_severity"],
                    f"failure_modes/{mode}/default_severity: {default!r} is not a severity",
                )
            )
    return problems


def _validate(doc: Any, path: str, text: str) -> None:
    errors = validation_errors(doc, "taxonomy.v1")
    if errors:
        first = errors[0]
        where = [int(p) if p.isdigit() else p for p in first.split(":", 1)[0].split("/") if p]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            f"invalid taxonomy: {first}{more}",
            path=path,
            line=_line_of(text, where) if where != ["(root)"] else None,
            hint="see docs/formats.md#taxonomy",
        )
    cross = _cross_problems(doc)
    if cross:
        where, message = cross[0]
        more = f" (+{len(cross) - 1} more)" if len(cross) > 1 else ""
        raise ConfigError(
            f"invalid taxonomy: {message}{more}",
            path=path,
            line=_line_of(text, where),
            hint="add the id to the catalogue or remove it from the failure mode",
        )


def _build(doc: dict[str, Any], sources: list[str]) -> Taxonomy:
    severities = {
        level: Severity(level, e["meaning"], e["priority"], e.get("guidance", "").strip())
        for level, e in sorted(doc["severities"].items(), key=lambda kv: _sev_key(kv[0]))
    }
    catalogues = {
        key: Catalogue(key, e["name"], e["version"], dict(e["ids"]), e.get("url", ""))
        for key, e in doc["catalogues"].items()
    }
    modes = {
        name: FailureMode(
            name=name,
            title=e["title"],
            description=" ".join(e["description"].split()),
            external_ids={k: list(v) for k, v in e["external_ids"].items()},
            signals=list(e.get("signals") or []),
            default_severity=e.get("default_severity"),
            severity_guidance=" ".join((e.get("severity_guidance") or "").split()),
        )
        for name, e in doc["failure_modes"].items()
    }
    # "unknown" is always listed last: it is the fallback, not a peer.
    modes["unknown"] = modes.pop("unknown")
    return Taxonomy(modes, severities, catalogues, sources)


def _sev_key(level: str) -> int:
    return int(level.split("-", 1)[1])


@cache
def _base_doc() -> dict[str, Any]:
    text = _base_text()
    doc = _parse(text, _base_path())
    _validate(doc, _base_path(), text)
    return dict(doc)


def load_taxonomy(extra: str | Path | None = None) -> Taxonomy:
    """Load the shipped taxonomy, merged with team extensions.

    The extension named by the ``INCIDENT_LAB_TAXONOMY`` environment variable is
    merged first, then ``extra``; each must leave a valid taxonomy.

    Args:
        extra: Path of a team's extension YAML, or None.

    Returns:
        The merged, validated taxonomy.

    Raises:
        ConfigError: an extension is missing, not YAML, or leaves an invalid taxonomy
            (the message names the file, line and field).
    """
    doc = _base_doc()
    sources = [_base_path()]
    env = os.environ.get(TAXONOMY_ENV)
    for ext_path in (env or None, extra):
        if ext_path is None or str(ext_path) == "":
            continue
        ext, text = _read_extension(ext_path)
        doc = _merge(doc, ext, str(ext_path))
        _validate(doc, str(ext_path), text)
        sources.append(str(ext_path))
    return _build(copy.deepcopy(doc), sources)
