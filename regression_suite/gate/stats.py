"""Small, exact statistics for a flake-aware gate: Wilson intervals and Fisher's test.

Only the standard library is used: these run once per scenario per gate run, on
counts of a few to a few thousand repeats, where exact integer arithmetic is cheap.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from statistics import NormalDist
from typing import Any


@lru_cache(maxsize=64)
def percent(rate: Any) -> str:
    """A rate in [0, 1] as whole percent (``0.425`` is ``42%``), ``n/a`` for None."""
    return "n/a" if rate is None else f"{100.0 * float(rate):.0f}%"


def z_for_confidence(confidence: float) -> float:
    """Return the two-sided normal quantile for ``confidence`` (0.95 -> 1.95996...).

    Args:
        confidence: The interval's coverage, strictly between 0 and 1.

    Raises:
        ValueError: ``confidence`` is outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


@lru_cache(maxsize=4096)  # a gate run asks for the same few counts once per case
def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval for a binomial proportion.

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is honest for
    small ``trials`` and for proportions of 0 or 1: one passing run gives
    (0.21, 1.0) at 95 %, not a certainty.

    Args:
        successes: Number of successes, ``0 <= successes <= trials``.
        trials: Number of trials; 0 gives the uninformative interval (0, 1).
        confidence: Two-sided coverage, default 95 %.

    Returns:
        ``(lower, upper)``, with ``lower <= successes / trials <= upper``.

    Raises:
        ValueError: counts out of range or a bad confidence.
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return (0.0, 1.0)
    z = z_for_confidence(confidence)
    n = float(trials)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    lower = max(0.0, centre - half)
    upper = min(1.0, centre + half)
    # Guard the end points against rounding: 0/n has lower 0, n/n has upper 1.
    if successes == 0:
        lower = 0.0
    if successes == trials:
        upper = 1.0
    return (min(lower, p), max(upper, p))


def fisher_less(old_successes: int, old_trials: int, new_successes: int, new_trials: int) -> float:
    """One-sided Fisher exact test that the new success rate is lower than the old one.

    The p-value is the probability, with both runs' outcomes pooled and the margins
    fixed, of the new run seeing ``new_successes`` or fewer successes by chance.

    Args:
        old_successes: Passing repeats in the baseline.
        old_trials: Repeats in the baseline.
        new_successes: Passing repeats now.
        new_trials: Repeats now.

    Returns:
        The exact one-sided p-value in [0, 1]; 1.0 when either run has no trials.

    Raises:
        ValueError: counts out of range.
    """
    for k, n in ((old_successes, old_trials), (new_successes, new_trials)):
        if n < 0 or k < 0 or k > n:
            raise ValueError(f"need 0 <= successes <= trials, got {k}/{n}")
    if old_trials == 0 or new_trials == 0:
        return 1.0
    total = old_trials + new_trials
    total_successes = old_successes + new_successes
    denominator = math.comb(total, new_trials)
    low = max(0, total_successes - old_trials)
    numerator = sum(
        math.comb(total_successes, x) * math.comb(total - total_successes, new_trials - x)
        for x in range(low, new_successes + 1)
    )
    return float(Fraction(numerator, denominator))
