"""Dump AgentDojo's suites as raw ground-truth runs (runs inside AgentDojo's own venv).

    CACHE/venv-agentdojo/bin/python agentdojo_dump.py OUT.json

For every user task of the v1.2.2 suites, and a rotating choice of injection tasks and
attack templates (the package's own attack classes), it executes:

- the user task's ground-truth calls in the clean environment (benign session);
- the same calls in the environment with the attack placed in the injection vectors the task
  reads (``get_injection_candidates``): the session the agent saw;
- the injection task's ground-truth calls in that environment (what a hijacked agent did).

The output is plain JSON (messages, calls and their outputs); ``convert.py`` turns it into
trajectories. Only this script imports agentdojo.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from agentdojo.agent_pipeline.ground_truth_pipeline import GroundTruthPipeline
from agentdojo.agent_pipeline.tool_execution import tool_result_to_str
from agentdojo.attacks.baseline_attacks import (
    DirectAttack,
    IgnorePreviousAttack,
    InjecAgentAttack,
    SystemMessageAttack,
)
from agentdojo.attacks.important_instructions_attacks import ImportantInstructionsAttack
from agentdojo.functions_runtime import FunctionsRuntime
from agentdojo.task_suite.load_suites import get_suite
from agentdojo.types import get_text_content_as_str

VERSION = "v1.2.2"
SUITES = ("workspace", "banking", "travel", "slack")
ATTACKS = (
    ImportantInstructionsAttack,
    IgnorePreviousAttack,
    InjecAgentAttack,
    SystemMessageAttack,
    DirectAttack,
)
INJECTIONS_PER_USER_TASK = 2


class _Pipeline:
    name = "gpt-4o-2024-05-13"


def _messages(msgs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in msgs:
        if m["role"] == "assistant":
            calls = [
                {"function": c.function, "args": json.loads(json.dumps(dict(c.args), default=str))}
                for c in (m.get("tool_calls") or [])
            ]
            text = get_text_content_as_str(m["content"]) if m.get("content") else ""
            out.append({"role": "assistant", "content": text, "tool_calls": calls})
        elif m["role"] == "tool":
            out.append(
                {
                    "role": "tool",
                    "function": m["tool_call"].function,
                    "content": get_text_content_as_str(m["content"]),
                    "error": m.get("error"),
                }
            )
    return out


def _run(task: Any, suite: Any, injections: dict[str, str]) -> list[dict[str, Any]]:
    runtime = FunctionsRuntime(suite.tools)
    env = suite.load_and_inject_default_environment(injections)
    _, _, _, msgs, _ = GroundTruthPipeline(task).query(task.PROMPT, runtime, env)
    return _messages(msgs)


def _injection_calls(inj_task: Any, suite: Any, injections: dict[str, str]) -> list[dict[str, Any]]:
    runtime = FunctionsRuntime(suite.tools)
    env = suite.load_and_inject_default_environment(injections)
    calls = []
    for call in inj_task.ground_truth(env.model_copy(deep=True)):
        result, error = runtime.run_function(env, call.function, call.args)
        calls.append(
            {
                "function": call.function,
                "args": json.loads(json.dumps(dict(call.args), default=str)),
                "output": tool_result_to_str(result),
                "error": error,
            }
        )
    return calls


def _tools(suite: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "description": f.description,
            "parameters": f.parameters.model_json_schema(),
        }
        for f in suite.tools
    ]


def main(out_path: str) -> int:
    records: list[dict[str, Any]] = []
    tools: dict[str, Any] = {}
    for suite_name in SUITES:
        suite = get_suite(VERSION, suite_name)
        tools[suite_name] = _tools(suite)
        default_env = suite.load_and_inject_default_environment({})
        # Injection tasks with no ground-truth calls and no ground-truth answer (some v1.2
        # workspace tasks) cannot be rebuilt as a hijacked trajectory: left out.
        inj_tasks = [
            t
            for _, t in sorted(
                suite.injection_tasks.items(), key=lambda kv: int(kv[0].split("_")[-1])
            )
            if t.ground_truth(default_env.model_copy(deep=True)) or t.GROUND_TRUTH_OUTPUT
        ]
        attacks = [cls(suite, _Pipeline()) for cls in ATTACKS]
        for k, (ut_id, user_task) in enumerate(sorted(suite.user_tasks.items())):
            try:
                candidates = attacks[0].get_injection_candidates(user_task)
            except ValueError:
                candidates = []
            clean = _run(user_task, suite, {})
            record: dict[str, Any] = {
                "suite": suite_name,
                "user_task": ut_id,
                "prompt": user_task.PROMPT,
                "clean": clean,
                "attacks": [],
            }
            for j in range(INJECTIONS_PER_USER_TASK if candidates else 0):
                inj_task = inj_tasks[(k * INJECTIONS_PER_USER_TASK + j) % len(inj_tasks)]
                attack = attacks[(k + j) % len(attacks)]
                injections = attack.attack(user_task, inj_task)
                record["attacks"].append(
                    {
                        "injection_task": inj_task.ID,
                        "goal": inj_task.GOAL,
                        "attack": attack.name,
                        "vectors": sorted(injections),
                        "injection_text": next(iter(injections.values())),
                        "run": _run(user_task, suite, injections),
                        "injection_calls": _injection_calls(inj_task, suite, injections),
                        "injection_output": inj_task.GROUND_TRUTH_OUTPUT,
                    }
                )
            records.append(record)
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"version": VERSION, "tools": tools, "records": records}, fh)
    n = sum(len(r["attacks"]) for r in records)
    print(f"agentdojo_dump: {len(records)} user tasks, {n} attacked runs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
