"""The gate's thresholds: which failures BLOCK, which WARN, and how flakiness is tolerated.

A suite's ``thresholds`` mapping is parsed here, once, into a :class:`Thresholds`.
Every requirement states its metric and its direction explicitly; nothing is
inferred from the sign or size of a number, and an ambiguous config is refused
with a :class:`~incident_lab.errors.ConfigError` (exit 3) naming the key::

    thresholds:
      confidence: 0.95                # Wilson interval coverage
      significance: 0.05              # level of the baseline regression test
      on_error: error                 # or "fail": a target error counts as a failure
      severities:
        SEV-1: {on_failure: block}    # any failing repeat blocks (the default)
        SEV-3: {on_failure: warn}
        SEV-4:
          on_failure: warn
          require: {metric: pass_rate, direction: at_least, value: 0.9}
      variants:                       # rewrites of the attack (default: like the parent)
        SEV-2:
          on_failure: block
          require: {metric: bypass_rate, direction: at_most, value: 0.1}

``min_pass_rate: X`` (direction in the name) is accepted as shorthand for
``require: {metric: pass_rate, direction: at_least, value: X}``; ``1.0`` is the
default any-failure rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from incident_lab.errors import ConfigError

SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
ACTIONS = ("block", "warn", "ignore")
DEFAULT_ACTIONS = {"SEV-1": "block", "SEV-2": "block", "SEV-3": "warn", "SEV-4": "warn"}
STATISTICS = ("point", "pessimistic", "optimistic")
ON_ERROR = ("error", "fail")

# metric -> (the only direction that makes sense for a gate, where it applies)
_METRICS = {
    "pass_rate": ("at_least", "scenarios"),
    "fail_rate": ("at_most", "scenarios"),
    "bypass_rate": ("at_most", "variants"),
}
_TOP_KEYS = {"severities", "variants", "confidence", "significance", "on_error"}


@dataclass(frozen=True, slots=True)
class Requirement:
    """A rate that must hold, e.g. pass rate at least 0.95.

    Attributes:
        metric: ``pass_rate`` or ``fail_rate`` (per scenario), ``bypass_rate`` (variants).
        direction: ``at_least`` or ``at_most``, always written out in the config.
        value: The bound, a fraction in [0, 1].
        statistic: What is compared with ``value``: the observed rate (``point``,
            default), or the end of its Wilson interval least favourable to the
            release (``pessimistic``: demands evidence, i.e. enough repeats) or
            most favourable (``optimistic``: triggers only on a significant
            shortfall).
    """

    metric: str
    direction: str
    value: float
    statistic: str = "point"

    def describe(self) -> str:
        """Render as ``pass_rate at_least 0.95 (point)``."""
        return f"{self.metric} {self.direction} {self.value:g} ({self.statistic})"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "metric": self.metric,
            "direction": self.direction,
            "value": self.value,
            "statistic": self.statistic,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """What happens when a scenario (or a scenario's variants) fails.

    Attributes:
        action: ``block``, ``warn`` or ``ignore`` (reported, no effect on the verdict).
        require: ``None`` means any failing repeat triggers ``action``; otherwise
            ``action`` triggers only when the requirement is not met.
    """

    action: str
    require: Requirement | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "on_failure": self.action,
            "require": self.require.to_dict() if self.require else None,
        }


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Parsed thresholds of one suite.

    Attributes:
        scenarios: Rule per severity for the literal scenarios.
        variants: Rule per severity for generated variants (grouped by parent).
        confidence: Wilson interval coverage.
        significance: Level of the one-sided Fisher test against a baseline.
        on_error: ``error`` (a target error makes the run exit 4 unless it BLOCKs)
            or ``fail`` (an errored repeat counts as a failed one).
    """

    scenarios: dict[str, Rule] = field(
        default_factory=lambda: {s: Rule(a) for s, a in DEFAULT_ACTIONS.items()}
    )
    variants: dict[str, Rule] = field(
        default_factory=lambda: {s: Rule(a) for s, a in DEFAULT_ACTIONS.items()}
    )
    confidence: float = 0.95
    significance: float = 0.05
    on_error: str = "error"

    def rule_for(self, severity: str | None, *, variant: bool) -> Rule:
        """Return the rule for ``severity``; an unknown severity gets SEV-1's rule."""
        table = self.variants if variant else self.scenarios
        return table.get(severity or "", table["SEV-1"])

    def to_dict(self) -> dict[str, Any]:
        """Return the complete config, as recorded in the report (valid input itself)."""
        return {
            "severities": {s: r.to_dict() for s, r in self.scenarios.items()},
            "variants": {s: r.to_dict() for s, r in self.variants.items()},
            "confidence": self.confidence,
            "significance": self.significance,
            "on_error": self.on_error,
        }


def _fail(where: str, problem: str, hint: str | None, source: str | None) -> ConfigError:
    return ConfigError(f"thresholds.{where}: {problem}", hint=hint, path=source)


def _fraction(raw: Any, where: str, source: str | None, *, open_interval: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _fail(where, f"expected a number between 0 and 1, got {raw!r}", None, source)
    value = float(raw)
    bad = not (0.0 < value < 1.0) if open_interval else not (0.0 <= value <= 1.0)
    if bad:
        hint = f"write a fraction, e.g. {value / 100:g} for {value:g}%" if value > 1 else None
        span = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise _fail(where, f"must be {span}, got {raw!r}", hint, source)
    return value


def _requirement(raw: Any, where: str, *, variant: bool, source: str | None) -> Requirement:
    if not isinstance(raw, dict):
        raise _fail(
            where,
            f"expected a mapping {{metric, direction, value}}, got {raw!r}",
            "state the metric and direction, e.g. {metric: pass_rate, direction: at_least, value: 0.95}",
            source,
        )
    unknown = sorted(set(raw) - {"metric", "direction", "value", "statistic"})
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}", None, source)
    missing = [k for k in ("metric", "direction", "value") if k not in raw]
    if missing:
        raise _fail(
            where,
            f"missing {', '.join(missing)}: a requirement must state metric, direction and value",
            "directions are never inferred from the number, e.g. direction: at_least",
            source,
        )
    metric, direction = raw["metric"], raw["direction"]
    if metric not in _METRICS:
        raise _fail(where, f"unknown metric {metric!r}", f"one of {', '.join(_METRICS)}", source)
    expected_direction, applies_to = _METRICS[metric]
    if direction not in ("at_least", "at_most"):
        raise _fail(
            where, f"direction must be at_least or at_most, got {direction!r}", None, source
        )
    if direction != expected_direction:
        raise _fail(
            where,
            f"{metric} {direction} would gate in the wrong direction",
            f"use {metric} {expected_direction}",
            source,
        )
    if (applies_to == "variants") != variant:
        raise _fail(
            where,
            f"metric {metric} applies to {applies_to}, not here",
            "scenarios take pass_rate/fail_rate; variants take bypass_rate",
            source,
        )
    statistic = raw.get("statistic", "point")
    if statistic not in STATISTICS:
        raise _fail(
            where,
            f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}",
            None,
            source,
        )
    value = _fraction(raw["value"], f"{where}.value", source)
    return Requirement(metric, direction, value, statistic)


def _action(raw: Any, where: str, source: str | None) -> str:
    if raw not in ACTIONS:
        hint = None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            hint = "a bare number is ambiguous: write require: {metric, direction, value}"
        raise _fail(where, f"must be one of {', '.join(ACTIONS)}, got {raw!r}", hint, source)
    return str(raw)


def _rule(raw: Any, where: str, *, variant: bool, source: str | None) -> Rule:
    if isinstance(raw, str):
        return Rule(_action(raw, where, source))
    if isinstance(raw, bool | int | float):
        raise _fail(
            where,
            f"a bare number ({raw!r}) is ambiguous",
            "write {on_failure: warn, require: {metric: pass_rate, direction: at_least, value: 0.95}}",
            source,
        )
    if not isinstance(raw, dict):
        raise _fail(where, f"expected an action or a mapping, got {raw!r}", None, source)
    unknown = sorted(set(raw) - {"on_failure", "require", "min_pass_rate"})
    if unknown:
        hint = "keys are on_failure, require"
        if any(str(k).startswith(("min_", "max_")) for k in unknown):
            hint = "write require: {metric: ..., direction: at_least|at_most, value: ...}"
        raise _fail(where, f"unknown key(s) {', '.join(map(str, unknown))}", hint, source)
    if "on_failure" not in raw:
        raise _fail(where, "missing on_failure (block, warn or ignore)", None, source)
    action = _action(raw["on_failure"], f"{where}.on_failure", source)
    require = raw.get("require")
    if "min_pass_rate" in raw:
        if variant:
            raise _fail(
                f"{where}.min_pass_rate",
                "variants are gated on bypass_rate",
                "write require: {metric: bypass_rate, direction: at_most, value: ...}",
                source,
            )
        minimum = _fraction(raw["min_pass_rate"], f"{where}.min_pass_rate", source)
        if require is not None and minimum < 1.0:
            raise _fail(where, "both min_pass_rate and require given: keep one", None, source)
        if require is None and minimum < 1.0:
            return Rule(action, Requirement("pass_rate", "at_least", minimum))
    if require is None:
        return Rule(action)
    return Rule(action, _requirement(require, f"{where}.require", variant=variant, source=source))


def _severity_table(
    raw: Any, where: str, base: dict[str, Rule], *, variant: bool, source: str | None
) -> dict[str, Rule]:
    table = dict(base)
    if raw is None:
        return table
    if not isinstance(raw, dict):
        raise _fail(where, f"expected a mapping of severity to rule, got {raw!r}", None, source)
    extra = sorted(set(map(str, raw)) - set(SEVERITIES))
    if extra:
        raise _fail(where, f"unknown severity {', '.join(extra)}", "keys are SEV-1..SEV-4", source)
    for sev, rule in raw.items():
        table[sev] = _rule(rule, f"{where}.{sev}", variant=variant, source=source)
    return table


def parse_thresholds(raw: Any, *, source: str | None = None) -> Thresholds:
    """Parse and validate a suite's ``thresholds`` mapping.

    Args:
        raw: The mapping from the suite file, or ``None`` for the defaults (any
            SEV-1/SEV-2 failure BLOCKs, SEV-3/SEV-4 failures WARN, variants like
            their parent scenario).
        source: The suite file, named in errors.

    Returns:
        The parsed thresholds.

    Raises:
        ConfigError: unknown keys, unknown actions or metrics, a missing or
            wrong direction, a bare number, a value outside [0, 1], or both
            ``min_pass_rate`` (below 1.0) and ``require`` on one rule.
    """
    if raw is None:
        return Thresholds()
    if isinstance(raw, Thresholds):
        return raw
    if not isinstance(raw, dict):
        raise ConfigError(f"thresholds: expected a mapping, got {raw!r}", path=source)
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"thresholds: unknown key(s) {', '.join(map(str, unknown))}",
            hint=f"keys are {', '.join(sorted(_TOP_KEYS))}",
            path=source,
        )
    defaults = {s: Rule(a) for s, a in DEFAULT_ACTIONS.items()}
    scenarios = _severity_table(
        raw.get("severities"), "severities", defaults, variant=False, source=source
    )
    # Variants default to the parent's action on any bypass (never a pass-rate rule:
    # a rewrite that gets through once has got through).
    inherited = {s: Rule(r.action) for s, r in scenarios.items()}
    variants = _severity_table(
        raw.get("variants"), "variants", inherited, variant=True, source=source
    )
    confidence = _fraction(raw.get("confidence", 0.95), "confidence", source, open_interval=True)
    significance = _fraction(
        raw.get("significance", 0.05), "significance", source, open_interval=True
    )
    on_error = raw.get("on_error", "error")
    if on_error not in ON_ERROR:
        raise ConfigError(
            f"thresholds.on_error: must be one of {', '.join(ON_ERROR)}, got {on_error!r}",
            path=source,
        )
    return Thresholds(scenarios, variants, confidence, significance, on_error)
