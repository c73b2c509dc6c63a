"""The PDF tally's delivery annex: the dashboard's charts for this round, from delivery.json.

The shapes come from `audits.charts`, the same geometry the web dashboard draws as SVG, scaled
from its units to points; every coordinate is an integer computation, so the bytes are the
same for the same file (and the verifier's re-rendering matches).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from audits import charts
from audits.annex import DeliveryAnnex
from audits.pdf_tables import FRAME_WIDTH, HEADER_BACKGROUND, grid_commands, para
from audits.typeface import BODY, BOLD, register_fonts
from ballots.wording import combined_words, impact_total_text
from ballots.wording import money as format_money

__all__ = ["annex_story"]

# Month names spelt out here, not by strftime, which follows the machine's locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
BRAND = colors.HexColor("#0b5d4b")
LIGHT = colors.HexColor("#9cc5b8")


def _stacked(title: str, rows: Sequence[tuple[str, Sequence[Fraction | int], str]],
             keys: tuple[str, str]) -> Drawing:  # fmt: skip
    """Draw stacked bars (first part dark, second light) with a key, flipped for the PDF."""
    register_fonts()
    chart, stacks = charts.stacked_bars(rows, width=340, layout=charts.BESIDE)
    scale = float(FRAME_WIDTH) / chart.width
    height = (chart.height + 34) * scale
    drawing = Drawing(FRAME_WIDTH, height, initialFontName=BODY)
    drawing.add(String(0, height - 10, title, fontSize=9, fontName=BOLD))
    top = height - 18

    def y_of(y: int) -> float:
        return top - y * scale

    for s in stacks:
        drawing.add(String(0, y_of(s.y + 20), s.label, fontSize=7, fontName=BODY))
        end = chart.x0
        for seg in s.segments:
            fill = BRAND if seg.index == 0 else LIGHT
            drawing.add(Rect(seg.x * scale, y_of(s.y + 24), seg.width * scale, 16 * scale,
                             fillColor=fill, strokeColor=BRAND, strokeWidth=0.5))  # fmt: skip
            end = seg.x + seg.width
        drawing.add(String((end + 6) * scale, y_of(s.y + 21), s.text, fontSize=7, fontName=BODY))
    drawing.add(Rect(0, 2, 8, 6, fillColor=BRAND, strokeColor=BRAND))
    drawing.add(String(11, 2, keys[0], fontSize=7, fontName=BODY))
    if keys[1]:
        drawing.add(Rect(FRAME_WIDTH / 2, 2, 8, 6, fillColor=LIGHT, strokeColor=BRAND))
        drawing.add(String(FRAME_WIDTH / 2 + 11, 2, keys[1], fontSize=7, fontName=BODY))
    return drawing


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           st: Mapping[str, ParagraphStyle]) -> Table:  # fmt: skip
    data = [[para(h, st["cellbold"], bold=True) for h in header], *[list(r) for r in rows]]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                *grid_commands(),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                HEADER_BACKGROUND,
            ]
        )
    )
    return table


def _per_resident(amount: Fraction | int, population: int) -> Fraction:
    return Fraction(amount) / population if population else Fraction(0)


def _percent(part: int, whole: int) -> str:
    return f"{int(Fraction(part * 100, whole) + Fraction(1, 2))}%" if whole else "0%"


def when_words(checkpoint: tuple[int, str] | None) -> str:
    """Say which co-signed checkpoint the annex's figures date from (empty when unknown)."""
    if checkpoint is None:
        return ""
    number, iso = checkpoint
    try:
        day = dt.date.fromisoformat(iso)
        when = f" on {day.day} {MONTHS[day.month - 1]} {day.year}"
    except ValueError:  # the ledger's parser checks dates; say the number at least
        when = ""
    return (
        f"Figures as co-signed in ledger checkpoint {number}{when}; later changes appear in "
        "the next edition."
    )


def annex_story(
    annex: DeliveryAnnex,
    st: Mapping[str, ParagraphStyle],
    checkpoint: tuple[int, str] | None = None,
) -> list[Any]:
    """Return the annex's flowables: money, participation, coverage, delivery and impact.

    `checkpoint` is the (number, ISO date) of the ledger checkpoint that co-signed the annex."""
    c = annex.currency

    def money(v: Fraction | int) -> str:
        return format_money(v, c)

    money_rows = [
        (f"Decile {d.decile}",
         (_per_resident(d.paid, d.population),
          _per_resident(d.allocated, d.population) - _per_resident(d.paid, d.population)),
         money(_per_resident(d.allocated, d.population)))
        for d in annex.deciles
    ]  # fmt: skip
    turnout_rows = [
        (f"{t.area} (decile {t.decile})",
         (Fraction(t.voters * 1000, t.population) if t.population else Fraction(0), 0),
         charts.per_thousand_text(Fraction(t.voters * 1000, t.population))
         if t.population else "0.0")
        for t in annex.turnout
    ]  # fmt: skip
    story: list[Any] = [
        para("Delivery annex", st["h2"], bold=True),
        para(
            "The learning dashboard's figures for this round, from the attached delivery.json "
            "(paid amounts from the ledger; participation counts account voters placed by "
            "their postcode). The same charts are on the site at /learning, with the "
            f"figures as they stand today. {when_words(checkpoint)}".strip(),
            st["body"],
        ),
        para(
            f"{_percent(annex.covered, annex.voters)} of the {annex.voters:,} voters supported "
            f"at least one funded project ({annex.covered:,} voters).",
            st["body"],
        ),
        KeepTogether(
            [
                _stacked(
                    "Money per resident by deprivation decile",
                    money_rows,
                    ("Paid (ledger)", "Allocated, not yet paid"),
                ),
                _table(
                    ["Decile", "Residents", "Allocated", "Paid", "Allocated per resident"],
                    [
                        [
                            f"Decile {d.decile}",
                            f"{d.population:,}",
                            money(d.allocated),
                            money(d.paid),
                            money(_per_resident(d.allocated, d.population)),
                        ]
                        for d in annex.deciles
                    ],
                    st,
                ),
            ]
        ),
        Spacer(1, 4),
        KeepTogether(
            [
                _stacked("Voters per 1,000 residents by area", turnout_rows, ("Voters", "")),
                _table(
                    ["Area", "Residents", "Voters", "Per 1,000"],
                    [
                        [t.area, f"{t.population:,}", f"{t.voters:,}", r[2]]
                        for t, r in zip(annex.turnout, turnout_rows, strict=True)
                    ],
                    st,
                ),
            ]
        ),
        Spacer(1, 4),
        para("Milestones by status", st["h2"], bold=True),
        _table(["Status", "Milestones"], [[s, str(n)] for s, n in annex.milestones], st),
    ]
    if annex.impact:
        story += [
            para("Impact reported, per measure", st["h2"], bold=True),
            para("Counts are added up, scores averaged, and running totals taken as each "
                 "project's latest figure.", st["body"]),
            _table(["Measure", "Unit", "Total", "How combined"],
                   [[i.measure, i.unit, impact_total_text(i.total),
                     combined_words(i.aggregation, i.figures, i.projects)]
                    for i in annex.impact], st),
        ]  # fmt: skip
    return story
