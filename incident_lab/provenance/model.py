"""The provenance view's records (the contract in docs/incident_lab.md, "Provenance")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Sources of content the model must not take instructions from.
UNTRUSTED_SOURCES = ("tool_output", "memory", "retrieved", "agent")


@dataclass(frozen=True, slots=True)
class InstructionSpan:
    """Text aimed at the model inside content it should only read.

    Attributes:
        step: Index in ``trajectory["steps"]`` of the step carrying it.
        source: ``tool_output``, ``memory``, ``retrieved``, ``agent`` or ``user``.
        start: Offset of the span in :func:`~incident_lab.provenance.text.text_of_step` of that step.
        end: End offset (exclusive).
        text: ``text[start:end]``, verbatim.
        cues: The cue kinds found (see :mod:`incident_lab.provenance.cues`).
        language: ``en de fr es it pt`` or None.
        score: 0..1, the noisy-OR of the cue weights.
        tool: The tool whose result carries it (None for messages).
    """

    step: int
    source: str
    start: int
    end: int
    text: str
    cues: tuple[str, ...]
    language: str | None
    score: float
    tool: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "step": self.step,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "cues": list(self.cues),
            "language": self.language,
            "score": self.score,
            "tool": self.tool,
        }


@dataclass(frozen=True, slots=True)
class ArgSource:
    """Where one argument value came from.

    Attributes:
        path: JSON pointer inside the arguments (``/to``, ``/recipients/0``).
        value: The value's string form.
        origin: ``user``, ``system``, ``tool_output`` (any untrusted step: see
            ``source``) or ``model`` (found nowhere: the model made it up).
        step: The step that supplied it (None for ``model``).
        start: Span of the match in that step's text (None when not located).
        end: End of that span.
        source: The kind of the supplying step (``tool_output``, ``memory``,
            ``retrieved``, ``agent``, ``user``, ``system``) or None.
        matched: What matched: ``value``, ``anchor:<text>``, ``shingle``, ``decoded``
            (found only in the decoded text of an encoded instruction span; located at
            the whole span), or ``tampered`` (an attacker value only: ``value`` is the
            literal a tool listing or error result asked for, carried inside the
            argument; located at the text that asked: :mod:`.tamper`).
        in_instruction: Index into ``Provenance.instructions`` when the match lies in
            an instruction span.
    """

    path: str
    value: str
    origin: str
    step: int | None = None
    start: int | None = None
    end: int | None = None
    source: str | None = None
    matched: str = "value"
    in_instruction: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path,
            "value": self.value,
            "origin": self.origin,
            "step": self.step,
            "start": self.start,
            "end": self.end,
            "source": self.source,
            "matched": self.matched,
            "in_instruction": self.in_instruction,
        }


@dataclass(frozen=True, slots=True)
class CallProvenance:
    """One tool call, where its arguments came from, and whether the user asked for it.

    ``executed`` means the call reached the tool (no safeguard blocked it and a
    result came back); ``failed`` means that result reports an error or a denial;
    ``took_effect`` is executed and not failed. ``leaked`` holds ``(path, what, piece)`` for
    each argument that carries a secret no text spelled out for it (credential material read
    from a tool, the system prompt: :mod:`~incident_lab.provenance.leaks`).
    """

    step: int
    tool: str
    arguments: dict[str, Any]
    args: tuple[ArgSource, ...]
    kind: str
    requested: bool
    untrusted_dependency: bool
    unrequested: bool
    instruction: int | None
    attacker_values: tuple[ArgSource, ...]
    executed: bool
    failed: bool
    blocked: bool
    result_step: int | None = None
    output: str = ""
    problem: str | None = None
    why: str = ""
    leaked: tuple[tuple[str, str, str], ...] = ()
    tool_chosen: bool = False

    @property
    def took_effect(self) -> bool:
        """True when the call ran and its result does not report failure."""
        return self.executed and not self.failed and not self.blocked

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "step": self.step,
            "tool": self.tool,
            "kind": self.kind,
            "args": [a.to_dict() for a in self.args],
            "requested": self.requested,
            "untrusted_dependency": self.untrusted_dependency,
            "unrequested": self.unrequested,
            "instruction": self.instruction,
            "attacker_values": [a.path for a in self.attacker_values],
            "executed": self.executed,
            "failed": self.failed,
            "blocked": self.blocked,
            "result_step": self.result_step,
            "problem": self.problem,
            "why": self.why,
            "leaked": [{"path": p, "what": w, "piece": x} for p, w, x in self.leaked],
            "tool_chosen": self.tool_chosen,
        }


@dataclass(frozen=True, slots=True)
class ObedientAnswer:
    """An assistant answer that did what an instruction span asked, without a tool call.

    Attributes:
        step: The assistant message.
        instruction: Index into ``Provenance.instructions``.
        kind: ``marker_echo``, ``url_echo``, ``system_prompt_leak``, ``format`` or
            ``secret_echo`` (credential material an unrequested read brought back).
        evidence: The echoed marker / URL / leaked text / format.
    """

    step: int
    instruction: int
    kind: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "step": self.step,
            "instruction": self.instruction,
            "kind": self.kind,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """The provenance view of one session (see :func:`incident_lab.provenance.analyse`).

    Attributes:
        session_id: The session's id ("" when missing).
        instructions: Instruction spans, in step order.
        calls: One record per tool-call step, in step order.
        obedient: Assistant answers that obeyed an instruction span.
        sources: Step index -> kind of content (``user``, ``system``, ``assistant``,
            ``tool_output``, ``memory``, ``retrieved``, ``agent``).
        problems: Why parts of the session could not be analysed (no user turn,
            arguments that are not an object, ...): reasons, never exceptions.
        delegated: Indices into ``instructions`` of the untrusted spans the user handed
            the task over to ("do the actions in the e-mail ..."): their requests are the
            user's, and no value taken from them is the attacker's. A span with an attack
            cue (override, hidden text, words addressed to the model, ...) or posing as
            the system is never delegated.
        unheeded_rules: Answer rules in untrusted content ("every answer must end with
            REF_2231") that prescribe a code-like marker the user and system prompt did not
            give and that no answer carries: ignored instructions (near misses). Empty
            when a call or an answer obeyed injected text (the incident is that).
    """

    session_id: str
    instructions: tuple[InstructionSpan, ...]
    calls: tuple[CallProvenance, ...]
    obedient: tuple[ObedientAnswer, ...]
    sources: dict[int, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    delegated: frozenset[int] = frozenset()
    unheeded_rules: tuple[InstructionSpan, ...] = ()

    @property
    def unrequested_calls(self) -> tuple[CallProvenance, ...]:
        """The calls that are not requested and depend on untrusted content."""
        return tuple(c for c in self.calls if c.unrequested)

    @property
    def first_unsafe_step(self) -> int | None:
        """The first unrequested call or obedient answer, or None."""
        steps = [c.step for c in self.calls if c.unrequested] + [a.step for a in self.obedient]
        return min(steps) if steps else None

    def call_at(self, step: int) -> CallProvenance | None:
        """The call record of tool-call step ``step``, or None."""
        for c in self.calls:
            if c.step == step:
                return c
        return None

    def instructions_in(self, step: int) -> tuple[InstructionSpan, ...]:
        """The instruction spans carried by step ``step``."""
        return tuple(s for s in self.instructions if s.step == step)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``provenance/v1``)."""
        return {
            "schema_version": "provenance/v1",
            "session_id": self.session_id,
            "instructions": [s.to_dict() for s in self.instructions],
            "calls": [c.to_dict() for c in self.calls],
            "obedient": [a.to_dict() for a in self.obedient],
            "first_unsafe_step": self.first_unsafe_step,
            "problems": list(self.problems),
            "delegated": sorted(self.delegated),
            "unheeded_rules": [s.to_dict() for s in self.unheeded_rules],
        }
