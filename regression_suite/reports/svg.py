"""Inline SVG bar charts for the HTML report (no JavaScript, no external assets)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "bar_chart"]

_ROW = 26
_LABEL_W = 210
_BAR_W = 360
_PAD = 8


@dataclass(frozen=True, slots=True)
class Bar:
    """One horizontal bar.

    Attributes:
        label: Text left of the bar.
        value: A rate in [0, 1], or ``None`` (drawn as "n/a").
        interval: Its Wilson interval, drawn as a whisker, if any.
        note: Text right of the bar (counts).
        bad: Colour the bar as a problem (a failure or a bypass).
    """

    label: str
    value: float | None
    interval: tuple[float, float] | None = None
    note: str = ""
    bad: bool = False


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def bar_chart(title: str, bars: list[Bar], *, confidence: float = 0.95) -> str:
    """Render ``bars`` as one accessible inline ``<svg>`` element.

    A rate of 0 is drawn as a zero mark at the axis (never as an empty row), the
    interval as a thin whisker; the note right of each bar gives the rate and the
    interval in numbers, and a legend under the axis says what the whisker is.

    Args:
        title: Read by screen readers (``<title>``) and shown above the chart.
        bars: The rows, top to bottom.
        confidence: The intervals' coverage, named in the legend.

    Returns:
        SVG markup; every label is escaped.
    """
    has_interval = any(b.interval is not None for b in bars)
    legend_h = 16 if has_interval else 0
    height = _PAD * 2 + _ROW * max(1, len(bars)) + 18 + legend_h
    width = _LABEL_W + _BAR_W + 260
    axis_bottom = height - 18 - legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
    ]
    x0 = _LABEL_W
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + tick * _BAR_W
        parts.append(
            f'<line x1="{x:.1f}" y1="{_PAD}" x2="{x:.1f}" y2="{axis_bottom}" class="grid"/>'
            f'<text x="{x:.1f}" y="{axis_bottom + 14}" class="tick" text-anchor="middle">'
            f"{int(tick * 100)}%</text>"
        )
    if has_interval:
        parts.append(
            f'<text x="{x0}" y="{height - 4}" class="legend">bar: rate; whisker ├─┤: '
            f"{confidence * 100:g}% confidence interval (Wilson)</text>"
        )
    if not bars:
        parts.append(f'<text x="{x0}" y="{_PAD + 17}" class="label">no data</text>')
    for i, bar in enumerate(bars):
        y = _PAD + i * _ROW
        label = bar.label if len(bar.label) <= 30 else bar.label[:29] + "…"
        parts.append(
            f'<text x="{x0 - 6}" y="{y + 17}" class="label" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(label)}</text>"
        )
        if bar.value is None:
            parts.append(f'<text x="{x0 + 4}" y="{y + 17}" class="note">n/a</text>')
            continue
        w = max(0.0, min(1.0, bar.value)) * _BAR_W
        cls = "bar bad" if bar.bad else "bar good"
        if bar.value <= 0:  # 0 %: a mark on the axis, so the row reads as zero, not as missing
            parts.append(
                f'<line x1="{x0 + 1}" y1="{y + 4}" x2="{x0 + 1}" y2="{y + _ROW - 4}" class="zero"/>'
            )
        else:
            parts.append(
                f'<rect x="{x0}" y="{y + 5}" width="{max(1.0, w):.1f}" height="{_ROW - 10}" '
                f'class="{cls}"/>'
            )
        if bar.interval is not None:
            lo, hi = (x0 + v * _BAR_W for v in bar.interval)
            mid = y + _ROW / 2
            parts.append(
                f'<path d="M{lo:.1f} {mid - 4}v8M{lo:.1f} {mid}H{hi:.1f}M{hi:.1f} {mid - 4}v8" class="ci"/>'
            )
        interval = (
            "" if bar.interval is None else f" (CI {_pct(bar.interval[0])}–{_pct(bar.interval[1])})"
        )
        parts.append(
            f'<text x="{x0 + _BAR_W + 8}" y="{y + 17}" class="note">'
            f"{_pct(bar.value)}{interval} {escape(bar.note)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
