"""Fold test items (one per scenario x variant x repeat) into cases with a pass rate.

A *case* is one scenario, or one variant of a scenario, over all of its repeats.
Its pass rate carries a Wilson interval, so three passes out of three and three
hundred out of three hundred are not reported as the same certainty.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from incident_lab.errors import SchemaError
from regression_suite.gate.stats import wilson_interval

OUTCOMES = ("passed", "failed", "error")


def chain_name(converters: Iterable[str]) -> str:
    """Name a converter chain in application order, e.g. ``base64+rot13``."""
    names = [str(c) for c in converters]
    return "+".join(names) if names else "(none)"


def _check_item(item: Any, index: int) -> None:
    if not isinstance(item, dict):
        raise SchemaError(f"item {index}: expected an object, got {type(item).__name__}")
    if not isinstance(item.get("scenario_id"), str) or not item["scenario_id"]:
        raise SchemaError(f"item {index} ({item.get('id')!r}): missing scenario_id")
    if item.get("outcome") not in OUTCOMES:
        raise SchemaError(
            f"item {index} ({item.get('id')!r}): outcome must be one of "
            f"{', '.join(OUTCOMES)}, got {item.get('outcome')!r}"
        )


def check_items(items: Iterable[Any]) -> None:
    """Raise :class:`SchemaError` for the first malformed item (before any is sorted)."""
    for index, item in enumerate(items):
        _check_item(item, index)


def item_order(item: dict[str, Any]) -> tuple[str, int]:
    """Sort key of report items: by case (id without ``#k``), then repeat number."""
    case_id, repeat = str(item.get("id") or item["scenario_id"]), int(item.get("repeat") or 1)
    suffix = f"#{repeat}"
    return (case_id[: -len(suffix)] if case_id.endswith(suffix) else case_id), repeat


def case_id(item: dict[str, Any]) -> str:
    """The case's display id: the item id without its ``#k`` repeat suffix.

    ``inc-3f2a9c1b`` for a scenario, ``inc-3f2a9c1b[base64+rot13]`` for a variant: the
    id JUnit, the terminal and report.html all show (the variant's file id stays in
    ``scenario_id``).
    """
    raw = str(item.get("id") or item["scenario_id"])
    suffix = f"#{item.get('repeat') or 1}"
    return raw[: -len(suffix)] if raw.endswith(suffix) else raw


def _new_case(item: dict[str, Any]) -> dict[str, Any]:
    variant = item.get("variant") or None
    is_variant = variant is not None or bool(item.get("parent_id"))
    converters = list((variant or {}).get("converters") or [])
    return {
        "id": case_id(item),
        "scenario_id": item["scenario_id"],
        "kind": "variant" if is_variant else "scenario",
        "parent_id": item.get("parent_id"),
        "variant": variant,
        "chain": chain_name(converters) if is_variant else None,
        "failure_mode": item.get("failure_mode") or "unknown",
        "severity": item.get("severity"),
        "tags": list(item.get("tags") or []),
        "items": [],
        "runs": 0,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "duration_s": 0.0,
        "messages": [],
    }


def _finish_case(case: dict[str, Any], confidence: float) -> dict[str, Any]:
    runs, passed = case["runs"], case["passed"]
    case["pass_rate"] = passed / runs if runs else None
    case["pass_rate_ci"] = list(wilson_interval(passed, runs, confidence)) if runs else None
    if case["failed"] and passed:
        case["status"] = "flaky"
    elif case["failed"]:
        case["status"] = "failed"
    elif case["errors"]:
        case["status"] = "error"
    else:
        case["status"] = "passed"
    case["duration_s"] = round(case["duration_s"], 6)
    case["action"] = "none"
    return case


def _add_item(case: dict[str, Any], item: dict[str, Any], index: int, errors_fail: bool) -> None:
    case["items"].append(item.get("id") or f"{item['scenario_id']}#{index}")
    case["duration_s"] += float(item.get("duration_s") or 0.0)
    outcome = item["outcome"]
    if outcome == "error" and errors_fail:
        outcome = "failed"
    if outcome == "error":
        case["errors"] += 1
    else:
        case["runs"] += 1
        case[outcome] += 1
    message = item.get("message")
    messages = case["messages"]
    if outcome != "passed" and message and len(messages) < 3 and message not in messages:
        messages.append(message)


def build_cases(
    items: Iterable[dict[str, Any]], *, confidence: float = 0.95, errors_fail: bool = False
) -> list[dict[str, Any]]:
    """Group items by scenario id and compute each case's pass rate and interval.

    Args:
        items: Item dicts produced by the runner (see ``regression_suite.gate``).
        confidence: Coverage of the Wilson interval.
        errors_fail: Count an errored repeat as a failed one (``on_error: fail``);
            by default errors are kept apart and never counted as passes.

    Returns:
        Cases in first-seen order. ``status`` is ``passed`` (every repeat passed),
        ``failed`` (none passed), ``flaky`` (some of each) or ``error`` (no repeat
        failed but at least one errored: not a pass).

    Raises:
        SchemaError: an item lacks a scenario id or has an unknown outcome.
    """
    cases: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        _check_item(item, index)
        case = cases.get(item["scenario_id"])
        if case is None:
            case = cases[item["scenario_id"]] = _new_case(item)
        _add_item(case, item, index, errors_fail)
    return [_finish_case(case, confidence) for case in cases.values()]


def stream_cases(
    items: Iterable[dict[str, Any]], *, confidence: float = 0.95, errors_fail: bool = False
) -> Iterator[dict[str, Any]]:
    """:func:`build_cases` for items grouped by scenario id (report order): one case
    in memory at a time.

    Raises:
        SchemaError: as :func:`build_cases`, and for a scenario id whose items are
            not together (the items must be in report order).
    """
    case: dict[str, Any] | None = None
    last: tuple[str, str] = ("", "")
    for index, item in enumerate(items):
        _check_item(item, index)
        if case is None or case["scenario_id"] != item["scenario_id"]:
            if case is not None:
                yield _finish_case(case, confidence)
            key = (item_order(item)[0], item["scenario_id"])
            if key <= last:
                raise SchemaError(
                    f"item {index} ({item.get('id')!r}): items of {item['scenario_id']} "
                    "are not together (expected report order)"
                )
            last = key
            case = _new_case(item)
        _add_item(case, item, index, errors_fail)
    if case is not None:
        yield _finish_case(case, confidence)


class Aggregate:
    """Pass rates of the literal scenarios grouped by a case field, as counters.

    ``add`` each case as it is folded; ``result`` gives :func:`aggregate`'s dict.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.groups: dict[str, dict[str, Any]] = {}

    def add(self, case: dict[str, Any]) -> None:
        """Count one case (variants are left out: see the bypass stats)."""
        if case["kind"] != "scenario":
            return
        name = str(case.get(self.key) or "unknown")
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = dict.fromkeys(
                ("cases", "failing_cases", "runs", "passed", "failed", "errors"), 0
            )
        g["cases"] += 1
        g["failing_cases"] += case["status"] in ("failed", "flaky")
        for field in ("runs", "passed", "failed", "errors"):
            g[field] += case[field]

    def result(self, confidence: float) -> dict[str, dict[str, Any]]:
        """``{group: {cases, failing_cases, runs, passed, failed, errors, pass_rate,
        pass_rate_ci}}``, groups sorted by name."""
        out = {}
        for name, counts in sorted(self.groups.items()):
            g = dict(counts)
            g["pass_rate"] = g["passed"] / g["runs"] if g["runs"] else None
            g["pass_rate_ci"] = (
                list(wilson_interval(g["passed"], g["runs"], confidence)) if g["runs"] else None
            )
            out[name] = g
        return out


def aggregate(
    cases: Iterable[dict[str, Any]], key: str, confidence: float
) -> dict[str, dict[str, Any]]:
    """Pass rates of the literal scenarios grouped by ``key`` (failure_mode or severity).

    Args:
        cases: Cases from :func:`build_cases`; variants are left out (see bypass stats).
        key: The case field to group by.
        confidence: Coverage of the Wilson interval.

    Returns:
        ``{group: {cases, failing_cases, runs, passed, failed, errors, pass_rate, pass_rate_ci}}``,
        groups sorted by name.
    """
    counter = Aggregate(key)
    for case in cases:
        counter.add(case)
    return counter.result(confidence)
