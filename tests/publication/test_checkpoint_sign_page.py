"""The checkpoint sign page: the facilitator's ledger page links to it; someone without a
registered key sees what is signed but no upload form; the command keeps `--key` whole."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from decide.models import LedgerCheckpoint
from decide.services import ledger
from tests.publication.conftest import login


def test_the_sign_page_fits_who_reads_it(app, db, published):
    rnd = published.round
    ledger.record_payment(
        db.session, rnd,
        ledger.PaymentForm("P3", 100_000, dt.date(2027, 6, 2), "BACS-9", "Fay Facilitator",
                           "Paid ahead of milestones"),
        published.facilitator,
    )  # fmt: skip
    fac = login(app.test_client(), published.facilitator)
    assert fac.post(f"/rounds/{rnd.id}/ledger/checkpoints").status_code == 303
    cp = db.session.scalar(select(LedgerCheckpoint))
    url = f"/rounds/{rnd.id}/ledger/checkpoints/{cp.id}/sign"
    assert url in fac.get(f"/rounds/{rnd.id}/ledger").get_data(as_text=True)
    page = fac.get(url).get_data(as_text=True)
    assert "The delivery annex you also sign" in page
    assert "no registered key" in page and "Upload my signature" not in page
    assert not re.search(r"\d{4,} (residents|voters)", page)  # thousands are separated
    member = login(app.test_client(), published.members[0]).get(url).get_data(as_text=True)
    assert "Upload my signature" in member
    assert '<span class="nowrap">--key YOUR.key.json</span>' in member
