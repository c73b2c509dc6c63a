"""Chart geometry shared by the web pages (SVG) and the PDF tally's delivery annex (reportlab).

Pure and exact: values are integers or `Fraction`s, and every coordinate is a whole number
computed by integer division, so the same figures always give the same drawing (the PDF's
bytes stay deterministic). A chart is a value listing what to draw: the web template writes it
as SVG with attributes only (no inline style or script, so the strict Content-Security-Policy
holds), and the PDF draws the same shapes.

Three kinds: horizontal `bars` (one value per row), `stacked_bars` (parts of one total per
row, for example paid and not yet paid), and `line_chart` (a line per series across rounds;
several small ones side by side make small multiples). Series are told apart by dash pattern
and marker shape as well as colour, and each line is labelled at its end, so no reader needs
the colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import floor

__all__ = [
    "COLOURS",
    "DASHES",
    "Bar",
    "BarChart",
    "Line",
    "LineChart",
    "Segment",
    "Series",
    "StackRow",
    "bars",
    "line_chart",
    "nice_top",
    "per_thousand_text",
    "stacked_bars",
]

# Dark enough for 3:1 against white (WCAG 1.4.11), and different in lightness too.
COLOURS = ("#0b5d4b", "#8a3b12", "#1f4e99", "#6b2c7a", "#4a5560", "#7a5c00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
LABEL_WIDTH = 120
ROW = 34


def nice_top(largest: Fraction) -> Fraction:
    """Return a round number at or above `largest` for an axis: 1, 2 or 5 times a power of 10."""
    if largest <= 0:
        return Fraction(1)
    step = Fraction(1)
    while step * 10 <= largest:
        step *= 10
    while step > largest:
        step /= 10
    for k in (1, 2, 5, 10):
        if step * k >= largest:
            return step * k
    return step * 10  # pragma: no cover - k = 10 always suffices


def _scale(value: Fraction, top: Fraction, length: int) -> int:
    if top <= 0 or value <= 0:
        return 0
    return int(value * length / top)


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: label, bar length in units, and the value as written."""

    label: str
    y: int
    width: int
    text: str


@dataclass(frozen=True)
class BarChart:
    """Rows of bars, `width` by `height` units, bars starting at `x0`."""

    width: int
    height: int
    x0: int
    bars: tuple[Bar, ...]


def bars(rows: Sequence[tuple[str, Fraction | int, str]], *, width: int = 340) -> BarChart:
    """Lay out one bar per (label, value, text) row, scaled to the largest value."""
    top = max([*(Fraction(v) for _, v, _ in rows), Fraction(0)])
    span = width - LABEL_WIDTH - 70
    laid = tuple(
        Bar(label, i * ROW, _scale(Fraction(v), top, span), text)
        for i, (label, v, text) in enumerate(rows)
    )
    return BarChart(width, max(len(rows), 1) * ROW, LABEL_WIDTH, laid)


@dataclass(frozen=True)
class Segment:
    """A part of a stacked bar: from `x` for `width` units, in series `index`."""

    index: int
    x: int
    width: int


@dataclass(frozen=True)
class StackRow:
    """One stacked bar: its label, segments, and its total as written."""

    label: str
    y: int
    segments: tuple[Segment, ...]
    text: str


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[Fraction | int], str]], *, width: int = 340
) -> tuple[BarChart, tuple[StackRow, ...]]:
    """Lay out one bar per row made of its parts end to end, scaled to the largest total."""
    top = max([sum((Fraction(v) for v in parts), Fraction(0)) for _, parts, _ in rows] + [0])
    span = width - LABEL_WIDTH - 70
    out = []
    for i, (label, parts, text) in enumerate(rows):
        x, running, segments = LABEL_WIDTH, Fraction(0), []
        for k, v in enumerate(parts):
            running += Fraction(v)
            end = LABEL_WIDTH + _scale(running, Fraction(top), span)
            if end > x:
                segments.append(Segment(k, x, end - x))
            x = end
        out.append(StackRow(label, i * ROW, tuple(segments), text))
    chart = BarChart(width, max(len(rows), 1) * ROW, LABEL_WIDTH, ())
    return chart, tuple(out)


@dataclass(frozen=True)
class Series:
    """A named line: one value per x label (None where there is no value)."""

    name: str
    values: tuple[Fraction | None, ...]


@dataclass(frozen=True)
class Line:
    """A drawn line: its points, its end label's place, colour and dash pattern."""

    name: str
    points: tuple[tuple[int, int], ...]
    colour: str
    dash: str
    marker: int

    @property
    def path(self) -> str:
        """Return the points as an SVG `points` attribute."""
        return " ".join(f"{x},{y}" for x, y in self.points)


@dataclass(frozen=True)
class LineChart:
    """Lines over x labels, with y ticks; the plot spans `left`..`right`, `top`..`bottom`."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: tuple[tuple[int, str], ...]
    y_ticks: tuple[tuple[int, str], ...]
    lines: tuple[Line, ...]


def _tick_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 340,
    height: int = 200,
    label_room: int = 40,
) -> LineChart:
    """Lay out a line per series across the x labels, on an axis from 0 to a round top."""
    left, top, bottom = 36, 10, height - 24
    right = width - label_room
    values = [v for s in series for v in s.values if v is not None]
    axis_top = nice_top(max([*values, Fraction(0)]))
    n = len(x_labels)
    span = right - left
    xs = [left + (span * i // (n - 1) if n > 1 else span // 2) for i in range(n)]

    def y_of(v: Fraction) -> int:
        return bottom - _scale(v, axis_top, bottom - top)

    lines = tuple(
        Line(
            s.name,
            tuple((xs[i], y_of(v)) for i, v in enumerate(s.values) if v is not None),
            COLOURS[k % len(COLOURS)],
            DASHES[k % len(DASHES)],
            k % 3,
        )
        for k, s in enumerate(series)
    )
    y_ticks = tuple((y_of(axis_top * j / 4), _tick_text(axis_top * j / 4)) for j in range(5))
    x_ticks = tuple(zip(xs, x_labels, strict=True))
    return LineChart(width, height, left, right, top, bottom, x_ticks, y_ticks, lines)


def per_thousand_text(value: Fraction) -> str:
    """Write a rate with one decimal place, rounded half up (e.g. 12.35 -> '12.4')."""
    tenths = floor(value * 10 + Fraction(1, 2)) if value > 0 else 0
    return f"{tenths // 10}.{tenths % 10}"
