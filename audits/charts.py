"""Chart geometry shared by the web pages (SVG) and the PDF tally's delivery annex (reportlab).

Pure and exact: values are integers or `Fraction`s, and every coordinate is a whole number
computed by integer division, so the same figures always give the same drawing (the PDF's
bytes stay deterministic). A chart is a value listing what to draw: the web template writes it
as SVG with attributes only (no inline style or script, so the strict Content-Security-Policy
holds), and the PDF draws the same shapes.

Three kinds: horizontal `bars` (one value per row), `stacked_bars` (parts of one total per
row, for example paid and not yet paid), and `line_chart` (a line per series across rounds;
several small ones side by side make small multiples, drawn on one shared scale so that they
compare: pass the same `top`, from `shared_top`). Series are told apart by dash pattern and
marker shape as well as colour, and each line is labelled at its end (labels spread apart so
they never overlap), so no reader needs the colours.

Bars come in two layouts: `ABOVE` (the web: each label on its own line above its bar, so a long
label never runs into the bar or its value, even on a 360 px phone) and `BESIDE` (the PDF,
which has the width for labels left of the bars).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import floor

__all__ = [
    "ABOVE",
    "BESIDE",
    "COLOURS",
    "DASHES",
    "Bar",
    "BarChart",
    "BarLayout",
    "Line",
    "LineChart",
    "Segment",
    "Series",
    "StackRow",
    "bars",
    "line_chart",
    "nice_top",
    "per_thousand_text",
    "shared_top",
    "stacked_bars",
]

# Dark enough for 3:1 against white (WCAG 1.4.11), and different in lightness too.
COLOURS = ("#0b5d4b", "#8a3b12", "#1f4e99", "#6b2c7a", "#4a5560", "#7a5c00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
VALUE_ROOM = 70  # room right of the longest bar for its value


@dataclass(frozen=True)
class BarLayout:
    """Where a bar row puts its parts, in units from the row's top (y) and the left (x0)."""

    x0: int  # where bars start (the label's room when labels are beside them)
    row: int  # height of a row
    label_y: int  # the label's baseline
    bar_y: int  # the bar's top (bars are 16 high)
    text_y: int  # the value's baseline, right of the bar


ABOVE = BarLayout(x0=0, row=44, label_y=14, bar_y=20, text_y=33)
BESIDE = BarLayout(x0=120, row=34, label_y=20, bar_y=8, text_y=21)
LABEL_WIDTH = BESIDE.x0
ROW = BESIDE.row


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
    """Rows of bars, `width` by `height` units, bars starting at `x0`, placed by `layout`."""

    width: int
    height: int
    x0: int
    bars: tuple[Bar, ...]
    layout: BarLayout = ABOVE


def bars(
    rows: Sequence[tuple[str, Fraction | int, str]],
    *,
    width: int = 340,
    layout: BarLayout = ABOVE,
) -> BarChart:
    """Lay out one bar per (label, value, text) row, scaled to the largest value."""
    top = max([*(Fraction(v) for _, v, _ in rows), Fraction(0)])
    span = width - layout.x0 - VALUE_ROOM
    laid = tuple(
        Bar(label, i * layout.row, _scale(Fraction(v), top, span), text)
        for i, (label, v, text) in enumerate(rows)
    )
    return BarChart(width, max(len(rows), 1) * layout.row, layout.x0, laid, layout)


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
    rows: Sequence[tuple[str, Sequence[Fraction | int], str]],
    *,
    width: int = 340,
    layout: BarLayout = ABOVE,
) -> tuple[BarChart, tuple[StackRow, ...]]:
    """Lay out one bar per row made of its parts end to end, scaled to the largest total."""
    top = max([sum((Fraction(v) for v in parts), Fraction(0)) for _, parts, _ in rows] + [0])
    span = width - layout.x0 - VALUE_ROOM
    out = []
    for i, (label, parts, text) in enumerate(rows):
        x, running, segments = layout.x0, Fraction(0), []
        for k, v in enumerate(parts):
            running += Fraction(v)
            end = layout.x0 + _scale(running, Fraction(top), span)
            if end > x:
                segments.append(Segment(k, x, end - x))
            x = end
        out.append(StackRow(label, i * layout.row, tuple(segments), text))
    chart = BarChart(width, max(len(rows), 1) * layout.row, layout.x0, (), layout)
    return chart, tuple(out)


@dataclass(frozen=True)
class Series:
    """A named line: one value per x label (None where there is no value)."""

    name: str
    values: tuple[Fraction | None, ...]


@dataclass(frozen=True)
class Line:
    """A drawn line: its points, colour, dash pattern, marker, and its end label's baseline."""

    name: str
    points: tuple[tuple[int, int], ...]
    colour: str
    dash: str
    marker: int
    label_y: int = 0

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


LINE_LABEL_GAP = 14  # end labels (11 units high) at least this far apart


def _spread(ys: Sequence[int], low: int, high: int) -> list[int]:
    """Return the ys moved apart by LINE_LABEL_GAP at least, kept between low and high."""
    order = sorted(range(len(ys)), key=lambda i: (ys[i], i))
    placed = list(ys)
    previous: int | None = None
    for i in order:  # downwards: each at least a gap below the one above
        placed[i] = max(ys[i], low) if previous is None else max(ys[i], previous + LINE_LABEL_GAP)
        previous = placed[i]
    following: int | None = None
    for i in reversed(order):  # then up from the bottom, where they ran past it
        limit = high if following is None else following - LINE_LABEL_GAP
        placed[i] = min(placed[i], limit)
        following = placed[i]
    return placed


def shared_top(series: Sequence[Series]) -> Fraction:
    """Return the round axis top for all these series: small multiples share one scale."""
    return nice_top(max([*(v for s in series for v in s.values if v is not None), Fraction(0)]))


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 340,
    height: int = 200,
    label_room: int = 40,
    top: Fraction | None = None,
) -> LineChart:
    """Lay out a line per series across the x labels, on an axis from 0 to a round top
    (`top` when given, so several charts share one scale)."""
    axis_top = top if top is not None else shared_top(series)
    left, top_y, bottom = 36, 10, height - 24
    right = width - label_room
    n = len(x_labels)
    span = right - left
    xs = [left + (span * i // (n - 1) if n > 1 else span // 2) for i in range(n)]

    def y_of(v: Fraction) -> int:
        return bottom - _scale(v, axis_top, bottom - top_y)

    points = [
        tuple((xs[i], y_of(v)) for i, v in enumerate(s.values) if v is not None) for s in series
    ]
    ends = _spread([p[-1][1] + 4 if p else bottom for p in points], top_y + 4, bottom + 4)
    lines = tuple(
        Line(
            s.name,
            points[k],
            COLOURS[k % len(COLOURS)],
            DASHES[k % len(DASHES)],
            k % 3,
            ends[k],
        )
        for k, s in enumerate(series)
    )
    y_ticks = tuple((y_of(axis_top * j / 4), _tick_text(axis_top * j / 4)) for j in range(5))
    x_ticks = tuple(zip(xs, x_labels, strict=True))
    return LineChart(width, height, left, right, top_y, bottom, x_ticks, y_ticks, lines)


def per_thousand_text(value: Fraction) -> str:
    """Write a rate with one decimal place, rounded half up (e.g. 12.35 -> '12.4')."""
    tenths = floor(value * 10 + Fraction(1, 2)) if value > 0 else 0
    return f"{tenths // 10}.{tenths % 10}"
