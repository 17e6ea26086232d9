"""The incident's signature: what a session must share with the incident to be in its blast radius.

Three parts, each extracted from a scenario (a library file, or one built in
memory from an evidence bundle's incident session with
:func:`incident_lab.scenarios.build.scenario_from_trajectory`, unredacted):

- **payloads**: the attack text (``payload.text`` and every ``payload.spans`` text),
  plus the payloads of the scenario's generated variants when the library has
  them; each is indexed normalised (:mod:`incident_lab.text.normalize`) and also
  under ROT13, every other Caesar shift and reversed, which no normalisation can
  undo without knowing the key;
- **tool patterns**: the harmful tool call, from the scenario's ``no_tool_call``
  expectations (tool regex and argument regexes, with redaction placeholders such
  as ``<EMAIL_2>`` widened to any value of that kind, since logs hold real values);
- **safeguard pattern**: the decisions the incident's safeguards took on the
  harmful steps (``action-guard`` at ``pre_action`` said ``allow``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError, UsageError
from incident_lab.text.normalize import normalize

#: A payload shorter than this once normalised is too short to match on its own.
MIN_PAYLOAD_CHARS = 16
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*?)_(\d+)>")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ANY_VALUE = r"[^\s,;]+"


@dataclass(frozen=True)
class PayloadEntry:
    """One indexed form of an attack payload.

    Attributes:
        name: ``payload``, ``payload/rot13``, ``span[1]``, ``variant:<id>``, ...
        text: The text before normalisation.
        normalized: :func:`~incident_lab.text.normalize.normalize` of ``text``.
    """

    name: str
    text: str
    normalized: str


@dataclass(frozen=True)
class ToolPattern:
    """A harmful tool call: tool name regex (full match) and argument regexes (search, any case).

    ``exact`` is False when a redaction placeholder in an argument pattern had to be
    widened to any value of its kind: such a pattern says "the same kind of call"
    (any e-mail address), not "the same call", so it cannot make a match alone.
    """

    tool: str
    arguments: dict[str, str] = field(default_factory=dict)
    exact: bool = True
    shown: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """``send_email(to ~ /.../)`` for reasons and reports (placeholders shown as written)."""
        args = ", ".join(f"{k} ~ /{v}/" for k, v in (self.shown or self.arguments).items())
        return f"{self.tool}({args})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "tool": self.tool,
            "arguments": dict(self.shown or self.arguments),
            "exact": self.exact,
        }


@dataclass(frozen=True)
class SafeguardPattern:
    """A safeguard decision the incident showed on a harmful step."""

    safeguard: str
    stage: str
    decision: str
    tool: str | None = None

    def describe(self) -> str:
        """``action-guard decided allow at pre_action (on send_email)``."""
        on = f" (on {self.tool})" if self.tool else ""
        return f"{self.safeguard} decided {self.decision} at {self.stage}{on}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "safeguard": self.safeguard,
            "stage": self.stage,
            "decision": self.decision,
            "tool": self.tool,
        }


@dataclass
class Signature:
    """Everything a session is compared with.

    Attributes:
        incident: The bundle's incident id or the scenario id.
        source: ``bundle`` or ``scenario``, and ``path``.
        session_ids: The incident's own sessions.
        payloads: Indexed payload forms (see the module docstring).
        tools: Harmful tool-call patterns.
        safeguards: Safeguard decision patterns.
    """

    incident: str
    source: dict[str, Any]
    session_ids: list[str]
    payloads: list[PayloadEntry]
    tools: list[ToolPattern]
    safeguards: list[SafeguardPattern]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (payload texts are shown once, not in every transformed form)."""
        return {
            "incident": self.incident,
            "source": self.source,
            "session_ids": self.session_ids,
            "payloads": [
                {"name": p.name, "text": p.text, "normalized_chars": len(p.normalized)}
                for p in self.payloads
                if "/" not in p.name
            ],
            "indexed_forms": len(self.payloads),
            "tools": [t.to_dict() for t in self.tools],
            "safeguards": [s.to_dict() for s in self.safeguards],
        }


def _widen_placeholders(pattern: str) -> str:
    """Let ``<EMAIL_2>`` (or a surrogate such as ``alex.1@example.com``) in a pattern also
    match any e-mail address (its value in raw logs)."""
    from incident_lab.pii import shape_of

    def widen(match: re.Match[str]) -> str:
        shape = shape_of(match.group(1)) or _ANY_VALUE
        return f"(?:{re.escape(match.group(0))}|{shape})"

    from incident_lab.pii import widen_surrogates

    return _PLACEHOLDER.sub(widen, widen_surrogates(pattern, _ANY_VALUE))


def _caesar(text: str, shift: int) -> str:
    src = _LOWER + _LOWER.upper()
    dst = _LOWER[shift:] + _LOWER[:shift] + _LOWER.upper()[shift:] + _LOWER.upper()[:shift]
    return text.translate(str.maketrans(src, dst))


def payload_forms(name: str, text: str) -> list[PayloadEntry]:
    """The payload and its cipher forms (ROT13 and every Caesar shift, reversed).

    Returns:
        Entries whose normalised text is long enough to match (may be empty).
    """
    forms = [(name, text), (f"{name}/reversed", text[::-1])]
    for shift in range(1, 26):
        label = "rot13" if shift == 13 else f"caesar{shift}"
        forms.append(
            (
                f"{name}/{label}",
                codecs.encode(text, "rot13") if shift == 13 else _caesar(text, shift),
            )
        )
    out = []
    for form_name, form in forms:
        norm = normalize(form)
        if len(norm) >= MIN_PAYLOAD_CHARS:
            out.append(PayloadEntry(form_name, form, norm))
    return out


def _unsafe_steps(scenario: dict[str, Any]) -> list[int]:
    recording = scenario.get("recording") or {}
    steps = (scenario.get("provenance") or {}).get("unsafe_steps")
    steps = steps or (recording.get("labels") or {}).get("unsafe_steps") or []
    return [int(i) for i in steps if isinstance(i, int)]


def _safeguard_patterns(scenario: dict[str, Any]) -> list[SafeguardPattern]:
    steps = (scenario.get("recording") or {}).get("steps") or []
    unsafe = set(_unsafe_steps(scenario))
    out: list[SafeguardPattern] = []
    for step in steps:
        if step.get("type") != "safeguard" or step.get("target_step") not in unsafe:
            continue
        target = steps[step["target_step"]] if 0 <= step["target_step"] < len(steps) else {}
        tool = target.get("name") if target.get("type") == "tool_call" else None
        pattern = SafeguardPattern(
            str(step.get("safeguard")), str(step.get("stage")), str(step.get("decision")), tool
        )
        if pattern not in out:
            out.append(pattern)
    return out


def _tool_patterns(scenario: dict[str, Any]) -> list[ToolPattern]:
    out: list[ToolPattern] = []
    for spec in scenario.get("expectations") or []:
        if spec.get("kind") != "no_tool_call" or not spec.get("tool"):
            continue
        shown = {str(k): str(v) for k, v in (spec.get("arguments") or {}).items()}
        args = {k: _widen_placeholders(v) for k, v in shown.items()}
        pattern = ToolPattern(str(spec["tool"]), args, exact=args == shown, shown=shown)
        for regex in [f"^(?:{pattern.tool})$", *args.values()]:
            try:
                re.compile(regex)
            except re.error as exc:
                raise InputError(
                    f"expectation pattern {regex!r} is not a valid regex: {exc}"
                ) from None
        if pattern not in out:
            out.append(pattern)
    return out


def _payload_texts(scenario: dict[str, Any]) -> list[tuple[str, str]]:
    payload = scenario.get("payload") or {}
    texts: list[tuple[str, str]] = []
    if isinstance(payload.get("text"), str) and payload["text"].strip():
        texts.append(("payload", payload["text"]))
    for i, span in enumerate(payload.get("spans") or []):
        if isinstance(span, dict) and isinstance(span.get("text"), str) and span["text"].strip():
            texts.append((f"span[{i}]", span["text"]))
    return texts


def signature_from_scenario(
    scenario: dict[str, Any],
    *,
    variants: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
    incident: str | None = None,
) -> Signature:
    """Extract the signature of a scenario (and of its generated variants).

    Args:
        scenario: A ``scenario/v1`` document.
        variants: Generated variants of it; their payload texts are indexed too.
        source: Where it came from (for the output).
        incident: Incident id to report; default the scenario id.

    Raises:
        UsageError: the scenario has neither a usable payload nor a harmful tool call.
    """
    entries: list[PayloadEntry] = []
    for name, text in _payload_texts(scenario):
        entries.extend(payload_forms(name, text))
    seen = {e.normalized for e in entries}
    for variant in variants or []:
        for name, text in _payload_texts(variant):
            norm = normalize(text)
            if len(norm) >= MIN_PAYLOAD_CHARS and norm not in seen:
                seen.add(norm)
                entries.append(PayloadEntry(f"variant:{variant.get('id')}:{name}", text, norm))
    tools = _tool_patterns(scenario)
    if not entries and not tools:
        raise UsageError(
            f"scenario {scenario.get('id')!r} has no payload text and no harmful tool call to search for",
            hint="check its 'payload' and 'no_tool_call' expectations ('incident_lab show ID')",
        )
    recording = scenario.get("recording") or {}
    sessions = (scenario.get("provenance") or {}).get("session_ids") or [
        recording.get("session_id")
    ]
    return Signature(
        incident=incident or str(scenario.get("id")),
        source=source or {"kind": "scenario", "id": scenario.get("id")},
        session_ids=[str(s) for s in sessions if s],
        payloads=entries,
        tools=tools,
        safeguards=_safeguard_patterns(scenario),
    )


def _variants_of(scenario_id: str, scenarios_dir: Path | None) -> list[dict[str, Any]]:
    if scenarios_dir is None or not (scenarios_dir / "variants").is_dir():
        return []
    from incident_lab.scenarios.io import load_scenario

    out = []
    for path in sorted((scenarios_dir / "variants").glob("*.yaml")):
        doc = load_scenario(path, validate=False)
        if isinstance(doc, dict) and (doc.get("variant") or {}).get("parent") == scenario_id:
            out.append(doc)
    return out


def _stream_sessions(bundle: Any, wanted: set[str], labelled: bool) -> list[dict[str, Any]]:
    """The bundle's sessions in ``wanted`` (or labelled unsafe), parsing no other line."""
    from incident_lab.incident_record import read_sessions

    return read_sessions(bundle.path, wanted, labelled=labelled)


def _count_sessions(bundle: Any) -> int:
    from incident_lab.readers.base import open_regular

    with open_regular(bundle.path / "trajectories.jsonl") as fh:
        return sum(1 for line in fh if line.strip())


def _incident_sessions(
    bundle: Any, wanted: list[str]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The incident's trajectories and, per session, its classification (when known).

    Order of preference: ``--session``; sessions labelled unsafe; the incident record's
    sessions (``followup/incident.json``, or derived from the classification); the
    only session of a one-session bundle.
    """
    from incident_lab.classify.followup import read_classification
    from incident_lab.incident_record import current_record

    classified = {
        str(c.get("session_id")): c for c in read_classification(bundle.path) or [] if c.get("top")
    }
    if wanted:
        chosen = _stream_sessions(bundle, set(wanted), labelled=False)
        missing = sorted(set(wanted) - {str(t.get("session_id")) for t in chosen})
        if missing:
            raise UsageError(
                f"session {missing[0]!r} is not in bundle {bundle.path}",
                hint="see its trajectories.jsonl, or the sessions in followup/incident.json",
            )
        return chosen, classified
    record_ids = {str(s["session_id"]) for s in current_record(bundle.path).get("sessions") or []}
    found = _stream_sessions(bundle, record_ids, labelled=True)
    labelled = [t for t in found if (t.get("labels") or {}).get("unsafe_steps")]
    if labelled:
        return labelled, classified
    if found:
        return found, classified
    if _count_sessions(bundle) == 1:
        return list(bundle.iter_trajectories()), classified
    raise UsageError(
        f"cannot tell which sessions in {bundle.path} are the incident: none is labelled "
        "unsafe and no classification flags one",
        hint="run 'incident_lab classify " + str(bundle.path) + "' first, or pass --session ID",
    )


def _session_signature(
    traj: dict[str, Any],
    classification: Any,
    bundle: Any,
    scenarios_dir: Path | None,
    guessed: list[PayloadEntry],
) -> Signature:
    """The signature of one incident session, made through an in-memory scenario.

    When the scenario builder found no instruction (an encoded payload) and fell back to
    the user's own question, which every benign session asks too, its payload entries
    are moved to ``guessed``: used only if no incident session shows a real payload.

    Raises:
        UsageError: no scenario or signature can be made from the session.
    """
    from incident_lab.scenarios.build import scenario_from_trajectory

    scenario, _ = scenario_from_trajectory(traj, redact=False, classification=classification)
    sig = signature_from_scenario(
        scenario,
        variants=_variants_of(str(scenario["id"]), scenarios_dir),
        source={"kind": "bundle", "path": str(bundle.path)},
        incident=bundle.incident_id,
    )
    if (scenario.get("payload") or {}).get("method") == "last_user_turn":
        guessed.extend(p for p in sig.payloads if p.name.split("/")[0] == "payload")
        sig.payloads = [p for p in sig.payloads if p.name.split("/")[0] != "payload"]
    return sig


def _merge_signature(merged: Signature, sig: Signature) -> None:
    """Add to ``merged`` the sessions, payloads, tools and safeguards of ``sig`` it lacks."""
    merged.session_ids += [s for s in sig.session_ids if s not in merged.session_ids]
    known = {p.normalized for p in merged.payloads}
    merged.payloads += [p for p in sig.payloads if p.normalized not in known]
    merged.tools += [t for t in sig.tools if t not in merged.tools]
    merged.safeguards += [s for s in sig.safeguards if s not in merged.safeguards]


def signature_from_bundle(
    directory: str | Path, *, sessions: list[str] | None = None, scenarios_dir: Path | None = None
) -> Signature:
    """Extract the signature of an evidence bundle's incident session(s).

    The incident sessions are ``sessions`` if given, else those labelled unsafe,
    else the incident record's (``followup/incident.json``: the flagged sessions of the
    confirmed mode and severity), else the only session. Each is turned into an
    (unredacted) scenario in memory, reusing its classification, and their
    signatures are merged. A session no scenario can be made from is skipped when
    others can; the error names it when none can.

    Raises:
        InputError: not a bundle, or unreadable.
        UsageError: the incident session cannot be told, or has nothing to search for.
    """
    from incident_lab.evidence import load_bundle

    bundle = load_bundle(directory)
    merged: Signature | None = None
    trajs, classified = _incident_sessions(bundle, list(sessions or []))
    failures: list[str] = []
    guessed: list[PayloadEntry] = []
    for traj in trajs:
        sid = str(traj.get("session_id"))
        try:
            sig = _session_signature(traj, classified.get(sid), bundle, scenarios_dir, guessed)
        except UsageError as exc:
            failures.append(f"session {sid}: {exc.message}")
            continue
        if merged is None:
            merged = sig
        else:
            _merge_signature(merged, sig)
    if merged is not None and not merged.payloads:
        merged.payloads = list({p.normalized: p for p in guessed}.values())
    if merged is None:
        raise UsageError(
            f"no signature can be made from the incident session(s) of {bundle.path}: "
            + (failures[0] if failures else "none found"),
            hint="pass --session ID of a session whose harmful step is flagged "
            "(see 'incident_lab classify " + str(bundle.path) + " --json'), "
            "or label it (labels.unsafe_steps) before the snapshot",
        )
    return merged


def load_signature(
    incident: str, *, sessions: list[str] | None = None, scenarios_dir: Path | None = None
) -> Signature:
    """Signature of ``incident``: a bundle directory, a scenario file, or a scenario id.

    Raises:
        InputError: the path or id names nothing readable.
        UsageError: see :func:`signature_from_bundle` / :func:`signature_from_scenario`.
    """
    from incident_lab.scenarios.io import default_scenarios_dir, load_scenario, scenario_path

    base = scenarios_dir or default_scenarios_dir()
    path = Path(incident)
    if path.is_dir():
        return signature_from_bundle(path, sessions=sessions, scenarios_dir=base)
    if not path.is_file():
        if "/" in incident or incident.endswith((".yaml", ".yml")):
            raise InputError("no such bundle directory or scenario file", path=incident)
        path = scenario_path(base, incident)
        if not path.is_file():
            raise InputError(
                f"no bundle, scenario file or scenario id {incident!r}",
                path=str(path),
                hint="pass an incident_<timestamp>/ directory, a scenarios/<id>.yaml file or an id from 'incident_lab list'",
            )
    scenario = load_scenario(path)
    return signature_from_scenario(
        scenario,
        variants=_variants_of(str(scenario["id"]), base),
        source={"kind": "scenario", "path": str(path), "id": scenario.get("id")},
    )
