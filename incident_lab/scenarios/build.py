"""Building a scenario (``scenario/v1``) from one incident trajectory.

:func:`scenario_from_trajectory` is pure: it redacts a copy of the trajectory,
extracts the context and the replay input, locates the payload, derives the
expectations from the unsafe step(s), fills in the taxonomy (given, or the
classifier's suggestion marked ``suggested: true``) and the provenance. Writing it
to the library is :func:`incident_lab.scenarios.library.add_from_path`'s job.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any

from incident_lab import __version__
from incident_lab.errors import UsageError
from incident_lab.scenarios.derive import derive_expectations
from incident_lab.scenarios.io import DEFAULT_MAX_STEPS, SCHEMA_VERSION, check_id
from incident_lab.scenarios.localise import resolve_unsafe_steps
from incident_lab.scenarios.payload import (
    PayloadCandidate,
    carried_markers,
    payload_at_step,
    payload_from_dependency,
    payload_from_provenance,
    payload_from_text,
    payload_from_turn,
)
from incident_lab.scenarios.redact import Redactor
from incident_lab.text.normalize import surrogates_replaced
from incident_lab.trajectory import harness_loaded, harness_mark, trajectory_sha256, utc_now_iso

Trajectory = dict[str, Any]


def classification_of(traj: Trajectory) -> dict[str, Any] | None:
    """Run the classifier on ``traj`` and return ``Classification.to_dict()``.

    Returns None when the classifier is not part of this build.
    """
    try:
        from incident_lab.classify import classify_trajectory
    except ImportError:
        return None
    result: dict[str, Any] = classify_trajectory(traj).to_dict()
    return result


def replay_parts(
    traj: Trajectory, before: int | None = None, served: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(turns, fixtures)``: user turns in order and every recorded tool output.

    A fixture pairs a tool result with the call that produced it (by ``call_id``, or
    the nearest earlier call of the same name). With ``before``, only steps before that
    index are taken. Each output is as read (the text the payload's offsets refer to:
    :func:`~incident_lab.provenance.text.output_as_read`), or with ``served`` as a replayed
    tool serves it (:func:`~incident_lab.provenance.text.output_as_served`).
    """
    from incident_lab.provenance.text import output_as_read, output_as_served

    output_of = output_as_served if served else output_as_read
    steps = (traj.get("steps") or [])[:before]
    turns: list[dict[str, Any]] = []
    fixtures: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    pending: list[dict[str, Any]] = []
    loaded = harness_loaded(steps)
    for i, step in enumerate(steps):
        kind = step.get("type")
        if kind == "message" and step.get("role") == "user":
            turns.append({"role": "user", "content": str(step.get("content", ""))})
        elif kind == "tool_call":
            if step.get("call_id"):
                calls[str(step["call_id"])] = step
            pending.append(step)
        elif kind == "tool_result":
            call = None if i in loaded else _paired_call(step, calls, pending)
            fixtures.append(
                {
                    "tool": str((call or {}).get("name") or step.get("name") or "unknown"),
                    "arguments": copy.deepcopy((call or {}).get("arguments") or {}),
                    "output": output_of(step.get("output", "")),
                    "is_error": bool(step.get("is_error", False)),
                }
            )
    return turns, fixtures


def _paired_call(
    step: dict[str, Any], calls: dict[str, dict[str, Any]], pending: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The call a tool result answers (by ``call_id``, or the nearest earlier waiting call
    of the same name), taken off ``pending``."""
    call = calls.get(str(step.get("call_id"))) if step.get("call_id") else None
    if call is None:
        name = step.get("name")
        call = next((c for c in reversed(pending) if name in (None, c.get("name"))), None)
    if call is not None and call in pending:
        pending.remove(call)
    return call


def _context(traj: Trajectory) -> dict[str, Any]:
    agent = traj.get("agent") or {}
    system = next(
        (
            str(s.get("content", ""))
            for s in traj.get("steps") or []
            if s.get("type") == "message" and s.get("role") == "system"
        ),
        None,
    )
    return {
        "system_prompt": system,
        "tools": copy.deepcopy(agent.get("tools") or []),
        "agent": agent.get("name"),
        "model": copy.deepcopy(agent.get("model")) if agent.get("model") else None,
        "policy": copy.deepcopy(agent.get("policy")) if agent.get("policy") else None,
    }


def _short(value: Any, limit: int = 40) -> str:
    """One line of at most ``limit`` characters, never cutting a ``<KIND_n>`` placeholder."""
    text = " ".join(str(value).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    return cut.rstrip() + "…"


def _title(mode: str, traj: Trajectory, unsafe: list[int]) -> str:
    agent = (traj.get("agent") or {}).get("name") or "agent"
    steps = traj.get("steps") or []
    first = steps[unsafe[0]] if unsafe else {}
    if first.get("type") == "tool_call":
        args = ", ".join(
            f"{k}={_short(v)}" for k, v in list((first.get("arguments") or {}).items())[:2]
        )
        what = f"calls {first.get('name')}({args})"
    elif first.get("type") == "message":
        what = f"{first.get('role')} message at step {unsafe[0]}"
    else:
        what = f"unsafe {first.get('type', 'step')} at step {unsafe[0] if unsafe else '?'}"
    return f"{mode.replace('_', ' ').capitalize()}: {agent} {what}"


def _taxonomy_block(
    failure_mode: str | None,
    severity: str | None,
    classification: dict[str, Any] | None,
    tags: list[str],
) -> dict[str, Any]:
    from incident_lab.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    suggested = False
    confidence: float | None = None
    if failure_mode is not None:
        taxonomy.check_failure_mode(failure_mode)
    else:
        suggested = True
        top = (classification or {}).get("top")
        ranked = (classification or {}).get("ranked") or []
        failure_mode = str(top) if top in taxonomy.failure_modes else "unknown"
        for entry in ranked:
            if entry.get("failure_mode") == failure_mode:
                confidence = round(float(entry.get("confidence", 0.0)), 3)
    if severity is not None:
        taxonomy.check_severity(severity)
    else:
        suggested = True
        level = ((classification or {}).get("severity") or {}).get("level")
        mode = taxonomy.failure_modes[failure_mode]
        severity = str(level) if level in taxonomy.severities else mode.default_severity or "SEV-2"
    block: dict[str, Any] = {
        "failure_mode": failure_mode,
        "severity": severity,
        "suggested": suggested,
    }
    if confidence is not None:
        block["confidence"] = confidence
    block["tags"] = sorted(dict.fromkeys(tags))
    block["external_ids"] = taxonomy.external_ids_for(failure_mode)
    block["versions"] = {k: v for k, v in taxonomy.versions().items() if k in block["external_ids"]}
    return block


def _choose_payload(
    work: Trajectory,
    prov_view: Any,
    first_unsafe: int,
    turns: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    payload_step: int | None,
    payload_text: str | None,
    redactor: Redactor | None,
    unsafe: list[int] | None = None,
    indirect: bool = False,
) -> PayloadCandidate | None:
    """The user's choice, else the provenance view's instruction span, else (an injection)
    the untrusted content the unsafe steps depended on, else the last user turn."""
    steps = work.get("steps") or []
    if payload_text is not None:
        text = redactor.redact_text(payload_text) if redactor is not None else payload_text
        return payload_from_text(text, turns, fixtures)
    if payload_step is not None:
        return payload_at_step(payload_step, prov_view, steps, turns, fixtures)
    markers = carried_markers(prov_view, steps, unsafe or [first_unsafe])
    found = payload_from_provenance(
        prov_view, steps, turns, fixtures, first_unsafe, unsafe or (), markers
    )
    if found is not None:
        return found
    if indirect:
        # A prompt injection came in untrusted content: the payload is what the unsafe
        # steps depended on, not the user's turn (which only asked for the task).
        from incident_lab.scenarios.derive import copied_text
        from incident_lab.scenarios.localise import content_obedience

        unsafe = unsafe or [first_unsafe]
        # What an answer was localised by (a canary, markup, a leaked secret) says where it
        # came from better than any text it shares with the content (its faithful part).
        copied = {
            a.step: str(a.evidence) for a in content_obedience(work, prov_view) if a.step in unsafe
        }
        for i in unsafe:
            if i not in copied and (t := copied_text(work, i, prov_view, "")) is not None:
                copied[i] = t
        found = payload_from_dependency(
            prov_view, steps, turns, fixtures, unsafe, copied=copied, planted=markers
        )
        if found is not None:
            return found
    pre_turns, _ = replay_parts(work, before=first_unsafe + 1)
    return payload_from_turn(turns, max(len(pre_turns) - 1, 0))


def _served(
    work: Trajectory, fixtures: list[dict[str, Any]], candidate: Any
) -> list[dict[str, Any]]:
    """The replay's fixtures: the one that holds the payload as read (its offsets point
    there, and the variants rewrite it), every other as the tool served it when the session
    was recorded (:func:`replay_parts` with ``served``)."""
    held = candidate.index if candidate is not None and candidate.kind == "fixture" else None
    _, served = replay_parts(work, served=True)
    return [read if i == held else served[i] for i, read in enumerate(fixtures)]


#: What joins a document the harness delivered with a call's result to that result.
DOCUMENT_JOIN = "\n\n"


@dataclasses.dataclass
class _Split:
    """The replay's fixtures and documents, and where each recorded result went:
    ``moved[result] = (kind, index, offset of its text there)``."""

    fixtures: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    documents: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    moved: dict[int, tuple[str, int, int]] = dataclasses.field(default_factory=dict)

    def join(self, result: int, output: str, host: int) -> None:
        """Append loaded result ``result`` (its ``output``) to fixture ``host``."""
        joined = self.fixtures[host]
        offset = len(joined["output"]) + len(DOCUMENT_JOIN)
        self.fixtures[host] = joined | {"output": joined["output"] + DOCUMENT_JOIN + output}
        self.moved[result] = ("fixture", host, offset)

    def document(self, result: int, document: dict[str, Any]) -> None:
        """Make loaded result ``result`` a document of its own."""
        self.documents.append(document)
        self.moved[result] = ("document", len(self.documents) - 1, 0)


def _document(
    step: dict[str, Any], content: str, turn: int, called: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``replay.documents`` entry: named by the file a reader kept for it
    (``x_<reader>.arguments``: ``file_path`` or ``path``), else by its hook
    (``x_<reader>.hook``: ``UserPromptSubmit hook``), else by its kind (the reader's mark,
    :func:`harness_mark`) or its tool's name. Never by a hook's command: the command may
    print the payload itself (``echo '...'``), and a variant rewrites only the ``content``.
    ``called``: the arguments of the harness's own call the result answers (an
    ``@``-mentioned file's ``Read``), which name it first."""
    notes = [v for k, v in step.items() if k.startswith("x_") and isinstance(v, dict)]
    args = [
        *([called] if called else []),
        *(a for n in notes if isinstance(a := n.get("arguments"), dict)),
    ]
    paths = [v for a in args for k in ("file_path", "path") if isinstance(v := a.get(k), str) and v]
    hooks = [f"{h} hook" for n in notes if isinstance(h := n.get("hook"), str) and h]
    kind = harness_mark(step)
    names = [*paths, *hooks, kind or str(step.get("name") or "document")]
    document: dict[str, Any] = {"name": names[0]}
    if kind:
        document["kind"] = kind
    if turn:
        document["turn"] = turn
    return document | {"content": content}


@dataclasses.dataclass
class _Placer:
    """Where each loaded result goes, read in step order (:func:`_split_documents`)."""

    split: _Split
    turns: int
    seen: int = 0
    acted: int = 0
    #: The fixtures of the model's calls answered since its last act (parallel reads).
    group: list[int] = dataclasses.field(default_factory=list)
    #: The model's calls not answered yet.
    open: list[Any] = dataclasses.field(default_factory=list)
    #: Loaded results written while a call of the model was waiting: (result, output, document).
    deferred: list[tuple[int, str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    #: The arguments of the calls the harness made itself, by call id.
    harness_calls: dict[Any, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def user(self) -> None:
        self.release()
        self.seen, self.acted, self.group, self.open = self.seen + 1, 0, [], []

    def act(self, step: dict[str, Any]) -> None:
        """A step of the model (a call, an answer); a call the harness made is none."""
        if harness_mark(step):
            arguments = step.get("arguments")
            self.harness_calls[step.get("call_id")] = (
                arguments if isinstance(arguments, dict) else {}
            )
            return
        self.acted, self.group = 1, []
        if step.get("type") == "tool_call":
            self.open.append(step.get("call_id"))

    def result(self, result: int, step: dict[str, Any], fixture: dict[str, Any]) -> None:
        """A call's result: a fixture; a model's call's hosts what the harness loaded with
        it. The result of a call the harness made itself (an ``@``-mentioned file the CLI
        read and put before the model) is a document before the turn: the agent under test
        never makes that call, so its fixture would never be served."""
        if harness_mark(step):
            called = self.harness_calls.get(step.get("call_id"))
            document = _document(step, fixture["output"], self._turn(), called)
            self.split.document(result, document)
            return
        self.split.fixtures.append(fixture)
        index = len(self.split.fixtures) - 1
        self.split.moved[result] = ("fixture", index, 0)
        self.group.append(index)
        call = step.get("call_id")
        if call in self.open:
            self.open.remove(call)
        elif self.open:
            self.open.pop()
        for waiting, output, _ in self.deferred:
            self.split.join(waiting, output, index)
        self.deferred = []

    def loaded(self, result: int, step: dict[str, Any], fixture: dict[str, Any]) -> None:
        """What the harness loaded: with the result of a model's call it follows (the one
        below the document's folder among parallel reads, else the last), or with the next
        result of a call still waiting, else a document before turn ``turn``."""
        document = _document(step, fixture["output"], self._turn())
        if self.group:
            self.split.join(result, fixture["output"], self._host(document["name"]))
        elif self.open:
            self.deferred.append((result, fixture["output"], document))
        else:
            self.split.document(result, document)

    def _turn(self) -> int:
        """The user turn a document loaded now comes before: the one it follows, or the
        next when the model acted since (after the last turn's acts, the last turn)."""
        return min(max(self.seen - 1 + self.acted, 0), max(self.turns - 1, 0))

    def release(self) -> None:
        """Loaded results no waiting call's result came for: documents of their own."""
        for waiting, _, document in self.deferred:
            self.split.document(waiting, document)
        self.deferred = []

    def _host(self, name: str) -> int:
        folder = name.rpartition("/")[0] + "/" if "/" in name else None
        for index in reversed(self.group):
            values = self.split.fixtures[index]["arguments"].values()
            if folder and any(isinstance(v, str) and v.startswith(folder) for v in values):
                return index
        return self.group[-1]


def _split_documents(work: Trajectory, fixtures: list[dict[str, Any]], turns: int) -> _Split:
    """Take what the harness loaded by itself (:func:`~incident_lab.trajectory.harness_loaded`)
    out of the fixtures (one per recorded result, in order). Delivered with the result of a
    model's call (right after it, before the model's next step: a CLAUDE.md the CLI appends
    when the model reads a file below it, a hook's context on that read; or written while
    the call was running, before its result), it is appended to that call's fixture, served
    when the agent makes that call; else it is a document the harness put before user turn
    ``turn`` (the one it follows, or the next when the model acted since; after the last
    turn's acts, the last turn). A call the harness made itself (marked: a file the user
    named with ``@``, read by the CLI) is no act of the model and hosts no document: the
    agent under test never makes it, so its fixture would never be served; its result (the
    file's text the harness put before the model) is a document of its own."""
    steps = work.get("steps") or []
    loaded = harness_loaded(steps)
    placer = _Placer(_Split(), turns)
    result = -1
    for i, step in enumerate(steps):
        kind = step.get("type")
        if kind == "message" and step.get("role") == "user":
            placer.user()
        elif kind == "tool_call" or (kind == "message" and step.get("role") == "assistant"):
            placer.act(step)
        elif kind == "tool_result":
            result += 1
            (placer.loaded if i in loaded else placer.result)(result, step, fixtures[result])
    placer.release()
    return placer.split


def _moved(candidate: PayloadCandidate | None, split: _Split) -> PayloadCandidate | None:
    """The payload candidate pointed at where its recorded result went in the replay."""
    if candidate is None or candidate.kind != "fixture" or candidate.index not in split.moved:
        return candidate
    kind, index, offset = split.moved[candidate.index]
    return dataclasses.replace(candidate, kind=kind, index=index, start=candidate.start + offset)


def _depends_on_untrusted(prov_view: Any, unsafe: list[int]) -> bool:
    """True when an unsafe step is an answer that obeyed untrusted content, or a call the
    user did not ask for, made after reading untrusted content, to a destination (an e-mail
    address, URL, IBAN) that no text of the session shows: the content supplied it in a form
    the view could not read (an encoded instruction), whatever mode the classifier named.
    The payload is then that content, not the user turn (which only asked for the task)."""
    from incident_lab.provenance.values import addresses

    steps = set(unsafe)
    return any(a.step in steps for a in prov_view.obedient) or any(
        c.step in steps
        and c.unrequested
        and c.untrusted_dependency
        and any(a.origin == "model" and addresses(str(a.value)) for a in c.args)
        for c in prov_view.calls
    )


def _provenance_block(
    traj: Trajectory,
    work: Trajectory,
    original_sha: str,
    unsafe: list[int],
    unsafe_source: str,
) -> dict[str, Any]:
    """Where the scenario comes from: the original trajectory's hash and session, the
    unsafe steps and who chose them, when and by whom it was made."""
    return {
        "incident_id": None,
        "bundle": None,
        "source": None,
        "trajectory_sha256": original_sha,
        "session_ids": [str(traj.get("session_id"))],
        "actor": copy.deepcopy(work.get("actor")) if work.get("actor") else None,
        "unsafe_steps": unsafe,
        "unsafe_steps_from": unsafe_source,
        "created_at": utc_now_iso(),
        "created_by": os.environ.get("USER") or None,
        "tool_version": __version__,
    }


def _expectations(
    work: Trajectory,
    unsafe: list[int],
    payload: str,
    failure_mode: str,
    prov_view: Any,
    session_id: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The expectations derived from the harmful steps, and the derivation's notes.

    "The safeguard must block" is the oracle of a safeguard failure; for other modes the
    harmful call itself is forbidden, and a system that never attempts it passes.

    Raises:
        UsageError: nothing can be derived from the unsafe steps.
    """
    expectations, notes, _ = derive_expectations(
        work,
        unsafe,
        payload=payload,
        safeguard_expectations=failure_mode == "safeguard_failure",
        provenance=prov_view,
    )
    if not expectations:
        steps_n = len(work.get("steps") or [])
        raise UsageError(
            f"cannot localise the incident in session {session_id!r}: no "
            f"expectation can be derived from step(s) {unsafe} (steps 0..{steps_n - 1})",
            hint="point --unsafe-step at the harmful tool call or assistant answer",
        )
    return expectations, notes


def _working_copy(traj: Trajectory, redact: bool) -> tuple[Redactor, Trajectory, dict[str, Any]]:
    """The redactor, the trajectory to work on (without ``source``; redacted with
    ``redact``), and the redaction report (empty without ``redact``)."""
    body = {k: copy.deepcopy(v) for k, v in traj.items() if k != "source"}
    redactor = Redactor(style="surrogate")
    work: Trajectory = redactor.redact_obj(body) if redact else body
    report = redactor.report() if redact else {}
    return redactor, work, report


def _add_derivation(
    prov: dict[str, Any],
    redactor: Redactor | None,
    report: dict[str, Any],
    notes: list[str],
    provenance: dict[str, Any] | None,
) -> None:
    """Add to the provenance block how the scenario was derived: the redaction (None when
    ``redactor`` is None: not redacted), the derivation notes, and the caller's fields."""
    prov["redaction"] = report if redactor is not None else None
    if redactor is not None:
        prov["redaction_surrogates"] = redactor.surrogates()
    if notes:
        prov["derivation_notes"] = notes
    prov.update(provenance or {})


def scenario_from_trajectory(
    traj: Trajectory,
    *,
    scenario_id: str | None = None,
    failure_mode: str | None = None,
    severity: str | None = None,
    unsafe_steps: list[int] | None = None,
    title: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    redact: bool = True,
    provenance: dict[str, Any] | None = None,
    classification: dict[str, Any] | None = None,
    payload_step: int | None = None,
    payload_text: str | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """Turn one incident trajectory into a scenario.

    Args:
        traj: A valid ``trajectory/v1`` session (not modified).
        scenario_id: Library id; default ``inc-<hash>`` from the original trajectory.
        failure_mode: Taxonomy failure mode; default the classifier's top suggestion.
        severity: ``SEV-1`` .. ``SEV-4``; default the classifier's suggestion.
        unsafe_steps: Step indices that were harmful; default labels/safeguards/classifier.
        title: One-line title; default generated from the harmful step.
        tags: Free-form tags.
        redact: Replace secrets and personal data with stable placeholders.
        provenance: Extra provenance (``incident_id``, ``bundle``, ``source``, ...).
        classification: A precomputed ``Classification.to_dict()`` (else computed here).
        payload_step: Take the payload from this step (its instruction span, else its text).
        payload_text: Take this text as the payload (redacted like the scenario; it must
            appear verbatim in a tool output or user turn).

    Returns:
        ``(scenario, redaction_report)``; the report counts replacements per kind.

    Raises:
        UsageError: bad id, failure mode, severity or unsafe step, or no unsafe step at all.
    """
    if scenario_id is not None:
        check_id(scenario_id)
    traj = surrogates_replaced(traj)  # as the classifier reads it (a lone surrogate is no text)
    original_sha = trajectory_sha256(traj)
    redactor, work, report = _working_copy(traj, redact)
    if classification is None:
        classification = classification_of(work)
    from incident_lab.provenance import analyse

    prov_view = analyse(work)  # once: localising, the payload and the expectations share it
    unsafe, unsafe_source = resolve_unsafe_steps(
        work,
        unsafe_steps,
        (classification or {}).get("unsafe_steps"),
        session=str(traj.get("session_id")),
        provenance=prov_view,
    )
    turns, fixtures = replay_parts(work)
    if not turns:
        raise UsageError(
            f"session {traj.get('session_id')!r} has no user turn to replay",
            hint="a scenario replays user messages; check the trajectory's steps",
        )
    taxonomy = _taxonomy_block(failure_mode, severity, classification, list(tags))
    candidate = _choose_payload(
        work,
        prov_view,
        unsafe[0],
        turns,
        fixtures,
        payload_step,
        payload_text,
        redactor if redact else None,
        unsafe,
        taxonomy["failure_mode"] == "prompt_injection"
        or unsafe_source == "content"
        or _depends_on_untrusted(prov_view, unsafe),
    )
    split = _split_documents(work, _served(work, fixtures, candidate), len(turns))
    candidate = _moved(candidate, split)
    payload = candidate.to_dict() if candidate is not None else None
    expectations, notes = _expectations(
        work,
        unsafe,
        candidate.text if candidate else "",
        taxonomy["failure_mode"],
        prov_view,
        str(traj.get("session_id")),
    )
    prov = _provenance_block(traj, work, original_sha, unsafe, unsafe_source)
    _add_derivation(prov, redactor if redact else None, report, notes, provenance)
    labels = work.get("labels") or {}
    steps = work.get("steps") or []
    scenario: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": scenario_id or "inc-" + original_sha[:10],
        "title": title or _title(taxonomy["failure_mode"], work, unsafe),
        "description": labels.get("notes"),
        "status": "draft",
        "owner": None,
        "provenance": prov,
        "taxonomy": taxonomy,
        "context": _context(work),
        "replay": {
            "turns": turns,
            "fixtures": split.fixtures,
            **({"documents": split.documents} if split.documents else {}),
            "max_steps": max(DEFAULT_MAX_STEPS, len(steps) + 10),
        },
        "payload": payload,
        "expectations": expectations,
        "recording": work,
        "variant": None,
    }
    return scenario, report
