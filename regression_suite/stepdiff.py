"""A readable, step-level difference between a recorded incident and a produced trajectory.

Steps are first aligned by their signature (type plus role, tool name or safeguard
and stage) with :class:`difflib.SequenceMatcher`, so one extra step does not make
every later step look different. Aligned pairs are compared field by field with
:mod:`deepdiff`; steps present on one side only are shown whole. Each line reads::

    step 5 tool_call send_email: recorded to=<EMAIL_2>, produced (absent)
    step 3 message assistant: recorded content='Sent.', produced content='I cannot do that.'

Volatile fields (call ids, timestamps, latencies) are ignored.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

#: Step fields that differ between any two runs and say nothing about behaviour.
IGNORED_STEP_FIELDS = (
    "call_id",
    "timestamp",
    "started_at",
    "ended_at",
    "duration_ms",
    "latency_ms",
    "id",
)
_EXCLUDE = [rf"^root\['{name}'\]$" for name in IGNORED_STEP_FIELDS]
_MAX_VALUE = 80
ABSENT = "(absent)"

Step = dict[str, Any]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _signature(step: Any) -> tuple[str, str]:
    if not isinstance(step, dict):
        return ("?", "")
    kind = str(step.get("type", "?"))
    if kind == "message":
        return (kind, str(step.get("role", "")))
    if kind in ("tool_call", "tool_result"):
        return (kind, str(step.get("name", "")))
    if kind == "safeguard":
        return (kind, f"{step.get('safeguard', '')}/{step.get('stage', '')}")
    return (kind, "")


def step_label(step: Any) -> str:
    """Return ``tool_call send_email`` / ``message assistant`` / ``safeguard egress pre_action``."""
    kind, detail = _signature(step)
    return f"{kind} {detail.replace('/', ' ')}".strip()


def _summary(step: Any) -> str:
    """The step's content in one short line (what a reader needs to recognise it)."""
    if not isinstance(step, dict):
        return _short(step)
    kind = step.get("type")
    if kind == "tool_call":
        args = step.get("arguments") or {}
        if isinstance(args, dict) and args:
            return ", ".join(f"{k}={_short(v)}" for k, v in args.items())
        return "no arguments"
    if kind == "tool_result":
        return f"output={_short(step.get('output', ''))}"
    if kind == "safeguard":
        return f"decision={step.get('decision')}"
    return f"content={_short(step.get('content', ''))}"


def _where(produced_index: int, recorded_index: int) -> str:
    if recorded_index == produced_index:
        return f"step {produced_index}"
    return f"step {produced_index} (recorded step {recorded_index})"


def _path(level: Any) -> str:
    parts = level.path(output_format="list")
    if len(parts) > 1 and parts[0] == "arguments":
        parts = parts[1:]  # "to=..." reads better than "arguments.to=..."
    return ".".join(str(p) for p in parts) or "value"


def _value(path: str, value: Any) -> str:
    from deepdiff.helper import NotPresent

    return ABSENT if isinstance(value, NotPresent) else f"{path}={_short(value)}"


def _equal(a: Any, b: Any, ignored: frozenset[str] = frozenset()) -> bool:
    """True when DeepDiff would find no difference: the same types and equal values all
    the way down, the top-level ``ignored`` keys aside (conservative: ``False`` sends a
    pair to DeepDiff, which decides)."""
    if type(a) is not type(b):
        return False  # DeepDiff reports 1 against 1.0 as a type change
    if isinstance(a, dict):
        keys = a.keys() - ignored
        return keys == b.keys() - ignored and all(_equal(a[k], b[k]) for k in keys)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


_IGNORED = frozenset(IGNORED_STEP_FIELDS)


def _pair(recorded: Step, produced: Step, p: int, r: int) -> list[str]:
    where = f"{_where(p, r)} {step_label(produced)}"
    if _signature(recorded) != _signature(produced):
        return [
            f"{_where(p, r)}: recorded {step_label(recorded)} {_summary(recorded)}, "
            f"produced {step_label(produced)} {_summary(produced)}"
        ]
    if _equal(recorded, produced, _IGNORED):
        return []  # most aligned pairs are equal: no DeepDiff (a few ms each) for them
    from deepdiff import DeepDiff  # imported on the first failure: it is slow to import

    tree = DeepDiff(recorded, produced, view="tree", exclude_regex_paths=_EXCLUDE)
    lines = []
    for levels in tree.values():
        for level in levels:
            path = _path(level)
            lines.append(
                f"{where}: recorded {_value(path, level.t1)}, produced {_value(path, level.t2)}"
            )
    return sorted(lines)


def render_diff(
    recorded: dict[str, Any] | None, produced: dict[str, Any] | None, *, max_lines: int = 40
) -> str | None:
    """Describe how ``produced`` differs from the ``recorded`` incident, step by step.

    Args:
        recorded: The scenario's recording (``None`` when the scenario has none).
        produced: The trajectory the target produced.
        max_lines: Lines shown before the rest is summarised as a count.

    Returns:
        Newline-separated lines, a one-line "matches" note when there is no
        difference, or ``None`` when there is no recording to compare with.
    """
    if not isinstance(recorded, dict) or not isinstance(produced, dict):
        return None
    rec = list(recorded.get("steps") or [])
    prod = list(produced.get("steps") or [])
    matcher = difflib.SequenceMatcher(
        None, [_signature(s) for s in rec], [_signature(s) for s in prod], autojunk=False
    )
    lines: list[str] = []
    for op, r1, r2, p1, p2 in matcher.get_opcodes():
        if op in ("equal", "replace"):
            paired = min(r2 - r1, p2 - p1)
            for k in range(paired):
                lines.extend(_pair(rec[r1 + k], prod[p1 + k], p1 + k, r1 + k))
            r_rest, p_rest = range(r1 + paired, r2), range(p1 + paired, p2)
        else:
            r_rest, p_rest = range(r1, r2), range(p1, p2)
        for r in r_rest:
            step = rec[r]
            lines.append(
                f"step {r} {step_label(step)}: recorded {_summary(step)}, produced {ABSENT}"
            )
        for p in p_rest:
            step = prod[p]
            lines.append(
                f"step {p} {step_label(step)}: recorded {ABSENT}, produced {_summary(step)}"
            )
    if not lines:
        return f"the produced trajectory matches the recording step for step ({len(rec)} steps)"
    if len(lines) > max_lines:
        rest = len(lines) - max_lines
        lines = [*lines[:max_lines], f"… {rest} more difference{'s' if rest != 1 else ''}"]
    return "\n".join(lines)
