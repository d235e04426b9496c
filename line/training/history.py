"""The history of test runs as figures over time, and the geometry of its chart, which
the page draws as inline SVG (the words are the template's)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from line.training import runs

SERIES = ("intent_accuracy", "faq_accuracy")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 44, 12, 12, 28


def tested(history: list[dict]) -> list[dict]:
    """Runs that tested a candidate to the end, oldest first: one point each."""
    return [
        r
        for r in reversed(history)
        if r["kind"] != runs.ROLLBACK and (r["results"] or {}).get("after")
    ]


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    lines: dict = field(default_factory=dict)  # series -> "x,y x,y ..."
    points: list = field(default_factory=list)  # (series, x, y, value, run id)
    y_ticks: list = field(default_factory=list)  # (y, value)
    x_ticks: list = field(default_factory=list)  # (x, run)
    bottom: int = HEIGHT - BOTTOM
    left: int = LEFT
    right: int = WIDTH - RIGHT


def chart(history: list[dict]) -> Chart:
    """Intent and FAQ accuracy per run, on a scale from the lowest tenth seen to 1."""
    rows = tested(history)
    made = Chart()
    if not rows:
        return made
    values = [r["results"]["after"][s] for r in rows for s in SERIES]
    floor = min(0.9, math.floor(min(values) * 10) / 10)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (len(rows) - 1) if len(rows) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - floor) / (1 - floor))

    for series in SERIES:
        coords = [
            (round(x(i), 1), round(y(r["results"]["after"][series]), 1)) for i, r in enumerate(rows)
        ]
        made.lines[series] = " ".join(f"{cx},{cy}" for cx, cy in coords)
        made.points += [
            (series, cx, cy, rows[i]["results"]["after"][series], rows[i]["id"])
            for i, (cx, cy) in enumerate(coords)
        ]
    steps = round((1 - floor) * 10)
    made.y_ticks = [
        (round(y(floor + k / 10), 1), round(floor + k / 10, 1)) for k in range(steps + 1)
    ]
    # At most eight dates under the axis, evenly spread, the last always among them.
    every = max(1, math.ceil(len(rows) / 8))
    made.x_ticks = [
        (round(x(i), 1), r) for i, r in enumerate(rows) if i % every == 0 or i == len(rows) - 1
    ]
    return made
