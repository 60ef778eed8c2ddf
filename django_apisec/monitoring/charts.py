"""The security page's charts: inline SVG drawn on the server, no script, no CDN, no style.

Each chart is an area of per-minute counts over the last 24 hours with hour ticks. Only SVG
presentation attributes are used (no ``style``), so the page keeps a strict Content Security
Policy (``default-src 'self'``); the numbers a test or a screen reader needs are on the element
(``data-total``, ``data-peak``, ``aria-label``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.html import format_html, format_html_join

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

__all__ = ["Chart", "area_chart"]

WIDTH = 720
HEIGHT = 120
LEFT = 40  # room for the peak's label
BOTTOM = 18  # room for the hour labels
TICK_HOURS = 3


@dataclass(frozen=True)
class Chart:
    """One series drawn: its name, title, colour, and figures."""

    kind: str
    title: str
    colour: str
    values: list[int]

    @property
    def total(self) -> int:
        """Events over the whole chart."""
        return sum(self.values)

    @property
    def peak(self) -> int:
        """The busiest minute's count."""
        return max(self.values, default=0)


def _points(values: list[int], peak: int) -> str:
    plot_height = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / max(1, len(values) - 1)
    scale = plot_height / peak if peak else 0.0
    top = [f"{LEFT + i * step:.1f},{plot_height - v * scale:.1f}" for i, v in enumerate(values)]
    # Closed along the axis, so the polygon is the area under the curve.
    return " ".join([f"{LEFT},{plot_height}", *top, f"{WIDTH},{plot_height}"])


def _ticks(minutes: int, last_minute: int) -> SafeString:
    plot_height = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / max(1, minutes - 1)
    first_minute = last_minute - minutes + 1
    ticks = []
    for index in range(minutes):
        minute = first_minute + index
        if minute % (TICK_HOURS * 60) == 0:
            x = f"{LEFT + index * step:.1f}"
            label = f"{(minute // 60) % 24:02d}:00"
            ticks.append((x, plot_height, x, plot_height + 4, x, HEIGHT - 3, label))
    return format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#666">{} UTC</text>',
        ticks,
    )


def area_chart(chart: Chart, last_minute: int) -> SafeString:
    """``chart`` as an inline ``<svg>``; ``last_minute`` (minutes since the epoch) ends it."""
    peak = chart.peak
    plot_height = HEIGHT - BOTTOM
    return format_html(
        '<svg class="apisec-chart" id="chart-{kind}" data-kind="{kind}" data-total="{total}" '
        'data-peak="{peak}" role="img" aria-label="{title}: {total} in 24 hours, at most {peak} '
        'a minute" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">'
        "<title>{title}</title>"
        '<rect x="{left}" y="0" width="{plot_width}" height="{plot_height}" fill="#f8f8f8"/>'
        '<polygon points="{points}" fill="{colour}" fill-opacity="0.35" stroke="{colour}" '
        'stroke-width="1"/>'
        '<line x1="{left}" y1="{plot_height}" x2="{width}" y2="{plot_height}" stroke="#888"/>'
        '<text x="{label_x}" y="10" font-size="10" text-anchor="end" fill="#666">{peak}</text>'
        '<text x="{label_x}" y="{plot_height}" font-size="10" text-anchor="end" fill="#666">0'
        "</text>"
        "{ticks}</svg>",
        kind=chart.kind,
        total=chart.total,
        peak=peak,
        title=chart.title,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        plot_width=WIDTH - LEFT,
        plot_height=plot_height,
        points=_points(chart.values, peak),
        colour=chart.colour,
        label_x=LEFT - 4,
        ticks=_ticks(len(chart.values), last_minute),
    )
