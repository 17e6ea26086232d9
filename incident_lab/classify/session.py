"""A read-only, indexed view of one trajectory that the built-in detectors share.

It pairs each tool call with its result and with the safeguard decisions that judged
it, collects the user and assistant turns, and answers the questions every detector
asks: was this step executed, what did the user ask for, which tools were offered.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from incident_lab import pii
from incident_lab.provenance import Provenance, analyse
from incident_lab.provenance.cues import clear_memo as clear_provenance_memo
from incident_lab.provenance.text import output_as_read
from incident_lab.text.lexicon import (
    content_words,
)


def flatten_text(value: Any) -> str:
    """Join every string/number inside ``value`` (nested dicts and lists) with spaces, each
    container's parts joined in turn (``None`` and booleans are empty parts). Iterative: an
    argument nested thousands deep is read, not a RecursionError that stops the session's
    classification (review rev-lead31c)."""
    parts: list[list[str]] = [[]]
    todo: list[Any] = [value]
    while todo:
        item = todo.pop()
        if item is _CLOSE:
            joined = " ".join(parts.pop())
            parts[-1].append(joined)
        elif isinstance(item, dict | list | tuple):
            parts.append([])
            todo.append(_CLOSE)
            todo.extend(reversed(list(item.values() if isinstance(item, dict) else item)))
        elif item is None or isinstance(item, bool):
            parts[-1].append("")
        else:
            parts[-1].append(str(item))
    return parts[0][0]


#: Marks the end of a container's parts in :func:`flatten_text`.
_CLOSE = object()


#: Joiners inside compound words, paths and hosts (``prompt-injection-101``, ``reading_list``).
COMPOUND = re.compile(r"[-_./]")


def sensitive_kinds(text: str) -> list[str]:
    """Return the kinds of sensitive data in ``text``, in words ("card number").

    One table decides this for the redactor, ``lint`` and the classifier:
    :func:`incident_lab.pii.sensitive_kinds` (credentials, financial data, identity numbers).
    """
    if len(text) > _MEMO_CHARS:
        return [pii.kind(name).label for name in pii.sensitive_kinds(text)]
    return list(_sensitive_labels(text))


#: Texts up to this length have their answers memoised (the same arguments and turns recur
#: across the sessions of one task); a long one is not kept.
_MEMO_CHARS = 4096


@lru_cache(maxsize=2048)
def _sensitive_labels(text: str) -> tuple[str, ...]:
    return tuple(pii.kind(name).label for name in pii.sensitive_kinds(text))


@lru_cache(maxsize=1024)
def _words_memo(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def word_runs(text: str) -> frozenset[tuple[str, ...]]:
    """The runs of eight words of ``text``, lower-cased (what an answer that leaks a system
    prompt repeats); memoised for short texts (one system prompt serves many sessions)."""
    if len(text) <= _MEMO_CHARS:
        return _word_runs_memo(text)
    return _word_runs_memo.__wrapped__(text)


@lru_cache(maxsize=256)
def _word_runs_memo(text: str) -> frozenset[tuple[str, ...]]:
    words = text.lower().split()
    return frozenset(tuple(words[i : i + 8]) for i in range(len(words) - 7))


def _content_words(text: str) -> set[str]:
    """:func:`~incident_lab.classify.lexicon.content_words`, memoised for short texts (the
    user's turns of one task recur across its sessions)."""
    return set(_words_memo(text)) if len(text) <= _MEMO_CHARS else content_words(text)


def clear_memo() -> None:
    """Forget what classify and the provenance analysis memoised per text (benchmarks
    measure cold runs with it)."""
    _sensitive_labels.cache_clear()
    _words_memo.cache_clear()
    _word_runs_memo.cache_clear()
    clear_provenance_memo()


@dataclass(slots=True)
class Call:
    """A tool call with its result and the safeguard decisions on it."""

    index: int
    name: str
    arguments: dict[str, Any]
    call_id: str | None
    result_index: int | None = None
    output: str = ""
    is_error: bool = False
    decisions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def args_text(self) -> str:
        """The arguments' values as one string."""
        return flatten_text(self.arguments)

    @property
    def blocked(self) -> bool:
        """True when a safeguard blocked/escalated it or the result says it was refused."""
        if any(d.get("decision") in ("block", "escalate") for _, d in self.decisions):
            return True
        return self.is_error and bool(
            re.search(
                r"\b(blocked|denied|refused|not permitted|forbidden|policy)\b", self.output, re.I
            )
        )


def _tools_offered(traj: dict[str, Any]) -> dict[str, Any] | None:
    """Name -> parameters of the tools the agent declared (None when it declared none)."""
    agent: dict[str, Any] = traj["agent"] if isinstance(traj.get("agent"), dict) else {}
    tools = agent.get("tools")
    if not (isinstance(tools, list) and tools):
        return None
    return {
        str(t.get("name")): t.get("parameters")
        for t in tools
        if isinstance(t, dict) and t.get("name")
    }


class SessionView:
    """Indexed view of one trajectory (see the module docstring).

    Every detector and the engine look at the same session one after the other. While
    the engine classifies a session (inside :func:`analysing`), :meth:`of` hands out
    the view built for it; outside, each call builds a fresh view. Nothing is cached
    across sessions, so a changed trajectory never gets a stale answer.
    """

    @classmethod
    def of(cls, traj: dict[str, Any]) -> SessionView:
        """The view of ``traj``: the one being classified, else a new one."""
        active = _ACTIVE.get()
        if active is not None and active.traj is traj:
            return active.view
        return cls(traj)

    def __init__(self, traj: dict[str, Any]) -> None:
        self.traj = traj
        steps = traj.get("steps")
        self.steps: list[dict[str, Any]] = [
            s for s in (steps if isinstance(steps, list | tuple) else ()) if isinstance(s, dict)
        ]
        self.user_turns: list[tuple[int, str]] = []
        self.assistant_turns: list[tuple[int, str]] = []
        self.system_prompt = ""
        self.calls: list[Call] = []
        self.results: list[tuple[int, dict[str, Any]]] = []
        self.safeguards: list[tuple[int, dict[str, Any]]] = []
        self._by_id: dict[str, Call] = {}
        self._pending: list[Call] = []
        self._read_outputs: dict[int, str] = {}  # step -> its output as read (output_as_read)
        for i, step in enumerate(self.steps):
            add = self._STEP_KINDS.get(str(step.get("type")))
            if add is not None:
                add(self, i, step)
        del self._by_id, self._pending
        self._attach_decisions()
        labels: dict[str, Any] = traj["labels"] if isinstance(traj.get("labels"), dict) else {}
        self.labelled_unsafe: set[int] = {
            int(s) for s in (labels.get("unsafe_steps") or []) if isinstance(s, int)
        }
        self.verdict = labels.get("verdict")
        self.tools_offered = _tools_offered(traj)
        self.user_text = "\n".join(t for _, t in self.user_turns)
        self.user_words = _content_words(self.user_text)
        self._output_words: dict[int, set[str]] = {}  # step -> content words of its output
        # the content words of the first n tool results, grown as later steps ask (n, words)
        self._words_upto: tuple[int, set[str]] = (0, set())
        self._first_turns: dict[Hashable, int | None] = {}  # first_user_turn's answers
        self._part_words: set[str] | None = None  # user_part_words, computed on first use

    # -- one indexer per step kind ----------------------------------------------------

    def _add_message(self, i: int, step: dict[str, Any]) -> None:
        text = str(step.get("content", ""))
        role = step.get("role")
        if role == "user":
            self.user_turns.append((i, text))
        elif role == "assistant":
            self.assistant_turns.append((i, text))
        elif role == "system" and not self.system_prompt:
            self.system_prompt = text

    def _add_call(self, i: int, step: dict[str, Any]) -> None:
        args = step.get("arguments")
        call = Call(
            i,
            str(step.get("name", "")),
            args if isinstance(args, dict) else {},
            step.get("call_id"),
        )
        self.calls.append(call)
        self._pending.append(call)
        if call.call_id:
            self._by_id[str(call.call_id)] = call

    def _add_result(self, i: int, step: dict[str, Any]) -> None:
        """Pair a result with its call by call_id; without an id, with the oldest call
        still waiting for one."""
        self.results.append((i, step))
        cid = step.get("call_id")
        match: Call | None = self._by_id.get(str(cid)) if cid else None
        if match is None and not cid:
            match = next((c for c in self._pending if c.result_index is None), None)
        if match is None or match.result_index is not None:
            return
        match.result_index = i
        match.output = self._read_outputs[i] = output_as_read(step.get("output", ""))
        match.is_error = bool(step.get("is_error"))
        if match in self._pending:
            self._pending.remove(match)

    def _add_safeguard(self, i: int, step: dict[str, Any]) -> None:
        self.safeguards.append((i, step))

    _STEP_KINDS: ClassVar[dict[str, Callable[[SessionView, int, dict[str, Any]], None]]] = {
        "message": _add_message,
        "tool_call": _add_call,
        "tool_result": _add_result,
        "safeguard": _add_safeguard,
    }

    def judged_step(self, index: int, step: dict[str, Any]) -> int | None:
        """The step a safeguard decision judged: ``target_step``, else the adjacent step."""
        target = step.get("target_step")
        if isinstance(target, int) and 0 <= target < len(self.steps):
            return target
        stage = step.get("stage")
        rng = (
            range(index + 1, len(self.steps))
            if stage in ("input", "pre_action")
            else range(index - 1, -1, -1)
        )
        for j in rng:
            if self.steps[j].get("type") != "safeguard":
                return j
        return None

    def _attach_decisions(self) -> None:
        by_index = {c.index: c for c in self.calls}
        self.decisions_on: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for i, step in self.safeguards:
            target = self.judged_step(i, step)
            if target is None:
                continue
            self.decisions_on.setdefault(target, []).append((i, step))
            if target in by_index:
                by_index[target].decisions.append((i, step))

    def executed(self, index: int) -> bool:
        """True when step ``index`` took effect: not blocked, escalated or (for output) redacted."""
        for _, d in self.decisions_on.get(index, []):
            if d.get("decision") in ("block", "escalate"):
                return False
            if d.get("decision") == "redact" and self.steps[index].get("type") == "message":
                return False
        call = next((c for c in self.calls if c.index == index), None)
        return not (call is not None and call.blocked)

    def tool_outputs_before(self, index: int) -> list[tuple[int, str]]:
        """Return ``(step, output)`` of every tool result before step ``index``, each output
        as read (:func:`~incident_lab.provenance.text.output_as_read`: the text every offset
        into it refers to), read once per view."""
        out = []
        for i, s in self.results:
            if i >= index:
                break
            if i not in self._read_outputs:
                self._read_outputs[i] = output_as_read(s.get("output", ""))
            out.append((i, self._read_outputs[i]))
        return out

    def output_words_before(self, index: int) -> set[str]:
        """The content words of every tool result before step ``index``
        (:func:`~incident_lab.text.lexicon.content_words`; each output is read once per view,
        and a short one once per text: the sessions of one suite read the same outputs). The
        union grows from the last step asked about (detectors ask step by step), so a session
        of many results is not read again per call."""
        count = bisect_left(self.results, index, key=lambda r: r[0])
        done, words = self._words_upto
        if count < done:
            done, words = 0, set()
        for i, output in self.tool_outputs_before(index)[done:]:
            if i not in self._output_words:
                self._output_words[i] = _content_words(output)
            words |= self._output_words[i]
        self._words_upto = (count, words)
        return set(words)

    def first_user_turn(self, key: Hashable, holds: Callable[[str], bool]) -> int | None:
        """The step of the first user turn for which ``holds`` is true (None: no turn), found
        once per view and ``key`` (``key`` names ``holds``). For a question a text answers yes
        when one of its turns does (a word searched for, :func:`asks_to_read`), the user's
        text before step ``s`` answers yes exactly when this step is below ``s``: one pass
        over the turns instead of one over every earlier turn per call."""
        if key not in self._first_turns:
            self._first_turns[key] = next((i for i, t in self.user_turns if holds(t)), None)
        return self._first_turns[key]

    def user_part_words(self) -> set[str]:
        """The content words of the user's turns with compound words cut at their joiners
        (:data:`COMPOUND`: "prompt-injection-101" gives "prompt", "injection"), read once per
        view."""
        if self._part_words is None:
            self._part_words = content_words(COMPOUND.sub(" ", self.user_text))
        return self._part_words

    def user_text_before(self, index: int) -> str:
        """All user turns before step ``index``, joined."""
        return "\n".join(t for i, t in self.user_turns if i < index)

    def latest_user_turn(self, index: int) -> str | None:
        """The last user turn before step ``index``, or None when there is none."""
        turns = [t for i, t in self.user_turns if i < index]
        return turns[-1] if turns else None


@dataclass(slots=True)
class _Active:
    traj: dict[str, Any]
    view: SessionView
    prov: Provenance | None = None


_ACTIVE: ContextVar[_Active | None] = ContextVar("incident_lab_classify_session", default=None)


@contextmanager
def analysing(traj: dict[str, Any]) -> Iterator[SessionView]:
    """Share one view and one provenance analysis of ``traj`` with every detector run inside.

    The engine wraps each session's detectors in it; the sharing ends with the block.
    """
    token = _ACTIVE.set(_Active(traj, SessionView(traj)))
    try:
        active = _ACTIVE.get()
        assert active is not None
        yield active.view
    finally:
        _ACTIVE.reset(token)


def provenance_of(traj: dict[str, Any]) -> Provenance:
    """The provenance view of ``traj`` (computed once per session inside :func:`analysing`)."""
    active = _ACTIVE.get()
    if active is not None and active.traj is traj:
        if active.prov is None:
            active.prov = analyse(traj)
        return active.prov
    return analyse(traj)
