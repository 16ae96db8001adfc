"""Charts as inline SVG strings: no JavaScript, no CDN, nothing fetched at view time.

Government intranets are closed, so dashboards draw their charts on the server.
Each function is pure: the same arguments give the same bytes, which the tests pin
down with a worked example. Every piece of text is escaped with :func:`html.escape`
(labels come from imported documents and user input). The root element carries
``role="img"`` and a ``<title>`` so screen readers announce the chart; each bar or
point has its own ``<title>`` with the exact figure (a tooltip without scripts).

Layout of :func:`bar_chart` (all in px)::

    |<- label_width ->|<---------- plot ---------->|<- VALUE_WIDTH ->|
      （一）深化改革    ██████████████                 66.7%

a value ``v`` (per cent) draws a bar ``v / 100 * plot`` wide; values above 100 are
drawn full width and labelled with their real figure.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
FONT_SIZE = 12
BAR_COLOUR = "#3b6ea5"
BELOW_TARGET_COLOUR = "#c8811a"
LINE_COLOUR = "#3b6ea5"
TARGET_COLOUR = "#c8102e"
GRID_COLOUR = "#d0d7de"
TEXT_COLOUR = "#1f2328"

#: Space right of the plot for the value labels of a bar chart.
VALUE_WIDTH = 60
#: Space above and below the bars of a bar chart (the bottom holds the axis labels).
BAR_TOP = 8
BAR_BOTTOM = 24
#: Margins of a line chart: left for the y labels, bottom for the periods.
LINE_LEFT = 64
LINE_RIGHT = 16
LINE_TOP = 20
LINE_BOTTOM = 32


def esc(text: str) -> str:
    """Escape text for an SVG text node or attribute."""
    return html.escape(text, quote=True)


def format_number(value: float, decimals: int = 1) -> str:
    """A figure as people write it: ``5000``, ``66.7``, ``12,500``, never ``5000.0``.

    Rounded to ``decimals`` places with trailing zeros dropped; thousands separators
    only from 10,000 up (Chinese statistical tables write ``5000`` but group larger
    numbers for legibility).
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}")
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    grouping = "," if abs(rounded) >= 10_000 else ""
    text = f"{rounded:{grouping}.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_percent(value: float) -> str:
    return format_number(value, 1) + "%"


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros (stable, compact output)."""
    return format_number(x, 2).replace(",", "")


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Approximate rendered width: CJK and full-width characters are one em, others ~0.6."""
    return sum(
        font_size if unicodedata.east_asian_width(ch) in ("W", "F") else font_size * 0.6
        for ch in text
    )


def fit_text(text: str, max_width: float, font_size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis so it fits ``max_width`` (the full text goes in a title)."""
    if text_width(text, font_size) <= max_width:
        return text
    ellipsis_width = text_width("…", font_size)
    out = ""
    for ch in text:
        if text_width(out + ch, font_size) + ellipsis_width > max_width:
            break
        out += ch
    return out + "…"


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" font-family="{esc(FONT)}"'
        f' font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">',
        f"<title>{esc(title)}</title>",
    ]


def _check_finite(values: Sequence[float | None], what: str) -> None:
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"{what} must be finite numbers, got {v!r}")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 640,
    height: int | None = None,
    label_width: int = 200,
    bar_height: int = 18,
    gap: int = 6,
    target: float | None = None,
    target_label: str = "",
    missing_text: str = "—",
) -> str:
    """Horizontal bars of percentages (0–100), one per label, in the order given.

    Parameters
    ----------
    labels, values
        One value per label, in per cent. ``None`` means "no figure" (no bar, the
        value column shows ``missing_text``).
    title
        The accessible name of the chart (``<title>``).
    width, height
        Size in px. Without ``height`` each row is ``bar_height + gap`` high; with it,
        the rows share the height left after the axis.
    label_width
        Width of the label column; longer labels are cut with "…".
    target
        Optional target in per cent, drawn as a dashed vertical line; bars below it
        are drawn in amber.

    Raises
    ------
    ValueError
        Labels and values of different lengths, a negative or non-finite value, or
        a size too small to draw in.
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    _check_finite(values, "values")
    _check_finite([target], "target")
    if any(v is not None and v < 0 for v in values):
        raise ValueError("bar values are percentages and cannot be negative")
    plot_width = width - label_width - VALUE_WIDTH
    if plot_width < 20:
        raise ValueError(f"width {width} leaves no room for bars after a {label_width}px label")
    n = len(values)
    if height is None:
        row = float(bar_height + gap)
        height = int(BAR_TOP + n * row + BAR_BOTTOM)
    else:
        if height < BAR_TOP + BAR_BOTTOM + n * 2:
            raise ValueError(f"height {height} is too small for {n} bars")
        row = (height - BAR_TOP - BAR_BOTTOM) / n if n else 0.0
        bar_height = max(1, round(row * bar_height / (bar_height + gap)))
    x0 = label_width
    plot_bottom = BAR_TOP + n * row

    out = _svg_open(width, height, title)
    # Grid and axis: 0, 25, 50, 75, 100 %.
    for tick in (0, 25, 50, 75, 100):
        x = x0 + tick / 100 * plot_width
        out.append(
            f'<line x1="{_num(x)}" y1="{BAR_TOP}" x2="{_num(x)}" y2="{_num(plot_bottom)}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_num(x)}" y="{_num(plot_bottom + 16)}" text-anchor="middle">{tick}%</text>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = BAR_TOP + i * row + (row - bar_height) / 2
        text_y = y + bar_height / 2 + FONT_SIZE * 0.35
        shown = format_percent(value) if value is not None else missing_text
        out.append(
            f'<text x="{x0 - 6}" y="{_num(text_y)}" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(fit_text(label, label_width - 10))}</text>"
        )
        if value is not None:
            bar = min(value, 100.0) / 100 * plot_width
            colour = BELOW_TARGET_COLOUR if target is not None and value < target else BAR_COLOUR
            out.append(
                f'<rect class="bar" x="{x0}" y="{_num(y)}" width="{_num(bar)}"'
                f' height="{bar_height}" fill="{colour}">'
                f"<title>{esc(label)}: {esc(shown)}</title></rect>"
            )
        out.append(
            f'<text class="value" x="{x0 + plot_width + 6}" y="{_num(text_y)}">{esc(shown)}</text>'
        )
    if target is not None:
        x = x0 + min(max(target, 0.0), 100.0) / 100 * plot_width
        caption = f"{target_label} {format_percent(target)}".strip()
        out.append(
            f'<line class="target" x1="{_num(x)}" y1="{BAR_TOP - 4}" x2="{_num(x)}"'
            f' y2="{_num(plot_bottom + 2)}" stroke="{TARGET_COLOUR}" stroke-width="1.5"'
            f' stroke-dasharray="6 4"><title>{esc(caption)}</title></line>'
        )
    out.append("</svg>")
    return "".join(out)


def nice_ceiling(value: float) -> tuple[float, int]:
    """The smallest 1, 2, 2.5 or 5 × 10ᵏ not below ``value``, and how many axis steps
    divide it evenly (so 5000 → (5000, 5): 0, 1000, …; 90 → (100, 5); 180 → (200, 4))."""
    if value <= 0:
        return 1.0, 5
    exponent = 10 ** math.floor(math.log10(value))
    for mantissa, steps in ((1, 5), (2, 4), (2.5, 5), (5, 5), (10, 5)):
        candidate = mantissa * exponent
        # A relative tolerance: 0.3 must not become 0.5 through float noise.
        if candidate >= value * (1 - 1e-12):
            return float(candidate), steps
    raise AssertionError("unreachable")  # pragma: no cover


def line_chart(
    periods: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    target: float | None = None,
    target_label: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 240,
    max_period_labels: int = 8,
) -> str:
    """A target's trend: one point per period, joined, with the target as a dashed line.

    The y axis runs from 0 (or a rounded minimum, for negative figures) to a rounded
    maximum above both the figures and the target, so the distance to the target is
    visible. At most ``max_period_labels`` period labels are written under the axis
    (every k-th, starting with the first); each point carries its exact figure.

    Raises
    ------
    ValueError
        Periods and values of different lengths, a non-finite figure, or a size too
        small to draw in.
    """
    if len(periods) != len(values):
        raise ValueError(f"{len(periods)} periods but {len(values)} values")
    _check_finite(values, "values")
    _check_finite([target], "target")
    plot_width = width - LINE_LEFT - LINE_RIGHT
    plot_height = height - LINE_TOP - LINE_BOTTOM
    if plot_width < 20 or plot_height < 20:
        raise ValueError(f"a {width}×{height} chart leaves no room to plot")
    if max_period_labels < 1:
        raise ValueError("max_period_labels must be at least 1")
    figures = [*values, *([target] if target is not None else [])]
    top, steps = nice_ceiling(max(figures, default=0.0))
    bottom = 0.0
    if figures and min(figures) < 0:
        low, low_steps = nice_ceiling(-min(figures))
        bottom = -low
        steps = max(steps, low_steps)
    span = top - bottom

    def x_of(i: int) -> float:
        if len(values) == 1:
            return LINE_LEFT + plot_width / 2
        return LINE_LEFT + i * plot_width / (len(values) - 1)

    def y_of(v: float) -> float:
        return LINE_TOP + plot_height - (v - bottom) / span * plot_height

    out = _svg_open(width, height, title)
    for k in range(steps + 1):
        v = bottom + span * k / steps
        y = y_of(v)
        out.append(
            f'<line x1="{LINE_LEFT}" y1="{_num(y)}" x2="{LINE_LEFT + plot_width}" y2="{_num(y)}"'
            f' stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{LINE_LEFT - 6}" y="{_num(y + FONT_SIZE * 0.35)}" text-anchor="end">'
            f"{esc(format_number(v, 2))}</text>"
        )
    if unit:
        out.append(
            f'<text x="{LINE_LEFT - 6}" y="{LINE_TOP - 8}" text-anchor="end">{esc(unit)}</text>'
        )
    step = math.ceil(len(periods) / max_period_labels) if periods else 1
    for i, period in enumerate(periods):
        if i % step == 0:
            out.append(
                f'<text class="period" x="{_num(x_of(i))}" y="{LINE_TOP + plot_height + 18}"'
                f' text-anchor="middle">{esc(period)}</text>'
            )
    if target is not None:
        y = y_of(target)
        caption = f"{target_label} {format_number(target, 2)}{unit}".strip()
        out.append(
            f'<line class="target" x1="{LINE_LEFT}" y1="{_num(y)}" x2="{LINE_LEFT + plot_width}"'
            f' y2="{_num(y)}" stroke="{TARGET_COLOUR}" stroke-width="1.5"'
            f' stroke-dasharray="6 4"><title>{esc(caption)}</title></line>'
        )
        out.append(
            f'<text class="target-label" x="{LINE_LEFT + plot_width}" y="{_num(y - 4)}"'
            f' text-anchor="end" fill="{TARGET_COLOUR}">{esc(caption)}</text>'
        )
    if values:
        points = " ".join(f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in enumerate(values))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>'
        )
        for i, (period, v) in enumerate(zip(periods, values, strict=True)):
            out.append(
                f'<circle class="point" cx="{_num(x_of(i))}" cy="{_num(y_of(v))}" r="3"'
                f' fill="{LINE_COLOUR}"><title>{esc(period)}: {esc(format_number(v, 2))}'
                f"{esc(unit)}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)
