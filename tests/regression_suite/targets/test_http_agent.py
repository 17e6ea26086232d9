"""The http(s) target: POST the replay input, read back the trajectory, retry politely."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from incident_lab.errors import UsageError
from regression_suite.targets import TargetError, TargetUnreachable, resolve_target
from tests.regression_suite.targets.fake_openai import Reply, scripted_server

REPLAY = {
    "scenario_id": "inc-7",
    "turns": [{"role": "user", "content": "hi"}],
    "fixtures": [],
    "tools": [],
}
TRAJ = {
    "schema_version": "trajectory/v1",
    "session_id": "s-1",
    "agent": {"model": {"name": "agent-model"}, "policy": {"id": "p", "version": "3"}},
    "steps": [{"type": "message", "role": "assistant", "content": "hello"}],
}


def test_posts_the_replay_input_and_returns_the_trajectory() -> None:
    """The body is the replay input; headers name the scenario; the answer is the trajectory."""
    with scripted_server([Reply(TRAJ)]) as server:
        target = resolve_target(f"{server.url}/replay")
        traj = target.run(REPLAY, {})
        target.close()
    request = server.requests[0]
    assert request.path == "/replay" and request.body == REPLAY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-regression-suite-scenario"] == "inc-7"
    assert "authorization" not in request.headers
    assert traj == TRAJ
    assert target.io_bound is True
    assert target.describe()["model"] == {"name": "agent-model"}
    assert target.describe()["policy"]["version"] == "3"


def test_envelope_and_partial_trajectories_are_accepted() -> None:
    """{"trajectory": {...}} is unwrapped; a bare {"steps": [...]} gets schema_version and session_id."""
    with scripted_server([Reply({"trajectory": TRAJ}), Reply({"steps": []})]) as server:
        target = resolve_target(server.url)
        assert target.run(REPLAY, {}) == TRAJ
        partial = target.run(REPLAY, {})
    assert partial == {"steps": [], "schema_version": "trajectory/v1", "session_id": "inc-7-replay"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "returned list"),
        ({"answer": "hi"}, r"no 'steps' \(keys: answer\)"),
        ({"steps": "x"}, "'steps' of type str"),
    ],
)
def test_an_answer_that_is_not_a_trajectory_is_a_target_error(body: Any, message: str) -> None:
    """A target error names what is wrong with the answer."""
    with scripted_server([Reply(body)]) as server, pytest.raises(TargetError, match=message):
        resolve_target(server.url).run(REPLAY, {})


def test_a_body_that_is_not_json_is_a_target_error() -> None:
    """Non-JSON bodies are named with an excerpt."""
    with (
        scripted_server([Reply(raw=b"<html>oops</html>")]) as server,
        pytest.raises(TargetError, match=r"not JSON.*oops"),
    ):
        resolve_target(server.url).run(REPLAY, {})


def test_token_from_the_environment_is_sent_as_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    """REGRESSION_SUITE_HTTP_TOKEN becomes 'Authorization: Bearer <token>'."""
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_TOKEN", "t0ken")
    with scripted_server([Reply(TRAJ)]) as server:
        resolve_target(server.url).run(REPLAY, {})
    assert server.requests[0].headers["authorization"] == "Bearer t0ken"


def test_5xx_and_429_are_retried_with_retry_after() -> None:
    """Two failures then a success: three requests, the last answer wins."""
    script = [Reply({}, 500), Reply({}, 429, {"Retry-After": "0"}), Reply(TRAJ)]
    with scripted_server(script) as server:
        assert resolve_target(server.url).run(REPLAY, {}) == TRAJ
    assert len(server.requests) == 3


def test_retries_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """REGRESSION_SUITE_HTTP_RETRIES=1 means one attempt only."""
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_RETRIES", "1")
    with (
        scripted_server(lambda r: Reply({}, 503)) as server,
        pytest.raises(TargetUnreachable, match=r"HTTP 503.*1 attempt\)"),
    ):
        resolve_target(server.url).run(REPLAY, {})
    assert len(server.requests) == 1


def test_4xx_is_not_retried() -> None:
    """A 404 is a TargetError with status and body excerpt after a single request."""
    with (
        scripted_server([Reply({"detail": "no such route"}, 404)]) as server,
        pytest.raises(TargetError, match=r"HTTP 404.*no such route"),
    ):
        resolve_target(server.url).run(REPLAY, {})
    assert len(server.requests) == 1


def test_timeout_is_retried_then_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint slower than REGRESSION_SUITE_HTTP_TIMEOUT times out on every attempt."""
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_RETRIES", "2")
    with (
        scripted_server(lambda r: Reply(TRAJ, delay=0.6)) as server,
        pytest.raises(TargetUnreachable, match=r"timed out after 0.2 s \(after 2 attempts\)"),
    ):
        resolve_target(server.url).run(REPLAY, {})
    assert len(server.requests) == 2


def test_connection_refused_is_unreachable_in_async_too() -> None:
    """arun raises TargetUnreachable for a closed port, like run."""
    with scripted_server([]) as server:
        url = server.url
    target = resolve_target(url)
    with pytest.raises(TargetUnreachable, match="cannot connect"):
        asyncio.run(target.arun(REPLAY, {}))
    target.close()


def test_arun_returns_each_scenarios_own_answer() -> None:
    """Concurrent replays are not mixed up: each gets the answer for its scenario id."""

    def echo(request: Any) -> Reply:
        return Reply(
            {
                "steps": [
                    {"type": "message", "role": "assistant", "content": request.body["scenario_id"]}
                ]
            }
        )

    async def main(target: Any) -> list[dict[str, Any]]:
        return await asyncio.gather(
            *(target.arun({**REPLAY, "scenario_id": f"s{i}"}, {}) for i in range(8))
        )

    with scripted_server(echo) as server:
        target = resolve_target(server.url)
        trajs = asyncio.run(main(target))
        target.close()
    assert [t["steps"][0]["content"] for t in trajs] == [f"s{i}" for i in range(8)]
    assert sorted(r.headers["x-regression-suite-scenario"] for r in server.requests) == sorted(
        f"s{i}" for i in range(8)
    )


@pytest.mark.parametrize("value", ["abc", "-1", "0"])
def test_bad_timeout_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """A malformed REGRESSION_SUITE_HTTP_TIMEOUT is refused with its name."""
    monkeypatch.setenv("REGRESSION_SUITE_HTTP_TIMEOUT", value)
    with pytest.raises(UsageError, match="REGRESSION_SUITE_HTTP_TIMEOUT"):
        resolve_target("http://127.0.0.1:9/x")


def test_url_without_host_is_a_usage_error() -> None:
    """'http://' alone is not a target."""
    with pytest.raises(UsageError, match="not a valid http"):
        resolve_target("http:///replay")
