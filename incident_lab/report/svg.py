"""Inline SVG charts for the HTML reports: no JavaScript, no fonts or images fetched.

Used by the incident report (``incident_lab report``) and by the gate history
trend (:func:`regression_suite.history.trend_svg`). Colours and fonts are SVG
attributes, so a chart looks the same in any page's CSS. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "line_chart"]
_ROW, _LABEL_W, _BAR_W, _PAD = 24, 200, 340, 8
_COLOURS = {
    "good": "#2da44e",
    "bad": "#cf222e",
    "warn": "#9a6700",
    "info": "#0969da",
    "": "#0969da",
}
_TEXT = 'font-size="11" fill="#57606a"'
_LABEL = 'font-size="12" fill="#1d2228"'


def _colour(cls: str) -> str:
    return _COLOURS.get(cls, _COLOURS["info"])


def _svg_open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    )


def _num(value: float) -> str:
    """A value as text: counts as integers, other values with up to 3 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def bar_chart(title: str, rows: Sequence[tuple[str, float | None, str]], *, unit: str = "") -> str:
    """Horizontal bars scaled to the largest value.

    Args:
        title: Accessible title.
        rows: ``(label, value, css class)``; class ``bad``/``good``/``warn`` or ``""``. A
            ``None`` value (no data) is drawn as the text "n/a", never as a zero bar.
        unit: Appended to each value.
    """
    height = _PAD * 2 + _ROW * max(1, len(rows))
    width = _LABEL_W + _BAR_W + 120
    parts = [_svg_open(title, width, height)]
    top = max((v for _, v, _ in rows if v is not None), default=0.0) or 1.0
    if not rows:
        parts.append(f'<text x="{_LABEL_W}" y="{_PAD + 16}" class="label" {_LABEL}>no data</text>')
    for i, (label, value, cls) in enumerate(rows):
        y = _PAD + i * _ROW
        short = label if len(label) <= 28 else label[:27] + "…"
        if value is None:
            parts.append(
                f'<text x="{_LABEL_W - 6}" y="{y + 16}" class="label" {_LABEL} text-anchor="end"><title>{escape(label)}</title>{escape(short)}</text>'
                f'<text x="{_LABEL_W + 4}" y="{y + 16}" class="note na" {_TEXT}>n/a (no data)</text>'
            )
            continue
        w = max(0.0, value) / top * _BAR_W
        parts.append(
            f'<text x="{_LABEL_W - 6}" y="{y + 16}" class="label" {_LABEL} text-anchor="end"><title>{escape(label)}</title>{escape(short)}</text>'
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{w:.1f}" height="{_ROW - 8}" class="bar {escape(cls)}" fill="{_colour(cls)}"/>'
            f'<text x="{_LABEL_W + w + 6:.1f}" y="{y + 16}" class="note" {_TEXT}>{_num(value)}{escape(unit)}</text>'
        )
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
    vmax = 1.0 if percent else (max(values, default=0.0) or 1.0)
    if integer and not percent:
        tick_step = max(1, -(-int(vmax) // 4))  # ceil(vmax / 4), at least 1
        vmax = float(tick_step * max(1, -(-int(vmax) // tick_step)))
        ticks = [i * tick_step / vmax for i in range(int(vmax // tick_step) + 1)]
    else:
        ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    n = max(1, len(labels))
    step = plot_w / max(1, n - 1)
    parts = [_svg_open(title, width, height)]
    for tick in ticks:
        y = top + plot_h * (1 - tick)
        text = f"{int(tick * 100)}%" if percent else _num(round(tick * vmax, 6))
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" {_TEXT} text-anchor="end">{escape(text)}</text>'
        )
    longest = max((min(len(label), 14) for label in labels), default=1)
    # one label per slot wide enough for it (about 6.5 px a character at 11 px)
    room = max(1, int(plot_w // (longest * 6.5 + 12)))
    every = max(1, -(-n // room))
    for i, label in enumerate(labels):
        if i % every == 0:
            short = label if len(label) <= 14 else label[:13] + "…"
            x = left + i * step if n > 1 else left + plot_w / 2
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" class="tick" {_TEXT} text-anchor="middle">'
                f"<title>{escape(label)}</title>{escape(short)}</text>"
            )
    for s_i, (name, vals, cls) in enumerate(series):
        path, pen = [], "M"
        for i, v in enumerate(vals):
            if v is None:
                pen = "M"
                continue
            x = left + i * step if n > 1 else left + plot_w / 2
            y = top + plot_h * (1 - min(max(v, 0.0), vmax) / vmax)
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
