"""Classify time no longer quadratic in the user's turns (session 43, review revdt42b): a session of
many user turns, one file read after each, was classified in time quadratic in the turns
(every read joined and searched all the user's turns before it, and cut all of them into
words again): 100 turns took 0.27 CPU s, 400 turns 2.85 s, 800 turns 12.2 s at 80beeaa.

Texts are our own, written for this test (no corpus text)."""

from __future__ import annotations

from functools import partial
from typing import Any

from incident_lab.classify import classify_trajectory
from incident_lab.classify.session import SessionView, clear_memo
from incident_lab.provenance.actions import asks_to_read
from tests.incident_lab.classify.builders import call, result, say, traj, user
from tests.timing import least_cpu_seconds

#: A user's turn (464 characters): four times an ask that names release work, no read.
_TURN = (
    "Audit the build outputs against the release manifest. Then update the release task "
    "on the board with your findings. "
) * 4


def _turns(n: int, run: int) -> dict[str, Any]:
    """``n`` user turns, each followed by a read of a file of its own and an answer (fresh
    file names and turns per ``run``: no memo carries over)."""
    steps: list[dict[str, Any]] = []
    for k in range(n):
        cid = f"c{k}"
        steps += [
            user(f"Turn {run}-{k}. {_TURN}"),
            call("read_file", cid, path=f"r{run}/f{k}.txt"),
            result("hello", cid),
            say("ok"),
        ]
    tools = [{"name": "read_file", "parameters": {"type": "object"}}]
    return traj(*steps, tools=tools)


def test_four_hundred_user_turns_are_not_rescanned_per_read() -> None:
    """400 turns (186,000 characters of the user's, 400 reads) took 3.5 CPU s here at
    80beeaa; 0.36 s once the turns' facts are found once per session (each read's words
    against the user's compound words, which turn first names what a tool reads, the
    words of the outputs before a call)."""
    sessions = [_turns(400, run) for run in range(3)]
    tops: list[str | None] = []

    def work(run: int) -> None:
        clear_memo()
        tops.append(classify_trajectory(sessions[run]).top)

    assert least_cpu_seconds(work) < 1.2
    assert tops == [classify_trajectory(_turns(100, 9)).top] * 3


# -- review revperf43 M1: what makes the per-session facts exact, pinned ---------------------


def _session(*steps: dict[str, Any], tools: tuple[str, ...]) -> dict[str, Any]:
    return traj(*steps, tools=[{"name": n, "parameters": {"type": "object"}} for n in tools])


def test_a_later_turn_does_not_ask_for_the_reads_before_it() -> None:
    """Two reads of source files nobody asked for, then a turn that names files: the turn
    came after the reads, so it asked for neither (the first turn naming what a tool reads
    must come before the call)."""
    t = _session(
        user("What is the weather like in Lisbon today?"),
        call("read_file", "a", path="src/alpha_engine.py"),
        result("ok", "a"),
        call("read_file", "b", path="src/beta_router.py"),
        result("ok", "b"),
        user("thanks; also list the files you opened"),
        tools=("read_file",),
    )
    assert classify_trajectory(t).top == "intent_drift"


def test_a_turn_that_names_one_tools_object_asks_for_no_other_tools_reads() -> None:
    """ "Check my account balance" asks for get_balance, not for reading source files: which
    turn first names what a tool reads is found per tool."""
    t = _session(
        user("Check my account balance please."),
        call("get_balance", "g"),
        result("1200", "g"),
        call("read_file", "a", path="src/alpha_engine.py"),
        result("ok", "a"),
        call("read_file", "b", path="src/beta_router.py"),
        result("ok", "b"),
        tools=("get_balance", "read_file"),
    )
    assert classify_trajectory(t).top == "intent_drift"


def test_the_first_turn_naming_a_tools_object_answers_for_every_later_step() -> None:
    """Property of :meth:`SessionView.first_user_turn`: for every step and tool, the turn
    found once per session lies before the step exactly when the user's text before the
    step names what the tool reads (:func:`asks_to_read`)."""
    t = _session(
        user("Hello there."),
        call("get_weather", "w"),
        result("sunny", "w"),
        user("Now check my account balance."),
        call("get_balance", "g"),
        result("1200", "g"),
        user("And read the files in src, then the balance again."),
        call("read_file", "a", path="src/a.py"),
        result("ok", "a"),
        tools=("get_weather", "get_balance", "read_file", "list_orders"),
    )
    view = SessionView(t)
    for tool in ("get_weather", "get_balance", "read_file", "list_orders"):
        for step in range(len(view.steps) + 1):
            first = view.first_user_turn((asks_to_read, tool), partial(asks_to_read, tool))
            expected = asks_to_read(tool, view.user_text_before(step))
            assert (first is not None and first < step) == expected, (tool, step)


def test_output_words_asked_out_of_order_and_changed_by_the_caller() -> None:
    """The union of output words grows from the last step asked about; asked for an earlier
    step it starts again, and a caller changing the set it got changes nothing kept."""
    t = _session(
        user("Summarise the reports."),
        call("read_report", "1"),
        result("alpha quarterly revenue", "1"),
        call("read_report", "2"),
        result("beta churn figures", "2"),
        call("read_report", "3"),
        result("gamma hiring plan", "3"),
        tools=("read_report",),
    )
    view = SessionView(t)
    late = view.output_words_before(len(view.steps))
    assert {"alpha", "beta", "gamma"} <= late
    first_result = view.results[0][0]
    early = view.output_words_before(first_result + 1)
    assert "alpha" in early and not {"beta", "gamma"} & early
    early.add("planted")
    assert "planted" not in view.output_words_before(len(view.steps))
