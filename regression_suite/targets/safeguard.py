"""The ``safeguard:package.module:function`` target: a guardrail, replayed on the recording.

No model runs. The scenario's recorded steps (``scenario["recording"]["steps"]``) are
walked in order and the user's guardrail judges each one::

    def guardrail(step: dict, context: dict) -> str | dict: ...

Stages: a user message is judged at ``input``, a tool call at ``pre_action``, a tool
result at ``post_action`` and an assistant message at ``output`` (system messages
are not judged; the recording's own safeguard steps are dropped, since they are the
old guardrail's). The decision is a string (``allow``, ``block``, ``flag``,
``redact``, ``escalate``) or a dict with ``decision`` and optionally ``score``,
``rule_id``, ``safeguard`` (a name) and ``stage``.

``context`` holds ``scenario_id``, ``stage``, ``index`` (position in the recording),
``history`` (the steps produced so far; do not mutate), ``system_prompt`` and ``tools``.

The produced trajectory is what would have happened with that guardrail:

- every decision becomes a ``safeguard`` step; at ``pre_action`` it sits just before
  the call it judges, at other stages just after the judged step (``target_step``);
- a ``block`` of a tool call, tool result or answer removes the judged step (it never
  ran, or never reached the agent or the user): the safeguard step keeps it under
  ``blocked_step`` and has ``target_step: null``. A blocked tool call's result is
  dropped too; a blocked answer is replaced by a refusal marked ``"synthetic": true``;
- a blocked user message stays (the user did send it) but the agent never sees it:
  the recorded steps up to the next user message are dropped and a synthetic refusal
  answers it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from regression_suite.targets.base import BaseTarget, TargetError, TargetKind
from regression_suite.targets.python_callable import import_callable

DECISIONS = ("allow", "block", "flag", "redact", "escalate")
STAGES = ("input", "pre_action", "post_action", "output")


def stage_of(step: dict[str, Any]) -> str | None:
    """Return the stage at which a guardrail judges ``step`` (None: not judged)."""
    kind = step.get("type")
    if kind == "tool_call":
        return "pre_action"
    if kind == "tool_result":
        return "post_action"
    if kind == "message":
        return {"user": "input", "assistant": "output"}.get(str(step.get("role")))
    return None


class SafeguardTarget(BaseTarget):
    """Replay a scenario's recorded steps through a guardrail function.

    Args:
        spec: ``safeguard:package.module:function``.
    """

    kind = "safeguard"
    runs_agent = False  # replays the recording: no agent takes the documents

    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.function: Callable[..., Any] = import_callable(spec, "safeguard")
        default = getattr(self.function, "name", None) or getattr(
            self.function, "__qualname__", spec
        )
        self.safeguard_name = str(default)

    def _judge(self, step: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        try:
            raw = self.function(copy.deepcopy(step), context)
        except Exception as exc:
            raise TargetError(
                f"target {self.name} raised {type(exc).__name__} judging recorded step "
                f"{context['index']} ({context['stage']}): {exc}"
            ) from exc
        where = f"recorded step {context['index']} ({context['stage']})"
        decision: dict[str, Any]
        if isinstance(raw, str):
            decision = {"decision": raw}
        elif isinstance(raw, dict):
            decision = dict(raw)
        else:
            raise TargetError(
                f"target {self.name} returned {type(raw).__name__} for {where}; "
                f"expected one of {', '.join(DECISIONS)} or a dict with 'decision'"
            )
        value = str(decision.get("decision", "")).strip().lower()
        if value not in DECISIONS:
            raise TargetError(
                f"target {self.name} returned decision {decision.get('decision')!r} for {where}; "
                f"expected one of {', '.join(DECISIONS)}"
            )
        stage = decision.get("stage") or context["stage"]
        if stage not in STAGES:
            raise TargetError(f"target {self.name} returned stage {stage!r} for {where}")
        score = decision.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise TargetError(
                f"target {self.name} returned a non-numeric score {score!r} for {where}"
            )
        rule_id = decision.get("rule_id")
        return {
            "type": "safeguard",
            "safeguard": str(decision.get("safeguard") or self.safeguard_name),
            "stage": stage,
            "decision": value,
            "score": score,
            "rule_id": None if rule_id is None else str(rule_id),
            "recorded_step": context["index"],
        }

    def _refusal(self, name: str, what: str) -> dict[str, Any]:
        return {
            "type": "message",
            "role": "assistant",
            "content": f"I can't help with that: the {what} was blocked by the safeguard {name}.",
            "synthetic": True,
        }

    def _apply(
        self,
        decision: dict[str, Any],
        step: dict[str, Any],
        stage: str,
        out: list[dict[str, Any]],
        dropped_calls: list[dict[str, Any]],
    ) -> bool:
        """Place the guardrail's decision and the judged step in ``out``: a blocked input
        is refused (and the turn skipped: returns True), a blocked call dropped (its result
        too, later), a blocked output replaced by a refusal; an allowed step kept, the
        decision before a call and after anything else."""
        if decision["decision"] == "block" and stage == "input":
            out.append(step)
            decision["target_step"] = len(out) - 1
            out.append(decision)
            out.append(self._refusal(decision["safeguard"], "request"))
            return True
        if decision["decision"] == "block":
            decision["target_step"] = None
            decision["blocked_step"] = step
            out.append(decision)
            if stage == "pre_action":
                dropped_calls.append(step)
            elif stage == "output":
                out.append(self._refusal(decision["safeguard"], "answer"))
        elif stage == "pre_action":
            decision["target_step"] = len(out) + 1
            out.extend([decision, step])
        else:
            out.append(step)
            decision["target_step"] = len(out) - 1
            out.append(decision)
        return False

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Walk the recording through the guardrail and return the resulting trajectory.

        Raises:
            TargetError: no recording, or the guardrail crashed or answered nonsense.
        """
        recording = scenario.get("recording") if isinstance(scenario, dict) else None
        if not isinstance(recording, dict) or not isinstance(recording.get("steps"), list):
            raise TargetError(
                f"scenario {replay.get('scenario_id')!r} has no recorded steps for the "
                "safeguard target to replay",
                hint="the safeguard target needs the scenario's 'recording'",
            )
        out: list[dict[str, Any]] = []
        dropped_calls: list[dict[str, Any]] = []
        skip_to_next_user = False
        for index, original in enumerate(recording["steps"]):
            if not isinstance(original, dict) or original.get("type") == "safeguard":
                continue
            step = copy.deepcopy(original)
            is_user = step.get("type") == "message" and step.get("role") == "user"
            if skip_to_next_user and not is_user:
                continue
            skip_to_next_user = False
            if step.get("type") == "tool_result" and _answers_dropped(step, dropped_calls):
                continue
            stage = stage_of(step)
            if stage is None:
                out.append(step)
                continue
            context = {
                "scenario_id": replay.get("scenario_id"),
                "stage": stage,
                "index": index,
                "history": list(out),
                "system_prompt": replay.get("system_prompt"),
                "tools": replay.get("tools") or [],
            }
            decision = self._judge(step, context)
            skip_to_next_user = self._apply(decision, step, stage, out, dropped_calls)
        produced = {
            k: copy.deepcopy(v)
            for k, v in recording.items()
            if k not in {"steps", "labels", "source"}
        }
        produced.update(
            schema_version="trajectory/v1",
            session_id=f"{recording.get('session_id') or replay.get('scenario_id')}-safeguard",
            steps=out,
            replayed_with=self.name,
        )
        return self.observe(produced)


def _answers_dropped(result: dict[str, Any], dropped: list[dict[str, Any]]) -> bool:
    """True when ``result`` answers a blocked call (by call id, else by tool name)."""
    call_id = result.get("call_id")
    for i, call in enumerate(dropped):
        if (call_id is not None and call.get("call_id") == call_id) or (
            call_id is None
            and call.get("call_id") is None
            and call.get("name") == result.get("name")
        ):
            del dropped[i]
            return True
    return False


KINDS = [
    TargetKind(
        "safeguard",
        "A guardrail function (step, context) -> decision, replayed over the recorded steps.",
        SafeguardTarget,
    )
]
