"""The gate's rate charts come from the one SVG module (incident_lab.report.svg)."""

from __future__ import annotations

import re

from incident_lab.report.svg import Bar, bar_chart


def test_rates_have_a_fixed_axis_zero_marks_whiskers_and_na() -> None:
    """A 0 % rate is a zero mark (no bar), an interval a whisker with its numbers, no data
    is "n/a"; the axis is 0-100 % whatever the values; labels are escaped."""
    svg = bar_chart(
        "rates <&>",
        [
            Bar("zero", 0.0, "bad", (0.0, 0.4), "(0/5)"),
            Bar("half", 0.5, "good", (0.2, 0.8)),
            Bar("none", None),
        ],
        rates=True,
        confidence=0.9,
    )
    assert "<title>rates &lt;&amp;&gt;</title>" in svg
    assert svg.count('class="zero"') == 1 and svg.count('class="bar ') == 1
    assert svg.count('class="ci"') == 2
    assert "0% (CI 0%–40%) (0/5)" in svg and "50% (CI 20%–80%)" in svg
    assert "n/a (no data)" in svg and "90% confidence interval" in svg
    [width] = re.findall(r'<rect x="200" y="\d+" width="([\d.]+)"', svg)
    assert float(width) == 170.0  # half of the 340 px axis: not scaled to the largest value


def test_counts_scale_to_the_largest_value() -> None:
    """Without rates=True, bars are counts scaled to the maximum, with no axis or whisker."""
    svg = bar_chart("counts", [("a", 2, ""), ("b", 4, "warn")], unit=" s")
    widths = [float(w) for w in re.findall(r'<rect x="200" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [170.0, 340.0]
    assert "4 s" in svg and 'class="ci"' not in svg and 'class="grid"' not in svg
