"""The incident record: one story of the incident, ``followup/incident.json`` in the bundle.

The classifier suggests; the on-call engineer decides. This record keeps both apart
and is what ``ticket``, ``notify``, ``report`` and ``blast-radius`` read, so they tell
the same story:

- ``failure_mode`` and ``severity``: the confirmed choice (``source`` ``human``, or
  ``accepted`` when a non-interactive run took the suggestion), or the suggestion
  while nobody has confirmed (``source`` ``suggested``). A human choice always wins
  over a suggestion; the suggestions stay visible under ``suggestions``;
- ``sessions``: the incident sessions (flagged with the confirmed mode, at least as
  severe as the confirmed severity), most severe first;
- ``victims`` and ``tenants``: the actors of those sessions;
- ``attacker_values``: tool-call argument values of the harmful steps that the user
  never typed and that came from untrusted tool output (the recipient of an
  exfiltration, an injected URL);
- ``tools_involved``: the tools the incident sessions called (not every tool offered);
- ``scenario_ids``: the regression scenarios made from it.

**Sealing.** Every write appends an ``incident_record`` event to the bundle's
hash-chained timeline carrying the file's SHA-256; :func:`load_record` refuses a file
that does not match the last sealed digest (edited behind the timeline's back).

**Decisions on the clock.** :func:`record_decision` is the one way a command that
decides something (``classify``, ``tag``, ``add``, ``respond``, ``blast-radius``)
records its event with the time it took, so the report's phase clock is true::

    from incident_lab.incident_record import record_decision

    t0 = time.monotonic()
    ...  # the command's work
    record_decision(bundle, "classify", time.monotonic() - t0, sessions=4976, flagged=30)

The event lands in ``timeline.jsonl`` as ``{"kind": "classify", "action": "classify",
"phase": "classify", "result": "ok", "duration_s": 30.2, ...detail}``; the report
(:mod:`incident_lab.report.phases`) adds up ``duration_s`` per phase.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError, UsageError

__all__ = ["record_decision", "update_record"]

SCHEMA_VERSION = "incident_record/v1"
#: Where the record lives, relative to the bundle.
RECORD_FILE = "followup/incident.json"
#: Most severe first.
SEVERITY_ORDER = {"SEV-1": 1, "SEV-2": 2, "SEV-3": 3, "SEV-4": 4}
_SOURCES = ("human", "accepted", "suggested")
_MAX_SESSIONS = 1000
_IDENTIFIER = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"  # e-mail
    r"|https?://[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}(?::\d{1,5})?"  # URL host
)
# The playbook phase of each decision kind (``None``: not one of the ten-minute phases).
_PHASE = {
    "classify": "classify",
    "tag": "classify",
    "add": "convert",
    "convert": "convert",
    "respond": None,
    "blast-radius": None,
    "snapshot": "preserve",
    "ticket": "triage",
    "notify": "triage",
}


def _rank(level: Any) -> int:
    return SEVERITY_ORDER.get(str(level), 9)


def record_decision(
    bundle: str | Path, kind: str, duration_s: float, **detail: Any
) -> dict[str, Any]:
    """Append a decision event with its duration to the bundle's timeline.

    Args:
        bundle: The incident directory (the timeline is created if absent).
        kind: What decided: ``classify``, ``tag``, ``add``, ``respond``, ``blast-radius``...
        duration_s: Wall seconds the command took (>= 0).
        **detail: JSON-serialisable facts of the decision (``failure_mode``,
            ``severity``, ``session_id``, ``scenario_id``, ...). ``result`` defaults to
            ``ok``; ``phase`` defaults to the kind's playbook phase.

    Returns:
        The event as stored (sealed: ``seq``, ``sha256``, ``prev_sha256``).

    Raises:
        UsageError: an empty kind, a negative duration or a detail that is not JSON.
    """
    from incident_lab.evidence.timeline import record_event

    if not kind:
        raise UsageError("a decision needs a kind")
    if duration_s < 0:
        raise UsageError(f"decision {kind!r}: duration {duration_s} is negative")
    event: dict[str, Any] = {"kind": kind, "action": kind, "result": "ok"}
    phase = _PHASE.get(kind, kind)
    if phase is not None:
        event["phase"] = phase
    event.update(detail)
    event["duration_s"] = round(float(duration_s), 3)
    return record_event(Path(bundle), event)


def _record_path(bundle: str | Path) -> Path:
    return Path(bundle) / RECORD_FILE


def _sealed_digest(bundle: Path) -> str | None:
    from incident_lab.evidence.timeline import read_timeline

    digest = None
    for event in read_timeline(bundle):
        if event.get("kind") == "incident_record":
            digest = event.get("artifact_sha256")
    return digest


def load_record(bundle: str | Path) -> dict[str, Any] | None:
    """Read ``followup/incident.json``; None when the bundle has none yet.

    Raises:
        InputError: not JSON, not valid against ``incident_record.v1``, or not the
            version sealed in the timeline.
    """
    path = _record_path(bundle)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", path=str(path)) from None
    _validate(record, path)
    sealed = _sealed_digest(Path(bundle))
    actual = hashlib.sha256(data).hexdigest()
    if sealed != actual:
        raise InputError(
            "changed after it was sealed: its SHA-256 is not the one recorded in timeline.jsonl",
            path=str(path),
            hint="record decisions through 'incident_lab respond' (or 'tag'), never by editing the file",
        )
    return dict(record)


def _validate(record: Any, path: Path) -> None:
    from incident_lab.trajectory import validation_errors

    problems = validation_errors(record, "incident_record.v1")
    if problems:
        raise InputError(f"not a valid incident record at {problems[0]}", path=str(path))


def write_record(bundle: str | Path, record: dict[str, Any]) -> Path:
    """Validate, write atomically and seal ``record`` in the timeline; return its path.

    Raises:
        InputError: the record does not match the schema (a bug) or cannot be written.
    """
    from incident_lab.atomic import write_text_atomic
    from incident_lab.evidence.timeline import record_event
    from incident_lab.trajectory import utc_now_iso

    record = {**record, "updated_at": utc_now_iso()}
    path = _record_path(bundle)
    _validate(record, path)
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=str(path)) from None
    record_event(
        Path(bundle),
        {
            "kind": "incident_record",
            "action": "incident_record",
            "result": "ok",
            "artifact": RECORD_FILE,
            "artifact_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "failure_mode": (record.get("failure_mode") or {}).get("value"),
            "severity": (record.get("severity") or {}).get("value"),
        },
    )
    return path


# -- deriving the facts ---------------------------------------------------------------


def _classification(bundle: Path) -> list[dict[str, Any]]:
    from incident_lab.classify.followup import read_classification

    return read_classification(bundle) or []


def _suggestions(flagged: list[dict[str, Any]]) -> dict[str, Any]:
    modes: dict[str, int] = {}
    sev: dict[str, int] = {}
    for c in flagged:
        modes[str(c["top"])] = modes.get(str(c["top"]), 0) + 1
        level = (c.get("severity") or {}).get("level")
        if level:
            sev[str(level)] = sev.get(str(level), 0) + 1
    # The suggested mode is the commonest among the most severe flagged sessions (ties:
    # the higher summed confidence): the incident is what its worst sessions show.
    best_mode = None
    if flagged:
        worst = min(_rank((c.get("severity") or {}).get("level")) for c in flagged)
        votes: dict[str, tuple[int, float]] = {}
        for c in flagged:
            if _rank((c.get("severity") or {}).get("level")) == worst:
                n, conf = votes.get(str(c["top"]), (0, 0.0))
                top = ((c.get("ranked") or [{}])[0]).get("confidence") or 0
                votes[str(c["top"])] = (n + 1, conf + float(top))
        best_mode = max(sorted(votes), key=lambda m: votes[m])
    return {
        "failure_mode": best_mode,
        "severity": min(sev, key=_rank) if sev else None,
        "failure_modes": dict(sorted(modes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "severities": dict(sorted(sev.items(), key=lambda kv: _rank(kv[0]))),
        "flagged_sessions": len(flagged),
        "from": "followup/classification.json" if flagged else None,
    }


_SESSION_ID = re.compile(rb'"session_id": ?"((?:[^"\\]|\\.){1,512})"')


def read_sessions(
    bundle: str | Path, wanted: set[str], *, labelled: bool = False
) -> list[dict[str, Any]]:
    """The bundle's sessions whose id is in ``wanted`` (and, with ``labelled``, every
    session labelled unsafe), in file order. Other lines are never parsed: one regex
    search for the ids a line names and a set lookup, so a bundle of a day of traffic
    costs neither memory nor a parse per session.
    """
    path = Path(bundle) / "trajectories.jsonl"
    found: list[dict[str, Any]] = []
    if (not wanted and not labelled) or not (path.exists() or path.is_symlink()):
        return found
    # An id as the line spells it: raw UTF-8 or \\u-escaped, whichever wrote the file.
    keys = {
        json.dumps(s, ensure_ascii=ascii_only).encode("utf-8")[1:-1]
        for s in wanted
        for ascii_only in (False, True)
    }
    from incident_lab.readers.base import open_regular

    with open_regular(path) as fh:  # the input gate: a FIFO is refused, never blocks
        for line in fh:
            named = any(m in keys for m in _SESSION_ID.findall(line))
            if not (named or (labelled and b'"unsafe_steps"' in line)):
                continue
            try:
                traj = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue  # the bundle's own file; 'incident_lab verify' reports damage
            if not isinstance(traj, dict):
                continue
            labels = traj.get("labels") if isinstance(traj.get("labels"), dict) else {}
            if str(traj.get("session_id")) in wanted or (
                labelled and (labels or {}).get("unsafe_steps")
            ):
                found.append(traj)
    return found


def _attacker_values(traj: dict[str, Any], unsafe: list[int]) -> list[dict[str, Any]]:
    """Argument values of harmful calls the user never gave and a tool output carried.

    Only a destination (an argument that *is* the value: a recipient, a URL): values
    quoted inside a body are the leaked data, not the attacker's.
    """
    steps = [s for s in traj.get("steps") or [] if isinstance(s, dict)]
    out: list[dict[str, Any]] = []
    for i in unsafe:
        if not 0 <= i < len(steps) or steps[i].get("type") != "tool_call":
            continue
        asked, untrusted = _said_before(steps, i)
        args = steps[i].get("arguments")
        for name, value in (args if isinstance(args, dict) else {}).items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            out += [
                {"value": ident, "tool": str(steps[i].get("name")), "argument": str(name)}
                for ident in dict.fromkeys(_IDENTIFIER.findall(text[:10_000]))
                if ident.lower() not in asked
                and ident in untrusted
                and len(text.strip()) <= len(ident) + 8  # the argument *is* the value
            ]
    return out


def _said_before(steps: list[dict[str, Any]], i: int) -> tuple[str, str]:
    """What the user said before step ``i`` (lower-cased), and what tools output."""
    asked = " ".join(
        str(s.get("content", ""))
        for s in steps[:i]
        if s.get("type") == "message" and s.get("role") == "user"
    ).lower()
    untrusted = " ".join(
        json.dumps(s.get("output"), ensure_ascii=False)
        if not isinstance(s.get("output"), str)
        else s["output"]
        for s in steps[:i]
        if s.get("type") == "tool_result"
    )
    return asked, untrusted


def _calls_with(traj: dict[str, Any], unsafe: list[int], values: set[str]) -> bool:
    """True when a harmful tool call of ``traj`` passes one of ``values`` in an argument."""
    steps = traj.get("steps") or []
    for i in unsafe:
        step = steps[i] if 0 <= i < len(steps) and isinstance(steps[i], dict) else {}
        if step.get("type") == "tool_call":
            args = json.dumps(step.get("arguments"), ensure_ascii=False)
            if any(v in args for v in values):
                return True
    return False


def _unsafe(classified: dict[str, Any], traj: dict[str, Any]) -> list[int]:
    unsafe = [int(i) for i in classified.get("unsafe_steps") or [] if isinstance(i, int)]
    raw = traj.get("labels")
    labels: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return unsafe or [int(i) for i in labels.get("unsafe_steps") or [] if isinstance(i, int)]


def call_state(steps: list[dict[str, Any]], index: int) -> str:
    """What became of the tool call at ``steps[index]``: ``blocked`` (a safeguard blocked
    that step), ``failed`` (its tool result is an error) or ``executed``.

    One definition for the incident record's ``harm_executed`` and the blast radius's harm.
    """
    call_id = steps[index].get("call_id")
    for s in steps:
        if not isinstance(s, dict):
            continue
        kind = s.get("type")
        if kind == "safeguard" and s.get("decision") == "block" and s.get("target_step") == index:
            return "blocked"
        if (
            kind == "tool_result"
            and call_id is not None
            and s.get("call_id") == call_id
            and (s.get("is_error") is True or s.get("error") is True)
        ):
            return "failed"
    return "executed"


def _executed(traj: dict[str, Any], index: int) -> bool:
    return call_state(traj.get("steps") or [], index) == "executed"


def derive_record(bundle: str | Path, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the record from the classification and the bundle, keeping human decisions.

    Args:
        bundle: The evidence bundle.
        previous: The record so far (its confirmed choices, explicit sessions and
            scenario ids are kept).

    Raises:
        InputError: the bundle or its classification cannot be read.
    """
    root = Path(bundle)
    previous = previous or {}
    flagged = [c for c in _classification(root) if c.get("top")]
    suggestions = _suggestions(flagged)
    mode = _kept_or_suggested(previous.get("failure_mode"), suggestions["failure_mode"])
    severity = _kept_or_suggested(previous.get("severity"), suggestions["severity"])
    explicit = [str(s) for s in previous.get("explicit_sessions") or []]
    by_id = {str(c.get("session_id")): c for c in flagged}
    limit = _rank(severity["value"]) if severity else 9
    chosen = explicit or _matching_sessions(by_id, mode["value"] if mode else None, limit)
    # Flagged as another mode but as severe: in the incident when its harmful call carries
    # one of the incident's attacker values (an encoded payload the classifier missed).
    others = [] if explicit else _as_severe(by_id, chosen, limit)
    trajs = {str(t.get("session_id")): t for t in read_sessions(root, set(chosen) | set(others))}
    linked = _linked_sessions(by_id, trajs, chosen, others)
    chosen = sorted([*chosen, *sorted(linked)], key=lambda s: (_session_rank(by_id, s), s))
    chosen = chosen[:_MAX_SESSIONS]
    tally = _Tally()
    for sid in sorted(chosen, key=lambda s: s in linked):  # linked ones last: see _Tally.add
        tally.add(sid, by_id.get(sid) or {}, trajs.get(sid) or {}, linked=sid in linked)
    order = {sid: i for i, sid in enumerate(chosen)}
    tally.sessions.sort(key=lambda s: order[str(s["session_id"])])
    return {
        "schema_version": SCHEMA_VERSION,
        "incident_id": _incident_id(root, previous),
        "updated_at": previous.get("updated_at") or "",
        "failure_mode": mode,
        "severity": severity,
        "suggestions": suggestions,
        "explicit_sessions": explicit,
        **tally.fields(),
        "scenario_ids": list(previous.get("scenario_ids") or []),
    }


def _kept_or_suggested(choice: Any, suggested: Any) -> dict[str, Any] | None:
    """A human's choice is kept; a suggested one (or none) follows the new suggestion."""
    if choice and choice.get("source") != "suggested":
        kept: dict[str, Any] = choice
        return kept
    return {"value": suggested, "source": "suggested"} if suggested else None


def _session_rank(by_id: dict[str, Any], sid: str) -> int:
    return _rank(((by_id.get(sid) or {}).get("severity") or {}).get("level"))


def _as_severe(by_id: dict[str, Any], chosen: list[str], limit: int) -> list[str]:
    """The flagged sessions not chosen that are at least as severe as the incident."""
    return [sid for sid in by_id if sid not in chosen and _session_rank(by_id, sid) <= limit]


def _incident_id(root: Path, previous: dict[str, Any]) -> str:
    """The bundle's incident id; the record's (or the directory name) when not a bundle."""
    from incident_lab.evidence.bundle import load_bundle

    try:
        return str(load_bundle(root).incident_id)
    except InputError:
        return str(previous.get("incident_id") or root.name)


def _matching_sessions(by_id: dict[str, Any], mode: str | None, limit: int) -> list[str]:
    """The flagged sessions of the incident's mode at least as severe as its severity; when
    none is that severe, every session of that mode."""
    chosen = [
        sid
        for sid, c in by_id.items()
        if (mode is None or c.get("top") == mode)
        and _rank((c.get("severity") or {}).get("level")) <= limit
    ]
    if not chosen and mode is not None:  # nothing that severe: every session of it
        chosen = [sid for sid, c in by_id.items() if c.get("top") == mode]
    return chosen


def _linked_sessions(
    by_id: dict[str, Any], trajs: dict[str, Any], chosen: list[str], others: list[str]
) -> set[str]:
    """The ``others`` whose harmful calls carry an attacker value of the chosen sessions."""
    known = {
        v["value"]
        for sid in chosen
        for v in _attacker_values(
            trajs.get(sid) or {}, _unsafe(by_id.get(sid) or {}, trajs.get(sid) or {})
        )
    }
    return {
        sid
        for sid in others
        if _calls_with(trajs.get(sid) or {}, _unsafe(by_id[sid], trajs.get(sid) or {}), known)
    }


def _harm_executed(traj: dict[str, Any], steps: list[Any], unsafe: list[int]) -> bool:
    """Whether one of the unsafe steps is a tool call that executed."""
    return any(
        _executed(traj, i)
        for i in unsafe
        if 0 <= i < len(steps) and (steps[i] or {}).get("type") == "tool_call"
    )


class _Tally:
    """The record's per-session rows and what they add up to: victims (user/tenant),
    attacker values (with how many sessions carry each) and the tools called."""

    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.victims: dict[str, dict[str, Any]] = {}
        self.attacker: dict[str, dict[str, Any]] = {}
        self.tools: dict[str, int] = {}

    def add(self, sid: str, c: dict[str, Any], traj: dict[str, Any], *, linked: bool) -> None:
        """Count one session. A linked session (its payload was hidden) counts only the
        attacker values already known from the others, so add it last."""
        raw_actor = traj.get("actor")
        actor: dict[str, Any] = raw_actor if isinstance(raw_actor, dict) else {}
        user, tenant = actor.get("user_id"), actor.get("tenant_id")
        who = {
            "user_id": None if user is None else str(user),
            "tenant_id": None if tenant is None else str(tenant),
        }
        unsafe = _unsafe(c, traj)
        steps = traj.get("steps") or []
        self.sessions.append(
            {
                "session_id": sid,
                "severity": (c.get("severity") or {}).get("level"),
                "failure_mode": c.get("top"),
                **who,
                "started_at": traj.get("started_at"),
                "unsafe_steps": unsafe,
                "harm_executed": _harm_executed(traj, steps, unsafe),
            }
        )
        if user is not None or tenant is not None:
            self.victims.setdefault(f"{tenant}/{user}", {**who, "sessions": 0})["sessions"] += 1
        values = _attacker_values(traj, unsafe)
        if linked:  # its payload was hidden: count the known values its calls carry
            values = [v for v in self.attacker.values() if _calls_with(traj, unsafe, {v["value"]})]
        for value in values:
            entry = self.attacker.setdefault(value["value"], {**value, "sessions": 0})
            entry["sessions"] += 1
        for step in steps:
            if isinstance(step, dict) and step.get("type") == "tool_call":
                self.tools[str(step.get("name"))] = self.tools.get(str(step.get("name")), 0) + 1

    def fields(self) -> dict[str, Any]:
        victims = self.victims.values()
        return {
            "sessions": self.sessions,
            "victims": sorted(
                victims, key=lambda v: (-v["sessions"], str(v["tenant_id"]), str(v["user_id"]))
            ),
            "tenants": sorted({str(v["tenant_id"]) for v in victims if v["tenant_id"] is not None}),
            "attacker_values": sorted(
                self.attacker.values(), key=lambda v: (-v["sessions"], v["value"])
            ),
            "tools_involved": sorted(self.tools),
        }


def current_record(bundle: str | Path) -> dict[str, Any]:
    """The sealed record, or (when there is none yet) one derived in memory, not written.

    Raises:
        InputError: see :func:`load_record` and :func:`derive_record`.
    """
    return load_record(bundle) or derive_record(bundle)


def update_record(
    bundle: str | Path,
    *,
    failure_mode: str | None = None,
    severity: str | None = None,
    source: str = "human",
    actor: str | None = None,
    sessions: list[str] | None = None,
    scenario_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Record a decision in ``followup/incident.json`` (re-deriving the facts) and seal it.

    Args:
        failure_mode, severity: The chosen values; they replace any suggestion.
        source: ``human`` (chosen at a prompt or by a flag) or ``accepted`` (a
            non-interactive run took the suggestion).
        actor: Who decided (default: the timeline's actor).
        sessions: The incident sessions, when the human names them.
        scenario_ids: Scenario ids made from the incident (added to the list).

    Returns:
        The record as written.

    Raises:
        UsageError: an unknown failure mode, severity or source.
        InputError: the bundle or its record cannot be read or written.
    """
    from incident_lab.evidence.manifest import collector
    from incident_lab.taxonomy import load_taxonomy
    from incident_lab.trajectory import utc_now_iso

    if source not in _SOURCES[:2]:
        raise UsageError(f"unknown decision source {source!r}", hint="human or accepted")
    taxonomy = load_taxonomy()
    if failure_mode is not None and failure_mode not in taxonomy.failure_modes:
        raise UsageError(
            f"unknown failure mode {failure_mode!r}",
            hint="one of: " + ", ".join(sorted(taxonomy.failure_modes)),
        )
    if severity is not None and severity not in taxonomy.severities:
        raise UsageError(
            f"unknown severity {severity!r}",
            hint="one of: " + ", ".join(sorted(taxonomy.severities)),
        )
    previous = load_record(bundle) or {}
    who = actor or collector().get("user") or "unknown"
    now = utc_now_iso()
    if failure_mode is not None:
        previous["failure_mode"] = {"value": failure_mode, "source": source, "by": who, "at": now}
    if severity is not None:
        previous["severity"] = {"value": severity, "source": source, "by": who, "at": now}
    if sessions is not None:
        previous["explicit_sessions"] = [str(s) for s in sessions]
    if scenario_ids:
        known = list(previous.get("scenario_ids") or [])
        previous["scenario_ids"] = known + [s for s in scenario_ids if s not in known]
    record = derive_record(bundle, previous)
    write_record(bundle, record)
    return load_record(bundle) or record
