"""Issue 13, acceptance 3: Warszawa 2026 imported with `decide import-pb`, published, and its PDF
prints in Polish with embedded fonts, no cell wider than its column, and pabutools agreeing.

61,668 ballots and 83 projects: the equal-shares outcome stops at Add1's k = 18,409 (steps of
one grosz), which pabutools confirms with two runs (k and k + 1) instead of 18,410.
"""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from audits.bls import generate, sign_document
from audits.canonical import canonical_json
from audits.edition import document_from_files
from audits.manifest import Manifest
from audits.pdf import CELL_PADDING, TABLE_FONT_SIZE, read_attachments, results_columns
from audits.typeface import text_width
from audits.verify import verdict, verify_pdf
from decide.cli import main
from decide.models import Round, User
from decide.services import manifests, publication, signing
from decide.services.closing import close_board
from decide.services.phases import change_phase
from decide.services.results import confirm_rule
from tests.conftest import PABULIB
from tests.publication.conftest import _user

# The PDF is drawn from the manifest alone; publishing on PostgreSQL is tested with smaller
# rounds. One large run keeps `make test` inside its time.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.sqlite_only("the Warszawa PDF is checked once, on SQLite"),
]

WARSZAWA = PABULIB / "Poland_Warszawa_2026.pb"


@pytest.fixture
def warszawa(app, db):
    """Import the file, close the board, confirm equal shares, co-sign and publish edition 1."""
    if not WARSZAWA.is_file():
        pytest.skip("Poland_Warszawa_2026.pb is not in ../shared/pabulib")
    imported = app.test_cli_runner().invoke(main, ["import-pb", str(WARSZAWA)])
    assert imported.exit_code == 0, imported.output
    rnd = db.session.get(Round, int(imported.output.strip().splitlines()[-1]))
    facilitator = _user(db.session, "fac@wa.example", "Fay Facilitator", is_facilitator=True)
    members = [_user(db.session, f"m{i}@wa.example", name) for i, name in
               enumerate(["Agnieszka Łęcka", "Bożena Źródło"])]  # fmt: skip
    from decide.models import PanelMember

    for m in members:
        db.session.add(PanelMember(round=rnd, user=m))
    db.session.commit()
    close_board(db.session, rnd)
    confirm_rule(db.session, rnd.id, rule="equal-shares", reason="", actor=facilitator)
    keys = [generate(m.display_name, seed=bytes([0x61 + i]) * 32) for i, m in enumerate(members)]
    for member, key in zip(members, keys, strict=True):
        signing.register_key(db.session, rnd, member, canonical_json(key.public_record().to_dict()))
    row = manifests.write_manifest(db.session, rnd)
    document = Manifest.from_json_bytes(row.manifest_json).to_dict()
    for member, key in zip(members, keys, strict=True):
        signing.upload_signature(
            db.session, rnd, member, canonical_json(sign_document(key, document).to_dict()),
            document_type=signing.MANIFEST_TYPE, digest=row.digest,
        )  # fmt: skip
    change_phase(db.session, rnd, "published", facilitator)
    edition = publication.publish_round(db.session, rnd)
    public = [dataclasses.replace(k.public_record(), role="panel") for k in keys]
    assert db.session.scalar(select(User).where(User.email == "fac@wa.example")) is not None
    return edition.pdf, public


def test_warszawa_2026_pdf_prints_polish_fits_its_columns_and_pabutools_agrees(warszawa):
    pdf, public = warszawa
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Polish letters come back from the text layer, and amounts are in złoty.
    for letter in "łśż":
        assert letter in text, letter
    assert "Budżet" in text or "Warszaw" in text
    assert "zł" in text and "minor units" not in text
    assert re.search(r"\d{1,3}(,\d{3})+\.\d{2} zł", text)
    # Every font is embedded (a FontFile2 stream), none is a standard unembedded one.
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts
    assert any("NotoSans" in name for name in fonts)

    # No table cell is wider than its column: numbers on one line, text wrapped at spaces.
    doc = document_from_files(read_attachments(pdf))
    assert doc.currency == "PLN" and len(doc.rows) == 83
    padding = 2 * CELL_PADDING
    for column in results_columns(doc):
        for cell in (column.header, *column.cells):
            # Headers and text cells wrap at spaces; figures stay on one line.
            wraps = column.wraps or cell == column.header
            for piece in cell.split() if wraps else [cell]:
                width = text_width(piece, TABLE_FONT_SIZE, bold=cell == column.header)
                assert width + padding <= column.width, (column.header, piece, column.width)
    assert sum(c.width for c in results_columns(doc)) <= 510.3

    checks = verify_pdf(pdf, pinned_keys=public, with_pabutools=True)
    assert verdict(checks).status == 0, [c.line() for c in checks]
    assert checks[9].status == "PASS" and "k=18409" in checks[9].reason, checks[9].line()
