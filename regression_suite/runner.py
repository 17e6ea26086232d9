"""Cases and their execution: scenario × variant × repeat, run on a target and judged.

A :class:`Case` is one test item. Its id is readable and stable::

    inc-3f2a9c1b                    a base scenario, run once
    inc-3f2a9c1b#2                  its second repeat (``#k`` only when repeats > 1)
    inc-3f2a9c1b[base64+rot13]      a variant: parent id and converter chain
    inc-3f2a9c1b[paraphrase@7]      ... with its seed when a converter is seeded

:func:`run_case` replays a case on a target and returns the report item (the
``## Report items`` contract of ``docs/regression_suite.md``): the produced
trajectory is validated (invalid → outcome ``error``), the scenario's
expectations are evaluated, and a failing item carries the step-level diff
against the recorded incident. I/O-bound targets run concurrently with
:func:`run_cases_async`; :class:`~regression_suite.targets.base.TargetUnreachable`
aborts the run, any other target failure is an ``error`` item.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from incident_lab.errors import IncidentLabError, UsageError
from incident_lab.evidence.validation import fast_is_valid
from incident_lab.expectations import evaluate_all
from incident_lab.scenarios.io import document_turn, replay_input
from incident_lab.trajectory import harness_mark, plain_finite_tree, validate_trajectory
from regression_suite.stepdiff import render_diff

if TYPE_CHECKING:
    import asyncio

__all__ = ["materialize"]

Scenario = dict[str, Any]
Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Case:
    """One test item: a scenario (base or variant) and a repeat number.

    Attributes:
        id: The readable item id (see the module docstring).
        group: The id without the repeat suffix (shards keep a group together).
        scenario: The scenario dict.
        repeat: 1-based repeat number.
    """

    id: str
    group: str
    scenario: Scenario = field(repr=False, compare=False)
    repeat: int = 1

    def with_scenario(self, scenario: Scenario) -> Case:
        """This case with another scenario dict (``dataclasses.replace``, without its
        per-call field introspection: it runs twice a case)."""
        return Case(self.id, self.group, scenario, self.repeat)

    @property
    def parent_id(self) -> str | None:
        """The parent scenario's id for a variant, else ``None``."""
        variant = self.scenario.get("variant")
        return (
            str(variant["parent"]) if isinstance(variant, dict) and variant.get("parent") else None
        )

    @property
    def variant(self) -> dict[str, Any] | None:
        """``{"converters": [...], "seed": int}`` for a variant, else ``None``."""
        if self.parent_id is None:
            return None
        v = self.scenario["variant"]
        return {"converters": list(v.get("converters") or []), "seed": v.get("seed")}


@lru_cache(maxsize=1024)
def _seeded(chain: tuple[str, ...]) -> bool:
    """True when a converter of the chain is seeded (or unknown here, to be safe)."""
    from incident_lab.plugins import collect

    converters = collect("register_converters")
    return any(
        name not in converters or getattr(converters[name], "seeded", True) for name in chain
    )


def _label(scenario: Scenario, with_seed: bool) -> str:
    variant = scenario.get("variant")
    if not (isinstance(variant, dict) and variant.get("parent")):
        return str(scenario["id"])
    converters = tuple(str(c) for c in variant.get("converters") or [])
    chain = "+".join(converters) or "variant"
    seed = variant.get("seed")
    if seed is not None and (with_seed or _seeded(converters)):
        chain += f"@{seed}"
    return f"{variant['parent']}[{chain}]"


def case_groups(scenarios: Iterable[Scenario]) -> list[tuple[str, Scenario]]:
    """Each scenario with its unique readable case id (without the ``#k`` repeat)."""
    scenarios = list(scenarios)
    labels = [_label(s, False) for s in scenarios]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    groups: list[tuple[str, Scenario]] = []
    taken: set[str] = set()
    for scenario, label in zip(scenarios, labels, strict=True):
        if counts[label] > 1:
            label = _label(scenario, True)
        if label in taken:  # still ambiguous (same chain and seed): the file id decides
            label = f"{label}<{scenario['id']}>"
        groups.append((label, scenario))
        taken.add(label)
    return groups


def repeat_case(group: str, scenario: Scenario, k: int, repeats: int) -> Case:
    """The case of repeat ``k`` (1-based) of ``repeats`` of a case group."""
    return Case(f"{group}#{k}" if repeats > 1 else group, group, scenario, k)


def build_cases(scenarios: Iterable[Scenario], repeats: int = 1) -> list[Case]:
    """Expand scenarios into cases, ``repeats`` per scenario, with unique readable ids.

    Raises:
        UsageError: ``repeats`` is below 1.
    """
    if repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {repeats}")
    return [
        repeat_case(group, scenario, k, repeats)
        for group, scenario in case_groups(scenarios)
        for k in range(1, repeats + 1)
    ]


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``I/N`` (1-based shard I of N).

    Raises:
        UsageError: not of the form I/N with 1 <= I <= N.
    """
    try:
        left, right = text.split("/")
        index, total = int(left), int(right)
    except ValueError:
        raise UsageError(f"invalid shard {text!r}", hint="use I/N, e.g. --shard 2/4") from None
    if total < 1 or not 1 <= index <= total:
        raise UsageError(f"invalid shard {text!r}: need 1 <= I <= N", hint="e.g. --shard 1/4")
    return index, total


def shard_of(group: str, total: int) -> int:
    """Return the 1-based shard a case group belongs to (SHA-256 of the group id)."""
    digest = hashlib.sha256(group.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def select_shard(cases: Iterable[Case], index: int, total: int) -> list[Case]:
    """Keep the cases of shard ``index`` of ``total``; repeats of a case stay together."""
    return [c for c in cases if shard_of(c.group, total) == index]


@dataclass(slots=True)
class CaseRun:
    """The report item of a case, and the trajectory the target produced (if any)."""

    item: Item
    trajectory: dict[str, Any] | None = None


def _base_item(case: Case, target: str) -> Item:
    taxonomy = case.scenario.get("taxonomy") or {}
    return {
        "id": case.id,
        "scenario_id": case.scenario["id"],
        "parent_id": case.parent_id,
        "variant": case.variant,
        "repeat": case.repeat,
        "failure_mode": taxonomy.get("failure_mode"),
        "severity": taxonomy.get("severity"),
        "tags": list(taxonomy.get("tags") or []),
        "outcome": "error",
        "results": [],
        "message": "",
        "diff": None,
        "duration_s": 0.0,
        "target": target,
    }


def error_run(case: Case, target: str, message: str, duration_s: float = 0.0) -> CaseRun:
    """Return an ``error`` item for a case the target could not judge."""
    item = _base_item(case, target)
    item["message"] = message
    item["duration_s"] = round(duration_s, 6)
    return CaseRun(item)


def unrecorded_item(case: Case, report: Any, target: str) -> Item:
    """The ``error`` item of a case whose pytest ``report`` failed or was skipped with
    no item of its own (another plugin's hook, an xdist worker that crashed on it)."""
    return error_run(case, target, f"{case.id}: {_report_line(report)}").item


def _report_line(report: Any) -> str:
    """One line for a failed or skipped report: the phase, and the reason."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        text = f"Skipped: {longrepr[2]}"
    elif getattr(longrepr, "reprcrash", None) is not None:  # an exception: its last line
        text = longrepr.reprcrash.message.splitlines()[0]
    else:  # xdist's crashed worker, a plugin's own text
        lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
        text = lines[-1] if lines else report.outcome
    return f"{report.when} {report.outcome} without a gate result: {text}"


def _certainly_valid(produced: dict[str, Any]) -> bool:
    """True only for a trajectory :func:`validate_trajectory` accepts, in a few
    microseconds: plain JSON data (a tree of exact types, every number finite) that the
    hand-written trajectory check accepts (:func:`incident_lab.evidence.validation.fast_is_valid`,
    schema and cross-field rules; it is exact on plain data and switches itself off if
    the schema changes). Anything else takes :func:`validate_trajectory`, which decides
    and explains (a quarter of its time on a trajectory a gate case produces)."""
    return plain_finite_tree(produced) and fast_is_valid(produced)


def judge(
    case: Case, produced: Any, *, target: str, duration_s: float, runs_agent: bool = True
) -> CaseRun:
    """Validate a produced trajectory, evaluate the expectations and build the item.
    ``runs_agent``: the target ran an agent on the replay input (every target but those
    that replay the recording, ``recorded`` and ``safeguard``: their ``runs_agent`` is
    False), so a case whose documents it did not take is not exercised
    (:func:`_documents_untaken`)."""
    if not isinstance(produced, dict):
        return error_run(
            case, target, f"target returned {type(produced).__name__}, not a trajectory", duration_s
        )
    problems = [] if _certainly_valid(produced) else validate_trajectory(produced)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return CaseRun(
            error_run(case, target, f"invalid trajectory: {problems[0]}{more}", duration_s).item,
            produced,
        )
    try:
        results = evaluate_all(produced, list(case.scenario.get("expectations") or []))
    except IncidentLabError as exc:
        return CaseRun(
            error_run(case, target, f"expectation: {exc.render()}", duration_s).item, produced
        )
    item = _base_item(case, target)
    item["results"] = [r.to_dict() for r in results]
    item["duration_s"] = round(duration_s, 6)
    failed = [r for r in results if not r.passed]
    if failed:
        item["outcome"] = "failed"
        item["message"] = "\n".join(f"{r.kind}: {r.message}" for r in failed)
        item["diff"] = render_diff(case.scenario.get("recording"), produced)
    elif runs_agent and (untaken := _documents_untaken(case.scenario, produced)):
        return CaseRun(error_run(case, target, untaken, duration_s).item, produced)
    else:
        item["outcome"] = "passed"
        item["message"] = f"{len(results)} expectation{'s' if len(results) != 1 else ''} met"
    return CaseRun(item, produced)


def _documents_untaken(scenario: Scenario, produced: dict[str, Any]) -> str | None:
    """Why a case whose expectations are met was not exercised, or None: the scenario has
    documents the harness hands the system (``replay.documents``) and the produced
    trajectory took not the one the payload is in (``payload.location`` of kind
    ``document``), or none of them when the payload is elsewhere. A document is taken when
    the trajectory records it (:func:`_taken_documents`), or when a guardrail removed it;
    one given before a user turn a guardrail refused, or a later one when the session
    ended there, is owed by no one (:func:`_excused_turns`: the guardrail working, not a
    target ignoring it). Only a target that runs an agent on the replay input is judged
    so (:func:`judge`, ``runs_agent``): ``recorded`` and ``safeguard`` replay the
    recording."""
    replay = scenario.get("replay") or {}
    documents = list(replay.get("documents") or [])
    steps = [s for s in produced.get("steps") or [] if isinstance(s, dict)]
    excused = _excused_turns(steps)
    owed = {
        i
        for i, document in enumerate(documents)
        if not isinstance(document, dict) or not excused(document_turn(document))
    }
    index = _payload_document(scenario, len(documents))
    if not owed or (index is not None and index not in owed):
        return None
    taken = _taken_documents(documents, steps)
    if (index is None and taken) or index in taken:
        return None
    which = (
        f"any of the scenario's {len(documents)} document(s)"
        if index is None
        else f"document {index} ({documents[index].get('name')}, the payload's)"
    )
    return (
        f"not exercised: the target did not take {which} (replay.documents). A python "
        "target reads ReplaySession.documents; an http target records each document it "
        'gave its agent as a tool_result of no call, "call_id": "document:<index>", '
        '"x_replay": {"attachment": "<kind>"} (docs/regression_suite.md, "Documents")'
    )


#: A document whose text, whitespace normalised, is shorter than this is taken only as
#: whole lines, a whole JSON string value or a whole element's body (``OK`` not by
#: ``status: OK``); a longer one anywhere in a result.
SHORT_DOCUMENT = 32


def _taken_documents(documents: list[dict[str, Any]], steps: list[dict[str, Any]]) -> set[int]:
    """The indices of the documents a produced trajectory took: a ``tool_result`` of no
    call (:func:`_results_of_no_call`; marked or not: a target's own trajectory says what
    it gave its agent), or such a result a guardrail blocked (``safeguard`` step,
    ``blocked_step``), whose ``call_id`` is ``document:<index>`` or whose output holds
    the document's text (:func:`_held`)."""
    loaded = _results_of_no_call(steps)
    ids = {str(r.get("call_id")) for r in loaded}
    outputs = [_ResultText(o) for r in loaded if isinstance(o := r.get("output"), str)]
    contents = [str(d.get("content") or "") if isinstance(d, dict) else "" for d in documents]
    return {
        i
        for i, content in enumerate(contents)
        if f"document:{i}" in ids or _held(_lines(content), outputs)
    }


class _ResultText:
    """A result's output in the forms a document is looked for in: its normalised lines
    (:func:`_lines`) and its words, as written and with the JSON string escapes of
    whitespace and quotes read (a service that sent ``json.dumps({"result": document})``),
    and (:attr:`wholes`) the texts it holds whole."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.lines = f"\n{_lines(output)}\n"
        unescaped = output
        for escape, char in (("\\r", " "), ("\\n", " "), ("\\t", " "), ('\\"', '"')):
            unescaped = unescaped.replace(escape, char)
        self.words = (" ".join(output.split()), " ".join(unescaped.split()))

    @cached_property
    def wholes(self) -> set[str]:
        """The normalised texts (:func:`_lines`) the output holds whole, besides its
        lines: each string value when the output is JSON, and the body of each line that
        is one element (``<memory>OK</memory>``)."""
        bodies = {body for line in self.lines.split("\n") if (body := _tag_body(line))}
        return bodies | {_lines(value) for value in _json_strings(self.output)}


def _tag_body(line: str) -> str | None:
    """The body of a line that is one element, ``<name ...>body</name>`` with no tag in
    the body, else None."""
    end = line.find(">")
    if not line.startswith("<") or end < 2 or line[1] in "/ ":
        return None
    close = f"</{line[1:end].split(maxsplit=1)[0]}>"
    body = line[end + 1 : len(line) - len(close)]
    if len(line) < end + 1 + len(close) or not line.endswith(close) or "<" in body:
        return None
    return body.strip()


def _json_strings(output: str) -> list[str]:
    """The string values of ``output`` when it is JSON (every one, however nested), else
    none."""
    try:
        stack = [json.loads(output)]
    except (ValueError, RecursionError):
        return []
    strings: list[str] = []
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict | list):
            stack.extend(value.values() if isinstance(value, dict) else value)
    return strings


def _held(text: str, outputs: list[_ResultText]) -> bool:
    """True when a result holds a document of normalised text ``text`` (:func:`_lines`):
    as whole lines, as a whole JSON string value or a whole element's body
    (:attr:`_ResultText.wholes`); one of :data:`SHORT_DOCUMENT` or more also anywhere,
    its words in order (a service that trims or re-indents it, puts a label or a tag on
    its line, or sends it inside a JSON string, gave it); never an empty one."""
    if not text:
        return False
    words = " ".join(text.split())
    if len(text) >= SHORT_DOCUMENT and any(words in form for o in outputs for form in o.words):
        return True
    return any(f"\n{text}\n" in o.lines or text in o.wholes for o in outputs)


def _lines(text: str) -> str:
    """``text`` with its whitespace normalised: its non-blank lines, each stripped and
    with every run of spaces or tabs made one space, joined by newlines."""
    return "\n".join(" ".join(words) for line in text.splitlines() if (words := line.split()))


def _results_of_no_call(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``tool_result`` steps (and those a guardrail blocked) no call of the agent asked
    for: their ``call_id`` is no ``tool_call``'s, or a call the harness made itself (marked,
    :func:`~incident_lab.trajectory.harness_mark`: Claude Code's Read of an @-mentioned
    file; review revctx37c H1). A result with no ``call_id`` answers a waiting call, unless
    it bears the mark of what the harness loaded (as
    :func:`~incident_lab.trajectory.harness_loaded` reads it)."""
    results = [s.get("blocked_step") if s.get("type") == "safeguard" else s for s in steps]
    asked = {
        s.get("call_id") for s in steps if s.get("type") == "tool_call" and not harness_mark(s)
    }
    return [
        r
        for r in results
        if isinstance(r, dict)
        and r.get("type") == "tool_result"
        and (r.get("call_id") not in asked if r.get("call_id") else harness_mark(r) is not None)
    ]


def _payload_document(scenario: Scenario, count: int) -> int | None:
    """The index of the document the scenario's payload is in, or None (the payload is in
    a turn or a fixture, or there is none)."""
    location = (scenario.get("payload") or {}).get("location") or {}
    index = location.get("index")
    if location.get("kind") == "document" and isinstance(index, int) and 0 <= index < count:
        return index
    return None


def _excused_turns(steps: list[dict[str, Any]]) -> Callable[[int], bool]:
    """Whether the documents given before a user turn are owed by no one: a guardrail of
    the system refused that turn (a ``safeguard`` step of stage ``input`` that blocks,
    :func:`_refused_turns`), so the agent never saw it nor its documents; when the
    session ended at the refusal (no user message after it), the later turns too. The
    documents of the turns the agent answered, before the refusal or after it, are owed."""
    refused = _refused_turns(steps)
    ended = [turn for turn, went_on in refused if not went_on]
    last = min(ended, default=None)
    turns = {turn for turn, _ in refused}
    return lambda turn: turn in turns or (last is not None and turn >= last)


def _refused_turns(steps: list[dict[str, Any]]) -> list[tuple[int, bool]]:
    """``(turn, went_on)`` for each user turn a guardrail of the system refused
    (:func:`_refused_message`); ``went_on`` when a user message other than the refused
    one follows the guardrail's step (the session went on with a later turn)."""
    out: list[tuple[int, bool]] = []
    for pos, step in enumerate(steps):
        if not (
            step.get("type") == "safeguard"
            and step.get("stage") == "input"
            and step.get("decision") == "block"
        ):
            continue
        refused = _refused_message(steps, pos)
        if refused is not None:
            target, turn = refused
            went_on = any(_is_user(s) for i, s in enumerate(steps) if i > pos and i != target)
            out.append((turn, went_on))
    return out


def _refused_message(steps: list[dict[str, Any]], pos: int) -> tuple[int | None, int] | None:
    """``(position, turn)`` of the user message the input guardrail at ``pos`` refused:
    the one its ``target_step`` points to (wherever the step sits), else the one
    :func:`_unanswered_user` finds; None when its target (``target_step``, or the
    result under ``blocked_step``) is no user message: it judged a document, not a turn
    (review revctx38b L2)."""
    step = steps[pos]
    target = step.get("target_step")
    if isinstance(target, int) and 0 <= target < len(steps):
        return (target, sum(map(_is_user, steps[:target]))) if _is_user(steps[target]) else None
    blocked = step.get("blocked_step")
    if isinstance(blocked, dict) and not _is_user(blocked):
        return None
    return _unanswered_user(steps, pos)


def _unanswered_user(steps: list[dict[str, Any]], pos: int) -> tuple[int | None, int]:
    """``(position, turn)`` of the user message a guardrail's step at ``pos`` with no
    target refused: the last user message before it when nothing of the agent
    (:func:`_is_agent`) follows that message (the refused one, logged, a copy maybe
    under ``blocked_step``); else the first user message after it when nothing of the
    agent comes between (the guardrail logged before the message it judged, review
    revctx38b M1); else ``(None, the turn after the last before it)`` (the refused
    prompt is not logged)."""
    users = [i for i, s in enumerate(steps[:pos]) if _is_user(s)]
    if users and not any(map(_is_agent, steps[users[-1] : pos])):
        return users[-1], len(users) - 1
    after = next(
        (i for i in range(pos + 1, len(steps)) if _is_user(steps[i]) or _is_agent(steps[i])), None
    )
    return (after if after is not None and _is_user(steps[after]) else None), len(users)


def _is_agent(step: dict[str, Any]) -> bool:
    """True for a step of the agent: an assistant message or a tool call."""
    return step.get("type") == "tool_call" or (
        step.get("type") == "message" and step.get("role") == "assistant"
    )


def _is_user(step: dict[str, Any]) -> bool:
    """True for a user message."""
    return step.get("type") == "message" and step.get("role") == "user"


def _unreachable(exc: BaseException) -> bool:
    from regression_suite.targets.base import TargetUnreachable

    return isinstance(exc, TargetUnreachable)


def materialize(case: Case) -> Case:
    """``case`` with its whole scenario: a stub (:func:`regression_suite.suites.stub`,
    what ``regression_suite run`` holds until a case runs) is loaded back."""
    from regression_suite.suites import STUB_PATH

    stored = case.scenario.get(STUB_PATH)
    if stored is None:
        return case
    return case.with_scenario(stored.load())


def run_case(target: Any, case: Case) -> CaseRun:
    """Replay ``case`` on ``target`` (synchronously) and judge the result.

    Raises:
        TargetUnreachable: the target cannot be reached (the run must stop).
    """
    case = materialize(case)
    start = time.perf_counter()
    try:
        produced = target.run(replay_input(case.scenario), case.scenario)
    except Exception as exc:
        return _failed_call(target, case, exc, time.perf_counter() - start)
    return _judged(target, case, produced, time.perf_counter() - start)


async def run_case_async(target: Any, case: Case) -> CaseRun:
    """Async :func:`run_case`, through ``target.arun``."""
    case = materialize(case)
    start = time.perf_counter()
    try:
        produced = await target.arun(replay_input(case.scenario), case.scenario)
    except Exception as exc:
        return _failed_call(target, case, exc, time.perf_counter() - start)
    return _judged(target, case, produced, time.perf_counter() - start)


def _judged(target: Any, case: Case, produced: Any, duration_s: float) -> CaseRun:
    return judge(
        case,
        produced,
        target=target.name,
        duration_s=duration_s,
        runs_agent=getattr(target, "runs_agent", True),
    )


def _failed_call(target: Any, case: Case, exc: Exception, duration_s: float) -> CaseRun:
    if _unreachable(exc):
        raise exc
    if isinstance(exc, IncidentLabError):
        message = exc.render()
    else:
        message = f"target {target.name} raised {type(exc).__name__}: {exc}"
    return error_run(case, target.name, message, duration_s)


async def run_cases_async(
    target: Any,
    cases: Iterable[Case],
    *,
    concurrency: int = 8,
    on_done: Callable[[Case, CaseRun], None] | None = None,
) -> dict[str, CaseRun]:
    """Run cases concurrently (at most ``concurrency`` in flight) and return runs by id
    (:func:`stream_cases_async`, every run kept).

    Raises:
        UsageError: ``concurrency`` is below 1.
        TargetUnreachable: the target cannot be reached.
    """
    runs: dict[str, CaseRun] = {}

    def keep(case: Case, run: CaseRun) -> None:
        runs[case.id] = run
        if on_done is not None:
            on_done(case, run)

    await stream_cases_async(target, cases, concurrency=concurrency, on_done=keep)
    return runs


async def stream_cases_async(
    target: Any,
    cases: Iterable[Case],
    *,
    concurrency: int,
    on_done: Callable[[Case, CaseRun], None],
) -> None:
    """Run cases concurrently, at most ``concurrency`` in flight; ``on_done(case, run)``
    as each one finishes.

    ``concurrency`` workers take the cases one at a time from ``cases`` (an iterator
    is read as the workers reach it: a million cases are never all in memory, nor a
    task each), each taking the next case as soon as its last one is judged, so the
    requests in flight never drop in waves. The first :class:`TargetUnreachable`
    stops the workers from taking more cases and is raised once every started case
    has finished; any other exception a case raises (a scenario stub that no longer
    loads, an expectation plugin with a bug) becomes that case's error run.

    Raises:
        UsageError: ``concurrency`` is below 1.
        TargetUnreachable: the target cannot be reached.
    """
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    pending = iter(cases)
    fatal: list[BaseException] = []

    def take() -> Case | None:
        """The next case, or None (no more, or the run stopped); the iterator raising
        (our own code reading the scenarios) stops the run with that one error."""
        if fatal:
            return None
        try:
            return next(pending)
        except StopIteration:
            return None
        except Exception as exc:
            fatal.append(exc)
            return None

    def report(case: Case, run: CaseRun) -> None:
        """``on_done``; when it raises, the case is reported once more as that error
        (the other cases keep theirs); raising again stops the run."""
        try:
            on_done(case, run)
        except Exception as exc:
            failed = _case_raised(target, case, exc, "reporting its run")
            try:
                on_done(case, failed)
            except Exception as again:
                fatal.append(again)

    async def worker() -> None:
        # one shared iterator: each case goes to one worker
        while (case := take()) is not None:
            try:
                run = await _replayed(target, case)
            except Exception as exc:  # the target is unreachable
                fatal.append(exc)
                return
            report(case, run)

    import asyncio  # here: a gate run on a CPU-bound target never loads it (~15 ms)

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await asyncio.gather(*workers)
    finally:  # cancelled (a session stopped early): no worker is left running
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    if fatal:
        raise fatal[0]


async def _replayed(target: Any, case: Case) -> CaseRun:
    """:func:`run_case_async`; whatever the case raises (``SystemExit``, ``pytest.skip``
    included) is its error run, except an unreachable target and what stops the run
    (:func:`_stops_the_run`)."""
    try:
        return await run_case_async(target, case)
    except BaseException as exc:
        if _unreachable(exc) or _stops_the_run(exc):
            raise
        return _case_raised(target, case, exc)


def _stops_the_run(exc: BaseException) -> bool:
    """True for what must end the run rather than one case: Ctrl-C, a task's
    cancellation, a generator closing, ``pytest.exit`` (when pytest is loaded)."""
    outcomes = sys.modules.get("_pytest.outcomes")
    pytest_exit = getattr(outcomes, "Exit", None) if outcomes is not None else None
    # asyncio is imported where it is used: a task's cancellation exists only once it is
    loaded = sys.modules.get("asyncio")
    cancelled = getattr(loaded, "CancelledError", None) if loaded is not None else None
    stops: tuple[type[BaseException], ...] = (KeyboardInterrupt, GeneratorExit)
    return (
        isinstance(exc, stops)
        or (cancelled is not None and isinstance(exc, cancelled))
        or (pytest_exit is not None and isinstance(exc, pytest_exit))
    )


def _case_raised(
    target: Any, case: Case, exc: BaseException, doing: str = "replaying and judging"
) -> CaseRun:
    """The error run of a case whose loading or judging raised (a scenario stub that no
    longer loads, an expectation plugin with a bug): that case errors with one line, the
    others keep their own results — as a case replayed in the item itself would."""
    if isinstance(exc, IncidentLabError):
        message = exc.render()
    else:
        message = f"{case.id}: {doing} raised {type(exc).__name__}: {exc}"
    return error_run(case, getattr(target, "name", "target"), message)


class ReplayAhead:
    """Cases replayed concurrently while the pytest items that report them run.

    The cases run on an event loop of their own (:func:`stream_cases_async`); the loop
    runs whenever an item asks for a result that has not arrived (:meth:`pop`), so
    the items report (and the terminal shows them) as the answers come in, instead
    of after the last one, and a result is held only from its arrival until its item
    takes it. Items asking in the order the cases were given wait the least; any
    order works (the results that arrive meanwhile are kept).

    Args:
        target: The target (its ``arun``).
        cases: The cases, in the order the items will ask for them.
        concurrency: Cases in flight at most.
        on_done: Called with each case and its run as it finishes.

    Raises:
        UsageError: ``concurrency`` is below 1.
    """

    def __init__(
        self,
        target: Any,
        cases: Iterable[Case],
        *,
        concurrency: int,
        on_done: Callable[[Case, CaseRun], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
        import asyncio

        self._asyncio = asyncio
        self._loop = asyncio.new_event_loop()
        self._ready: dict[str, CaseRun] = {}
        self._wanted: str | None = None
        self._arrived: asyncio.Future[None] | None = None

        def done(case: Case, run: CaseRun) -> None:
            try:
                if on_done is not None:
                    on_done(case, run)
            finally:  # kept even when on_done raises (it is called again with that error)
                self._ready[case.id] = run
                if case.id == self._wanted:
                    self._wake()

        replay = stream_cases_async(target, cases, concurrency=concurrency, on_done=done)
        self._task = self._loop.create_task(replay)
        self._task.add_done_callback(lambda _: self._wake())

    def _wake(self) -> None:
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    def pop(self, case_id: str, default: CaseRun | None = None) -> CaseRun | None:
        """The run of ``case_id`` (running the cases until it has finished), or
        ``default`` when the replay ended without it.

        Raises:
            TargetUnreachable: the replay stopped on it before this case finished.
        """
        run = self._ready.pop(case_id, None)
        if run is None and not self._task.done():
            self._wanted, self._arrived = case_id, self._loop.create_future()
            try:
                self._loop.run_until_complete(self._arrived)
            finally:
                self._wanted = self._arrived = None
            run = self._ready.pop(case_id, None)
        if run is None and self._task.done() and not self._task.cancelled():
            exc = self._task.exception()
            if exc is not None:
                raise exc
        return run if run is not None else default

    def close(self) -> None:
        """Stop what is still running (a session stopped early) and close the loop,
        and with it the target's connection pools."""
        loop = self._loop
        if loop.is_closed():
            return
        if not self._task.done():
            self._task.cancel()
        try:
            loop.run_until_complete(self._asyncio.gather(self._task, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
