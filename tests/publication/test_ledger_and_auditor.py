"""The disbursement ledger (overspend refused, checkpoints, new editions) and the auditor page."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from sqlalchemy import func, select

from audits.bls import sign_document
from audits.bundle import publish as build
from audits.canonical import canonical_json
from audits.pdf import read_attachments
from audits.verify import verify_pdf
from decide.models import Edition, LedgerCheckpoint, LedgerPayment
from decide.services import ledger, manifests, publication
from tests.publication.conftest import login


def _payments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerPayment))


def _pay(client, rnd, project, amount, reference="BACS-1"):
    return client.post(
        f"/rounds/{rnd.id}/ledger/pay",
        data={"project_code": project, "amount": amount, "paid_on": dt.date.today().isoformat(),
              "bank_reference": reference, "approver": "Fay Facilitator",
              "reason": "Paid ahead of milestones"},
    )  # fmt: skip


def test_overspend_is_refused_and_nothing_is_written(app, db, published):
    rnd = published.round
    allocation = {p.code: p.allocated for p in ledger.spend_by_project(db.session, rnd)}
    assert allocation == {"P1": 400_000, "P2": 300_000, "P3": 250_000}
    client = login(app.test_client(), published.facilitator)
    over = _pay(client, rnd, "P1", "4,000.01")
    text = over.get_data(as_text=True)
    assert over.status_code == 422
    assert "over its allocation of £4,000.00" in text and "Nothing was recorded" in text
    assert _payments(db) == 0
    unfunded = _pay(client, rnd, "P4", "10")
    assert unfunded.status_code == 422 and "was not allocated any money" in unfunded.get_data(
        as_text=True
    )
    assert _payments(db) == 0
    assert _pay(client, rnd, "P1", "2500.50").status_code == 303
    row = db.session.scalar(select(LedgerPayment))
    assert (row.amount_pence, row.organisation, row.sequence) == (250_050, "Riverside Food Bank", 1)
    assert row.bank_reference_sha256 != "BACS-1" and len(row.bank_reference_sha256) == 64
    again = _pay(client, rnd, "P1", "1500", reference="BACS-2")
    assert again.status_code == 422 and "£1,499.50 left" in again.get_data(as_text=True)
    assert _payments(db) == 1
    page = app.test_client().get(f"/rounds/{rnd.id}/ledger").get_data(as_text=True)
    assert "£2,500.50" in page and "£1,499.50" in page


def test_signed_checkpoint_makes_a_new_edition_that_verifies(app, db, published, panel_keys):
    rnd = published.round
    ledger.record_payment(
        db.session, rnd,
        ledger.PaymentForm("P3", 100_000, dt.date(2027, 6, 2), "BACS-9", "Fay Facilitator",
                           "Paid ahead of milestones"),
        published.facilitator,
    )  # fmt: skip
    client = login(app.test_client(), published.facilitator)
    assert client.post(f"/rounds/{rnd.id}/ledger/checkpoints").status_code == 303
    cp = db.session.scalar(select(LedgerCheckpoint))
    document = app.test_client().get(f"/rounds/{rnd.id}/ledger/checkpoints/{cp.id}.json").json
    assert document == ledger.checkpoint_document(cp) and document["count"] == 1
    # The sign page shows the annex figures the signature covers.
    sign_page = login(app.test_client(), published.members[0]).get(
        f"/rounds/{rnd.id}/ledger/checkpoints/{cp.id}/sign"
    )
    assert "The delivery annex you also sign" in sign_page.get_data(as_text=True)
    for i, member in enumerate(published.members):
        signature = canonical_json(sign_document(panel_keys.keys[i], document).to_dict())
        response = login(app.test_client(), member).post(
            f"/rounds/{rnd.id}/ledger/checkpoints/{cp.id}/sign",
            data={"signature_file": (io.BytesIO(signature), "sig.json")},
        )
        assert response.status_code == 303
    editions = publication.editions(db.session, rnd.id)
    assert [e.number for e in editions] == [1, 2]
    pdf = editions[-1].pdf
    checks = verify_pdf(pdf, pinned_keys=panel_keys.public)
    assert all(c.ok for c in checks), [c.line() for c in checks]
    assert "1 payment, 1 checkpoint" in checks[6].reason
    assert b"BACS-9" not in read_attachments(pdf)["ledger.json"]
    # The delivery annex the panel co-signed with the checkpoint (its SHA-256 is in it) is the
    # one edition 2 carries, byte for byte.
    annex = read_attachments(pdf)["delivery.json"]
    assert annex == cp.annex_json
    assert document["annex"] == hashlib.sha256(annex).hexdigest()


def test_auditor_page_passes_a_good_pdf_and_fails_a_tampered_one(app, db, published):
    rnd = published.round
    good = db.session.scalar(select(Edition)).pdf
    client = app.test_client()
    unpinned = client.post(
        "/audit", follow_redirects=True, data={"pdf": (io.BytesIO(good), "round.pdf")}
    )
    text = unpinned.get_data(as_text=True)
    assert unpinned.status_code == 200 and "CONSISTENT, BUT NOT TRUSTED YET" in text
    assert "anyone could have made them: pin the panel&#39;s keys" in text
    # The keys as the panel members handed them over (here: the registered ones).
    keys = manifests.manifest_of(db.session, rnd.id).keys_json
    ok = client.post(
        "/audit",
        follow_redirects=True,
        data={"pdf": (io.BytesIO(good), "round.pdf"), "keys": (io.BytesIO(keys), "keys.json")},
    )
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "ALL CHECKS PASSED" in text
    for title in ("attachments present", "Merkle root recomputed", "allocation recomputed"):
        assert title in text
    # One approval flipped in ballots.pb, the PDF rebuilt around it.
    row = manifests.manifest_of(db.session, rnd.id)
    closing = manifests.stored_closing(row)
    lines = closing.ballots_pb.decode().splitlines()
    votes = lines.index("VOTES")
    header = lines[votes + 1].split(";")
    col = header.index("vote")
    first = lines[votes + 2].split(";")
    first[col] = "P2" if first[col] != "P2" else "P1"
    lines[votes + 2] = ";".join(first)
    tampered_pb = ("\n".join(lines) + "\n").encode()
    sigs = manifests.manifest_signatures(db.session, rnd).records
    tampered = build(
        type(closing)(closing.spec, closing.manifest, tampered_pb, closing.keys_json, closing.tree),
        sigs,
    ).pdf
    bad = client.post(
        "/audit", follow_redirects=True, data={"pdf": (io.BytesIO(tampered), "round.pdf")}
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "VERIFICATION FAILED" in text
    assert "<strong>FAIL</strong> attachments present and digests match" in text
    junk = client.post(
        "/audit", follow_redirects=True, data={"pdf": (io.BytesIO(b"not a pdf"), "x.pdf")}
    )
    assert junk.status_code == 422 and "cannot be checked" in junk.get_data(as_text=True)
    files = read_attachments(good)
    bundle = client.post(
        "/audit",
        follow_redirects=True,
        data={
            "bundle": [(io.BytesIO(data), name) for name, data in files.items()],
            "keys": (io.BytesIO(keys), "keys.json"),
        },
    )
    assert bundle.status_code == 200 and "ALL CHECKS PASSED" in bundle.get_data(as_text=True)
