"""Classify time is linear in the user's turns (session 43, review revdt42b): a session of
many user turns, one file read after each, was classified in time quadratic in the turns
(every read joined and searched all the user's turns before it, and cut all of them into
words again): 100 turns took 0.27 CPU s, 400 turns 2.85 s, 800 turns 12.2 s at 80beeaa.

Texts are our own, written for this test (no corpus text)."""

from __future__ import annotations

from typing import Any

from incident_lab.classify import classify_trajectory
from incident_lab.classify.session import clear_memo
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


def test_four_hundred_user_turns_are_classified_in_linear_time() -> None:
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
