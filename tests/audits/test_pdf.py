from __future__ import annotations

import io
from fractions import Fraction

from pypdf import PdfReader

from audits.pdf import (
    AreaFunds,
    ResultRow,
    SignerLine,
    TallyDocument,
    printed_digests,
    read_attachments,
    render_pdf,
)


def doc(**changes):
    base = TallyDocument(
        round_id="r1",
        title="Health & wellbeing <2026>",
        currency="GBP",
        budget=Fraction(5_000_000),
        rule_name="greedy",
        rule_description="By votes.",
        tie_break="lex",
        ballot_description="Choose up to 3 projects.",
        ballot_count=3,
        ballots_by_channel=(("online", 2), ("paper", 1)),
        support_label="Votes",
        rows=(ResultRow("p1", "Walks", "Org", "North", 3, Fraction(1000), True, Fraction(1000)),),
        areas=(AreaFunds("North", 2, Fraction(1000)), AreaFunds("South", None, Fraction(0))),
        merkle_root="ab" * 32,
        chain_head="cd" * 32,
        manifest_digest="ef" * 32,
        threshold=1,
        key_count=1,
        signers=(SignerLine("Ada", "11" * 48, "22" * 96),),
        aggregate_signature="22" * 96,
        attachments=(("manifest.json", b"{}"), ("ballots.pb", b"META\n")),
    )
    return TallyDocument(**{**base.__dict__, **changes})


def test_deterministic_and_content_sensitive():
    assert render_pdf(doc()) == render_pdf(doc())
    assert render_pdf(doc()) != render_pdf(doc(title="Other"))
    assert render_pdf(doc()) != render_pdf(doc(attachments=(("manifest.json", b"[]"),)))


def test_page_text_and_attachments():
    pdf = render_pdf(doc())
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for words in (
        "Health & wellbeing <2026>",
        "North (decile 2)",
        "£10.00",
        "decide-verify",
        "Merkle root " + "ab" * 32,
        "Chain head " + "cd" * 32,
        "Ada",
    ):
        assert words in text
    assert read_attachments(pdf) == {"manifest.json": b"{}", "ballots.pb": b"META\n"}
    assert set(printed_digests(pdf)) == {"manifest.json", "ballots.pb"}


def test_amounts_print_in_pounds_zloty_and_forint_never_minor_units():
    for currency, words in (("GBP", "£10.00"), ("PLN", "10.00 zł"), ("HUF", "10 Ft")):
        pdf = render_pdf(doc(currency=currency))
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert words in text
        assert "minor units" not in text


def test_html_tally_has_the_pdfs_evidence_and_reads_right_to_left_names():
    from audits.html import render_html

    d = doc(
        rows=(
            ResultRow(
                "p1", "پارک کی صفائی", "Org", "North", 3, Fraction(1000), True, Fraction(1000)
            ),
        )
    )
    html = render_html(d).decode()
    assert html == render_html(d).decode()
    assert '<html lang="en">' in html and "<script" not in html
    assert '<th scope="row" dir="auto">پارک کی صفائی (p1)</th>' in html
    pdf = render_pdf(d)
    for name, digest in printed_digests(pdf).items():
        assert f"{name} SHA-256 {digest}" in html
    assert "Health &amp; wellbeing &lt;2026&gt;" in html
