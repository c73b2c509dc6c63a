"""The PDF tally's tables, paragraph styles and funds chart (see audits/pdf.py): column widths
from the text they hold, so the same document always lays out the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Paragraph,
    Table,
    TableStyle,
)

from audits.tally_document import TallyDocument
from audits.typeface import BODY, BOLD, MONO, has_rtl, markup, register_fonts, text_width
from ballots.wording import money as format_money

PAGE_WIDTH, PAGE_HEIGHT = A4


MARGIN = 15 * mm


FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN


TABLE_FONT_SIZE = 8.0


CELL_PADDING = 4.0  # left and right, each


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=BODY, fontSize=9.5, leading=13, spaceAfter=3)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=17, leading=21, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=1),
        "cell": ParagraphStyle(
            "cell", parent=body, fontSize=TABLE_FONT_SIZE, leading=10, spaceAfter=0
        ),
        "cellbold": ParagraphStyle(
            "cellbold",
            parent=body,
            fontName=BOLD,
            fontSize=TABLE_FONT_SIZE,
            leading=10,
            spaceAfter=0,
        ),
        "num": ParagraphStyle(
            "num",
            parent=body,
            fontSize=TABLE_FONT_SIZE,
            leading=10,
            spaceAfter=0,
            alignment=TA_RIGHT,
        ),
        "mono": ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=7.2, leading=9.2),
    }


# The header row's fill, the same in every table of the documents.
HEADER_BACKGROUND = ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe9"))


def grid_commands(*, last_row: int = -1) -> list[tuple[Any, ...]]:
    """Return the commands every table starts with: font, padding, and a grid to `last_row`."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), BODY),
        ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("GRID", (0, 0), (-1, last_row), 0.25, colors.grey),
    ]


def para(text: str, style: ParagraphStyle, *, bold: bool = False) -> Paragraph:
    """Return a paragraph of plain text; Arabic-script text is shaped, right to left."""
    if has_rtl(text):
        style = ParagraphStyle(f"{style.name}-rtl", parent=style, shaping=1)
    return Paragraph(markup(text, bold=bold), style)


@dataclass(frozen=True)
class Column:
    """One column of the results table: header, cell texts, width, and whether it wraps."""

    header: str
    cells: tuple[str, ...]
    width: float
    wraps: bool
    numeric: bool


def _natural(texts: Sequence[str], *, bold: bool = False) -> float:
    return max((text_width(t, TABLE_FONT_SIZE, bold=bold) for t in texts), default=0.0)


def _longest_word(texts: Sequence[str]) -> float:
    return max((text_width(w, TABLE_FONT_SIZE) for t in texts for w in t.split()), default=0.0)


def results_columns(doc: TallyDocument) -> list[Column]:
    """Return the results table's columns, each as wide as its widest value needs.

    Numbers never wrap: their columns are as wide as the widest figure (or header word). The
    text columns share what is left, in proportion to their longest line, and wrap at spaces;
    none is narrower than its longest word, so no cell overflows its column.
    """
    spec = _column_spec(doc)
    pad = 2 * CELL_PADDING + 0.5
    numeric_widths = []
    for header, cells, numeric in spec:
        if numeric:
            header_need = max(text_width(w, TABLE_FONT_SIZE, bold=True) for w in header.split())
            numeric_widths.append(max(_natural(cells), header_need) + pad)
    room = FRAME_WIDTH - sum(numeric_widths)
    widths = _text_widths([(h, c) for h, c, numeric in spec if not numeric], room, pad)
    out = []
    text_iter, num_iter = iter(widths), iter(numeric_widths)
    for header, cells, numeric in spec:
        width = next(num_iter) if numeric else next(text_iter)
        out.append(Column(header, tuple(cells), round(width, 2), not numeric, numeric))
    return out


def _column_spec(doc: TallyDocument) -> list[tuple[str, list[str], bool]]:
    """Each column's header, cells, and whether it holds numbers."""
    money = money_formatter(doc.currency)
    totals = _totals(doc)
    # One line per printed column, in print order (kept as a table: fmt: skip).
    spec: list[tuple[str, list[str], bool]] = [
        ("Project", [f"{r.name} ({r.project_id})" for r in doc.rows] + [t for t, _ in totals],
         False),
        ("Organisation", [r.organisation for r in doc.rows], False),
        ("Area", [r.area for r in doc.rows], False),
        (doc.support_label, [f"{r.support:,}" for r in doc.rows], True),
        ("Cost", [money(r.cost) for r in doc.rows], True),
        ("Funded", ["yes" if r.funded else "no" for r in doc.rows], True),
        ("Amount", [money(r.amount) if r.funded else "" for r in doc.rows]
         + [money(v) for _, v in totals], True),
    ]  # fmt: skip
    if doc.ledger_count > 0:
        spec.append(("Paid", [money(r.paid) if r.funded else "" for r in doc.rows], True))
    return spec


def _text_widths(texts: list[tuple[str, list[str]]], room: float, pad: float) -> list[float]:
    """The text columns share `room` in proportion to their longest line, none narrower than
    its longest word."""
    natural = [max(_natural(c), text_width(h, TABLE_FONT_SIZE, bold=True)) + pad for h, c in texts]
    floors = [
        max(_longest_word(c), text_width(h, TABLE_FONT_SIZE, bold=True)) + pad for h, c in texts
    ]
    if sum(natural) <= room:
        widths = list(natural)
        widths[0] += room - sum(natural)
    else:
        spare = max(room - sum(floors), 0.0)
        extra = [n - f for n, f in zip(natural, floors, strict=True)]
        total_extra = sum(extra) or 1.0
        widths = [f + spare * e / total_extra for f, e in zip(floors, extra, strict=True)]
    return widths


def money_formatter(currency: str) -> Any:
    def money(amount: Fraction | int) -> str:
        return format_money(amount, currency)

    return money


def _totals(doc: TallyDocument) -> list[tuple[str, Fraction]]:
    allocated = sum((r.amount for r in doc.rows if r.funded), Fraction(0))
    return [
        ("Budget", doc.budget),
        ("Allocated", allocated),
        ("Left over", doc.budget - allocated),
    ]


def results_table(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> Table:
    columns = results_columns(doc)
    n_rows = len(doc.rows)
    header = [para(c.header, st["cellbold"], bold=True) for c in columns]
    data: list[list[Any]] = [header]
    for i in range(n_rows):
        row: list[Any] = []
        for c in columns:
            text = c.cells[i]
            row.append(para(text, st["cell"]) if c.wraps else text)
        data.append(row)
    amount_col = next(i for i, c in enumerate(columns) if c.header == "Amount")
    for j, (label, _) in enumerate(_totals(doc)):
        row = [""] * len(columns)
        row[0] = para(label, st["cellbold"], bold=True)
        row[amount_col] = columns[amount_col].cells[n_rows + j]
        data.append(row)
    style = [
        *grid_commands(last_row=n_rows),
        ("LINEABOVE", (0, n_rows + 1), (-1, n_rows + 1), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        HEADER_BACKGROUND,
    ]
    for i, c in enumerate(columns):
        if c.numeric:
            style.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
    for j in range(3):
        r = n_rows + 1 + j
        style.append(("FONTNAME", (0, r), (-1, r), BOLD))
        style.append(("SPAN", (0, r), (amount_col - 1, r)))
    table = Table(data, colWidths=[c.width for c in columns], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def payments_table(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> Table:
    money = money_formatter(doc.currency)
    funded = [r for r in doc.rows if r.funded]
    rows = [
        [
            para(f"{r.name} ({r.project_id})", st["cell"]),
            para(r.organisation, st["cell"]),
            money(r.amount),
            money(r.paid),
            _share(r.paid, r.amount),
        ]
        for r in funded
    ]
    paid_total = sum(r.paid for r in funded)
    allocated = sum((r.amount for r in funded), Fraction(0))
    figures = [[money(r.amount), money(r.paid), _share(r.paid, r.amount)] for r in funded]
    figures.append([money(allocated), money(paid_total), _share(paid_total, allocated)])
    headers = ["Allocated", "Paid", "Paid of allocated"]
    pad = 2 * CELL_PADDING + 0.5
    widths = [
        max(
            max(text_width(f[i], TABLE_FONT_SIZE) for f in figures),
            max(text_width(w, TABLE_FONT_SIZE, bold=True) for w in headers[i].split()),
        )
        + pad
        for i in range(3)
    ]
    room = FRAME_WIDTH - sum(widths)
    first = [para(h, st["cellbold"], bold=True) for h in ("Project", "Organisation")]
    data = [first + [para(h, st["cellbold"], bold=True) for h in headers], *rows]
    data.append([para("Total", st["cellbold"], bold=True), "", *figures[-1]])
    table = Table(data, colWidths=[room * 0.6, room * 0.4, *widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *grid_commands(),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                HEADER_BACKGROUND,
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("SPAN", (0, -1), (1, -1)),
            ]
        )
    )
    return table


def _share(paid: int | Fraction, allocated: Fraction) -> str:
    if not allocated:
        return "–"
    pct = Fraction(paid) * 100 / allocated
    whole = int((pct * 2 + 1) // 2)
    return f"{whole}%"


def funds_chart(doc: TallyDocument) -> Drawing:
    register_fonts()
    drawing = Drawing(FRAME_WIDTH, 75 * mm, initialFontName=BODY)
    chart = VerticalBarChart()
    chart.x, chart.y = 22 * mm, 20 * mm
    chart.width, chart.height = FRAME_WIDTH - 26 * mm, 48 * mm
    # Drawing needs numbers; these are display values in minor units, never compared. The
    # axis labels go through the same money formatter as the table.
    chart.data = [[float(a.amount) for a in doc.areas] or [0.0]]
    chart.categoryAxis.categoryNames = [
        f"{a.area} (decile {a.decile})" if a.decile is not None else a.area for a in doc.areas
    ] or ["(none)"]
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fontName = BODY
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = BODY
    chart.bars[0].fillColor = colors.HexColor("#2c6e49")
    currency = doc.currency
    # Axis labels in whole major units (a hundred minor units), through the same formatter.
    chart.valueAxis.labelTextFormat = lambda v: format_money(round(v / 100) * 100, currency)
    drawing.add(chart)
    title = "Funds allocated by area, with each area's deprivation decile"
    drawing.add(String(0, 70 * mm, title, fontSize=9, fontName=BOLD))
    return drawing
