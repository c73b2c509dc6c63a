"""Issue 13, item 8: the accessible HTML tally is served beside each PDF edition, with the
same digests, and the publication page prints each key's fingerprint (issue 13, item 2)."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from audits.bls import fingerprint
from audits.edition import document_from_files
from audits.html import render_html
from audits.pdf import read_attachments
from decide.models import Edition
from decide.services import publication


def test_each_edition_is_served_as_an_accessible_page_with_the_pdfs_digests(app, db, published):
    edition = db.session.scalar(select(Edition))
    client = app.test_client()
    response = client.get(f"/rounds/{published.round.id}/editions/1.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    files = read_attachments(edition.pdf)
    # Byte for byte the page decide-verify re-renders from the PDF's files (check 9).
    assert response.data == render_html(document_from_files(files))
    text = response.get_data(as_text=True)
    for name, data in files.items():
        assert f"{name} SHA-256 {hashlib.sha256(data).hexdigest()}" in text
    # Its one inline style is allowed by hash; nothing else may load.
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    assert client.get(f"/rounds/{published.round.id}/editions/2.html").status_code == 404


def test_the_results_page_links_the_pdf_and_the_web_page(app, db, published):
    text = app.test_client().get(f"/rounds/{published.round.id}/results").get_data(as_text=True)
    assert f"/rounds/{published.round.id}/editions/1.pdf" in text
    assert f"/rounds/{published.round.id}/editions/1.html" in text


def test_the_publication_page_prints_each_keys_fingerprint(app, db, published, panel_keys):
    page = app.test_client().get(f"/rounds/{published.round.id}/publication")
    text = page.get_data(as_text=True)
    for record in panel_keys.public:
        assert fingerprint(record.public_key) in text
    assert "decide-keys fingerprint KEY.json" in text


def test_an_unreadable_edition_is_not_found(app, db, published):
    edition = db.session.scalar(select(Edition))
    assert publication.edition(db.session, published.round.id, 1) is edition
    edition.pdf, edition.sha256 = b"%PDF-broken", "f" * 64
    db.session.commit()
    response = app.test_client().get(f"/rounds/{published.round.id}/editions/1.html")
    assert response.status_code == 404


def test_each_signers_role_and_fingerprint_are_printed_on_the_pdf_and_the_page(
    app, db, published, panel_keys
):
    from pypdf import PdfReader

    edition = db.session.scalar(select(Edition))
    printed = " ".join(
        (p.extract_text() or "") for p in PdfReader(io.BytesIO(edition.pdf)).pages
    ).replace("\n", " ")
    page = app.test_client().get(f"/rounds/{published.round.id}/editions/1.html")
    html = page.get_data(as_text=True)
    for record in panel_keys.public:
        assert f"{record.name}, panel member" in printed
        assert fingerprint(record.public_key) in printed
        assert (
            f"{record.name}, panel member: key fingerprint {fingerprint(record.public_key)}" in html
        )
