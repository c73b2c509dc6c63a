"""The PDF tally: results in plain words, the evidence, and the evidence files attached.

The PDF is built by reportlab with ``invariant=1`` (fixed document id), with the fonts of
`audits.typeface` embedded, and then the attachments are added with pypdf; the document id is
taken from the content, and the creation date is the edition's publication date. So the same
`TallyDocument` always gives the same bytes, and `audits.edition` builds that document from the
attached files alone: ``decide-verify`` re-renders the pages and compares them byte for byte
(check 9), so nothing can be printed that the signed files do not say.

Printed evidence the verifier also reads back (page text, one per line)::

    manifest.json SHA-256 <64 hex>
    ballots.pb SHA-256 <64 hex>
    ...                                 one line for every attachment
    Merkle root <64 hex>
    Chain head <64 hex>
    Ledger head <64 hex> (<n> payments)

The manifest digest is the ``manifest.json SHA-256`` line: the digest panel members signed.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from audits.typeface import BODY, BOLD, MONO, has_rtl, markup, register_fonts, text_width
from ballots.wording import money as format_money

__all__ = [
    "ATTACHMENT_NAMES",
    "LAYOUT",
    "OPTIONAL_ATTACHMENTS",
    "AreaFunds",
    "Column",
    "PageDifference",
    "ResultRow",
    "SignerLine",
    "TallyDocument",
    "compare_pdfs",
    "printed_digests",
    "read_attachments",
    "render_pdf",
    "results_columns",
]

ATTACHMENT_NAMES = (
    "manifest.json",
    "ballots.pb",
    "signatures.json",
    "keys.json",
    "ledger.json",
    "board.json",
)
# Rounds imported from a file, and records made before the sealed box, have no board.json.
OPTIONAL_ATTACHMENTS = frozenset({"board.json"})
LAYOUT = "decide-tally/v1"
_DIGEST_LINE = re.compile(r"([A-Za-z0-9_.-]+\.(?:json|pb)) SHA-256 ([0-9a-f]{64})")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
TABLE_FONT_SIZE = 8.0
CELL_PADDING = 4.0  # left and right, each


@dataclass(frozen=True)
class ResultRow:
    """One project's line in the results table (money in minor units)."""

    project_id: str
    name: str
    organisation: str
    area: str
    support: int
    cost: Fraction
    funded: bool
    amount: Fraction
    paid: int = 0


@dataclass(frozen=True)
class AreaFunds:
    """Funds allocated to one area, with its deprivation decile (1 = most deprived)."""

    area: str
    decile: int | None
    amount: Fraction


@dataclass(frozen=True)
class SignerLine:
    """A co-signer and their signature on the manifest."""

    name: str
    public_key: str
    signature: str
    role: str = ""
    fingerprint: str = ""


@dataclass(frozen=True)
class TallyDocument:
    """Everything the PDF shows, as plain values; `audits.edition` fills it from the files."""

    round_id: str
    title: str
    currency: str
    budget: Fraction
    rule_name: str
    rule_description: str
    tie_break: str
    ballot_description: str
    ballot_count: int
    ballots_by_channel: tuple[tuple[str, int], ...]
    support_label: str
    rows: tuple[ResultRow, ...]
    areas: tuple[AreaFunds, ...]
    merkle_root: str
    chain_head: str
    manifest_digest: str
    threshold: int
    key_count: int
    signers: tuple[SignerLine, ...]
    aggregate_signature: str
    attachments: tuple[tuple[str, bytes], ...]
    edition: str = "1"
    ledger_summary: str = ""
    publication_date: str = ""
    rule_change: str = ""
    add1: str = ""
    threshold_reason: str = ""
    ledger_head: str = ""
    ledger_count: int = 0
    software_version: str = ""
    software_commit: str = ""
    software_repository: str = ""
    verifier_archive_sha256: str = ""


# --- Styles and cells --------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=BODY, fontSize=9.5, leading=13, spaceAfter=3)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=17, leading=21,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=12, leading=15,
                             spaceBefore=8, spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=1),
        "cell": ParagraphStyle("cell", parent=body, fontSize=TABLE_FONT_SIZE, leading=10,
                               spaceAfter=0),
        "cellbold": ParagraphStyle("cellbold", parent=body, fontName=BOLD,
                                   fontSize=TABLE_FONT_SIZE, leading=10, spaceAfter=0),
        "num": ParagraphStyle("num", parent=body, fontSize=TABLE_FONT_SIZE, leading=10,
                              spaceAfter=0, alignment=TA_RIGHT),
        "mono": ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=7.2, leading=9.2),
    }  # fmt: skip


def _para(text: str, style: ParagraphStyle, *, bold: bool = False) -> Paragraph:
    """Return a paragraph of plain text; Arabic-script text is shaped, right to left."""
    if has_rtl(text):
        style = ParagraphStyle(f"{style.name}-rtl", parent=style, shaping=1)
    return Paragraph(markup(text, bold=bold), style)


# --- The results table -------------------------------------------------------------------------


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
    money = _money(doc.currency)
    paid = doc.ledger_count > 0
    totals = _totals(doc)
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
    if paid:
        spec.append(("Paid", [money(r.paid) if r.funded else "" for r in doc.rows], True))
    pad = 2 * CELL_PADDING + 0.5
    numeric_widths = []
    for header, cells, numeric in spec:
        if numeric:
            header_need = max(text_width(w, TABLE_FONT_SIZE, bold=True) for w in header.split())
            numeric_widths.append(max(_natural(cells), header_need) + pad)
    room = FRAME_WIDTH - sum(numeric_widths)
    texts = [(h, c) for h, c, numeric in spec if not numeric]
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
    out = []
    text_iter, num_iter = iter(widths), iter(numeric_widths)
    for header, cells, numeric in spec:
        width = next(num_iter) if numeric else next(text_iter)
        out.append(Column(header, tuple(cells), round(width, 2), not numeric, numeric))
    return out


def _money(currency: str) -> Any:
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


def _results_table(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> Table:
    columns = results_columns(doc)
    n_rows = len(doc.rows)
    header = [_para(c.header, st["cellbold"], bold=True) for c in columns]
    data: list[list[Any]] = [header]
    for i in range(n_rows):
        row: list[Any] = []
        for c in columns:
            text = c.cells[i]
            row.append(_para(text, st["cell"]) if c.wraps else text)
        data.append(row)
    amount_col = next(i for i, c in enumerate(columns) if c.header == "Amount")
    for j, (label, _) in enumerate(_totals(doc)):
        row = [""] * len(columns)
        row[0] = _para(label, st["cellbold"], bold=True)
        row[amount_col] = columns[amount_col].cells[n_rows + j]
        data.append(row)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), BODY),
        ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("GRID", (0, 0), (-1, n_rows), 0.25, colors.grey),
        ("LINEABOVE", (0, n_rows + 1), (-1, n_rows + 1), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe9")),
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


def _payments_table(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> Table:
    money = _money(doc.currency)
    funded = [r for r in doc.rows if r.funded]
    rows = [[_para(f"{r.name} ({r.project_id})", st["cell"]), _para(r.organisation, st["cell"]),
             money(r.amount), money(r.paid), _share(r.paid, r.amount)]
            for r in funded]  # fmt: skip
    paid_total = sum(r.paid for r in funded)
    allocated = sum((r.amount for r in funded), Fraction(0))
    figures = [[money(r.amount), money(r.paid), _share(r.paid, r.amount)] for r in funded]
    figures.append([money(allocated), money(paid_total), _share(paid_total, allocated)])
    headers = ["Allocated", "Paid", "Paid of allocated"]
    pad = 2 * CELL_PADDING + 0.5
    widths = [
        max(max(text_width(f[i], TABLE_FONT_SIZE) for f in figures),
            max(text_width(w, TABLE_FONT_SIZE, bold=True) for w in headers[i].split())) + pad
        for i in range(3)
    ]  # fmt: skip
    room = FRAME_WIDTH - sum(widths)
    first = [_para(h, st["cellbold"], bold=True) for h in ("Project", "Organisation")]
    data = [first + [_para(h, st["cellbold"], bold=True) for h in headers], *rows]
    data.append([_para("Total", st["cellbold"], bold=True), "", *figures[-1]])
    table = Table(data, colWidths=[room * 0.6, room * 0.4, *widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), BODY),
                ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
                ("LEADING", (0, 0), (-1, -1), 10),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe9")),
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


# --- The chart ---------------------------------------------------------------------------------


def _chart(doc: TallyDocument) -> Drawing:
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


# --- The story ---------------------------------------------------------------------------------


def _wrap(hex_text: str, width: int = 96) -> str:
    return "\n    ".join(hex_text[i : i + width] for i in range(0, len(hex_text), width))


ROLE_WORDS = {"panel": "panel member", "official": "official"}


def _story(doc: TallyDocument) -> list[Any]:
    st = _styles()
    money = _money(doc.currency)
    channels = ", ".join(f"{n:,} {c}" for c, n in doc.ballots_by_channel) or "none"
    date = f" · published {doc.publication_date}" if doc.publication_date else ""
    story: list[Any] = [
        _para(f"Results: {doc.title}", st["title"], bold=True),
        _para(f"Round {doc.round_id} · edition {doc.edition}{date}", st["body"]),
        Spacer(1, 3 * mm),
        _para("How this round was decided", st["h2"], bold=True),
        _para(
            f"Budget: {money(doc.budget)}. Ballots: {doc.ballot_count:,} ({channels}).",
            st["body"],
        ),
        _para(f"Ballot: {doc.ballot_description}", st["body"]),
        _para(f"Allocation rule: {doc.rule_name}; {doc.tie_break}.", st["body"]),
    ]
    if doc.rule_description:
        story.append(_para(doc.rule_description, st["body"]))
    if doc.add1:
        story.append(_para(doc.add1, st["body"]))
    if doc.rule_change:
        story.append(_para(doc.rule_change, st["body"]))
    story += [
        _para("Results", st["h2"], bold=True),
        _results_table(doc, st),
        Spacer(1, 4 * mm),
        _chart(doc),
        _para(
            "Deprivation decile: 1 is the most deprived tenth of neighbourhoods, 10 the least.",
            st["small"],
        ),
        _para("Payments", st["h2"], bold=True),
    ]
    if doc.ledger_summary:
        story.append(_para(doc.ledger_summary, st["body"]))
    if doc.ledger_count:
        story.append(_payments_table(doc, st))
    evidence = [
        f"{name} SHA-256 {hashlib.sha256(data).hexdigest()}" for name, data in doc.attachments
    ]
    evidence += [f"Merkle root {doc.merkle_root}", f"Chain head {doc.chain_head}"]
    if doc.ledger_head:
        evidence.append(f"Ledger head {doc.ledger_head} ({doc.ledger_count} payments)")
    story += [
        KeepTogether(
            [
                _para("Evidence", st["h2"], bold=True),
                _para(
                    "These files are attached to this PDF. The manifest digest (the SHA-256 of "
                    "manifest.json) is what the panel signed; the pages are re-rendered from "
                    "the attached files by the verifier and must match them byte for byte.",
                    st["body"],
                ),
                Preformatted("\n".join(evidence), st["mono"]),
            ]
        ),
        _para("Signatures", st["h2"], bold=True),
        _para(
            f"{len(doc.signers)} of {doc.key_count} registered keys signed; "
            f"{doc.threshold} signature{'s are' if doc.threshold != 1 else ' is'} needed to "
            "publish.",
            st["body"],
        ),
    ]
    if doc.threshold_reason:
        story.append(_para(f"Why one signature is enough here: {doc.threshold_reason}", st["body"]))
    for s in doc.signers:
        role = f", {ROLE_WORDS.get(s.role, s.role)}" if s.role else ""
        finger = f" · key fingerprint {s.fingerprint}" if s.fingerprint else ""
        story.append(
            KeepTogether(
                [
                    _para(f"{s.name}{role}{finger}", st["small"]),
                    Preformatted(f"key {s.public_key}\nsig {_wrap(s.signature)}", st["mono"]),
                ]
            )
        )
    story += [
        _para("Aggregate signature", st["small"]),
        Preformatted(_wrap(doc.aggregate_signature), st["mono"]),
        _para("How to check this document yourself", st["h2"], bold=True),
        *_how_to_check(doc, st),
    ]
    return story


def _how_to_check(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> list[Any]:
    where = doc.software_repository or "the decide source repository"
    version = doc.software_version or "decide"
    commit = doc.software_commit or "unknown"
    return [
        _para(
            f"Get the verifier's source from {where}, version {version}, commit {commit}. "
            "Its source archive (written by decide-verify --source-archive, a reproducible tar "
            "of the verifier's own files) has this SHA-256:",
            st["body"],
        ),
        Preformatted(doc.verifier_archive_sha256 or "(not stated)", st["mono"]),
        _para(
            "Then run decide-verify THIS.pdf --keys KEYS.json, where KEYS.json holds the panel's "
            "public keys as you got them from the panel members themselves (compare each key's "
            "fingerprint with the one printed above and in the approved minutes). It recomputes "
            "everything from the attached files: the chain of ballots and its Merkle root, the "
            "tally, the allocation under the named rule, the signatures, the ledger of payments "
            "and these printed pages, and prints PASS or FAIL for each check. It exits 0 only "
            "when every check passes against keys you pinned. Add --receipt RECEIPT.json to "
            "check that your own ballot was counted.",
            st["body"],
        ),
    ]


def _footer(doc: TallyDocument) -> Any:
    text = f"{doc.title} · round {doc.round_id} · edition {doc.edition}"
    if has_rtl(text):
        text = f"Round {doc.round_id} · edition {doc.edition}"

    def draw(canvas: Any, template: Any) -> None:
        canvas.saveState()
        canvas.setFont(BODY, 7)
        canvas.drawString(MARGIN, 8 * mm, text[:120])
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw


def _pdf_date(date: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return f"D:{date.replace('-', '')}000000Z"
    return "D:20000101000000Z"


def render_pdf(doc: TallyDocument) -> bytes:
    """Return the PDF bytes for `doc`, with its attachments; same document, same bytes."""
    names = [n for n, _ in doc.attachments]
    if len(set(names)) != len(names):
        raise ValueError("attachment names must be unique")
    register_fonts()
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        invariant=1,
        title=doc.title,
        author="decide",
        subject=f"Results of round {doc.round_id}, edition {doc.edition}",
        creator="decide",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        # Every font on the page is embedded: no standard Helvetica, even as the canvas default.
        initialFontName=BODY,
    )
    footer = _footer(doc)
    template.build(_story(doc), onFirstPage=footer, onLaterPages=footer)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for name, data in doc.attachments:
        embedded = writer.add_attachment(name, data)
        # pypdf stores attachments uncompressed; deflate them (zlib output is deterministic).
        ef = cast(DictionaryObject, embedded.pdf_object["/EF"])
        ref = cast(IndirectObject, ef.raw_get("/F"))
        stream = cast(StreamObject, ref.get_object())
        encoded = stream.flate_encode(level=1)
        encoded[NameObject("/Params")] = DictionaryObject(
            {NameObject("/Size"): NumberObject(len(data))}
        )
        writer._objects[ref.idnum - 1] = encoded
    # A document id from the content, so that equal inputs give equal files.
    ident = hashlib.sha256(buf.getvalue()).digest()[:16]
    for name, data in doc.attachments:
        ident = hashlib.sha256(ident + name.encode() + hashlib.sha256(data).digest()).digest()[:16]
    writer._ID = ArrayObject([ByteStringObject(ident), ByteStringObject(ident)])
    when = _pdf_date(doc.publication_date)
    writer.add_metadata(
        {
            NameObject("/Producer"): TextStringObject("decide (reportlab, pypdf)"),
            NameObject("/Title"): TextStringObject(doc.title),
            NameObject("/CreationDate"): TextStringObject(when),
            NameObject("/ModDate"): TextStringObject(when),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Reading a PDF back ------------------------------------------------------------------------


def read_attachments(pdf: bytes) -> dict[str, bytes]:
    """Return the PDF's attached files by name; raise ValueError if it is not a readable PDF."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        out: dict[str, bytes] = {}
        for name, contents in reader.attachments.items():
            if len(contents) != 1:
                raise ValueError(f"attachment {name!r} appears {len(contents)} times")
            out[name] = contents[0]
        return out
    except (ValueError, MemoryError):  # running out of memory is not a damaged file
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ValueError(f"not a readable PDF: {exc}") from exc


def _page_texts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


def printed_digests(pdf: bytes) -> Mapping[str, str]:
    """Return the attachment digests printed on the PDF's pages, by file name."""
    try:
        text = "\n".join(_page_texts(pdf))
    except MemoryError:
        raise
    except Exception as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    out: dict[str, str] = {}
    for name, digest in _DIGEST_LINE.findall(text):
        if out.get(name, digest) != digest:
            raise ValueError(f"two different digests are printed for {name}")
        out[name] = digest
    return out


@dataclass(frozen=True)
class PageDifference:
    """Where a PDF first differs from its re-rendering: page and line (1-based), and how."""

    page: int | None
    line: int | None
    printed: str
    expected: str

    def describe(self) -> str:
        """Say in words where the printed document differs from the re-rendered one."""
        if self.page is None:
            return f"the pages read the same, but {self.printed}"
        if self.line is None:
            return f"page {self.page} differs: {self.printed}"
        return (
            f"page {self.page}, line {self.line} prints {self.printed!r} where the attached "
            f"files give {self.expected!r}"
        )


def _page_streams(reader: PdfReader) -> list[bytes]:
    out = []
    for page in reader.pages:
        contents = page.get_contents()
        out.append(b"" if contents is None else contents.get_data())
    return out


def compare_pdfs(printed: bytes, expected: bytes) -> PageDifference | None:
    """Return None when the bytes are equal, else where `printed` first differs."""
    if printed == expected:
        return None
    try:
        ours = _page_texts(printed)
    except Exception as exc:
        return PageDifference(1, None, f"its pages cannot be read ({exc})", "")
    theirs = _page_texts(expected)
    for p, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a == b:
            continue
        lines_a, lines_b = a.splitlines(), b.splitlines()
        for i in range(max(len(lines_a), len(lines_b))):
            la = lines_a[i] if i < len(lines_a) else ""
            lb = lines_b[i] if i < len(lines_b) else ""
            if la != lb:
                return PageDifference(p, i + 1, la, lb)
    if len(ours) != len(theirs):
        return PageDifference(
            min(len(ours), len(theirs)) + 1,
            None,
            f"the PDF has {len(ours)} pages, the re-rendering {len(theirs)}",
            "",
        )
    a_streams = _page_streams(PdfReader(io.BytesIO(printed)))
    b_streams = _page_streams(PdfReader(io.BytesIO(expected)))
    for p, (a, b) in enumerate(zip(a_streams, b_streams, strict=True), start=1):
        if a != b:
            return PageDifference(
                p, None, "the same words are drawn differently (position, font or graphics)", ""
            )
    return PageDifference(
        None, None, "the file differs in fonts, metadata or structure from the re-rendering", ""
    )
