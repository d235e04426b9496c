"""Where the bars of the console's charts go: plain numbers that templates draw as inline SVG.

The console draws its charts on the server (no script, nothing downloaded). This module
places bars, gridlines and labels in a fixed box (the SVG's viewBox, scaled to the page),
so that one bar and four hundred read alike: a lone bar keeps a bar's width, and axis
labels are spaced so that they never overlap, however many bars there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

WIDTH = 720
TIME_HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 52, 32, 14, 40  # margins of a time chart: axis values, labels
LABEL_WIDTH = 60  # what one axis label needs ("30/12", "sep 2025") at the chart's font size
MAX_BAR = 64  # one bar alone stays a bar, not a wall
GAP = 0.2  # the share of a bar's slot left empty
ROW, BAR = 26, 18  # one row of a horizontal bar chart, and its bar
NAME_WIDTH = 250  # room for a topic's title left of its bar
VALUE_WIDTH = 56  # room for the count right of the longest bar
MAX_TICKS = 5


def ticks(top: int, most: int = MAX_TICKS) -> list[int]:
    """Round gridline values from 0 up to `top` or just above, 1, 2 or 5 times a power of
    ten apart, at most `most` of them: 0 5 10 15, never 0 3.7 7.4."""
    top = max(top, 1)
    power = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * power
            if math.ceil(top / step) <= most - 1:
                return [step * i for i in range(math.ceil(top / step) + 1)]
        power *= 10


@dataclass(frozen=True)
class Segment:
    """One series' part of a stacked bar."""

    series: str
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    """One day, week or month: its stacked bar and whether its label is drawn."""

    key: Any
    total: int
    x: float  # the bar's left edge
    center: float
    segments: tuple[Segment, ...]
    labelled: bool


@dataclass(frozen=True)
class TimeChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    baseline: float
    bar_width: float
    columns: tuple[Column, ...]
    gridlines: tuple[tuple[float, int], ...]  # (y, value)


def time_chart(
    buckets: Sequence[tuple[Any, Mapping[str, int]]], series: Sequence[str]
) -> TimeChart:
    """Stacked bars over time, one per bucket, `series` stacked in that order from the
    axis up. Labels go under every n-th bar, n chosen so that they never touch."""
    left, right = LEFT, WIDTH - RIGHT
    top, baseline = TOP, TIME_HEIGHT - BOTTOM
    count = max(len(buckets), 1)
    slot = (right - left) / count
    bar = min(slot * (1 - GAP), MAX_BAR)
    every = max(1, math.ceil(LABEL_WIDTH / slot))
    totals = [sum(values.get(name, 0) for name in series) for _, values in buckets]
    lines = ticks(max(totals, default=0))
    scale = (baseline - top) / lines[-1]
    columns = []
    for index, ((key, values), total) in enumerate(zip(buckets, totals, strict=True)):
        center = left + slot * (index + 0.5)
        floor, segments = baseline, []
        for name in series:
            value = values.get(name, 0)
            if value:
                height = value * scale
                floor -= height
                segments.append(Segment(name, value, floor, height))
        columns.append(
            Column(key, total, center - bar / 2, center, tuple(segments), index % every == 0)
        )
    return TimeChart(
        WIDTH,
        TIME_HEIGHT,
        left,
        right,
        top,
        baseline,
        bar,
        tuple(columns),
        tuple((baseline - value * scale, value) for value in lines),
    )


@dataclass(frozen=True)
class Row:
    key: str
    value: int
    y: float  # the bar's top edge
    width: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float  # where bars start (names end just before)
    top: float
    bottom: float
    bar_height: float
    rows: tuple[Row, ...]
    gridlines: tuple[tuple[float, int], ...]  # (x, value)


def bar_chart(items: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars in the given order, one row each, the chart as tall as its rows,
    so long names stay readable and twenty topics take no more room than they need."""
    left, plot = NAME_WIDTH, WIDTH - NAME_WIDTH - VALUE_WIDTH
    lines = ticks(max((value for _, value in items), default=0))
    scale = plot / lines[-1]
    top = TOP
    rows = tuple(
        Row(key, value, top + ROW * index + (ROW - BAR) / 2, value * scale)
        for index, (key, value) in enumerate(items)
    )
    bottom = top + ROW * max(len(items), 1)
    return BarChart(
        WIDTH,
        int(bottom + BOTTOM // 2 + 6),
        left,
        top,
        bottom,
        BAR,
        rows,
        tuple((left + value * scale, value) for value in lines),
    )
