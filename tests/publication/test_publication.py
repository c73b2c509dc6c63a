"""Closing, panel keys, signatures, publication with k of n, PDF editions, receipts, export."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from audits.bls import generate, sign_document
from audits.canonical import canonical_json
from audits.chain import genesis
from audits.merkle import MerkleTree
from audits.verify import verify_pdf
from decide.models import (
    Ballot,
    CosignSignature,
    Edition,
    PublicationJob,
    RoundClosing,
    SealedBallot,
    SigningKey,
)
from decide.services import manifests, publication, signing
from decide.services.eligibility import VoterKey
from decide.services.jobs import schedule_job
from decide.services.paper import enter_paper_ballot
from decide.services.phase_rules import PhaseChangeRefused
from decide.services.phases import change_phase
from decide.services.voting import VotingClosed, load_server_key, receipt_again
from tests.publication.conftest import (
    TODAY,
    login,
    manifest_signature,
    ready_to_publish,
    register_both,
)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_closing_freezes_the_board_and_computes_root_head_and_tally(app, db, closed):
    rnd = closed.round
    job = db.session.scalar(select(PublicationJob).where(PublicationJob.round_id == rnd.id))
    assert job.kind == "close" and job.status == "done", job.message
    row = db.session.get(RoundClosing, rnd.id)
    leaves = [
        bytes(x)
        for x in db.session.scalars(
            select(Ballot.leaf).where(Ballot.round_id == rnd.id).order_by(Ballot.sequence)
        )
    ]
    query = select(Ballot.head).where(Ballot.round_id == rnd.id).order_by(Ballot.sequence)
    heads = [bytes(x) for x in db.session.scalars(query)]
    assert row.ballot_count == 12 == len(leaves)
    assert row.merkle_root == MerkleTree(leaves).root.hex()
    assert row.chain_head == heads[-1].hex() != genesis(str(rnd.id)).hex()
    tally = json.loads(row.tally_json)
    assert tally["projects"]["P1"]["approvals"] == 1 + 6  # online, then patterns 0, 1, 4 twice
    assert json.loads(row.channels_json) == {"online": 1, "paper": 11}
    # The box is open and empty; the board keeps the routes, the list does not.
    assert not db.session.scalars(select(SealedBallot)).all()
    assert {b.channel for b in db.session.scalars(select(Ballot))} == {"sealed"}
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    with pytest.raises(VotingClosed):
        enter_paper_ballot(db.session, rnd.id, ["P1"], number="1", officer_id=closed.facilitator.id,
                           server_key=key, today=TODAY)  # fmt: skip
    assert _count(db, Ballot) == 12


def test_a_key_with_a_bad_proof_of_possession_is_refused(app, db, closed, panel_keys):
    bad = panel_keys.public[0].to_dict() | {
        "proof_of_possession": panel_keys.public[1].proof_of_possession.hex()
    }
    client = login(app.test_client(), closed.members[0])
    url = f"/rounds/{closed.round.id}/publication/key"
    response = client.post(url, data={"key_json": json.dumps(bad)})
    assert response.status_code == 422
    assert "proof of possession does not match" in response.get_data(as_text=True)
    response = client.post(url, data={"key_json": "not json"})
    assert response.status_code == 422 and "not a public key file" in response.get_data(
        as_text=True
    )
    assert _count(db, SigningKey) == 0
    good = client.post(
        url, data={"key_file": (io.BytesIO(panel_keys.public_json(0)), "ada.pub.json")}
    )
    assert good.status_code == 303
    assert db.session.scalar(select(SigningKey.name)) == "Ada Panel"
    # A citizen may not register a key for the round.
    other = login(app.test_client(), closed.citizen)
    assert other.post(url, data={"key_json": panel_keys.public_json(1)}).status_code == 403


@pytest.mark.slow  # three refused signatures each cost a BLS pairing check
def test_signature_upload_refuses_bad_signatures_and_stores_a_good_one(app, db, closed, panel_keys):
    register_both(db.session, closed, panel_keys)
    row = manifests.write_manifest(db.session, closed.round)
    client = login(app.test_client(), closed.members[0])
    url = f"/rounds/{closed.round.id}/publication/sign"
    # Over another document.
    wrong = sign_document(panel_keys.keys[0], {"type": "decide-manifest/v1", "round": "x"})
    response = client.post(url, data={"signature_json": canonical_json(wrong.to_dict())})
    assert response.status_code == 422 and "over another document" in response.get_data(
        as_text=True
    )
    # A signature by someone else's key, relabelled as mine.
    forged = json.loads(manifest_signature(row, panel_keys.keys[1]))
    forged["public_key"] = panel_keys.public[0].public_key.hex()
    response = client.post(url, data={"signature_json": json.dumps(forged)})
    assert response.status_code == 422 and "does not verify" in response.get_data(as_text=True)
    # Made with the other member's key.
    response = client.post(
        url, data={"signature_json": manifest_signature(row, panel_keys.keys[1])}
    )
    assert response.status_code == 422 and "another key" in response.get_data(as_text=True)
    assert _count(db, CosignSignature) == 0
    good = client.post(
        url,
        data={
            "signature_file": (io.BytesIO(manifest_signature(row, panel_keys.keys[0])), "s.json")
        },
    )
    assert good.status_code == 303
    assert _count(db, CosignSignature) == 1
    again = client.post(url, data={"signature_json": manifest_signature(row, panel_keys.keys[0])})
    assert again.status_code == 422 and "already signed" in again.get_data(as_text=True)


def test_publishing_is_refused_below_k_signatures(app, db, closed, panel_keys):
    ready_to_publish(db.session, closed, panel_keys, signers=1)
    client = login(app.test_client(), closed.facilitator)
    response = client.post(f"/rounds/{closed.round.id}/publication/publish")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "needs 2 valid panel signatures on the manifest; 1 so far" in page
    db.session.refresh(closed.round)
    assert closed.round.phase == "closed" and _count(db, Edition) == 0
    with pytest.raises(PhaseChangeRefused):
        change_phase(db.session, closed.round, "published", closed.facilitator)


def test_publishing_with_k_signatures_writes_a_pdf_that_verifies(app, db, closed, panel_keys):
    ready_to_publish(db.session, closed, panel_keys)
    client = login(app.test_client(), closed.facilitator)
    response = client.post(f"/rounds/{closed.round.id}/publication/publish")
    assert response.status_code == 303 and "/progress/publish" in response.headers["Location"]
    progress = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Finished" in progress
    db.session.refresh(closed.round)
    assert closed.round.phase == "published"
    edition = publication.edition(db.session, closed.round.id)
    assert edition.number == 1
    anonymous = app.test_client()
    pdf = anonymous.get(f"/rounds/{closed.round.id}/editions/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data == edition.pdf
    checks = verify_pdf(pdf.data, pinned_keys=panel_keys.public)
    statuses = [c.status for c in checks]
    assert statuses == ["PASS"] * 7 + ["SKIP", "PASS", "SKIP", "SKIP"], [c.line() for c in checks]
    # Same inputs, same bytes.
    from audits.bundle import publish as build

    closing = manifests.stored_closing(manifests.manifest_of(db.session, closed.round.id))
    closing = manifests.with_board(db.session, closing)
    sigs = manifests.manifest_signatures(db.session, closed.round).records
    from audits.pdf import read_attachments

    # Edition 1 has no delivery annex (issue 16): no checkpoint co-signs one yet.
    assert "delivery.json" not in read_attachments(edition.pdf)
    assert build(closing, sigs, None).pdf == edition.pdf
    # The public page lists the edition.
    overview = anonymous.get(f"/rounds/{closed.round.id}/publication").get_data(as_text=True)
    assert f"/rounds/{closed.round.id}/editions/1.pdf" in overview


def test_receipt_inclusion_check_after_publication(app, db, closed, panel_keys):
    key = load_server_key(app.config["RECEIPT_KEY_FILE"])
    voter = VoterKey("user", closed.citizen.id)
    receipt = receipt_again(db.session, closed.round.id, voter, key)
    assert receipt.receipt.tracker == closed.online_tracker
    client = app.test_client()
    early = client.post("/receipts/counted", data={"receipt": receipt.to_json()})
    assert early.status_code == 422 and "not published yet" in early.get_data(as_text=True)
    ready_to_publish(db.session, closed, panel_keys)
    change_phase(db.session, closed.round, "published", closed.facilitator)
    ok = client.post("/receipts/counted", data={"receipt": receipt.to_json()})
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "Your ballot was counted" in text
    assert "Inclusion proof" in text
    forged = json.loads(receipt.to_json())
    forged["commitment"] = "00" * 32
    bad = client.post("/receipts/counted", data={"receipt": json.dumps(forged)})
    assert bad.status_code == 422 and "not valid" in bad.get_data(as_text=True)
    check = client.post("/receipts/check", data={"receipt": receipt.to_json()})
    assert "Verify my ballot was counted" in check.get_data(as_text=True)


def test_export_pdf_command_writes_the_latest_edition(app, db, closed, panel_keys, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(
        args=["export-pdf", str(closed.round.id), "-o", str(tmp_path / "x.pdf")]
    )
    assert missing.exit_code != 0 and "has no published PDF edition yet" in missing.output
    ready_to_publish(db.session, closed, panel_keys)
    change_phase(db.session, closed.round, "published", closed.facilitator)
    out = tmp_path / "round.pdf"
    result = runner.invoke(args=["export-pdf", closed.round.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == publication.edition(db.session, closed.round.id).pdf
    assert "edition 1" in result.output
    nothing = runner.invoke(args=["export-pdf", "no-such-round", "-o", str(out)])
    assert nothing.exit_code != 0 and "There is no round" in nothing.output


def test_a_stalled_job_can_be_started_again_and_progress_is_a_fragment(app, db, closed):
    client = login(app.test_client(), closed.facilitator)
    url = f"/rounds/{closed.round.id}/publication/progress/close"
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Finished" in fragment
    job = db.session.scalar(select(PublicationJob))
    job.status = "running"
    db.session.commit()
    live = client.get(url)
    page = live.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert live.headers.get("Refresh") is None  # with JavaScript, htmx alone polls
    assert "http-equiv" not in full.get_data(as_text=True)  # a finished job stays put
    from decide.services.errors import DomainError

    with pytest.raises(DomainError, match="already under way"):
        schedule_job(db.session, closed.round, "close")
    db.session.rollback()


def test_an_unregistered_signer_cannot_sign(app, db, closed, panel_keys):
    register_both(db.session, closed, panel_keys)
    manifests.write_manifest(db.session, closed.round)
    outsider = generate("Eve", seed=b"\x33" * 32)
    client = login(app.test_client(), closed.citizen)
    assert client.get(f"/rounds/{closed.round.id}/publication/sign").status_code == 403
    with pytest.raises(signing.NotAllowed):
        signing.upload_signature(
            db.session, closed.round, closed.citizen, b"{}", document_type=signing.MANIFEST_TYPE,
            digest="0" * 64,
        )  # fmt: skip
    assert outsider.public_key  # the outsider's key never reaches the round
    with pytest.raises(signing.KeyRefused, match="no longer be added"):
        signing.register_key(db.session, closed.round, closed.facilitator, b"{}")
