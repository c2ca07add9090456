"""The dashboard's plots, drawn on the server as SVG by leather.

leather writes only SVG presentation attributes (fill, stroke, font-size …): no `style`
attribute, no `<style>` element, no script. So the plots can be inlined in the page under a
Content-Security-Policy without 'unsafe-inline', print as vectors, and need no JavaScript.
Every plot is drawn beside a table of the same numbers (for screen readers, and to copy).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import leather
from markupsafe import Markup

from campaign.dashboard.services import PeriodCount

# leather's look is set module-wide (its documented way). Colours pass WCAG AA on white.
leather.theme.background_color = "#ffffff"
leather.theme.margin = 0.02
for _name in ("title", "legend", "axis_title", "tick"):
    setattr(leather.theme, f"{_name}_font_family", "system-ui, sans-serif")
leather.theme.tick_font_size = 12
leather.theme.tick_font_char_width = 7
leather.theme.tick_font_char_height = 12
leather.theme.label_color = "#4a4a4a"
leather.theme.tick_color = "#e3e3e3"
leather.theme.zero_color = "#767676"

BAR_COLOUR = "#1d3557"
LINE_COLOUR = "#b00020"
WIDTH = 720
MAX_X_LABELS = 8

NumberFormat = Callable[[int], str]

_LONG_DECIMAL = re.compile(r'="(-?\d+\.\d)\d{2,}"')


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Tick values from 0 to at least `top` in round steps (1, 2 or 5 times a power of 10),
    at most `count` steps."""
    top = max(top, 1)
    step = 1
    while -(-top // step) > count:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    last = -(-top // step) * step
    return list(range(0, last + step, step))


def _every(labels: Sequence[str]) -> list[str]:
    """At most MAX_X_LABELS labels, evenly spread, the last one always shown."""
    if len(labels) <= MAX_X_LABELS:
        return list(labels)
    step = -(-len(labels) // MAX_X_LABELS)
    shown = list(labels[::-1][::step])[::-1]
    return shown


def _svg(chart: leather.Chart, height: int, label: str) -> Markup:
    root = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {height}",
        role="img",
        focusable="false",
    )
    root.set("aria-label", label)
    ET.SubElement(root, "title").text = label
    root.append(chart.to_svg_group(WIDTH, height))
    text = ET.tostring(root, encoding="unicode")  # escapes every label and title
    return Markup(_LONG_DECIMAL.sub(r'="\1"', text))  # noqa: S704 (serialised by ElementTree)


def _columns(
    labels: Sequence[str], values: Sequence[int], label: str, number: NumberFormat, height: int
) -> Markup:
    chart = leather.Chart()
    chart.add_columns(list(zip(labels, values, strict=True)), fill_color=BAR_COLOUR)
    ticks = nice_ticks(max(values, default=0))
    chart.add_y_scale(0, ticks[-1])
    chart.add_y_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    chart.add_x_axis(ticks=_every(labels))
    return _svg(chart, height, label)


def _line(labels: Sequence[str], values: Sequence[int], label: str, number: NumberFormat) -> Markup:
    chart = leather.Chart()
    points = list(enumerate(values))
    chart.add_line(points, stroke_color=LINE_COLOUR, width=3)
    ticks = nice_ticks(max(values, default=0))
    chart.add_y_scale(0, ticks[-1])
    chart.add_y_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    chart.add_x_scale(0, max(len(values) - 1, 1))
    positions = [labels.index(shown) for shown in _every(labels)]
    chart.add_x_axis(ticks=positions, tick_formatter=lambda value, i, n: labels[int(value)])
    return _svg(chart, 200, label)


def per_period_chart(
    periods: Sequence[PeriodCount], labels: Sequence[str], label: str, number: NumberFormat
) -> Markup:
    return _columns(labels, [p.signature_count for p in periods], label, number, 240)


def cumulative_chart(
    periods: Sequence[PeriodCount], labels: Sequence[str], label: str, number: NumberFormat
) -> Markup:
    return _line(labels, [p.cumulative for p in periods], label, number)


def bar_chart(rows: Sequence[tuple[str, int]], label: str, number: NumberFormat) -> Markup:
    """Horizontal bars, one per row (a country, a source), largest first from the top."""
    chart = leather.Chart()
    # leather draws the first category at the bottom; reverse so the largest is on top.
    data = [(count, name) for name, count in reversed(rows)]
    chart.add_bars(data, fill_color=BAR_COLOUR)
    ticks = nice_ticks(max((count for _, count in rows), default=0), count=4)
    chart.add_x_scale(0, ticks[-1])
    chart.add_x_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    return _svg(chart, 40 + 26 * max(len(rows), 1), label)
