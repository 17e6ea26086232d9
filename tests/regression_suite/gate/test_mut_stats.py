"""Fisher's test guards, pinned (issue 14, mutation testing of gate/stats.py)."""

from __future__ import annotations

import pytest

from regression_suite.gate.stats import fisher_less


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        ((1, -1, 0, 1), "1/-1"),
        ((-1, 2, 0, 1), "-1/2"),
        ((3, 2, 0, 1), "3/2"),
        ((1, 2, 0, -1), "0/-1"),
        ((1, 2, -1, 1), "-1/1"),
        ((1, 2, 2, 1), "2/1"),
    ],
)
def test_counts_out_of_range_are_refused(args: tuple[int, int, int, int], bad: str) -> None:
    with pytest.raises(ValueError) as info:
        fisher_less(*args)
    assert str(info.value) == f"need 0 <= successes <= trials, got {bad}"


def test_no_trials_on_either_side_is_p_one() -> None:
    assert fisher_less(0, 0, 0, 5) == 1.0
    assert fisher_less(5, 5, 0, 0) == 1.0
    assert fisher_less(0, 0, 0, 0) == 1.0
    assert fisher_less(5, 5, 0, 5) == pytest.approx(1 / 252)


@pytest.mark.parametrize(("k", "n"), [(1, -1), (-1, 2), (3, 2)])
def test_wilson_interval_refuses_counts_out_of_range(k: int, n: int) -> None:
    from regression_suite.gate.stats import wilson_interval

    with pytest.raises(ValueError) as info:
        wilson_interval(k, n)
    assert str(info.value) == f"need 0 <= successes <= trials, got {k}/{n}"
