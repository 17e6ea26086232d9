"""The scenario library: adding incidents, tagging, finding and listing scenarios.

Every write happens under the library lock (:func:`incident_lab.scenarios.io.library_lock`)
and through an atomic rename, so concurrent ``add``/``tag`` runs never corrupt a file and
a failure midway leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.atomic import write_text_atomic
from incident_lab.errors import CheckFailed, InputError, SchemaError, UsageError
from incident_lab.readers.base import confine
from incident_lab.scenarios.build import classification_of, scenario_from_trajectory
from incident_lab.scenarios.io import (
    VARIANTS_DIR,
    check_id,
    default_scenarios_dir,
    dump_scenario,
    iter_scenario_paths,
    library_lock,
    load_scenario,
    scenario_path,
)
from incident_lab.scenarios.reproduce import explain, scenario_problems, two_sided
from incident_lab.scenarios.selection import coordination_of, detector_errors_of, select_session
from incident_lab.trajectory import validation_errors

STATUSES = ("draft", "gated", "retired")


@dataclass(slots=True)
class AddResult:
    """What ``add`` did.

    Attributes:
        scenario_id: The id written (or already present).
        path: The scenario file.
        status: ``"created"``, ``"unchanged"`` or ``"overwritten"``.
        redaction: Replacements per kind (never values).
        scenario: The scenario as stored.
        session_id: The session it was built from.
        rejected: Input records the reader rejected.
        messages: Notes for the user (session choice, dropped expectations, ...).
        reproduction: Each expectation's result against the recording.
        detector_errors: ``SESSION: DETECTOR: ...`` for every detector that failed on a
            session ``add`` classified (to choose it, or for its taxonomy and unsafe steps).
        warnings: A reader's warnings, ``path:line: warning`` (no records: counted in
            neither the sessions read nor ``rejected``), the first
            :data:`~incident_lab.readers.base.MAX_WARNINGS_KEPT` of them.
        warned: How many warnings the readers gave (all of them).
    """

    scenario_id: str
    path: Path
    status: str
    redaction: dict[str, int]
    scenario: dict[str, Any]
    session_id: str
    rejected: int = 0
    messages: list[str] = field(default_factory=list)
    reproduction: list[dict[str, Any]] = field(default_factory=list)
    detector_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warned: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON summary ``add --json`` prints."""
        return {
            "scenario_id": self.scenario_id,
            "path": str(self.path),
            "status": self.status,
            "session_id": self.session_id,
            "redaction": self.redaction,
            "rejected": self.rejected,
            "taxonomy": {
                k: self.scenario.get("taxonomy", {}).get(k)
                for k in ("failure_mode", "severity", "suggested", "confidence")
            },
            "expectations": self.scenario.get("expectations", []),
            "reproduction": self.reproduction,
            "messages": self.messages,
            "detector_errors": self.detector_errors,
            "warnings": self.warnings,
            "warnings_total": self.warned,
        }


def _bundle_info(path: Path) -> dict[str, Any]:
    """Provenance of a file inside an evidence bundle (``manifest.json`` beside it)."""
    from incident_lab.evidence.bundle import load_bundle
    from incident_lab.evidence.manifest import MANIFEST

    folder = path if path.is_dir() else path.parent
    if not (folder / MANIFEST).is_file():
        return {"source": str(path)}

    manifest = load_bundle(folder).manifest
    return {
        "incident_id": manifest.get("incident_id") or folder.name,
        "bundle": folder.name,
        "source": str(path),
    }


def bundle_classifications(path: Path) -> dict[str, dict[str, Any]] | None:
    """The classifications a bundle already holds (``followup/classification.json``), by
    session id, when ``path`` is that bundle's ``trajectories.jsonl`` and this version of
    the tool wrote them; else None (the sessions are then classified afresh).

    A bundle's trajectories are sealed by its manifest, so a classification made of them
    by the same classifier is still true: ``add`` need not pay for a second run.
    """
    from incident_lab.classify.followup import read_classification

    folder = path if path.is_dir() else path.parent
    if (
        path.is_dir()
        or path.name != "trajectories.jsonl"
        or not (folder / "manifest.json").is_file()
    ):
        return None
    sessions = read_classification(folder, this_version=True)  # damaged: exit 3, naming it
    if sessions is None:
        return None
    return {str(c["session_id"]): c for c in sessions if c.get("session_id") is not None}


def _read_sessions(
    path: Path, fmt: str | None
) -> tuple[list[dict[str, Any]], list[str], tuple[list[str], int]]:
    """The sessions read from ``path``, the rejects and a reader's warnings (each
    ``path:line: ...``; the first :data:`~incident_lab.readers.base.MAX_WARNINGS_KEPT`
    of them, and how many there were).

    Raises:
        InputError: no session was read.
    """
    from incident_lab.readers import read_paths
    from incident_lab.readers.base import keep_sample

    accepted: list[dict[str, Any]] = []
    rejects: list[str] = []
    warnings: list[str] = []
    warned = 0
    for _, record in read_paths([str(path)], fmt):
        if record.warning is not None:
            warned += 1  # a reader's warning is no record
            keep_sample(warnings, record.told)
        elif record.trajectory is not None:
            accepted.append(record.trajectory)
        else:
            rejects.append(f"{record.where}: {record.reason}")
    if not accepted:
        detail = f" ({len(rejects)} rejected; first: {rejects[0]})" if rejects else ""
        if warnings:
            detail += f" ({warned} reader warning(s); first: {warnings[0]})"
        raise InputError(f"no valid trajectory found{detail}", path=str(path))
    return accepted, rejects, (warnings, warned)


def _existing_with_sha(directory: Path, sha: str) -> tuple[Path, dict[str, Any]] | None:
    for p in iter_scenario_paths(directory):
        try:
            doc = load_scenario(p, validate=False)
        except InputError:
            continue
        if (doc.get("provenance") or {}).get("trajectory_sha256") == sha:
            return p, doc
    return None


def add_from_path(
    path: str | Path,
    *,
    session: str | None = None,
    fmt: str | None = None,
    scenarios_dir: str | Path | None = None,
    force: bool = False,
    allow_nonreproducing: bool = False,
    **build_kwargs: Any,
) -> AddResult:
    """Read an incident file, build a scenario from one session, and add it to the library.

    Args:
        path: A trajectory file (any readable format) or an evidence bundle directory.
        session: The session id to use; chosen automatically when omitted (see
            :func:`incident_lab.scenarios.selection.select_session`).
        fmt: Force the reader format.
        scenarios_dir: The library; default ``$INCIDENT_LAB_SCENARIOS`` or ``./scenarios``.
        force: Overwrite a scenario with the same id (or re-add a known trajectory).
        allow_nonreproducing: Write it even when its expectations pass on its recording.
        **build_kwargs: Passed to :func:`scenario_from_trajectory` (``scenario_id``,
            ``failure_mode``, ``severity``, ``unsafe_steps``, ``title``, ``tags``, ``redact``).

    Raises:
        InputError: unreadable input or no valid session.
        UsageError: unknown session, several unflagged sessions, bad flags, id taken.
        CheckFailed: the scenario is not two-sided: no expectation fails on the recording,
            or one fails on the counterfactual safe trajectory (it would block a fixed agent).
    """
    source = Path(path)
    if source.is_dir() and (source / "trajectories.jsonl").is_file():
        source = source / "trajectories.jsonl"
    directory = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    if build_kwargs.get("scenario_id") is not None:
        check_id(build_kwargs["scenario_id"])
    sessions, rejects, warnings = _read_sessions(source, fmt)
    messages = [f"{len(rejects)} input record(s) rejected, e.g. {rejects[0]}"] if rejects else []
    messages.extend(_duplicate_warnings(sessions))
    classified = bundle_classifications(source)
    crashed: list[str] = []
    chosen, classification, note = select_session(
        sessions,
        session,
        unsafe_steps=build_kwargs.get("unsafe_steps"),
        known=classified,
        errors=crashed,
    )
    if note:
        messages.append(note)
    provenance = _bundle_info(source)
    provenance.update(build_kwargs.pop("provenance", None) or {})
    tags = list(build_kwargs.pop("tags", ()) or ())
    messages += _note_coordination(coordination_of(chosen, sessions), provenance, tags)
    if classification is None:
        classification = (classified or {}).get(str(chosen.get("session_id"))) or classification_of(
            chosen
        )
        crashed.extend(detector_errors_of(classification))
    crashed = list(dict.fromkeys(crashed))
    scenario, report = scenario_from_trajectory(
        chosen, provenance=provenance, tags=tags, classification=classification, **build_kwargs
    )
    messages.extend(scenario["provenance"].get("derivation_notes") or [])
    results, problems = _two_sided_check(scenario, allow_nonreproducing=allow_nonreproducing)
    messages.extend(f"--allow-nonreproducing: {p}" for p in problems)
    problems = validation_errors(scenario, "scenario.v1")
    if problems:
        raise SchemaError(f"built scenario {scenario['id']!r} is invalid: {problems[0]}")
    sha = scenario["provenance"]["trajectory_sha256"]
    target = scenario_path(directory, scenario["id"])
    text = dump_scenario(scenario)
    with library_lock(directory):
        if not force:
            known = _existing_with_sha(directory, sha)
            if known is not None:
                known_path, known_doc = known
                return AddResult(
                    str(known_doc.get("id")),
                    known_path,
                    "unchanged",
                    report,
                    known_doc,
                    str(chosen.get("session_id")),
                    len(rejects),
                    [
                        *messages,
                        f"this trajectory is already in the library as {known_doc.get('id')}",
                    ],
                    results,
                    crashed,
                    *warnings,
                )
            if target.exists():
                raise UsageError(
                    f"scenario {scenario['id']!r} already exists with different content",
                    path=str(target),
                    hint="pass --force to overwrite, or --id to choose another id",
                )
        status = "overwritten" if target.exists() else "created"
        write_text_atomic(target, text)
    return AddResult(
        scenario["id"],
        target,
        status,
        report,
        scenario,
        str(chosen.get("session_id")),
        len(rejects),
        messages,
        results,
        crashed,
        *warnings,
    )


def _note_coordination(
    coordination: dict[str, Any] | None, provenance: dict[str, Any], tags: list[str]
) -> list[str]:
    """Record a coordinated campaign in the provenance and tags; return the user's note."""
    if not coordination:
        return []
    provenance["coordination"] = coordination
    tags.append("coordinated")
    return [
        f"{coordination['sessions']} session(s) from {coordination['actors']} actor(s) in "
        "this file carry the same payload; noted in provenance.coordination"
    ]


def _two_sided_check(
    scenario: dict[str, Any], *, allow_nonreproducing: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the expectations on the recording and on the counterfactual safe trajectory:
    (the results, the problems allowed by ``allow_nonreproducing``).

    Raises:
        CheckFailed: a problem, without ``allow_nonreproducing``.
    """
    specs = scenario["expectations"]
    checks = two_sided(specs, scenario["recording"], scenario["provenance"]["unsafe_steps"])
    problems = explain(specs, checks)
    if problems and not allow_nonreproducing:
        raise CheckFailed(
            f"scenario {scenario['id']} is not right the first time: " + "; ".join(problems),
            hint="name the harmful step with --unsafe-step N or the payload with --payload-step N,"
            " or pass --allow-nonreproducing",
        )
    return [r.to_dict() for r in checks], problems


def _duplicate_warnings(sessions: list[dict[str, Any]]) -> list[str]:
    """One warning per session id that occurs more than once in the input."""
    counts: dict[str, int] = {}
    for traj in sessions:
        key = str(traj.get("session_id"))
        counts[key] = counts.get(key, 0) + 1
    return [
        f"warning: session id {sid!r} occurs {n} times in the input (different sessions share "
        "an id; --session cannot tell them apart)"
        for sid, n in counts.items()
        if n > 1
    ]


def find_scenario(scenario_id: str, scenarios_dir: str | Path | None = None) -> Path:
    """Return the file of ``scenario_id`` (library first, then ``variants/``).

    Raises:
        UsageError: the id is invalid or no such scenario exists (similar ids suggested).
    """
    directory = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    check_id(scenario_id)  # no separator, no '..'
    for variant in (False, True):
        path = directory / VARIANTS_DIR if variant else directory
        path = path / f"{scenario_id}.yaml"
        if path.exists() or path.is_symlink():
            # No symlink out of the library; a FIFO or directory is refused when loaded.
            return confine(path, directory, what="scenario file")
    known = [p.stem for p in iter_scenario_paths(directory, variants=True)]
    close = [k for k in known if scenario_id in k or k in scenario_id][:5]
    hint = f"did you mean: {', '.join(close)}" if close else "run 'incident_lab list' to see ids"
    raise UsageError(f"no scenario {scenario_id!r} in {directory}", hint=hint)


def tag_scenario(
    scenario_id: str,
    *,
    scenarios_dir: str | Path | None = None,
    failure_mode: str | None = None,
    severity: str | None = None,
    add_tags: tuple[str, ...] | list[str] = (),
    remove_tags: tuple[str, ...] | list[str] = (),
    status: str | None = None,
    owner: str | None = None,
) -> tuple[Path, dict[str, Any], list[str]]:
    """Change a scenario's taxonomy, tags, status or owner, atomically.

    A human tagging it clears ``taxonomy.suggested``. Gating a scenario requires that it
    reproduces against its recording.

    Returns:
        ``(path, scenario, changes)`` where changes describes each field changed.

    Raises:
        UsageError: unknown id, failure mode, severity or status.
        CheckFailed: ``--status gated`` on a scenario that is not two-sided.
    """
    from incident_lab.taxonomy import load_taxonomy

    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status {status!r}", hint="one of: " + ", ".join(STATUSES))
    taxonomy = load_taxonomy()
    if failure_mode is not None:
        taxonomy.check_failure_mode(failure_mode)
    if severity is not None:
        taxonomy.check_severity(severity)
    directory = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    with library_lock(directory):
        path = find_scenario(scenario_id, directory)
        doc = load_scenario(path)
        tax = doc["taxonomy"]
        changes = _set_taxonomy(tax, taxonomy, failure_mode, severity)
        changes += _set_tags(tax, add_tags, remove_tags)
        if status is not None and status != doc.get("status"):
            changes.append(_set_status(doc, status, scenario_id, path))
        if owner is not None and owner != doc.get("owner"):
            changes.append(f"owner: {doc.get('owner')} -> {owner}")
            doc["owner"] = owner
        if tax.get("suggested") and (failure_mode or severity or status == "gated"):
            tax["suggested"] = False
            changes.append("suggested: true -> false (confirmed by a human)")
        problems = validation_errors(doc, "scenario.v1")
        if problems:
            raise SchemaError(f"scenario would become invalid: {problems[0]}", path=str(path))
        if changes:
            write_text_atomic(path, dump_scenario(doc))
    return path, doc, changes


def _set_taxonomy(
    tax: dict[str, Any], taxonomy: Any, failure_mode: str | None, severity: str | None
) -> list[str]:
    """Set the failure mode (and its external ids, dropping the classifier's confidence)
    and the severity; return the changes."""
    changes: list[str] = []
    if failure_mode is not None and failure_mode != tax.get("failure_mode"):
        changes.append(f"failure_mode: {tax.get('failure_mode')} -> {failure_mode}")
        tax["failure_mode"] = failure_mode
        tax["external_ids"] = taxonomy.external_ids_for(failure_mode)
        tax.pop("confidence", None)
    if severity is not None and severity != tax.get("severity"):
        changes.append(f"severity: {tax.get('severity')} -> {severity}")
        tax["severity"] = severity
    return changes


def _set_tags(
    tax: dict[str, Any],
    add_tags: tuple[str, ...] | list[str],
    remove_tags: tuple[str, ...] | list[str],
) -> list[str]:
    """Add then remove tags (kept sorted); return the changes."""
    changes: list[str] = []
    tags = list(tax.get("tags") or [])
    for t in add_tags:
        if t not in tags:
            tags.append(t)
            changes.append(f"tag +{t}")
    for t in remove_tags:
        if t in tags:
            tags.remove(t)
            changes.append(f"tag -{t}")
    tax["tags"] = sorted(tags)
    return changes


def _set_status(doc: dict[str, Any], status: str, scenario_id: str, path: Path) -> str:
    """Set a new status; ``gated`` only for a scenario whose expectations hold (two-sided)."""
    problems = scenario_problems(doc) if status == "gated" else []
    if problems:
        raise CheckFailed(
            f"scenario {scenario_id} cannot be gated: " + "; ".join(problems),
            path=str(path),
            hint="fix its expectations, then run 'incident_lab lint'",
        )
    change = f"status: {doc.get('status')} -> {status}"
    doc["status"] = status
    return change


def _row(path: Path, doc: dict[str, Any], base: Path) -> dict[str, Any]:
    tax = doc.get("taxonomy") or {}
    variant = doc.get("variant") or {}
    return {
        "id": doc.get("id"),
        "status": doc.get("status"),
        "severity": tax.get("severity"),
        "failure_mode": tax.get("failure_mode"),
        "suggested": bool(tax.get("suggested")),
        "title": doc.get("title"),
        "tags": list(tax.get("tags") or []),
        "path": str(path),
        "variant": path.parent.name == VARIANTS_DIR and path.parent.parent == base,
        "parent": variant.get("parent"),
        "converters": list(variant.get("converters") or []),
    }


def list_scenarios(
    scenarios_dir: str | Path | None = None,
    *,
    failure_mode: str | None = None,
    severity: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    status: str | None = None,
    variants: bool = False,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return ``(rows, problems)``: matching scenarios and files that could not be read.

    Every filter must match; several ``tags`` must all be present.
    """
    directory = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in iter_scenario_paths(directory, variants=variants):
        try:
            doc = load_scenario(confine(path, directory, what="scenario file"))
        except InputError as exc:
            problems.append(exc.render())
            continue
        row = _row(path, doc, directory)
        if failure_mode and row["failure_mode"] != failure_mode:
            continue
        if severity and row["severity"] != severity:
            continue
        if status and row["status"] != status:
            continue
        if any(t not in row["tags"] for t in tags):
            continue
        rows.append(row)
    return rows, problems
