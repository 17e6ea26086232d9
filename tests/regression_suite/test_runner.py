"""Cases, shards, judging produced trajectories, and concurrent runs."""

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import UsageError
from regression_suite.runner import (
    Case,
    CaseRun,
    ReplayAhead,
    build_cases,
    judge,
    parse_shard,
    run_case,
    run_cases_async,
    select_shard,
)
from regression_suite.targets import TargetUnreachable
from regression_suite.testing import ScriptedTarget, TrajectoryBuilder
from tests.regression_suite._library import leak, scenario, variant


def refusal(replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
    return TrajectoryBuilder().user("Summarise my inbox").assistant("I cannot do that.").build()


def test_case_ids_are_readable_with_variant_chain_and_repeat() -> None:
    cases = build_cases(
        [scenario("inc-3f2a9c1b"), variant("inc-3f2a9c1b.v1", "inc-3f2a9c1b", ["base64", "rot13"])],
        repeats=2,
    )
    assert [c.id for c in cases] == [
        "inc-3f2a9c1b#1",
        "inc-3f2a9c1b#2",
        "inc-3f2a9c1b[base64+rot13]#1",
        "inc-3f2a9c1b[base64+rot13]#2",
    ]
    assert cases[2].parent_id == "inc-3f2a9c1b"
    assert cases[2].variant == {"converters": ["base64", "rot13"], "seed": 0}
    assert [c.id for c in build_cases([scenario("inc-x")])] == ["inc-x"]


def test_seeded_converters_and_colliding_chains_get_the_seed_in_the_id() -> None:
    """Two variants with one chain stay distinguishable; unknown converters count as seeded."""
    cases = build_cases(
        [
            variant("p.v1", "p", ["no_such_converter"], seed=3),
            variant("p.v2", "p", ["no_such_converter"], seed=4),
            variant("p.v3", "p", ["no_such_converter"], seed=4),
        ]
    )
    assert [c.id for c in cases] == [
        "p[no_such_converter@3]",
        "p[no_such_converter@4]",
        "p[no_such_converter@4]<p.v3>",
    ]


def test_repeats_below_one_are_refused() -> None:
    with pytest.raises(UsageError):
        build_cases([scenario("a")], repeats=0)


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_bad_shards_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)


def test_shards_partition_cases_and_keep_repeats_together() -> None:
    cases = build_cases([scenario(f"inc-{i}") for i in range(40)], repeats=3)
    shards = [select_shard(cases, i, 4) for i in range(1, 5)]
    assert sorted(c.id for s in shards for c in s) == sorted(c.id for c in cases)
    for shard in shards:
        groups = {c.group for c in shard}
        assert len(shard) == 3 * len(groups)
    assert all(len(s) > 0 for s in shards)
    assert [c.id for c in select_shard(cases, 2, 4)] == [c.id for c in shards[1]]


def test_a_refusal_passes_and_the_item_follows_the_report_contract() -> None:
    (case,) = build_cases([scenario("inc-a", severity="SEV-1")])
    item = run_case(ScriptedTarget(refusal), case).item
    assert item["outcome"] == "passed"
    assert set(item) == {
        "id", "scenario_id", "parent_id", "variant", "repeat", "failure_mode", "severity",
        "tags", "outcome", "results", "message", "diff", "duration_s", "target",
    }  # fmt: skip
    assert (item["severity"], item["tags"], item["target"]) == ("SEV-1", ["email"], "scripted")
    assert item["results"][0]["passed"] is True and item["diff"] is None


def test_a_repeated_incident_fails_with_the_step_and_the_diff_from_the_recording() -> None:
    produced = copy.deepcopy(leak())
    produced["steps"][4]["arguments"]["to"] = "x@evil.example"
    (case,) = build_cases([scenario("inc-a")])
    item = run_case(ScriptedTarget({"inc-a": produced}), case).item
    assert item["outcome"] == "failed"
    assert "step 4: forbidden tool call send_email" in item["message"]
    assert (
        "step 4 tool_call send_email: recorded to=<EMAIL_1>, produced to=x@evil.example"
        in item["diff"]
    )


def test_an_invalid_trajectory_is_an_error_naming_the_problem() -> None:
    bad = {"steps": [{"type": "message", "role": "wizard", "content": "?"}]}
    (case,) = build_cases([scenario("inc-a")])
    item = run_case(ScriptedTarget({"inc-a": bad}), case).item
    assert item["outcome"] == "error"
    assert item["message"].startswith("invalid trajectory: steps/0")


def test_a_target_crash_on_one_case_is_an_error_item_not_a_crash() -> None:
    def crash(replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    (case,) = build_cases([scenario("inc-a")])
    item = run_case(ScriptedTarget(crash), case).item
    assert item["outcome"] == "error" and "RuntimeError: boom" in item["message"]


def test_an_unknown_expectation_kind_is_an_error_item() -> None:
    (case,) = build_cases([scenario("inc-a", expectations=[{"kind": "telepathy"}])])
    item = judge(case, refusal({}, {}), target="t", duration_s=0.0).item
    assert item["outcome"] == "error" and "telepathy" in item["message"]


def test_unreachable_target_propagates() -> None:
    def down(replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        raise TargetUnreachable("connection refused")

    (case,) = build_cases([scenario("inc-a")])
    with pytest.raises(TargetUnreachable):
        run_case(ScriptedTarget(down), case)


class SlowTarget(ScriptedTarget):
    """An I/O-bound target that sleeps and counts how many calls overlap."""

    def __init__(self, delay: float) -> None:
        super().__init__(refusal, io_bound=True)
        self.delay, self.active, self.peak = delay, 0, 0

    async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(self.delay)
        self.active -= 1
        return self.run(replay, scenario)


def test_io_bound_cases_run_concurrently_up_to_the_limit() -> None:
    cases = build_cases([scenario(f"inc-{i}") for i in range(20)])
    target = SlowTarget(0.05)
    runs = asyncio.run(run_cases_async(target, cases, concurrency=5))
    assert sorted(runs) == sorted(c.id for c in cases)
    # Five calls were in flight at once (overlap proven by count, not by a wall-clock bound
    # that a loaded machine can miss).
    assert target.peak == 5


def test_concurrent_run_reads_its_cases_as_the_workers_reach_them() -> None:
    """An iterator of cases is consumed one case per free worker: never more cases
    taken than finished + ``concurrency`` (a million repeats are never listed)."""
    cases = build_cases([scenario(f"inc-{i}") for i in range(40)])
    target = SlowTarget(0.01)
    taken: list[int] = []
    done: list[str] = []

    def feed() -> Any:
        for case in cases:
            taken.append(len(done))  # cases finished when this one was taken
            yield case

    runs = asyncio.run(
        run_cases_async(
            target, feed(), concurrency=4, on_done=lambda case, run: done.append(case.id)
        )
    )
    assert sorted(runs) == sorted(done) == sorted(c.id for c in cases)
    assert target.peak == 4
    assert all(i - finished <= 4 for i, finished in enumerate(taken, start=1))
    assert taken[-1] >= len(cases) - 4  # the last cases were taken late, not up front


def test_concurrent_run_stops_starting_cases_after_the_target_is_unreachable() -> None:
    class Down(SlowTarget):
        async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
            self.calls.append(replay["scenario_id"])
            raise TargetUnreachable("refused")

    target = Down(0)
    with pytest.raises(TargetUnreachable):
        asyncio.run(
            run_cases_async(
                target, build_cases([scenario(f"i-{i}") for i in range(50)]), concurrency=2
            )
        )
    assert len(target.calls) <= 2
    with pytest.raises(UsageError):
        asyncio.run(run_cases_async(target, [], concurrency=0))


def test_replay_ahead_hands_each_result_over_as_it_arrives() -> None:
    """The items take their results while the later cases are still in flight (the
    pipeline refills as each case finishes: never fewer than ``concurrency`` in flight
    while cases remain), and a result is held only until its item takes it."""
    cases = build_cases([scenario(f"inc-{i}") for i in range(30)])
    target = SlowTarget(0.02)
    done: list[str] = []
    ahead = ReplayAhead(target, cases, concurrency=4, on_done=lambda c, r: done.append(c.id))
    held = []
    try:
        first = ahead.pop(cases[0].id)
        assert first is not None and first.item["outcome"] == "passed"
        assert len(done) < 10  # not after the last case
        for case in cases[1:]:
            run = ahead.pop(case.id)
            assert run is not None and run.item["id"] == case.id
            held.append(len(ahead._ready))
        assert ahead.pop("no-such-case") is None
    finally:
        ahead.close()
    assert target.peak == 4 and len(done) == 30
    assert max(held) <= 4  # only results that arrived before their item asked


def test_replay_ahead_in_any_order_and_stopped_early() -> None:
    cases = build_cases([scenario(f"inc-{i}") for i in range(12)])
    ahead = ReplayAhead(SlowTarget(0.01), cases, concurrency=3)
    try:
        popped = [ahead.pop(c.id) for c in reversed(cases[6:])]
        assert [run.item["id"] if run else None for run in popped] == [
            c.id for c in reversed(cases[6:])
        ]
    finally:
        ahead.close()

    class FirstFast(SlowTarget):
        async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
            self.delay = 0 if replay["scenario_id"] == "inc-0" else 30
            return await super().arun(replay, scenario)

    slow = FirstFast(0)
    stopped = ReplayAhead(slow, cases, concurrency=3)
    assert stopped.pop(cases[0].id) is not None
    start = time.monotonic()
    stopped.close()  # a session stopped early: the cases in flight are cancelled
    assert time.monotonic() - start < 10 and stopped._loop.is_closed()
    assert slow.peak == 3
    with pytest.raises(UsageError):
        ReplayAhead(slow, cases, concurrency=0)


def test_replay_ahead_stops_at_an_unreachable_target_keeping_earlier_results() -> None:
    class DownAfter(SlowTarget):
        async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
            if replay["scenario_id"] == "inc-5":
                raise TargetUnreachable("refused")
            return await super().arun(replay, scenario)

    cases = build_cases([scenario(f"inc-{i}") for i in range(40)])
    target = DownAfter(0.01)
    ahead = ReplayAhead(target, cases, concurrency=2)
    try:
        assert ahead.pop(cases[0].id) is not None
        with pytest.raises(TargetUnreachable):
            for case in cases[1:]:
                assert ahead.pop(case.id) is not None
    finally:
        ahead.close()
    assert len(target.calls) < 10  # no case was started after the failure


def test_replay_ahead_keeps_a_judging_bug_on_its_own_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """A case whose judging raises (an expectation plugin with a bug) errors alone, with
    one line naming the exception; the cases after it keep their own results."""
    import regression_suite.runner as runner

    real, judged = runner.evaluate_all, []

    def buggy(produced: Any, expectations: Any) -> Any:
        judged.append(1)
        if len(judged) == 4:
            raise KeyError("score")
        return real(produced, expectations)

    monkeypatch.setattr(runner, "evaluate_all", buggy)
    cases = build_cases([scenario(f"inc-{i}") for i in range(8)])
    ahead = ReplayAhead(SlowTarget(0.001), cases, concurrency=1)
    try:
        outcomes = [ahead.pop(case.id) for case in cases]
    finally:
        ahead.close()
    assert [run.item["outcome"] if run else None for run in outcomes] == (
        ["passed"] * 3 + ["error"] + ["passed"] * 4
    )
    message = outcomes[3].item["message"]  # type: ignore[union-attr]
    assert "KeyError" in message and "score" in message and "\n" not in message


def _failing_feed(cases: list[Any], at: int, exc: Exception) -> Any:
    """The cases, with the case iterator itself raising ``exc`` when it reaches ``at``."""
    for i, case in enumerate(cases):
        if i == at:
            raise exc
        yield case


def test_a_case_iterator_error_stops_the_replay_once_keeping_the_cases_in_flight() -> None:
    """The iterator reading the cases raising is the run's error, raised once after the
    cases already taken have finished (their results kept), with no worker left running;
    the cases never read are not turned into error runs."""
    cases = build_cases([scenario(f"inc-{i}") for i in range(8)])
    done: list[str] = []

    async def main() -> set[asyncio.Task[Any]]:
        with pytest.raises(KeyError, match="scenario_id"):
            await run_cases_async(
                SlowTarget(0.01),
                _failing_feed(cases, 3, KeyError("scenario_id")),
                concurrency=4,
                on_done=lambda case, run: done.append(run.item["outcome"]),
            )
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert asyncio.run(main()) == set()  # no orphan worker
    assert done == ["passed"] * 3

    from incident_lab.errors import InputError

    bad = InputError("lib/inc-3.yaml:4: expected a mapping")
    ahead = ReplayAhead(SlowTarget(0.01), _failing_feed(cases, 3, bad), concurrency=4)
    try:
        kept = [ahead.pop(case.id) for case in cases[:3]]
        assert [run.item["outcome"] for run in kept if run] == ["passed"] * 3
        with pytest.raises(InputError) as raised:
            ahead.pop(cases[3].id)
        assert raised.value is bad  # the one error, as it is: no per-case error runs
        assert not ahead._ready
    finally:
        ahead.close()


def test_an_on_done_error_errors_its_own_case_and_loses_no_other() -> None:
    cases = build_cases([scenario(f"inc-{i}") for i in range(8)])
    calls: list[str] = []

    def on_done(case: Case, run: CaseRun) -> None:
        calls.append(case.id)
        if len(calls) == 2:
            raise ValueError("report full")

    ahead = ReplayAhead(SlowTarget(0.005), cases, concurrency=4, on_done=on_done)
    try:
        runs = [ahead.pop(case.id) for case in cases]
    finally:
        ahead.close()
    outcomes = [run.item["outcome"] if run else None for run in runs]
    assert sorted(outcomes, key=str) == ["error"] + ["passed"] * 7
    failed = next(run for run in runs if run and run.item["outcome"] == "error")
    message = failed.item["message"]
    assert failed.item["id"] == calls[1] and "ValueError" in message and "report full" in message
    assert "\n" not in message
    assert len(set(calls)) == 8


def test_a_case_iterator_error_reaches_the_items_as_the_runs_one_line_error() -> None:
    """The replay ahead stopped by an :class:`IncidentLabError` from its case iterator:
    the item asking for the first case never read errors with that one line, the run
    stops (the fatal path: no verdict), and the later items say they were not run."""
    from types import SimpleNamespace

    from incident_lab.errors import InputError
    from regression_suite.plugin_items import CaseErrored, CaseItem
    from regression_suite.plugin_state import STATE_KEY

    cases = build_cases([scenario(f"inc-{i}") for i in range(8)])
    bad = InputError("lib/inc-3.yaml:4: expected a mapping")
    ahead = ReplayAhead(SlowTarget(0.005), _failing_feed(cases, 3, bad), concurrency=4)
    state = SimpleNamespace(fatal=None, runs=ahead)
    session = SimpleNamespace(shouldstop=False)
    config = SimpleNamespace(stash={STATE_KEY: state})

    def setup(case: Case) -> Any:
        item = SimpleNamespace(config=config, session=session, case=case, _taken=False)
        CaseItem.setup(item)  # type: ignore[arg-type]
        return item

    try:
        assert setup(cases[0]).gate_run.item["outcome"] == "passed"
        with pytest.raises(CaseErrored) as stopped:
            setup(cases[3])
        assert str(stopped.value) == bad.render() and "\n" not in str(stopped.value)
        assert state.fatal is bad and session.shouldstop == bad.render()
        with pytest.raises(CaseErrored, match=r"^not run: "):
            setup(cases[4])
    finally:
        ahead.close()


_NO_ASYNCIO = """
import sys
from regression_suite.cli.main import main

try:
    main(["run", "--suite", "release_gate", "--target", "example:patched",
          "--scenarios-dir", sys.argv[1], "--report-dir", sys.argv[2]])
finally:
    print("asyncio loaded:", "asyncio" in sys.modules)
"""


def test_a_gate_run_on_a_cpu_bound_target_does_not_load_asyncio(tmp_path: Path) -> None:
    """asyncio (~15 ms to import) is loaded only where cases run concurrently: a gate
    run on an in-process target goes without it (and its verdict is written)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", _NO_ASYNCIO, str(root / "scenarios"), str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "asyncio loaded: False" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "out" / "report.json").is_file(), done.stdout + done.stderr
