"""The root-cause section, structured by layer, filled only with what the data shows.

Layers (where a safeguard could have stopped the harm):

- ``pre_action``: input and pre-action safeguards that judged the harmful steps;
- ``mid_trajectory``: how the agent got there: where the payload came in (a tool
  output is indirect injection), the classifier's evidence, the steps between;
- ``post_action``: post-action and output safeguards on or after the harmful steps;
- ``escalation``: escalate/flag decisions and notifications in the timeline.

Each layer lists **facts** found in the data (with step numbers) and a
placeholder for the human analysis. The playbook's decision (policy change vs
system change) is always left to a human; the data only contributes signals.
"""

from __future__ import annotations

from typing import Any

LAYERS: tuple[tuple[str, str], ...] = (
    ("pre_action", "Pre-action"),
    ("mid_trajectory", "Mid-trajectory"),
    ("post_action", "Post-action"),
    ("escalation", "Escalation"),
)
#: Marks text a human must write; the reports render it visibly.
PLACEHOLDER = "TO BE FILLED BY A HUMAN"


def _unsafe(traj: dict[str, Any], classified: dict[str, Any] | None) -> list[int]:
    steps = (
        (traj.get("labels") or {}).get("unsafe_steps")
        or (classified or {}).get("unsafe_steps")
        or []
    )
    return sorted({int(i) for i in steps if isinstance(i, int)})


def _describe(steps: list[dict[str, Any]], i: int) -> str:
    step = steps[i] if 0 <= i < len(steps) else {}
    if step.get("type") == "tool_call":
        return f"step {i} ({step.get('name')} call)"
    return f"step {i} ({step.get('type')}{'/' + str(step.get('role')) if step.get('role') else ''})"


def _session_facts(traj: dict[str, Any], classified: dict[str, Any] | None) -> dict[str, list[str]]:
    unsafe = _unsafe(traj, classified)
    facts: dict[str, list[str]] = {k: [] for k, _ in LAYERS}
    _safeguard_facts(facts, traj, unsafe)
    facts["mid_trajectory"] += _harm_facts(traj, classified or {}, unsafe)
    return facts


def _safeguard_facts(facts: dict[str, list[str]], traj: dict[str, Any], unsafe: list[int]) -> None:
    """What each safeguard decided, filed under its layer (pre-action, post-action,
    escalation), and a fact for a layer where no safeguard judged the harm."""
    steps = traj.get("steps") or []
    first = unsafe[0] if unsafe else len(steps)
    sid = traj.get("session_id")
    for j, step in enumerate(steps):
        if step.get("type") != "safeguard":
            continue
        target = step.get("target_step")
        stage, decision = step.get("stage"), step.get("decision")
        text = _safeguard_text(sid, j, step, steps)
        if target in unsafe and stage in ("input", "pre_action"):
            facts["pre_action"].append(
                text + ": the harmful step was not stopped before it ran"
                if decision in ("allow", "flag")
                else text
            )
        elif stage in ("post_action", "output") and (target in unsafe or j > first):
            facts["post_action"].append(text)
        if decision in ("escalate", "flag"):
            facts["escalation"].append(text)
    if unsafe:
        _unguarded_layers(facts, sid, steps, unsafe)


def _safeguard_text(sid: Any, j: int, step: dict[str, Any], steps: list[Any]) -> str:
    """``<session> step <j>: <safeguard> (<stage>) decided <decision>[, score][ on <step>]``."""
    target = step.get("target_step")
    score = f", score {step.get('score')}" if step.get("score") is not None else ""
    on = f" on {_describe(steps, target)}" if isinstance(target, int) else ""
    return (
        f"{sid} step {j}: {step.get('safeguard')} ({step.get('stage')}) "
        f"decided {step.get('decision')}{score}{on}"
    )


def _unguarded_layers(
    facts: dict[str, list[str]], sid: Any, steps: list[Any], unsafe: list[int]
) -> None:
    """A fact for the pre-action and post-action layers when no safeguard there judged
    the harm."""
    if not any(
        s.get("type") == "safeguard"
        and s.get("target_step") in unsafe
        and s.get("stage") in ("input", "pre_action")
        for s in steps
    ):
        facts["pre_action"].append(
            f"{sid}: no input or pre-action safeguard judged the harmful step(s) {unsafe}"
        )
    if not facts["post_action"]:
        facts["post_action"].append(
            f"{sid}: no post-action or output safeguard judged the session after step {unsafe[0]}"
        )


def _harm_facts(traj: dict[str, Any], classified: dict[str, Any], unsafe: list[int]) -> list[str]:
    """The harmful steps, the top failure mode's evidence and, for an injection, the tool
    outputs that entered the context before the harm."""
    steps = traj.get("steps") or []
    first = unsafe[0] if unsafe else len(steps)
    sid = traj.get("session_id")
    facts = [f"{sid}: harmful {_describe(steps, i)}" for i in unsafe]
    for mode in classified.get("ranked") or []:
        if mode.get("failure_mode") != classified.get("top"):
            continue
        for ev in (mode.get("evidence") or [])[:5]:
            where = ",".join(map(str, ev.get("steps") or [])) or "-"
            facts.append(f"{sid} step {where}: {ev.get('signal')}: {ev.get('detail')}")
    tool_outputs = [i for i, s in enumerate(steps[:first]) if s.get("type") == "tool_result"]
    if tool_outputs and classified.get("top") == "prompt_injection":
        facts.append(
            f"{sid}: {len(tool_outputs)} tool output(s) entered the context before the harm (steps {tool_outputs}): "
            "untrusted content reached the planner"
        )
    return facts


def root_cause(
    trajs: list[dict[str, Any]], classified: list[dict[str, Any]], events: list[dict[str, Any]]
) -> dict[str, Any]:
    """Build the layered root-cause section for the incident sessions.

    Returns:
        ``{"layers": [{"key", "title", "facts", "analysis"}], "decision": {...}}``;
        ``analysis`` and ``decision.choice`` are :data:`PLACEHOLDER`.
    """
    by_id = {str(c.get("session_id")): c for c in classified}
    merged: dict[str, list[str]] = {k: [] for k, _ in LAYERS}
    for traj in trajs:
        for key, facts in _session_facts(traj, by_id.get(str(traj.get("session_id")))).items():
            merged[key].extend(facts)
    merged["escalation"] += _escalations(events)
    if not merged["escalation"]:
        merged["escalation"].append("no escalation or notification recorded in the timeline")
    signals = _decision_signals(merged, [str(t.get("session_id")) for t in trajs])
    return {
        "layers": [
            {"key": key, "title": title, "facts": merged[key], "analysis": PLACEHOLDER}
            for key, title in LAYERS
        ],
        "contributing_factors": PLACEHOLDER,
        "decision": {
            "question": "Policy change or system change?",
            "options": ["policy change", "system change", "both"],
            "signals": signals,
            "choice": PLACEHOLDER,
        },
    }


def _escalations(events: list[dict[str, Any]]) -> list[str]:
    """The timeline's notifications and tickets, one line each."""
    out = []
    for event in events:
        action = str(event.get("action") or "")
        if action in ("notify", "ticket") or event.get("phase") == "notify":
            out.append(
                f"{event.get('time')}: {action} {event.get('channel') or event.get('target') or ''} {event.get('result') or ''}".strip()
            )
    return out


def _decision_signals(merged: dict[str, list[str]], session_ids: list[str]) -> list[str]:
    """What the facts say about "policy change or system change?"."""
    signals = []
    if any("decided allow" in f and "score" in f for f in merged["pre_action"]):
        signals.append(
            "a safeguard saw the harmful step and allowed it below its threshold: a policy (threshold/rule) change may suffice"
        )
    if any(
        f.startswith(tuple(session_ids)) and "no " in f and "safeguard" in f
        for f in merged["pre_action"] + merged["post_action"]
    ):
        signals.append(
            "a layer had no safeguard on the harmful step: adding one is a system change"
        )
    return signals
