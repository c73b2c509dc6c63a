"""Warszawa 2026 (61,668 ballots) from `decide import-pb` to a published PDF on SQLite, through
the web pages with the demo panel's keys, first time, with progress reported on every chunk;
then the PDF itself (issue 13, acceptance 3): it prints in Polish with embedded fonts, no cell
is wider than its column, and pabutools agrees.

Publishing a large round on SQLite used to fail with "database is locked" whenever a job wrote
its progress while it was still reading the ballots (issue 11, defect 13). The equal-shares
outcome stops at Add1's k = 18,409 (steps of one grosz), which pabutools confirms with two runs
(k and k + 1) instead of 18,410. One import and one publication serve both halves: the PDF is
drawn from the manifest alone, and publishing on PostgreSQL is tested with smaller rounds.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from audits.bls import sign_document
from audits.canonical import canonical_json
from audits.edition import document_from_files
from audits.manifest import Manifest
from audits.pdf import CELL_PADDING, TABLE_FONT_SIZE, read_attachments, results_columns
from audits.typeface import text_width
from audits.verify import verdict, verify_pdf
from decide.cli import main
from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.foundation import demo_user, seed_foundation
from decide.demo.published import SECOND_PANEL_EMAIL, demo_key
from decide.models import PublicationJob, Round, RoundClosing, RoundManifest, User
from decide.services import publication
from tests.conftest import PABULIB
from tests.helpers.jobs import record_job_updates
from tests.publication.conftest import login

pytestmark = pytest.mark.slow

WARSZAWA = PABULIB / "Poland_Warszawa_2026.pb"
BALLOTS = 61_668
CHUNK = 5_000


@pytest.fixture
def app_config(receipt_key_file: str) -> dict[str, Any]:
    """Jobs inline; progress written on every chunk of 5,000 ballots, however fast."""
    return {
        "PUBLICATION_JOBS_INLINE": True,
        "RECEIPT_KEY_FILE": receipt_key_file,
        "PUBLICATION_PROGRESS_CHUNK": CHUNK,
        "PUBLICATION_PROGRESS_INTERVAL": 0,
    }


@pytest.fixture
def progress_log() -> Iterator[list[tuple[str, str, str, int, int]]]:
    yield from record_job_updates()


def _finished(client: Any, response: Any, kind: str) -> None:
    """Follow a job's redirect to its progress page and check it finished at the first try."""
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/progress/{kind}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Finished" in page, page


def _chunks(log: list[tuple[str, str, str, int, int]], kind: str, step: str) -> list[int]:
    return [done for k, _, s, done, _ in log if (k, s) == (kind, step)]


@pytest.mark.sqlite_only("the locking this guards against is SQLite's; the PDF is checked once")
def test_warszawa_2026_is_published_first_time_on_sqlite_and_its_pdf_prints_polish(
    app, db, progress_log
):
    # The demo's people: its facilitator and its two panel members, who sign with keys made the
    # demo's way. The members have Polish names, which the PDF must print.
    seed_foundation(db.session)
    demo_user(db.session, SECOND_PANEL_EMAIL, "Bożena Źródło")
    db.session.commit()
    facilitator = db.session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    panel = [
        db.session.scalar(select(User).where(User.email == email))
        for email in (PANEL_EMAIL, SECOND_PANEL_EMAIL)
    ]
    panel[0].display_name = "Agnieszka Łęcka"
    db.session.commit()

    imported = app.test_cli_runner().invoke(main, ["import-pb", str(WARSZAWA)])
    assert imported.exit_code == 0, imported.output
    rnd = db.session.get(Round, int(imported.output.strip().splitlines()[-1]))
    assert rnd.phase == "closed" and f"{BALLOTS} ballots" in imported.output
    base = f"/rounds/{rnd.id}"

    staff = login(app.test_client(), facilitator)
    for member in panel:
        added = staff.post(f"{base}/panel", data={"email": member.email, "role_title": "Panel"})
        assert added.status_code == 302, added.get_data(as_text=True)
    _finished(staff, staff.post(f"{base}/publication/jobs/close"), "close")
    assert db.session.get(RoundClosing, rnd.id).ballot_count == BALLOTS
    confirmed = staff.post(
        f"{base}/results/confirm",
        data={"rule": "equal-shares", "reason": "", "tie_break": "lex", "seed": ""},
    )
    assert confirmed.status_code == 303, confirmed.get_data(as_text=True)

    keys = {member.id: demo_key(member.display_name) for member in panel}
    for member in panel:
        public = canonical_json(keys[member.id].public_record().to_dict())
        client = login(app.test_client(), member)
        registered = client.post(f"{base}/publication/key", data={"key_json": public})
        assert registered.status_code == 303, registered.get_data(as_text=True)

    _finished(staff, staff.post(f"{base}/publication/jobs/manifest"), "manifest")
    for member in panel:
        client = login(app.test_client(), member)
        downloaded = client.get(f"{base}/manifest.json")
        assert downloaded.status_code == 200
        document = Manifest.from_json_bytes(downloaded.data).to_dict()
        signature = canonical_json(sign_document(keys[member.id], document).to_dict())
        signed = client.post(f"{base}/publication/sign", data={"signature_json": signature})
        assert signed.status_code == 303, signed.get_data(as_text=True)

    _finished(staff, staff.post(f"{base}/publication/publish"), "publish")
    db.session.refresh(rnd)
    assert rnd.phase == "published"
    edition = publication.edition(db.session, rnd.id)
    assert edition is not None and edition.number == 1
    manifest = json.loads(db.session.get(RoundManifest, rnd.id).manifest_json)
    assert manifest["ballot_count"] == BALLOTS and manifest["rule"] == "equal-shares"
    pdf = app.test_client().get(f"{base}/editions/1.pdf")
    assert pdf.status_code == 200 and pdf.data == edition.pdf

    # Every job finished at its first run, and reported progress on every chunk as it read.
    every_chunk = [*range(CHUNK, BALLOTS, CHUNK), BALLOTS]
    assert _chunks(progress_log, "close", "Reading the ballots") == every_chunk
    assert _chunks(progress_log, "close", "Checking the hash chain") == every_chunk[:-1]
    assert _chunks(progress_log, "manifest", "Reading the ballots") == every_chunk
    assert all(status != "failed" for _, status, *_ in progress_log)
    runs = db.session.scalars(select(PublicationJob).where(PublicationJob.round_id == rnd.id))
    assert {job.kind: (job.status, job.message) for job in runs} == {
        "close": ("done", ""),
        "manifest": ("done", ""),
        "publish": ("done", ""),
    }
    _check_pdf(edition.pdf, [keys[m.id] for m in panel])


def _check_pdf(pdf: bytes, keys: list[Any]) -> None:
    """The published PDF prints in Polish, embeds its fonts, fits its columns and verifies."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Polish letters come back from the text layer, and amounts are in złoty.
    for letter in "łśżŁŹ":
        assert letter in text, letter
    assert "Agnieszka Łęcka" in text and "Bożena Źródło" in text
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

    public = [dataclasses.replace(k.public_record(), role="panel") for k in keys]
    checks = verify_pdf(pdf, pinned_keys=public, with_pabutools=True)
    assert verdict(checks).status == 0, [c.line() for c in checks]
    assert checks[9].status == "PASS" and "k=18409" in checks[9].reason, checks[9].line()
