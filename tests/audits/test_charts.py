"""Chart geometry (audits.charts): labels that never collide, and small multiples on one scale."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from audits import charts


def test_web_bars_put_each_label_on_its_own_line_above_its_bar():
    chart = charts.bars([("Completed, awaiting confirmation", 3, "3"), ("Delayed", 0, "0")])
    at = chart.layout
    assert chart.x0 == 0 and at is charts.ABOVE
    # The label's line (13 units of type) ends above the bar, which ends above the next label.
    assert at.label_y + 4 <= at.bar_y and at.bar_y + 16 < at.row + at.label_y - 13
    assert chart.bars[1].y == at.row


def test_pdf_bars_keep_their_labels_beside_the_bars():
    chart, stacks = charts.stacked_bars([("Decile 1", (1, 2), "3")], layout=charts.BESIDE)
    assert chart.x0 == charts.LABEL_WIDTH == 120 and stacks[0].segments[0].x == 120


def test_small_multiples_share_one_scale():
    low = charts.Series("Low", (Fraction(2), Fraction(3)))
    high = charts.Series("High", (Fraction(40), Fraction(70)))
    top = charts.shared_top([low, high])
    assert top == 100
    a = charts.line_chart(["1", "2"], [low], width=160, height=100, top=top)
    b = charts.line_chart(["1", "2"], [high], width=160, height=100, top=top)
    assert a.y_ticks == b.y_ticks  # the same axis in every panel
    alone = charts.line_chart(["1", "2"], [low], width=160, height=100)
    assert alone.y_ticks[-1][1] == "5"  # on its own, the low panel would look as tall


@given(st.lists(st.integers(0, 60), min_size=1, max_size=10))
def test_line_end_labels_never_overlap(values):
    series = [charts.Series(f"D{k + 1}", (Fraction(v),)) for k, v in enumerate(values)]
    chart = charts.line_chart(["1"], series)
    ys = sorted(line.label_y for line in chart.lines)
    assert all(b - a >= charts.LINE_LABEL_GAP for a, b in pairwise(ys))
    assert all(chart.top <= y <= chart.bottom + 4 for y in ys)
