"""The PDF tally: results in plain words, the evidence, and the evidence files attached.

The PDF is built by reportlab with ``invariant=1`` (fixed creation date and document id) and
then the attachments are added with pypdf, which keeps the trailer id reportlab wrote; so the
same `TallyDocument` always gives the same bytes.

Printed evidence the verifier reads back (page text, one per line)::

    manifest.json SHA-256 <64 hex>
    ballots.pb SHA-256 <64 hex>
    ...                                 one line for every attachment
    Merkle root <64 hex>
    Chain head <64 hex>

The manifest digest is the ``manifest.json SHA-256`` line: the digest panel members signed.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
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
)
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
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

__all__ = [
    "ATTACHMENT_NAMES",
    "AreaFunds",
    "ResultRow",
    "SignerLine",
    "TallyDocument",
    "format_money",
    "printed_digests",
    "read_attachments",
    "render_pdf",
]

ATTACHMENT_NAMES = ("manifest.json", "ballots.pb", "signatures.json", "keys.json", "ledger.json")
_DIGEST_LINE = re.compile(r"([A-Za-z0-9_.-]+\.(?:json|pb)) SHA-256 ([0-9a-f]{64})")


@dataclass(frozen=True)
class ResultRow:
    """One project's line in the results table."""

    project_id: str
    name: str
    organisation: str
    area: str
    support: int
    cost: Fraction
    funded: bool
    amount: Fraction


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


@dataclass(frozen=True)
class TallyDocument:
    """Everything the PDF shows, as plain values; the app and the bundle builder fill it."""

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


def format_money(amount: Fraction | int, currency: str) -> str:
    """Return an amount in minor units (pence) for people: ``£1,234.56``."""
    q = Fraction(amount)
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency.upper())
    if symbol is None or q.denominator != 1:
        return f"{q if q.denominator != 1 else q.numerator} {currency} minor units"
    sign = "-" if q < 0 else ""
    pounds, pence = divmod(abs(q.numerator), 100)
    return f"{sign}{symbol}{pounds:,}.{pence:02d}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chart(doc: TallyDocument) -> Drawing:
    drawing = Drawing(170 * mm, 75 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 18 * mm, 18 * mm
    chart.width, chart.height = 145 * mm, 50 * mm
    # Drawing needs floats; these are display values only, never compared.
    chart.data = [[float(a.amount) / 100 for a in doc.areas] or [0.0]]
    chart.categoryAxis.categoryNames = [
        f"{a.area} (decile {a.decile})" if a.decile is not None else a.area for a in doc.areas
    ] or ["(none)"]
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#2c6e49")
    drawing.add(chart)
    unit = {"GBP": "£", "EUR": "€", "USD": "$"}.get(doc.currency.upper(), doc.currency)
    chart.valueAxis.labelTextFormat = lambda v: f"{unit}{v:,.0f}"
    title = "Funds allocated by area, with each area's deprivation decile"
    drawing.add(String(0, 70 * mm, title, fontSize=9))
    return drawing


def _story(doc: TallyDocument) -> list[Any]:
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    mono = ParagraphStyle("mono", parent=body, fontName="Courier", fontSize=7.5, leading=9.5)
    h1, h2 = styles["Title"], styles["Heading2"]

    def money(amount: Fraction) -> str:
        return format_money(amount, doc.currency)

    channels = ", ".join(f"{n} {c}" for c, n in doc.ballots_by_channel) or "none"
    story: list[Any] = [
        Paragraph(_esc(f"Results: {doc.title}"), h1),
        Paragraph(_esc(f"Round {doc.round_id} · edition {doc.edition}"), body),
        Spacer(1, 4 * mm),
        Paragraph("How this round was decided", h2),
        Paragraph(
            _esc(f"Budget: {money(doc.budget)}. Ballots: {doc.ballot_count} ({channels})."), body
        ),
        Paragraph(_esc(f"Ballot: {doc.ballot_description}"), body),
        Paragraph(_esc(f"Allocation rule: {doc.rule_name}. {doc.rule_description}"), body),
        Paragraph(_esc(f"Ties were broken by: {doc.tie_break}."), body),
        Spacer(1, 4 * mm),
        Paragraph("Results", h2),
    ]
    header = ["Project", "Organisation", "Area", doc.support_label, "Cost", "Funded", "Amount"]
    rows = [header] + [
        [
            Paragraph(_esc(f"{r.name} ({r.project_id})"), small),
            Paragraph(_esc(r.organisation), small),
            Paragraph(_esc(r.area), small),
            str(r.support),
            money(r.cost),
            "yes" if r.funded else "no",
            money(r.amount) if r.funded else "",
        ]
        for r in doc.rows
    ]
    table = Table(
        rows,
        colWidths=[48 * mm, 32 * mm, 22 * mm, 16 * mm, 22 * mm, 12 * mm, 22 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 1), (4, -1), "RIGHT"),
                ("ALIGN", (6, 1), (6, -1), "RIGHT"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm), _chart(doc)]
    story.append(
        Paragraph(
            "Deprivation decile: 1 is the most deprived tenth of neighbourhoods, 10 the least.",
            small,
        )
    )
    if doc.ledger_summary:
        story += [Paragraph("Payments", h2), Paragraph(_esc(doc.ledger_summary), body)]
    evidence = [
        f"{name} SHA-256 {hashlib.sha256(data).hexdigest()}" for name, data in doc.attachments
    ]
    evidence += [f"Merkle root {doc.merkle_root}", f"Chain head {doc.chain_head}"]
    story += [
        KeepTogether(
            [
                Paragraph("Evidence", h2),
                Paragraph(
                    "These files are attached to this PDF. The manifest digest (the SHA-256 of "
                    "manifest.json) is what the panel signed.",
                    body,
                ),
                Preformatted("\n".join(evidence), mono),
            ]
        ),
        Paragraph("Signatures", h2),
        Paragraph(
            _esc(
                f"{len(doc.signers)} of {doc.key_count} panel keys signed; "
                f"{doc.threshold} signatures are needed to publish."
            ),
            body,
        ),
    ]
    for s in doc.signers:
        story.append(
            KeepTogether(
                [
                    Paragraph(_esc(s.name), small),
                    Preformatted(f"key {s.public_key}\nsig {_wrap(s.signature)}", mono),
                ]
            )
        )
    story += [
        Paragraph("Aggregate signature", small),
        Preformatted(_wrap(doc.aggregate_signature), mono),
        Paragraph("How to check this document yourself", h2),
        Paragraph(
            "Install the decide package (pip install decide) and run "
            "<font face='Courier'>decide-verify THIS.pdf --keys KEYS.json</font>, where "
            "KEYS.json is the list of panel keys you got from the panel members themselves. "
            "It recomputes everything from the attached files: the chain of ballots and its "
            "Merkle root, the tally, the allocation under the named rule, the signatures and "
            "the ledger of payments, and prints PASS or FAIL for each check. Add "
            "<font face='Courier'>--receipt RECEIPT.json</font> to check that your own ballot "
            "was counted.",
            body,
        ),
    ]
    return story


def _wrap(hex_text: str, width: int = 96) -> str:
    return "\n    ".join(hex_text[i : i + width] for i in range(0, len(hex_text), width))


def render_pdf(doc: TallyDocument) -> bytes:
    """Return the PDF bytes for `doc`, with its attachments; same document, same bytes."""
    names = [n for n, _ in doc.attachments]
    if len(set(names)) != len(names):
        raise ValueError("attachment names must be unique")
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        invariant=1,
        title=f"Results: {doc.title}",
        author="decide",
        subject=f"Round {doc.round_id}",
        creator="decide",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    template.build(_story(doc))
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
    writer.add_metadata({NameObject("/Producer"): "decide (reportlab, pypdf)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
    except ValueError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ValueError(f"not a readable PDF: {exc}") from exc


def printed_digests(pdf: bytes) -> Mapping[str, str]:
    """Return the attachment digests printed on the PDF's pages, by file name."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    out: dict[str, str] = {}
    for name, digest in _DIGEST_LINE.findall(text):
        if out.get(name, digest) != digest:
            raise ValueError(f"two different digests are printed for {name}")
        out[name] = digest
    return out
