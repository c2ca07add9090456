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
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import leather
from markupsafe import Markup

from campaign.dashboard.services import PeriodCount

# leather's look is set module-wide (its documented way). Colours pass WCAG AA on white.
leather.theme.background_color = "#ffffff"
leather.theme.margin = 0.04
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


@dataclass(frozen=True)
class Size:
    """One drawing of a plot. The SVG scales to its box, text included: drawn 720 wide, its
    12 px labels would shrink to 6 px on a phone. So each plot is drawn twice, and the CSS
    shows the one that fits (`.plot-wide`, `.plot-narrow`): the narrow one is drawn at about
    a phone's width, with fewer labels, so its text stays 11 px or more."""

    width: int
    max_labels: int
    css_class: str


SIZES = (Size(WIDTH, MAX_X_LABELS, "plot-wide"), Size(340, 4, "plot-narrow"))

NumberFormat = Callable[[int], str]
T = TypeVar("T")

_ATTRIBUTE = re.compile(r'="([^"]*)"')
_LONG_NUMBER = re.compile(r"-?\d+\.\d{2,}(?:[Ee][-+]?\d+)?")


def _round_numbers(match: re.Match[str]) -> str:
    """leather computes with Decimal: 28 digits per coordinate. A tenth of a unit is plenty."""
    return '="' + _LONG_NUMBER.sub(lambda m: f"{float(m.group(0)):.1f}", match.group(1)) + '"'


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Tick values from 0 to at least `top` in round steps (1, 2 or 5 times a power of 10),
    at most `count` steps."""
    top = max(top, 1)
    step = 1
    while -(-top // step) > count:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    last = -(-top // step) * step
    return list(range(0, last + step, step))


def _every(values: Sequence[T], most: int = MAX_X_LABELS) -> list[T]:
    """At most `most` of the values, evenly spread, the last one always shown."""
    if len(values) <= most:
        return list(values)
    step = -(-len(values) // most)
    return list(values[::-1][::step])[::-1]


def _svg(chart: leather.Chart, height: int, label: str, size: Size = SIZES[0]) -> Markup:
    root = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {size.width} {height}",
        role="img",
        focusable="false",
    )
    root.set("class", size.css_class)
    root.set("aria-label", label)
    ET.SubElement(root, "title").text = label
    root.append(chart.to_svg_group(size.width, height))
    text = ET.tostring(root, encoding="unicode")  # escapes every label and title
    return Markup(_ATTRIBUTE.sub(_round_numbers, text))  # noqa: S704 (serialised by ElementTree)


@dataclass(frozen=True)
class PeriodSeries:
    """Counts per day or hour, as the columns and the line plots read them."""

    periods: Sequence[PeriodCount]
    short_label: Callable[[datetime], str]  # what the axis shows under a period
    number: NumberFormat


def _columns(series: PeriodSeries, label: str, size: Size) -> Markup:
    periods, number = series.periods, series.number
    # Categories must be unique (an hour label repeats over two days): the full time names
    # the column, the short label is only what the axis shows.
    names = {p.start.isoformat(): series.short_label(p.start) for p in periods}
    chart = leather.Chart()
    chart.add_columns(
        [(p.start.isoformat(), p.signature_count) for p in periods], fill_color=BAR_COLOUR
    )
    ticks = nice_ticks(max((p.signature_count for p in periods), default=0))
    chart.add_y_scale(0, ticks[-1])
    chart.add_y_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    chart.add_x_axis(
        ticks=_every(list(names), size.max_labels), tick_formatter=lambda value, i, n: names[value]
    )
    return _svg(chart, 240, label, size)


def per_period_chart(series: PeriodSeries, label: str) -> Markup:
    """Columns: confirmed signatures in each day or hour."""
    return Markup("").join(_columns(series, label, size) for size in SIZES)


def cumulative_chart(series: PeriodSeries, label: str) -> Markup:
    """A line: the running total at the end of each period."""
    return Markup("").join(_line(series, label, size) for size in SIZES)


def _line(series: PeriodSeries, label: str, size: Size) -> Markup:
    periods, number = series.periods, series.number
    labels = [series.short_label(p.start) for p in periods]
    chart = leather.Chart()
    chart.add_line(
        [(i, p.cumulative) for i, p in enumerate(periods)], stroke_color=LINE_COLOUR, width=3
    )
    ticks = nice_ticks(max((p.cumulative for p in periods), default=0))
    chart.add_y_scale(0, ticks[-1])
    chart.add_y_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    # Half a label's room at each end, so the first and last dates are not cut off.
    pad = Decimal("0.4") if len(periods) <= 8 else Decimal(len(periods)) / 20
    chart.add_x_scale(-pad, max(len(periods) - 1, 1) + pad)
    positions = _every(list(range(len(periods))), size.max_labels)
    chart.add_x_axis(ticks=positions, tick_formatter=lambda value, i, n: labels[int(value)])
    return _svg(chart, 200, label, size)


def bar_chart(rows: Sequence[tuple[str, int]], label: str, number: NumberFormat) -> Markup:
    """Horizontal bars, one per row (a country, a source), in the order given, from the top."""
    return Markup("").join(_bars(rows, label, number, size) for size in SIZES)


def _bars(rows: Sequence[tuple[str, int]], label: str, number: NumberFormat, size: Size) -> Markup:
    chart = leather.Chart()
    chart.add_bars([(count, name) for name, count in rows], fill_color=BAR_COLOUR)
    ticks = nice_ticks(
        max((count for _, count in rows), default=0), count=4 if size.width > 400 else 3
    )
    chart.add_x_scale(0, ticks[-1])
    chart.add_x_axis(ticks=ticks, tick_formatter=lambda value, i, n: number(int(value)))
    # Two rows' room at least: with one, the axis and margins left its bar no height.
    return _svg(chart, 40 + 26 * max(len(rows), 2), label, size)
