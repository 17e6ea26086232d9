"""NaN and Infinity have no JSON form, so nothing hashed or signed may carry one.

``json.loads`` reads ``NaN``, ``Infinity`` and ``1e400`` as floats; ``json.dumps``
would write them back as ``NaN``/``Infinity`` (not JSON) and orjson as ``null``: two
writers, two digests of one value. ``canonical_json`` refuses them, naming where; each
caller turns that into its own documented outcome (a reject row, a usage error, a
damaged timeline line).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import UsageError
from incident_lab.evidence import append_event, take_snapshot
from incident_lab.evidence.timeline import check_timeline, seal_event
from incident_lab.evidence.validation import fast_is_valid, trajectory_problems
from incident_lab.trajectory import (
    canonical_json,
    non_finite_number,
    trajectory_sha256,
    validate_trajectory,
)

from .conftest import make_session, read_jsonl, write_jsonl

NOT_JSON = "is not JSON (NaN and Infinity have no canonical form)"


def _strict_loads(text: str) -> Any:
    """json.loads that refuses NaN/Infinity, as any other JSON parser would."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (float("nan"), "(root): nan"),
        ({"a": [1, {"b": float("-inf")}]}, "a/1/b: -inf"),
        ([0.5, {"k": float("inf")}], "1/k: inf"),
        ({"steps": [{"score": json.loads("1e400")}]}, "steps/0/score: inf"),
        ((1, float("nan")), "1: nan"),
    ],
)
def test_canonical_json_refuses_nan_and_infinity_saying_where(value: Any, where: str) -> None:
    with pytest.raises(ValueError) as err:
        canonical_json(value)
    assert str(err.value) == f"{where} {NOT_JSON}"
    assert non_finite_number(value) == where


def test_finite_values_keep_their_exact_canonical_form() -> None:
    value = {"b": [1e-05, -0.0, 1e300, 5e-324, 2**70], "a": "é\n", "c": None, "d": True}
    assert canonical_json(value) == (
        '{"a":"é\\n","b":[1e-05,-0.0,1e+300,5e-324,1180591620717411303424],"c":null,"d":true}'
    )
    assert non_finite_number(value) is None


def test_other_serialisation_errors_are_not_reworded() -> None:
    loop: list[Any] = [float("nan")]
    loop.append(loop)  # a circular list that also holds a NaN: the walk must end
    with pytest.raises(ValueError) as err:
        canonical_json(loop)
    assert str(err.value) in {"Circular reference detected", f"0: nan {NOT_JSON}"}
    circular: dict[str, Any] = {}
    circular["self"] = circular
    with pytest.raises(ValueError, match=r"^Circular reference detected$"):
        canonical_json(circular)
    assert non_finite_number(circular) is None
    with pytest.raises(TypeError):
        canonical_json({"s": {1, 2}})


def test_trajectory_digest_refuses_a_nan() -> None:
    traj = make_session(1)
    assert len(trajectory_sha256(traj)) == 64
    traj["steps"][4]["score"] = float("nan")
    with pytest.raises(ValueError, match=re.escape(f"steps/4/score: nan {NOT_JSON}")):
        trajectory_sha256(traj)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("steps", 4, "score"), float("nan"), "steps/4/score: nan"),
        (("steps", 2, "arguments", "limit"), float("inf"), "steps/2/arguments/limit: inf"),
        (("x_vendor_field", "kept"), float("-inf"), "x_vendor_field/kept: -inf"),
    ],
)
def test_a_session_holding_nan_is_invalid_on_both_validation_paths(
    path: tuple[Any, ...], value: float, where: str
) -> None:
    traj = make_session(3)
    assert fast_is_valid(traj) and validate_trajectory(traj) == []
    node: Any = traj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not fast_is_valid(traj)
    assert validate_trajectory(traj) == [f"{where} {NOT_JSON}"]
    assert trajectory_problems(traj) == [f"{where} {NOT_JSON}"]


def test_schema_errors_come_first_and_alone() -> None:
    traj = make_session(3)
    traj["steps"][4]["score"] = float("nan")
    traj["steps"][0]["role"] = "robot"
    problems = validate_trajectory(traj)
    assert len(problems) == 1 and problems[0].startswith("steps/0/role: 'robot' is not one of")


def test_snapshot_rejects_sessions_holding_nan_or_infinity(tmp_path: Path) -> None:
    good = json.dumps(make_session(0)).encode()
    nan = json.dumps(make_session(1)).replace('"score": 0.5', '"score": NaN').encode()
    big = json.dumps(make_session(2)).replace('"d2"', "1e400").encode()
    assert b"NaN" in nan and b"1e400" in big
    log = write_jsonl(tmp_path / "log.jsonl", [good, nan, big])
    result = take_snapshot([log], out=tmp_path / "b")
    assert result.exit_code == 5
    assert result.summary["counts"] == {
        "read": 3,
        "accepted": 1,
        "rejected": 2,
        "filtered_out": 0,
    }
    rejects = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert {(r["format"], r["source"], r["entry"]) for r in rejects} == {("native", str(log), None)}
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (2, f"schema: steps/4/score: nan {NOT_JSON}"),
        (3, f"schema: steps/2/arguments/doc_id: inf {NOT_JSON}"),
    ]
    # Every file of the bundle is JSON any parser reads.
    for name in ("trajectories.jsonl", "rejects.jsonl", "timeline.jsonl"):
        for line in (tmp_path / "b" / name).read_text("utf-8").splitlines():
            _strict_loads(line)
    for name in ("manifest.json", "metrics.json"):
        _strict_loads((tmp_path / "b" / name).read_text("utf-8"))
    kept = read_jsonl(tmp_path / "b" / "trajectories.jsonl")
    assert [t["session_id"] for t in kept] == ["sess-0000"]


def test_snapshot_cli_exit_code_and_verify(
    tmp_path: Path, invoke: Callable[..., tuple[int, str, str]]
) -> None:
    nan = json.dumps(make_session(1)).replace('"score": 0.5', '"score": -Infinity').encode()
    log = write_jsonl(tmp_path / "log.jsonl", [json.dumps(make_session(0)).encode(), nan])
    code, _, err = invoke("snapshot", log, "--out", tmp_path / "b")
    assert code == 5
    assert "2 input record(s)" not in err and "1 input record(s) were rejected" in err
    assert invoke("verify", tmp_path / "b")[0] == 0


def test_seal_event_refuses_nan_with_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        seal_event({"action": "contain", "details": {"ratio": float("nan")}}, 2, "0" * 64)
    assert err.value.message == (
        f"timeline event is not JSON-serialisable: details/ratio: nan {NOT_JSON}"
    )
    assert err.value.exit_code == 3


def test_append_event_with_infinity_leaves_the_timeline_untouched(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    bundle = take_snapshot([log], out=tmp_path / "b").bundle
    before = (bundle / "timeline.jsonl").read_bytes()
    manifest = (bundle / "manifest.json").read_bytes()
    with pytest.raises(UsageError, match=re.escape(f"result/score: inf {NOT_JSON}")):
        append_event(bundle, {"action": "notify", "result": {"score": math.inf}})
    assert (bundle / "timeline.jsonl").read_bytes() == before
    assert (bundle / "manifest.json").read_bytes() == manifest


def test_a_timeline_line_holding_nan_is_damage(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "log.jsonl", [make_session(0)])
    bundle = take_snapshot([log], out=tmp_path / "b").bundle
    data = (bundle / "timeline.jsonl").read_bytes()
    event = json.loads(data)
    genesis = event["sha256"]
    assert check_timeline(data, genesis)[1] == []
    event["details"] = "NAN_HERE"
    damaged = json.dumps(event).replace('"NAN_HERE"', "NaN").encode() + b"\n"
    events, problems = check_timeline(damaged, genesis)
    assert events == []
    assert problems[0] == "changed: timeline.jsonl:1: not a valid JSON event"


def test_a_reader_describes_a_nan_and_rejects_the_session_holding_one(tmp_path: Path) -> None:
    """Readers render values into messages with compact_json (never fails); a session that
    would carry a NaN is rejected with its schema reason, never by the mapping safety net."""
    calls = '[{"id": "c", "type": "function", "function": {"name": "f", "arguments": '
    log = tmp_path / "chat.jsonl"
    log.write_text(
        '{"messages": [{"role": NaN, "content": "hi"}]}\n'
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x",'
        f' "tool_calls": {calls}"{{\\"a\\": NaN}}"}}}}]}}]}}\n'
        '{"messages": [{"role": "user", "content": "hi"}]}\n',
        "utf-8",
    )
    result = take_snapshot([log], fmt="openai_chat", out=tmp_path / "b")
    assert result.summary["counts"] == {
        "read": 3,
        "accepted": 1,
        "rejected": 2,
        "filtered_out": 0,
    }
    rejects = read_jsonl(tmp_path / "b" / "rejects.jsonl")
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (1, "messages[0].role is NaN, expected system/developer/user/assistant/tool"),
        (2, f"schema: steps/2/arguments/a: nan {NOT_JSON}"),
    ]
    assert rejects[0]["excerpt"] == '{"messages":[{"content":"hi","role":NaN}]}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e300 * 1e10])
def test_exact_floats_are_finite_so_the_fast_check_may_skip_its_walk(bad: float) -> None:
    """``snapshot`` tells the fast check "finite" when ``floats_exact`` said True: that
    must never hold for a NaN or an Infinity, and without the hint the walk finds them."""
    from incident_lab.evidence.fastjson import floats_exact

    traj = json.loads(json.dumps(make_session(0)))
    assert fast_is_valid(traj) and fast_is_valid(traj, finite=True) and floats_exact(traj)
    traj["steps"][4]["score"] = bad
    assert floats_exact(traj) is False
    assert fast_is_valid(traj) is False
    assert fast_is_valid(traj, finite=True) is True  # the hint is trusted: hence the rule above
