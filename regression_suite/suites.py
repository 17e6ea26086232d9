"""Suites: which scenarios gate a release, with which variants, repeats, target and thresholds.

A suite is a YAML file ``scenarios/suites/<name>.yaml`` validated by
``incident_lab/schemas/suite.v1.json``::

    schema_version: suite/v1
    name: release_gate
    scenarios: [incident_42]              # explicit ids (base scenarios or variants)
    exclude: [inc-old]                    # never included
    select:                               # selectors over base scenarios, OR-ed
      - {status: [gated], severities: [SEV-1, SEV-2]}
    variants: all                         # none | all | {sample: N} per scenario
    repeats: 3
    target: example:patched
    baseline: gate-baseline/report.json
    thresholds:                           # see regression_suite.gate.thresholds
      severities:
        SEV-3: {on_failure: warn, min_pass_rate: 0.9}

:func:`resolve` turns a suite into the scenario dicts to run, in a deterministic
order: base scenarios sorted by id, each followed by its included variants sorted
by id. Writes (``add``/``remove``) hold the library lock and are atomic.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import sys
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from incident_lab.errors import ConfigError, InputError, UsageError
from incident_lab.scenarios.cache import ScenarioCache
from incident_lab.scenarios.io import (
    check_id,
    default_scenarios_dir,
    iter_scenario_files,
    library_lock,
    load_scenario,
    load_yaml,
    scenario_path,
)
from incident_lab.scenarios.suitefile import (
    DEFAULT_SUITE,
    SUITE_SCHEMA_VERSION,
    SUITES_DIR,
    read_raw,
    suite_path,
    suite_problems,
    write_suite,
)

__all__ = ["stub"]


Scenario = dict[str, Any]


def list_suites(scenarios_dir: str | Path | None = None) -> list[str]:
    """Return the names of the suites in the library, sorted."""
    folder = Path(scenarios_dir or default_scenarios_dir()) / SUITES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix == ".yaml" and p.is_file())


def _normalise(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    suite = copy.deepcopy(doc)
    suite.setdefault("schema_version", SUITE_SCHEMA_VERSION)
    suite.setdefault("description", None)
    suite["scenarios"] = list(suite.get("scenarios") or [])
    suite["exclude"] = list(suite.get("exclude") or [])
    select = suite.get("select")
    suite["select"] = [] if select is None else [select] if isinstance(select, dict) else select
    suite.setdefault("variants", "none")
    suite.setdefault("repeats", 1)
    suite.setdefault("target", None)
    suite.setdefault("baseline", None)
    suite.setdefault("thresholds", None)
    raw = path.read_bytes()
    suite["path"] = str(path)
    suite["sha256"] = hashlib.sha256(raw).hexdigest()
    return suite


def load_suite(name: str, scenarios_dir: str | Path | None = None) -> dict[str, Any]:
    """Load, validate and normalise suite ``name``.

    The result has every field (defaults filled in; ``select`` is a list of
    selectors) plus ``path`` and ``sha256`` of the file. ``thresholds`` stays as
    written and is checked by :func:`regression_suite.gate.thresholds.parse_thresholds`.

    Raises:
        UsageError: no such suite (the hint lists the suites there are).
        ConfigError: the file is not valid YAML or does not match ``suite.v1``.
    """
    base = Path(scenarios_dir or default_scenarios_dir())
    path = suite_path(base, name)
    if not path.exists():  # a FIFO or directory: refused by load_yaml (the input gate)
        known = ", ".join(list_suites(base)) or "none"
        raise UsageError(
            f"no suite {name!r} in {base / SUITES_DIR}",
            hint=f"suites there: {known}; 'regression_suite add --scenario ID --suite {name}' creates it",
        )
    try:
        doc = load_yaml(path)
    except InputError as exc:
        raise ConfigError(exc.message, path=exc.path, line=exc.line) from None
    problems = suite_problems(doc)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"invalid suite: {problems[0]}{more}", path=str(path))
    if doc["name"] != name:
        raise ConfigError(
            f"suite file declares name {doc['name']!r}, expected {name!r}",
            path=str(path),
            hint="the name field must match the file name",
        )
    from regression_suite.gate.thresholds import parse_thresholds

    parse_thresholds(doc.get("thresholds"), source=str(path))  # ConfigError names the key
    return _normalise(doc, path)


@dataclass
class Resolution:
    """The scenarios a suite selects, and the ids it names but skips.

    Attributes:
        scenarios: Scenario dicts to run, in run order.
        skipped: ``(id, reason)`` for named scenarios that are not run (retired).
        variant_counts: Number of included variants per base scenario id.
    """

    scenarios: list[Scenario] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    variant_counts: dict[str, int] = field(default_factory=dict)


def _parent_of(scenario: Scenario) -> str | None:
    variant = scenario.get("variant")
    if isinstance(variant, dict) and variant.get("parent"):
        return str(variant["parent"])
    return None


#: The key of a scenario stub (:func:`stub`) that holds where the whole scenario is kept.
STUB_PATH = "__stored__"


class _Store:
    """Whole scenarios, pickled to an anonymous temporary file while a gate run holds
    only their stubs: loading one back costs a read and an unpickle, not a YAML parse
    and a validation (the data never leaves this process)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="gate-scenarios-")  # noqa: SIM115 (closed by the finalizer)
        weakref.finalize(self, self._file.close)
        self._end = 0
        self._dirty = False
        self._block = b""  # the last block read, and where it starts in the file
        self._block_at = 0

    def put(self, scenario: Scenario) -> Stored:
        # appended in order and read back with pread, which never moves the file's
        # position: no seek (a system call each) is needed
        data = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(data)
        self._dirty = True
        start, self._end = self._end, self._end + len(data)
        return Stored(self, start, len(data))

    def get(self, offset: int, length: int) -> Scenario:
        if self._dirty:  # a flush with nothing buffered still costs a system call
            self._file.flush()
            self._dirty = False
            self._block = b""  # appended since: read again
        start = offset - self._block_at
        if not (start >= 0 and start + length <= len(self._block)):
            # a run reads the scenarios in the order they were stored: one read of a
            # block serves the next few hundred (a system call each, before)
            self._block = os.pread(self._file.fileno(), max(length, _READ_BLOCK), offset)
            self._block_at, start = offset, 0
        scenario: Scenario = pickle.loads(self._block[start : start + length])
        return scenario


#: How much of the store :meth:`_Store.get` reads at a time.
_READ_BLOCK = 1 << 17


@dataclass(frozen=True, slots=True)
class Stored:
    """Where a stub's whole scenario is: :meth:`load` returns it."""

    store: _Store
    offset: int
    length: int

    def load(self) -> Scenario:
        """The whole scenario, as it was resolved."""
        return self.store.get(self.offset, self.length)


_SHARED: dict[bytes, Any] = {}


def _intern(value: Any) -> Any:
    """A status string stored once (documents from the scenario cache are not interned)."""
    return sys.intern(value) if isinstance(value, str) else value


def _shared(value: Any) -> Any:
    """One copy of equal taxonomy/variant dicts across stubs (most scenarios share them)."""
    if value is None:
        return None
    try:
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # an integer beyond 64 bits: kept, not shared
        return value
    if b"null" in key:  # orjson writes NaN as null too: key those by the standard form
        key = b"json:" + json.dumps(value, sort_keys=True, default=str).encode()
    found = _SHARED.get(key)
    if found is None:  # stored as an exact-size copy: orjson's bytes keep a 4 KB buffer
        found = _SHARED[memoryview(key).tobytes()] = value
    return found


def stub(scenario: Scenario, store: _Store) -> Scenario:
    """What a gate run keeps of a resolved scenario until its case runs: the fields
    that select it (``status``, ``taxonomy``), name its cases (``id``, ``variant``) and
    tag its items, plus where the whole scenario is kept
    (:func:`regression_suite.runner.materialize` loads it back). Equal taxonomies
    are shared: a library of 100,000 scenarios costs about 300 bytes each. A variant's
    ``variant`` (parent, converters, its own seed) is kept as it is: no two are equal,
    and sharing them cost a 4 KB key each (10,000 variants: 40 MB).
    """
    kept = {"id": scenario["id"], STUB_PATH: store.put(scenario)}
    if "status" in scenario:
        kept["status"] = _intern(scenario["status"])
    if "taxonomy" in scenario:
        kept["taxonomy"] = _shared(scenario["taxonomy"])
    if "variant" in scenario:
        kept["variant"] = scenario["variant"]
    return kept


def _load_library(
    base: Path, cache: ScenarioCache, *, variants: bool, slim: bool = False
) -> dict[str, tuple[str, Scenario]]:
    """Every scenario of the library by id, with its file (a string: 100,000 ``Path``
    objects held to the end of the load were a quarter of a gate run's peak memory)."""
    library: dict[str, tuple[str, Scenario]] = {}
    store = _Store() if slim else None
    for path in iter_scenario_files(base, variants=variants):
        scenario = cache.load(path)
        if store is not None:
            scenario = stub(scenario, store)
        sid = scenario["id"]
        if sid in library:
            raise InputError(
                f"scenario id {sid!r} is also defined in {library[sid][0]}",
                path=str(path),
                hint="each scenario id must be unique in the library",
            )
        library[sid] = (path, scenario)
    return library


def _load_one(
    base: Path, sid: str, *, slim: bool = False, cache: ScenarioCache | None = None
) -> Scenario | None:
    for variant in (False, True):
        path = scenario_path(base, sid, variant=variant)
        if path.exists():  # a FIFO or directory named <id>.yaml: the input gate refuses it
            scenario = load_scenario(path) if cache is None else cache.load(path)
            if scenario["id"] != sid:
                raise InputError(
                    f"file declares scenario id {scenario['id']!r}, expected {sid!r}",
                    path=str(path),
                )
            return stub(scenario, _Store()) if slim else scenario
    return None


def _matches(scenario: Scenario, selector: dict[str, Any]) -> bool:
    taxonomy = scenario.get("taxonomy") or {}
    if "tags" in selector and not set(selector["tags"]) & set(taxonomy.get("tags") or []):
        return False
    if (
        "failure_modes" in selector
        and taxonomy.get("failure_mode") not in selector["failure_modes"]
    ):
        return False
    if "severities" in selector and taxonomy.get("severity") not in selector["severities"]:
        return False
    status = selector.get("status", ["gated"])
    return scenario.get("status") in status


def _sample(suite_name: str, variants: list[Scenario], n: int) -> list[Scenario]:
    def key(s: Scenario) -> str:
        return hashlib.sha256(f"{suite_name}\0{s['id']}".encode()).hexdigest()

    return sorted(sorted(variants, key=key)[:n], key=lambda s: s["id"])


def resolve_detailed(
    suite: dict[str, Any],
    scenarios_dir: str | Path | None = None,
    *,
    slim: bool = False,
    cache: str | None = "off",
) -> Resolution:
    """Resolve a loaded suite against the library (see :func:`resolve`); ``slim``
    keeps stubs (:func:`stub`), not whole scenarios (every file is still loaded and checked)."""
    base = Path(scenarios_dir or default_scenarios_dir())
    with ScenarioCache.open(base, cache) as files:
        return _resolve(suite, base, files, slim=slim)


def _resolve(suite: dict[str, Any], base: Path, files: ScenarioCache, *, slim: bool) -> Resolution:
    mode = suite.get("variants", "none")
    need_library = bool(suite.get("select")) or mode != "none"
    library = _load_library(base, files, variants=mode != "none", slim=slim) if need_library else {}
    excluded = set(suite.get("exclude") or [])
    result = Resolution()
    chosen = _named_scenarios(suite, base, library, excluded, result, slim=slim, cache=files)
    for selector in suite.get("select") or []:
        for sid, (_, scenario) in library.items():
            if (
                sid not in excluded
                and _parent_of(scenario) is None
                and _matches(scenario, selector)
            ):
                chosen.setdefault(sid, scenario)
    children = _variants_by_parent(library, excluded) if mode != "none" else {}
    bases = sorted((s for s in chosen.values() if _parent_of(s) is None), key=lambda s: s["id"])
    explicit_variants = {s["id"]: s for s in chosen.values() if _parent_of(s) is not None}
    for scenario in bases:
        kids = _variants_of(suite, scenario, children, explicit_variants)
        result.scenarios.append(scenario)
        result.scenarios.extend(kids)
        result.variant_counts[scenario["id"]] = len(kids)
    # Variants named explicitly whose parent is not in the suite run on their own.
    for sid in sorted(explicit_variants):
        result.scenarios.append(explicit_variants[sid])
    return result


def _named_scenarios(
    suite: dict[str, Any],
    base: Path,
    library: dict[str, tuple[str, Scenario]],
    excluded: set[str],
    result: Resolution,
    *,
    slim: bool,
    cache: ScenarioCache,
) -> dict[str, Scenario]:
    """The scenarios the suite names by id, minus excluded ones; a retired one is skipped
    (recorded in ``result``), a missing one is a ConfigError."""
    chosen: dict[str, Scenario] = {}
    for sid in suite.get("scenarios") or []:
        if sid in excluded:
            continue
        scenario = (
            library[sid][1] if sid in library else _load_one(base, sid, slim=slim, cache=cache)
        )
        if scenario is None:
            raise ConfigError(
                f"suite {suite['name']!r} names scenario {sid!r}, which is not in {base}",
                path=suite.get("path"),
                hint=f"restore it, or 'regression_suite remove --scenario {sid} --suite {suite['name']}'",
            )
        if scenario.get("status") == "retired":
            result.skipped.append((sid, "retired"))
            continue
        chosen[sid] = scenario
    return chosen


def _variants_by_parent(
    library: dict[str, tuple[str, Scenario]], excluded: set[str]
) -> dict[str, list[Scenario]]:
    """The library's live, non-excluded variants grouped by their parent's id."""
    children: dict[str, list[Scenario]] = {}
    for sid, (_, scenario) in library.items():
        parent = _parent_of(scenario)
        if parent and sid not in excluded and scenario.get("status") != "retired":
            children.setdefault(parent, []).append(scenario)
    return children


def _variants_of(
    suite: dict[str, Any],
    scenario: Scenario,
    children: dict[str, list[Scenario]],
    explicit_variants: dict[str, Scenario],
) -> list[Scenario]:
    """The variants that run after a base scenario, by id: its library variants (sampled
    when the suite says so) plus those the suite names explicitly, which are taken out of
    ``explicit_variants``."""
    mode = suite.get("variants", "none")
    kids = sorted(children.get(scenario["id"], []), key=lambda s: s["id"])
    if isinstance(mode, dict):
        kids = _sample(suite["name"], kids, int(mode["sample"]))
    ids = {kid["id"] for kid in kids}
    for sid, kid in list(explicit_variants.items()):
        if _parent_of(kid) == scenario["id"]:
            del explicit_variants[sid]
            if sid not in ids:
                kids.append(kid)
    kids.sort(key=lambda s: s["id"])
    return kids


def resolve(
    suite: dict[str, Any],
    scenarios_dir: str | Path | None = None,
    *,
    slim: bool = False,
    cache: str | None = "off",
) -> list[Scenario]:
    """Return the scenarios a suite runs, in a deterministic order.

    Base scenarios come from the explicit ``scenarios`` ids and from ``select``
    (a selector matches when every field it has matches: any listed tag, one of
    the failure modes, one of the severities, one of the statuses, default
    ``[gated]``), minus ``exclude`` and retired scenarios; sorted by id. Each is
    followed by its variants (``variants: all``, or a sample of N chosen by a
    hash of suite name and variant id, so the sample is stable across runs).

    ``cache`` is the compiled scenario cache's mode (:mod:`incident_lab.scenarios.cache`):
    ``off`` (every file parsed), ``on``, ``verify``, or None for
    ``$INCIDENT_LAB_SCENARIO_CACHE`` (default ``on``). The scenarios are the same.

    Raises:
        ConfigError: the suite names a scenario that is not in the library.
        InputError / SchemaError: a scenario file the suite needs is invalid.
    """
    return resolve_detailed(suite, scenarios_dir, slim=slim, cache=cache).scenarios


def remove_from_suite(
    scenario_id: str, suite: str = DEFAULT_SUITE, scenarios_dir: str | Path | None = None
) -> str:
    """Remove a scenario from a suite.

    The id is dropped from the explicit list; when a selector would still pick
    the scenario up, it is also added to ``exclude`` so it really leaves the suite.

    Returns:
        ``"removed"``, ``"excluded"`` (a selector matched it) or ``"unchanged"``.

    Raises:
        UsageError: no such suite.
    """
    check_id(scenario_id)
    base = Path(scenarios_dir or default_scenarios_dir())
    load_suite(suite, base)  # validates, and names the suites there are if missing
    path = suite_path(base, suite)
    with library_lock(base):
        header, doc = read_raw(path)
        ids = list(doc.get("scenarios") or [])
        status = "unchanged"
        if scenario_id in ids:
            ids.remove(scenario_id)
            doc["scenarios"] = ids
            status = "removed"
        select = doc.get("select")
        selectors = [] if select is None else [select] if isinstance(select, dict) else select
        if selectors:
            scenario = _load_one(base, scenario_id)
            excluded = list(doc.get("exclude") or [])
            if (
                scenario is not None
                and _parent_of(scenario) is None
                and any(_matches(scenario, s) for s in selectors)
                and scenario_id not in excluded
            ):
                excluded.append(scenario_id)
                doc["exclude"] = excluded
                status = "excluded"
        if status != "unchanged":
            write_suite(path, header, doc)
        return status
