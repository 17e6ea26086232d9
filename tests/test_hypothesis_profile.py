"""Property tests run without a wall-clock deadline (the suite's Hypothesis profile)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st


def test_the_suite_profile_has_no_deadline() -> None:
    assert settings.default.deadline is None


@settings(max_examples=2)
@given(st.integers())
def test_a_slow_example_is_no_failure(_n: int) -> None:
    # 250 ms is over Hypothesis's default 200 ms deadline: with it, this raises DeadlineExceeded.
    time.sleep(0.25)
