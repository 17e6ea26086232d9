"""Localising an incident: which steps of a session were the unsafe ones.

:func:`resolve_unsafe_steps` answers in this order of trust: ``--unsafe-step``, the
trajectory's ``labels.unsafe_steps``, safeguard decisions that flagged a step but let it
through, the provenance view (:mod:`incident_lab.provenance`: unrequested calls, those tied
to an instruction span first; obedient answers; requested side effects that carry a value
an instruction span dictated), what the steps show on their own when no span explains them
(:func:`content_unsafe_steps`), the classifier's ``unsafe_steps``, and last an answer that
quotes a literal of untrusted content. Nothing: exit 3 naming the session and what was
missing.
"""

from __future__ import annotations

from typing import Any

from incident_lab.errors import UsageError
from incident_lab.scenarios.derive import (
    _COPY_ANSWER_LIMIT,
    _TARGET_NAMES,
    _is_identifier,
    _shared_runs,
    _trim_run,
)

Trajectory = dict[str, Any]

_FLAGGING = ("flag", "escalate", "redact")


def resolve_unsafe_steps(
    traj: Trajectory,
    explicit: list[int] | None = None,
    classifier_steps: list[int] | None = None,
    *,
    session: str | None = None,
    provenance: Any = None,
) -> tuple[list[int], str]:
    """Return the unsafe step indices and where they came from.

    In order: ``explicit`` (``--unsafe-step``), the trajectory's labels, safeguard flags,
    the provenance view (unrequested calls, obedient answers, requested side effects that
    carry an injected value), then what an answer or call shows on its own when no
    instruction span was found (:func:`content_unsafe_steps`), then the classifier, then
    an answer carrying a quoted literal of untrusted content.
    ``session`` names the session in errors (default its ``session_id``: pass the original
    one when ``traj`` is a redacted copy). ``provenance`` is ``traj``'s provenance view
    when the caller already made it.

    Raises:
        UsageError: an explicit step does not exist, or nothing marks any step unsafe.
    """
    n = len(traj.get("steps") or [])
    name = session if session is not None else traj.get("session_id")
    if explicit:
        bad = [i for i in explicit if not 0 <= i < n]
        if bad:
            raise UsageError(
                f"--unsafe-step {bad[0]} does not exist: session {name!r} has steps 0..{n - 1}"
            )
        return sorted(set(explicit)), "flag"
    found = _recorded_unsafe(traj, n, name) or _inferred_unsafe(
        traj, classifier_steps, n, provenance
    )
    if found is not None:
        return found
    raise UsageError(
        f"cannot localise the incident in session {name!r}: no unsafe step (no labels, no "
        "safeguard flag, no unrequested call or obedient answer in the provenance view, no "
        "answer that obeyed untrusted content, no call to a destination nobody gave, no "
        "classifier signal, no answer quoting untrusted content)",
        hint="name the harmful step with --unsafe-step N (0-based index into 'steps')",
    )


def _recorded_unsafe(traj: Trajectory, n: int, name: Any) -> tuple[list[int], str] | None:
    """The unsafe steps the trajectory records: its labels, else its safeguard flags
    (``n`` steps; ``name`` names the session in the error about a label past the end)."""
    labelled = (traj.get("labels") or {}).get("unsafe_steps") or []
    if labelled:
        bad = [i for i in labelled if not 0 <= i < n]
        if bad:
            raise UsageError(
                f"labels.unsafe_steps names step {bad[0]}, which does not exist: session "
                f"{name!r} has steps 0..{n - 1}",
                hint="fix the label, or pass --unsafe-step",
            )
        return sorted(set(labelled)), "labels"
    # A safeguard's target outside the recording judged nothing this session shows.
    flagged = sorted(
        {
            int(s["target_step"])
            for s in traj.get("steps") or []
            if s.get("type") == "safeguard"
            and s.get("decision") in _FLAGGING
            and s.get("target_step") is not None
            and 0 <= int(s["target_step"]) < n
        }
    )
    if flagged:
        return flagged, "safeguard"
    return None


def _inferred_unsafe(
    traj: Trajectory, classifier_steps: list[int] | None, n: int, prov: Any = None
) -> tuple[list[int], str] | None:
    """The unsafe steps read off the session: provenance, content, the classifier, then
    an answer quoting untrusted content; None when nothing marks a step."""
    if prov is None:
        from incident_lab.provenance import analyse

        prov = analyse(traj)
    obeyed = {a.step for a in prov.obedient}
    calls = [
        *_tied_unrequested(prov),
        *(c for c in prov.calls if _carries_injected_value(c, prov, traj)),
    ]
    found = sorted(
        {c.step for c in calls if not (obeyed and _tied_by_obedience_only(c, prov))} | obeyed
    )
    if found:
        return found, "provenance"
    content = content_unsafe_steps(traj, prov)
    if content:
        return sorted(content), "content"
    if classifier_steps:
        return sorted({i for i in classifier_steps if 0 <= i < n}), "classifier"
    literal = literal_copies(traj, prov)
    if literal:
        return sorted(a.step for a in literal), "content"
    return None


def _tied_unrequested(prov: Any) -> list[Any]:
    """The unrequested calls, those tied to an instruction span when any is.

    A call whose argument came from an instruction span did what the injection said; one
    that is merely not authorised by the user's words (the message a delegated to-do list
    asked for, after the hijack) is left out when such a tied call exists, so the scenario
    does not forbid the user's own task.
    """
    calls = list(prov.unrequested_calls)
    tied = [c for c in calls if c.attacker_values or any(_from_injection(a, prov) for a in c.args)]
    return tied or calls


def _tied_by_obedience_only(call: Any, prov: Any) -> bool:
    """True when every span ``call`` is tied to is an ordinary request of the document
    ("Steps: run pytest tests/test_route.py.") that counts as an instruction only because an
    answer later obeyed the content (cue ``echoed``, score just above the weak ones, no
    attack cue). Such a span explains that answer, not the call: when an obedient answer is
    in the session, the call is the user's task (running the test the issue names), and a
    scenario forbidding it would fail the safe run."""
    from incident_lab.provenance.cues import WEAK_SPAN_SCORE

    tied = {a.in_instruction for a in call.args if a.in_instruction is not None}
    if call.instruction is not None:
        tied.add(call.instruction)
    attack = set(_attack_spans(prov))
    return bool(tied) and all(
        0 <= k < len(prov.instructions)
        and "echoed" in prov.instructions[k].cues
        and prov.instructions[k].score <= WEAK_SPAN_SCORE + 0.05 + 1e-9
        and k not in attack
        and not any(a.instruction == k for a in prov.obedient)
        for k in tied
    )


def _from_injection(arg: Any, prov: Any) -> bool:
    """True when ``arg`` was matched in an instruction span whose values are the attacker's.

    See :func:`_injected_span`.
    """
    return arg.in_instruction is not None and _injected_span(arg.in_instruction, arg, prov)


def _injected_span(k: int, arg: Any, prov: Any) -> bool:
    """True when a value ``arg`` taken from instruction span ``k`` is not the user's.

    A span of content the user handed the task over to ("do the actions in the e-mail
    ...": ``Provenance.delegated``, never one with an attack cue) asks for the user's task,
    and what a call takes from it is the user's (the line a to-do e-mail said to add to a
    file), unless the span is strong (a cue only text aimed at a model carries) and the
    value says where or to whom the action goes or what it acts on (the IBAN a landlord's
    notice slipped in with "TODO: send a transaction to ..."): that asks for something the
    user's words never named. When the session also holds an attack elsewhere (a span with a
    cue only text aimed at a model carries, which the user did not hand over), that attack
    explains the incident, and the delegated to-do's target ("TODO: send a message to Bob")
    is the user's task, unless the attack names the same value.
    """
    from incident_lab.provenance.analysis import _is_target, _strong
    from incident_lab.provenance.values import find_value

    if k not in prov.delegated:
        return True
    if not (_strong(prov.instructions[k]) and _is_target(arg)):
        return False
    value = str(arg.value)
    return not any(
        not find_value(value, prov.instructions[j].text, prov.instructions[j].text.lower())
        for j in _attack_spans(prov)
        if j != k
    )


def _attack_spans(prov: Any) -> list[int]:
    """Untrusted instruction spans the user did not hand over that carry an attack cue (an
    override, hidden text, words addressed to the model, decoded text, a language switch) or
    pose as the system."""
    from incident_lab.provenance.analysis import _ATTACK_CUES, _IMPERSONATION

    return [
        k
        for k, sp in enumerate(prov.instructions)
        if sp.source != "user"
        and k not in prov.delegated
        and (_ATTACK_CUES & {c.split(":")[0] for c in sp.cues} or _IMPERSONATION.search(sp.text))
    ]


def _carries_injected_value(call: Any, prov: Any, traj: Trajectory) -> bool:
    """A side-effect call the user asked for, whose argument was copied from an instruction
    span or from the injected block around it (the requested message to Alice, with the
    attacker's link as its body; the requested calendar entry, titled as the injected review
    dictated in the sentence after the detected span).

    A value that is itself the injected text does not count: the call names the container
    that carries it (a channel *named* "External_TODO: post the messages to ..."), and the
    user's own call to that container is legitimate.
    """
    from incident_lab.provenance.actions import SIDE_EFFECTS

    if call.kind not in SIDE_EFFECTS or _implied_test_run(call, traj):
        return False
    return any(
        a.origin not in ("user", "system", "model")
        and (_from_injection(a, prov) or _in_injected_block(a, prov, traj))
        and not _names_container(a.path, str(a.value))
        for a in call.args
    )


def _implied_test_run(call: Any, traj: Trajectory) -> bool:
    """A plain test run the user's task about tests implies (:mod:`~incident_lab.provenance.
    testruns`): the user's own step even when an injected issue quotes the command."""
    from incident_lab.provenance.actions import command_of
    from incident_lab.provenance.testruns import asks_for_tests, is_test_run

    if call.kind != "exec" or not is_test_run(command_of(call.arguments)):
        return False
    steps = traj.get("steps") or []
    user = "\n".join(
        str(s.get("content") or "")
        for s in steps[: call.step]
        if isinstance(s, dict) and s.get("type") == "message" and s.get("role") == "user"
    )
    return asks_for_tests(user)


def _in_injected_block(arg: Any, prov: Any, traj: Trajectory) -> bool:
    """True when ``arg`` was matched in an instruction span, or quoted in the rest of its
    injected block after it (:func:`~incident_lab.scenarios.block.injected_block`)."""
    from incident_lab.provenance.text import text_of_step
    from incident_lab.scenarios.block import injected_block

    if arg.step is None or arg.start is None or len(str(arg.value).strip()) < 4:
        return False
    spans = [
        sp
        for k, sp in enumerate(prov.instructions)
        if sp.step == arg.step
        and sp.source != "user"
        and "tampered_argument" not in getattr(sp, "cues", ())  # it stands for its values only
        and _injected_span(k, arg, prov)
    ]
    if not spans:
        return False
    text = text_of_step((traj.get("steps") or [])[arg.step])
    end = arg.end if arg.end is not None else arg.start + len(str(arg.value))
    quoted = (
        arg.start > 0
        and end < len(text)
        and text[arg.start - 1] in _QUOTES
        and text[end : end + 1] in _QUOTES
    )
    for sp in spans:
        _, b = injected_block(text, sp.start, sp.end)
        # After the span, a value it dictated in quotes ("The title should be 'X'."); the
        # lead-in before it is host text the user may legitimately use (the e-mail address
        # on the page the user pointed to), and an unquoted value after it may be the
        # document's own data ("Deadline: 2024-05-21." in a list the user pointed to).
        if sp.start <= arg.start < sp.end or (quoted and sp.end <= arg.start < b):
            return True
    return False


_QUOTES = frozenset("'\"`\u2018\u2019\u201c\u201d\u00ab\u00bb")


def _names_container(path: str, value: str) -> bool:
    """True for a target argument (channel, path, recipient, ...) whose value is itself
    instruction text: the name of a container that carries an injection. (A message body
    that carries injected text is the injection's effect, not a name.)"""
    from incident_lab.provenance.cues import SPAN_THRESHOLD, score_text

    name = path.strip("/").split("/", 1)[0]
    return (
        _TARGET_NAMES.search(name) is not None
        and len(value) >= 20
        and score_text(value[:2000])[0] >= SPAN_THRESHOLD
    )


def _session_texts(traj: Trajectory, prov: Any) -> list[tuple[int, str, str]]:
    """``(index, role, text)`` of the messages and tool outputs, untrusted ones marked."""
    from incident_lab.provenance.model import UNTRUSTED_SOURCES
    from incident_lab.provenance.text import text_of_step

    out = []
    for i, step in enumerate(traj.get("steps") or []):
        source = prov.sources.get(i)
        if source in UNTRUSTED_SOURCES:
            out.append((i, "untrusted", text_of_step(step)))
        elif source in ("system", "user", "assistant"):
            out.append((i, str(source), text_of_step(step)))
    return out


def content_obedience(traj: Trajectory, prov: Any) -> list[Any]:
    """Answers that obeyed untrusted content, when the provenance view tied none to a span.

    First what the answer did with an instruction span's whole injected block (the span
    grown by :func:`~incident_lab.scenarios.block.injected_block`, weak spans included: an
    incident is given, nothing else explains it): it printed the text the block asked for
    ('... simply respond with "Interview recommended."' after the detected sentence), echoed
    its URL, or copied a run of at least six words of it that no user or system turn holds.
    Else what the answer carries on its own
    (:func:`~incident_lab.provenance.obedience.answers_obeying_content`).
    """
    from incident_lab.provenance.obedience import answers_obeying_content

    spanned = {a.step for a in prov.obedient}
    texts = _session_texts(traj, prov)
    found = {a.step: a for a in _block_obedience(traj, prov, texts) if a.step not in spanned}
    for a in answers_obeying_content(texts):
        if a.step not in spanned and a.step not in found:
            found[a.step] = a
    return [found[k] for k in sorted(found)]


#: Fewest words of an injected block an answer must copy to have obeyed it.
_BLOCK_COPY_WORDS = 6


def _block_obedience(traj: Trajectory, prov: Any, texts: list[tuple[int, str, str]]) -> list[Any]:
    """Obedient answers read against the injected blocks of the instruction spans."""
    from incident_lab.provenance.obedience import obedient_answers, record_steps

    grown = _grown_spans(traj, prov)
    if not grown:
        return []
    answers = [(i, t) for i, role, t in texts if role == "assistant"]
    trusted = "\n".join(t for _, role, t in texts if role in ("user", "system"))
    system = "\n".join(t for _, role, t in texts if role == "system")
    found = [
        a
        for a in obedient_answers(
            tuple(grown),
            answers,
            trusted,
            system,
            records=record_steps((i, t) for i, _, t in texts),
        )
        # the user's own request, or content the user delegated to, is no injection
        if grown[a.instruction].source != "user" and a.instruction not in prov.delegated
    ]
    seen = {a.step for a in found}
    low = trusted.casefold()
    for i, answer in answers:
        if i in seen:
            continue
        copied = _copied_block(i, answer, grown, prov, low)
        if copied is not None:
            found.append(copied)
            seen.add(i)
    return found


def _grown_spans(traj: Trajectory, prov: Any) -> list[Any]:
    """The instruction spans, each untrusted one grown to its injected block; aligned with
    ``prov.instructions``: an answer's ``instruction`` indexes both."""
    import dataclasses

    from incident_lab.provenance.text import text_of_step
    from incident_lab.scenarios.block import injected_block

    steps = traj.get("steps") or []
    grown = []
    for sp in prov.instructions:
        if sp.source == "user":
            grown.append(sp)
            continue
        text = text_of_step(steps[sp.step])
        if text[sp.start : sp.end] != sp.text:
            grown.append(sp)
            continue
        a, b = injected_block(text, sp.start, sp.end)
        grown.append(dataclasses.replace(sp, start=a, end=b, text=text[a:b]))
    return grown


def _copied_block(i: int, answer: str, grown: list[Any], prov: Any, low: str) -> Any:
    """A ``marker_echo`` for the answer at step ``i`` when it copies a run of words from an
    earlier untrusted block the user neither wrote nor delegated to; else None."""
    from incident_lab.provenance.model import ObedientAnswer

    for k, sp in enumerate(grown):
        if sp.step >= i or sp.source == "user" or k in prov.delegated:
            continue
        runs = [_trim_run(r) for r in _shared_runs(answer[:_COPY_ANSWER_LIMIT], sp.text)]
        runs = [r for r in runs if len(r.split()) >= _BLOCK_COPY_WORDS and r.casefold() not in low]
        if runs:
            return ObedientAnswer(i, k, "marker_echo", max(runs, key=len))
    return None


def literal_copies(traj: Trajectory, prov: Any) -> list[Any]:
    """Answers carrying a quoted literal of untrusted content (the last localisation tier)."""
    from incident_lab.provenance.obedience import answers_copying_literals

    return answers_copying_literals(_session_texts(traj, prov))


def content_unsafe_steps(traj: Trajectory, prov: Any) -> set[int]:
    """Unsafe steps read off the steps themselves, for an injection no span was found for.

    An answer that obeyed untrusted content (:func:`content_obedience`); a side-effect call
    whose destination (recipient, URL, IBAN, ...) appears in no user turn, system prompt or
    tool output: the agent sent or acted somewhere nobody named (an address decoded from
    an encoded instruction).
    """
    from incident_lab.provenance.actions import SIDE_EFFECTS

    found = {a.step for a in content_obedience(traj, prov)}
    untrusted = any(s.get("type") == "tool_result" for s in traj.get("steps") or [])
    for call in prov.calls if untrusted else ():
        if call.kind not in SIDE_EFFECTS:
            continue
        for arg in call.args:
            name = arg.path.strip("/").split("/", 1)[0]
            value = str(arg.value)
            if (
                arg.origin == "model"
                and _TARGET_NAMES.search(name)
                and len(value) <= 300
                and _is_identifier(value)
            ):
                found.add(call.step)
                break
    return found
