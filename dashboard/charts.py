"""Charts as server-side SVG, built in Python: nothing loaded from another host and no JavaScript.

Three shapes cover the statistics page: grouped horizontal bars (labels of any length stay readable on a phone),
lines over time (the match funnel per month) and a matrix (a heat map of flows between clusters). Each function
takes labels and numbers that the page already shows in a table next to the chart, and returns one ``<svg>``
string:

- accessible: ``role="img"``, a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``), every bar, point and cell
  with its own ``<title>`` and its number written as text;
- scalable: a ``viewBox`` and no fixed width, so it fits a 390px screen (the CSS gives ``max-width: 100%``);
- safe: every text is XML-escaped here, so the caller may mark the result safe; colours are presentation
  attributes (no ``style``), which the content security policy allows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

# Colour-blind-safe palette (Okabe and Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = 'font-family="sans-serif" font-size="12"'
_ids = itertools.count(1)

Series = Sequence[tuple[str, Sequence[float]]]


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(width: int, height: int, title: str, desc: str) -> list[str]:
    uid = f"chart{next(_ids)}"
    return [
        f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
    ]


def _legend(series: Series, x: int, y: int) -> list[str]:
    parts = []
    for index, (name, _values) in enumerate(series):
        top = y + index * 18
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{top}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{top + 10}" {FONT}>{escape(name)}</text>')
    return parts


def _empty(title: str, empty_text: str) -> str:
    parts = _open(400, 40, title, empty_text)
    parts.append(f'<text x="8" y="24" {FONT} fill="#5f6b7a">{escape(empty_text)}</text></svg>')
    return "".join(parts)


def bar_chart(*, title: str, labels: Sequence[str], series: Series, empty_text: str = "—") -> str:
    """Horizontal bars, one group per label and one bar per series, each bar with its number at its end."""
    if not labels or not any(any(values) for _name, values in series):
        return _empty(title, empty_text)
    label_width, plot_width, bar, gap = 170, 330, 12, 10
    group = bar * len(series) + gap
    legend_height = 18 * len(series) + 8
    height = legend_height + group * len(labels) + 10
    width = label_width + plot_width + 50
    top = max((max(values, default=0) for _name, values in series), default=0) or 1
    parts = _open(width, height, title, ", ".join(name for name, _values in series))
    parts += _legend(series, label_width, 4)
    for row, label in enumerate(labels):
        y0 = legend_height + row * group
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y0 + bar * len(series) / 2 + 4:.0f}" text-anchor="end" {FONT}>'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for index, (name, values) in enumerate(series):
            value = values[row] if row < len(values) else 0
            length = plot_width * value / top
            y = y0 + index * bar
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" fill="{colour}">'
                f"<title>{escape(f'{label} · {name}: {_number(value)}')}</title></rect>"
            )
            parts.append(f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 3}" {FONT}>{_number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(*, title: str, x_labels: Sequence[str], series: Series, empty_text: str = "—") -> str:
    """Lines over ``x_labels`` (months), one per series, each point with its number above it."""
    if not x_labels or not any(any(values) for _name, values in series):
        return _empty(title, empty_text)
    left, plot_height, step = 40, 180, max(40, 480 // max(len(x_labels), 1))
    legend_height = 18 * len(series) + 8
    width = left + step * len(x_labels) + 20
    height = legend_height + plot_height + 50
    top = max((max(values, default=0) for _name, values in series), default=0) or 1
    base = legend_height + plot_height + 10
    parts = _open(width, height, title, ", ".join(name for name, _values in series))
    parts += _legend(series, left, 4)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#dde3ea"/>')
    parts.append(f'<text x="{left - 4}" y="{base - plot_height + 4}" text-anchor="end" {FONT}>{_number(top)}</text>')
    parts.append(f'<text x="{left - 4}" y="{base + 4}" text-anchor="end" {FONT}>0</text>')
    for column, label in enumerate(x_labels):
        x = left + step * column + step / 2
        parts.append(f'<text x="{x:.0f}" y="{base + 18}" text-anchor="middle" {FONT}>{escape(label)}</text>')
    for index, (name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = []
        for column, value in enumerate(values[: len(x_labels)]):
            x = left + step * column + step / 2
            y = base - plot_height * value / top
            points.append((x, y, value, x_labels[column]))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _v, _l in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, value, label in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(f'{label} · {name}: {_number(value)}')}</title></circle>"
            )
            if value:
                parts.append(
                    f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" {FONT} fill={quoteattr(colour)}>'
                    f"{_number(value)}</text>"
                )
    parts.append("</svg>")
    return "".join(parts)


def matrix_chart(
    *,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    empty_text: str = "—",
) -> str:
    """A heat map: rows (from) by columns (to), each cell shaded by its value and showing it."""
    if not row_labels or not column_labels or not any(any(row) for row in values):
        return _empty(title, empty_text)
    label_width, cell, header = 150, 44, 110
    width = label_width + cell * len(column_labels) + 10
    height = header + cell * len(row_labels) + 10
    top = max(max(row) for row in values) or 1
    parts = _open(width, height, title, f"{len(row_labels)} × {len(column_labels)}")
    for column, label in enumerate(column_labels):
        x = label_width + column * cell + cell / 2
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text transform="translate({x:.0f},{header - 6}) rotate(-45)" {FONT}>'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
    for row, label in enumerate(row_labels):
        y = header + row * cell
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + cell / 2 + 4:.0f}" text-anchor="end" {FONT}>'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for column, column_label in enumerate(column_labels):
            value = values[row][column]
            x = label_width + column * cell
            opacity = 0.08 + 0.92 * value / top if value else 0.0
            ink = "#ffffff" if value and value / top > 0.55 else "#1d2733"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="#0072B2" '
                f'fill-opacity="{opacity:.2f}" stroke="#dde3ea">'
                f"<title>{escape(f'{label} → {column_label}: {_number(value)}')}</title></rect>"
            )
            parts.append(
                f'<text x="{x + (cell - 2) / 2:.0f}" y="{y + cell / 2 + 3:.0f}" text-anchor="middle" {FONT} '
                f'fill="{ink}">{_number(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
