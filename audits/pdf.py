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

This module lays out the pages and attaches the files; audits/tally_document.py holds the
document it renders, audits/pdf_tables.py the tables, styles and chart, and audits/pdf_read.py
reads a PDF back (attachments, printed digests, page comparison). Everything is importable
from here.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
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
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
)

from audits.pdf_annex import annex_story
from audits.pdf_read import PageDifference, compare_pdfs, printed_digests, read_attachments
from audits.pdf_tables import (
    CELL_PADDING,
    MARGIN,
    PAGE_WIDTH,
    TABLE_FONT_SIZE,
    Column,
    funds_chart,
    money_formatter,
    para,
    payments_table,
    results_columns,
    results_table,
    styles,
)
from audits.tally_document import (
    ATTACHMENT_NAMES,
    LAYOUT,
    OPTIONAL_ATTACHMENTS,
    ROLE_WORDS,
    AreaFunds,
    ResultRow,
    SignerLine,
    TallyDocument,
)
from audits.typeface import BODY, has_rtl, register_fonts

__all__ = [
    "ATTACHMENT_NAMES",
    "CELL_PADDING",
    "LAYOUT",
    "OPTIONAL_ATTACHMENTS",
    "ROLE_WORDS",
    "TABLE_FONT_SIZE",
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


def _wrap(hex_text: str, width: int = 96) -> str:
    return "\n    ".join(hex_text[i : i + width] for i in range(0, len(hex_text), width))


def _story(doc: TallyDocument) -> list[Any]:
    st = styles()
    money = money_formatter(doc.currency)
    channels = ", ".join(f"{n:,} {c}" for c, n in doc.ballots_by_channel) or "none"
    date = f" · published {doc.publication_date}" if doc.publication_date else ""
    story: list[Any] = [
        para(f"Results: {doc.title}", st["title"], bold=True),
        para(f"Round {doc.round_id} · edition {doc.edition}{date}", st["body"]),
        Spacer(1, 3 * mm),
        para("How this round was decided", st["h2"], bold=True),
        para(
            f"Budget: {money(doc.budget)}. Ballots: {doc.ballot_count:,} ({channels}).",
            st["body"],
        ),
        para(f"Ballot: {doc.ballot_description}", st["body"]),
        para(f"Allocation rule: {doc.rule_name}; {doc.tie_break}.", st["body"]),
    ]
    if doc.rule_description:
        story.append(para(doc.rule_description, st["body"]))
    if doc.add1:
        story.append(para(doc.add1, st["body"]))
    if doc.rule_change:
        story.append(para(doc.rule_change, st["body"]))
    story += [
        para("Results", st["h2"], bold=True),
        results_table(doc, st),
        Spacer(1, 4 * mm),
        funds_chart(doc),
        para(
            "Deprivation decile: 1 is the most deprived tenth of neighbourhoods, 10 the least.",
            st["small"],
        ),
        para("Payments", st["h2"], bold=True),
    ]
    if doc.ledger_summary:
        story.append(para(doc.ledger_summary, st["body"]))
    if doc.ledger_count:
        story.append(payments_table(doc, st))
    if doc.annex is not None:
        story += annex_story(doc.annex, st, doc.annex_checkpoint)
    evidence = [
        f"{name} SHA-256 {hashlib.sha256(data).hexdigest()}" for name, data in doc.attachments
    ]
    evidence += [f"Merkle root {doc.merkle_root}", f"Chain head {doc.chain_head}"]
    if doc.ledger_head:
        evidence.append(f"Ledger head {doc.ledger_head} ({doc.ledger_count} payments)")
    story += [
        KeepTogether(
            [
                para("Evidence", st["h2"], bold=True),
                para(
                    "These files are attached to this PDF. The manifest digest (the SHA-256 of "
                    "manifest.json) is what the panel signed; the pages are re-rendered from "
                    "the attached files by the verifier and must match them byte for byte.",
                    st["body"],
                ),
                Preformatted("\n".join(evidence), st["mono"]),
            ]
        ),
        para("Signatures", st["h2"], bold=True),
        para(
            f"{len(doc.signers)} of {doc.key_count} registered keys signed; "
            f"{doc.threshold} signature{'s are' if doc.threshold != 1 else ' is'} needed to "
            "publish.",
            st["body"],
        ),
    ]
    if doc.threshold_reason:
        story.append(para(f"Why one signature is enough here: {doc.threshold_reason}", st["body"]))
    for s in doc.signers:
        role = f", {ROLE_WORDS.get(s.role, s.role)}" if s.role else ""
        finger = f" · key fingerprint {s.fingerprint}" if s.fingerprint else ""
        story.append(
            KeepTogether(
                [
                    para(f"{s.name}{role}{finger}", st["small"]),
                    Preformatted(f"key {s.public_key}\nsig {_wrap(s.signature)}", st["mono"]),
                ]
            )
        )
    story += [
        para("Aggregate signature", st["small"]),
        Preformatted(_wrap(doc.aggregate_signature), st["mono"]),
        para("How to check this document yourself", st["h2"], bold=True),
        *_how_to_check(doc, st),
    ]
    return story


def _how_to_check(doc: TallyDocument, st: Mapping[str, ParagraphStyle]) -> list[Any]:
    where = doc.software_repository or "the decide source repository"
    version = doc.software_version or "decide"
    commit = doc.software_commit or "unknown"
    return [
        para(
            f"Get the verifier's source from {where}, version {version}, commit {commit}. "
            "Its source archive (written by decide-verify --source-archive, a reproducible tar "
            "of the verifier's own files) has this SHA-256:",
            st["body"],
        ),
        Preformatted(doc.verifier_archive_sha256 or "(not stated)", st["mono"]),
        para(
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
