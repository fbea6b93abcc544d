"""Server-side SVG charts for the review page: score distribution, mentor load, and
match rate / mean score by group, before and after a rematch.

Charts are inline SVG built here (no JavaScript, nothing from a CDN); colours come from
classes in the stylesheet, so they pass the CSP and follow the page's palette. Every
chart also carries its numbers as a table for screen readers and keyboard users.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Chart", "Series", "bar_chart", "histogram"]

WIDTH = 640
LABEL_WIDTH = 190
BAR_AREA = 360
ROW_GAP = 10
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    css: str
    """A class from the stylesheet (``series-0``, ``series-1``, ...)."""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[str]]


def _svg(width: int, height: int, title: str, chart_id: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def histogram(
    values: Sequence[float],
    edges: Sequence[float],
    *,
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    bin_label: Callable[[float, float], str],
) -> Chart:
    """Counts of ``values`` in the bins ``[edges[i], edges[i+1])`` (last bin closed)."""
    counts = [0] * (len(edges) - 1)
    for value in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if edges[i] <= value < edges[i + 1] or (last and value == edges[i + 1]):
                counts[i] += 1
                break
    height, top, bottom, left = 240, 20, 50, 40
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    peak = max(counts, default=0) or 1
    slot = plot_w / max(1, len(counts))
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 10}" y2="{top + plot_h}" '
        'class="axis"/>'
    ]
    for i, count in enumerate(counts):
        bar_h = plot_h * count / peak
        x = left + i * slot + 2
        y = top + plot_h - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 4:.1f}" height="{bar_h:.1f}" '
            'class="series-0"/>'
        )
        if count:
            body.append(_text(x + (slot - 4) / 2, y - 4, str(count), "value", "middle"))
        body.append(
            _text(
                x + (slot - 4) / 2,
                top + plot_h + 16,
                bin_label(edges[i], edges[i + 1]),
                "tick",
                "middle",
            )
        )
    body.append(_text(left + plot_w / 2, height - 8, x_label, "axis-label", "middle"))
    body.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" class="axis-label" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    rows = [[bin_label(edges[i], edges[i + 1]), str(c)] for i, c in enumerate(counts)]
    return Chart(title, _svg(WIDTH, height, title, chart_id, body), [x_label, y_label], rows)


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    category_label: str,
    fmt: Callable[[float | None], str],
    maximum: float = 1.0,
) -> Chart:
    """Horizontal grouped bars: one group per category, one bar per series."""
    group_h = len(series) * BAR_HEIGHT + ROW_GAP
    legend_h = 22 if len(series) > 1 else 0
    top = 8 + legend_h
    height = top + max(1, len(categories)) * group_h + 8
    body: list[str] = []
    if len(series) > 1:
        x = float(LABEL_WIDTH)
        for s in series:
            body.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" class="{s.css}"/>')
            body.append(_text(x + 16, 16, s.label, "legend"))
            x += 24 + 8 * len(s.label)
    for i, category in enumerate(categories):
        y0 = top + i * group_h
        label = category if len(category) <= 26 else category[:25] + "…"
        body.append(_text(LABEL_WIDTH - 8, y0 + group_h / 2 + 2, label, "tick", "end"))
        for j, s in enumerate(series):
            value = s.values[i]
            width = 0.0 if value is None else BAR_AREA * max(0.0, min(1.0, value / maximum))
            y = y0 + j * BAR_HEIGHT
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT - 2}" class="{s.css}"/>'
            )
            body.append(_text(LABEL_WIDTH + width + 4, y + BAR_HEIGHT - 4, fmt(value), "value"))
    body.append(
        f'<line x1="{LABEL_WIDTH}" y1="{top - 2}" x2="{LABEL_WIDTH}" y2="{height - 6}" '
        'class="axis"/>'
    )
    headers = [category_label, *(s.label for s in series)]
    rows = [[c, *(fmt(s.values[i]) for s in series)] for i, c in enumerate(categories)]
    return Chart(title, _svg(WIDTH, height, title, chart_id, body), headers, rows)
