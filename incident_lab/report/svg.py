"""Inline SVG charts for the HTML reports: no JavaScript, no fonts or images fetched.

The one chart module of the project: used by the incident report (``incident_lab
report``), the gate report's pass-rate and bypass charts
(:mod:`regression_suite.reports.html_report`) and the gate history trend
(:func:`regression_suite.history.trend_svg`). Colours and fonts are SVG
attributes, so a chart looks the same in any page's CSS. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["bar_chart"]
_ROW, _LABEL_W, _BAR_W, _PAD = 24, 200, 340, 8
_COLOURS = {"good": "#2da44e", "bad": "#cf222e", "warn": "#9a6700", "info": "#0969da"}
_TEXT = 'font-size="11" fill="#57606a"'
_LABEL = 'font-size="12" fill="#1d2228"'


def _colour(cls: str) -> str:
    return _COLOURS.get(cls, _COLOURS["info"])


def _svg_open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    )


def figure(svg: str, attrs: str = "") -> str:
    """A chart in a ``<figure>`` (``attrs``: its attributes) captioned with the chart's
    title (the SVG ``<title>``, already escaped, is for screen readers)."""
    start = svg.find("<title>") + len("<title>")
    caption = svg[start : svg.find("</title>", start)]
    return f"<figure{attrs}><figcaption>{caption}</figcaption>{svg}</figure>"


def _num(value: float) -> str:
    """A value as text: counts as integers, other values with up to 3 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One horizontal bar of :func:`bar_chart`.

    Attributes:
        label: Text left of the bar.
        value: The value (a rate in [0, 1] with ``rates=True``), or ``None``: no data,
            drawn as "n/a", never as a zero bar.
        cls: ``good``/``bad``/``warn``/``info`` or ``""``: the bar's colour and CSS class.
        interval: A confidence interval of the rate, drawn as a whisker (rates only).
        note: Text after the value (counts).
    """

    label: str
    value: float | None
    cls: str = ""
    interval: tuple[float, float] | None = None
    note: str = ""


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _bar_row(bar: Bar, y: int, top: float, rates: bool, unit: str) -> list[str]:
    short = bar.label if len(bar.label) <= 28 else bar.label[:27] + "…"
    parts = [
        f'<text x="{_LABEL_W - 6}" y="{y + 16}" class="label" {_LABEL} text-anchor="end">'
        f"<title>{escape(bar.label)}</title>{escape(short)}</text>"
    ]
    if bar.value is None:
        parts.append(
            f'<text x="{_LABEL_W + 4}" y="{y + 16}" class="note na" {_TEXT}>n/a (no data)</text>'
        )
        return parts
    w = max(0.0, min(bar.value, top)) / top * _BAR_W
    if bar.value <= 0 and rates:  # 0 %: a mark on the axis, so the row reads as zero, not missing
        parts.append(
            f'<line x1="{_LABEL_W + 1}" y1="{y + 3}" x2="{_LABEL_W + 1}" y2="{y + _ROW - 3}" '
            'class="zero" stroke="#1d2228" stroke-width="2"/>'
        )
    else:
        parts.append(
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{max(1.0, w) if rates else w:.1f}" '
            f'height="{_ROW - 8}" class="bar {escape(bar.cls)}" fill="{_colour(bar.cls)}"/>'
        )
    text = _pct(bar.value) if rates else f"{_num(bar.value)}{unit}"
    if bar.interval is not None:
        lo, hi = (_LABEL_W + max(0.0, min(v, top)) / top * _BAR_W for v in bar.interval)
        mid = y + _ROW / 2
        parts.append(
            f'<path d="M{lo:.1f} {mid - 4}v8M{lo:.1f} {mid}H{hi:.1f}M{hi:.1f} {mid - 4}v8" '
            'class="ci" stroke="#1d2228" fill="none"/>'
        )
        text += f" (CI {_pct(bar.interval[0])}–{_pct(bar.interval[1])})"
    x = _LABEL_W + (_BAR_W if rates else w) + 6
    note = f" {bar.note}" if bar.note else ""
    parts.append(
        f'<text x="{x:.1f}" y="{y + 16}" class="note" {_TEXT}>{escape(text + note)}</text>'
    )
    return parts


def bar_chart(
    title: str,
    rows: Sequence[Bar | tuple[str, float | None, str]],
    *,
    unit: str = "",
    rates: bool = False,
    confidence: float = 0.95,
) -> str:
    """Horizontal bars: counts scaled to the largest value, or rates on a 0-100 % axis.

    Args:
        title: Accessible title.
        rows: :class:`Bar` rows, or ``(label, value, css class)`` tuples. A ``None``
            value (no data) is drawn as the text "n/a", never as a zero bar.
        unit: Appended to each value (counts).
        rates: Values are rates in [0, 1]: a fixed 0-100 % axis with grid lines, a
            rate of 0 drawn as a zero mark on the axis, intervals as whiskers (with a
            legend naming ``confidence``), the rate and its interval in numbers.
        confidence: The intervals' coverage, named in the legend.
    """
    bars = [r if isinstance(r, Bar) else Bar(r[0], r[1], r[2]) for r in rows]
    has_interval = rates and any(b.interval is not None for b in bars)
    axis = 18 if rates else 0
    legend = 16 if has_interval else 0
    height = _PAD * 2 + _ROW * max(1, len(bars)) + axis + legend
    width = _LABEL_W + _BAR_W + (260 if rates else 120)
    parts = [_svg_open(title, width, height)]
    values = [b.value for b in bars if b.value is not None]
    top = 1.0 if rates else (max(values, default=0.0) or 1.0)
    if rates:
        bottom = height - axis - legend
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
            x = _LABEL_W + tick * _BAR_W
            parts.append(
                f'<line x1="{x:.1f}" y1="{_PAD}" x2="{x:.1f}" y2="{bottom}" class="grid" '
                f'stroke="#eee"/><text x="{x:.1f}" y="{bottom + 14}" class="tick" {_TEXT} '
                f'text-anchor="middle">{int(tick * 100)}%</text>'
            )
    if has_interval:
        parts.append(
            f'<text x="{_LABEL_W}" y="{height - 4}" class="legend" {_TEXT}>bar: rate; '
            f"whisker ├─┤: {confidence * 100:g}% confidence interval (Wilson)</text>"
        )
    if not bars:
        parts.append(f'<text x="{_LABEL_W}" y="{_PAD + 16}" class="label" {_LABEL}>no data</text>')
    for i, bar in enumerate(bars):
        parts += _bar_row(bar, _PAD + i * _ROW, top, rates, unit)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float | None], str]],
    *,
    note: str = "",
    percent: bool = True,
    integer: bool = False,
) -> str:
    """A line chart over categorical x labels (releases, minutes).

    Args:
        title: Accessible title.
        labels: One per x position.
        series: ``(name, values, css class)``; ``None`` values leave a gap.
        note: Text under the chart.
        percent: Values are rates in [0, 1] (axis 0-100%); else scaled to the maximum.
        integer: Values are counts: the y axis has whole-number ticks only.
    """
    width, height, left, top, plot_h = 640, 250, 48, 12, 160
    plot_w = width - left - 20
    values = [v for _, vs, _ in series for v in vs if v is not None]
    vmax, ticks = _y_scale(values, percent=percent, integer=integer)
    frame = _Frame(left, top, plot_w, plot_h, max(1, len(labels)), vmax)
    parts = [_svg_open(title, width, height)]
    for tick in ticks:
        y = top + plot_h * (1 - tick)
        text = f"{int(tick * 100)}%" if percent else _num(round(tick * vmax, 6))
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" {_TEXT} text-anchor="end">{escape(text)}</text>'
        )
    parts += _x_labels(frame, labels)
    for s_i, (name, vals, cls) in enumerate(series):
        parts += _series(frame, labels, name, vals, cls)
        lx = left + s_i * 150
        parts.append(
            f'<rect x="{lx}" y="{top + plot_h + 28}" width="12" height="4" fill="{_colour(cls)}"/>'
            f'<text x="{lx + 16}" y="{top + plot_h + 34}" class="note" {_TEXT}>{escape(name)}</text>'
        )
    if note:
        parts.append(
            f'<text x="{left}" y="{height - 8}" class="note" {_TEXT}>{escape(note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Frame:
    """A line chart's plot area: ``n`` x positions, y from 0 to ``vmax``."""

    left: int
    top: int
    plot_w: int
    plot_h: int
    n: int
    vmax: float

    def x(self, i: int) -> float:
        if self.n > 1:
            return self.left + i * (self.plot_w / max(1, self.n - 1))
        return self.left + self.plot_w / 2

    def y(self, v: float) -> float:
        return self.top + self.plot_h * (1 - min(max(v, 0.0), self.vmax) / self.vmax)


def _y_scale(values: list[float], *, percent: bool, integer: bool) -> tuple[float, list[float]]:
    """The axis maximum and the tick positions (fractions of it): 0-100 % for rates,
    whole-number steps for counts, quarters otherwise."""
    vmax = 1.0 if percent else (max(values, default=0.0) or 1.0)
    if integer and not percent:
        tick_step = max(1, -(-int(vmax) // 4))  # ceil(vmax / 4), at least 1
        vmax = float(tick_step * max(1, -(-int(vmax) // tick_step)))
        return vmax, [i * tick_step / vmax for i in range(int(vmax // tick_step) + 1)]
    return vmax, [0.0, 0.25, 0.5, 0.75, 1.0]


def _x_labels(frame: _Frame, labels: list[str]) -> list[str]:
    """The x labels, thinned so each has room (about 6.5 px a character at 11 px)."""
    longest = max((min(len(label), 14) for label in labels), default=1)
    room = max(1, int(frame.plot_w // (longest * 6.5 + 12)))
    every = max(1, -(-frame.n // room))
    parts = []
    for i, label in enumerate(labels):
        if i % every == 0:
            short = label if len(label) <= 14 else label[:13] + "…"
            parts.append(
                f'<text x="{frame.x(i):.1f}" y="{frame.top + frame.plot_h + 16}" class="tick" {_TEXT} text-anchor="middle">'
                f"<title>{escape(label)}</title>{escape(short)}</text>"
            )
    return parts


def _series(
    frame: _Frame, labels: list[str], name: str, vals: list[float | None], cls: str
) -> list[str]:
    """One series: a dot per value (with its title) and the line through them, broken
    at each ``None``."""
    parts, path, pen = [], [], "M"
    for i, v in enumerate(vals):
        if v is None:
            pen = "M"
            continue
        x, y = frame.x(i), frame.y(v)
        path.append(f"{pen}{x:.1f} {y:.1f}")
        pen = "L"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot {escape(cls)}" fill="{_colour(cls)}"><title>{escape(name)} {escape(labels[i] if i < len(labels) else "")}: {v:.3g}</title></circle>'
        )
    if path:
        parts.append(
            f'<path d="{" ".join(path)}" class="line {escape(cls)}" fill="none" '
            f'stroke="{_colour(cls)}" stroke-width="2"/>'
        )
    return parts
