"""Issue 13, item 4: who must sign is fixed with the ballot, one signer needs a stated reason,
the facilitator's side never publishes alone, and each signer's role is published."""

from __future__ import annotations

import json

import pytest

from audits.bls import generate, sign_document
from audits.canonical import canonical_json
from audits.manifest import Manifest
from audits.verify import verify_pdf
from decide.models import Round
from decide.models.round import RoundLocked
from decide.services import manifests, publication, signing
from decide.services.phase_rules import PhaseChangeRefused
from decide.services.phases import change_phase
from tests.publication.conftest import build_closed_round, manifest_signature, ready_to_publish


def test_new_rounds_need_two_signatures(db):
    rnd = Round(title="Fresh", slug="fresh", budget_pence=100_000, phase="draft")
    db.session.add(rnd)
    db.session.commit()
    assert rnd.signature_threshold == 2 and rnd.threshold_reason == ""


def test_the_threshold_locks_when_voting_opens(app, db, closed):
    # The round was voted on: k can be neither raised nor lowered any more.
    for k in (3, 1):
        closed.round.signature_threshold = k
        with pytest.raises(RoundLocked, match="signature threshold"):
            db.session.commit()
        db.session.rollback()
    closed.round.threshold_reason = "too late"
    with pytest.raises(RoundLocked, match="threshold reason"):
        db.session.commit()
    db.session.rollback()


def test_one_signature_needs_a_stated_reason_which_is_signed_and_printed(app, db, panel_keys):
    c = build_closed_round(app, db.session, threshold=1)
    signing.register_key(db.session, c.round, c.members[0], panel_keys.public_json(0))
    problems = manifests.manifest_problems(db.session, c.round)
    assert any("needs a stated reason" in p for p in problems)
    with pytest.raises(manifests.PublicationRefused, match="stated reason"):
        manifests.write_manifest(db.session, c.round)


def test_a_reasoned_single_signature_is_recorded_and_verifies(app, db, panel_keys, monkeypatch):
    c = build_closed_round(app, db.session, threshold=1)
    # The reason was set with the ballot, before voting opened; the fixture votes first, so
    # set it here through the core table as the round form would have.
    db.session.execute(
        Round.__table__.update()
        .where(Round.id == c.round.id)
        .values(threshold_reason="A pilot round in one ward; the panel has one member.")
    )
    db.session.commit()
    db.session.refresh(c.round)
    signing.register_key(db.session, c.round, c.members[0], panel_keys.public_json(0))
    row = manifests.write_manifest(db.session, c.round)
    manifest = Manifest.from_json_bytes(row.manifest_json)
    assert manifest.threshold == 1
    assert manifest.threshold_reason.startswith("A pilot round")
    keys = json.loads(row.keys_json)["keys"]
    assert [k["role"] for k in keys] == ["panel"]
    signing.upload_signature(
        db.session, c.round, c.members[0], manifest_signature(row, panel_keys.keys[0]),
        document_type=signing.MANIFEST_TYPE, digest=row.digest,
    )  # fmt: skip
    change_phase(db.session, c.round, "published", c.facilitator)
    pdf = publication.publish_round(db.session, c.round).pdf
    checks = verify_pdf(pdf, pinned_keys=panel_keys.public[:1])
    assert all(ch.ok for ch in checks), [ch.line() for ch in checks]
    assert "(panel," in checks[5].reason


def test_the_facilitator_alone_never_publishes(app, db, panel_keys):
    c = build_closed_round(app, db.session, threshold=1)
    db.session.execute(
        Round.__table__.update()
        .where(Round.id == c.round.id)
        .values(threshold_reason="Only the facilitator is available.")
    )
    db.session.commit()
    db.session.refresh(c.round)
    own = generate("Fay Facilitator", seed=b"\x44" * 32)
    key = signing.register_key(
        db.session, c.round, c.facilitator, canonical_json(own.public_record().to_dict())
    )
    assert key.role == "official"
    row = manifests.write_manifest(db.session, c.round)
    record = sign_document(own, Manifest.from_json_bytes(row.manifest_json).to_dict())
    signing.upload_signature(
        db.session, c.round, c.facilitator, canonical_json(record.to_dict()),
        document_type=signing.MANIFEST_TYPE, digest=row.digest,
    )  # fmt: skip
    message = publication.publish_guard(db.session, c.round)
    assert message is not None and "never publishes alone" in message
    with pytest.raises(PhaseChangeRefused):
        change_phase(db.session, c.round, "published", c.facilitator)


def test_roles_are_published_in_keys_json(app, db, closed, panel_keys):
    row = ready_to_publish(db.session, closed, panel_keys)
    keys = json.loads(row.keys_json)["keys"]
    assert {k["name"]: k["role"] for k in keys} == {"Ada Panel": "panel", "Bo Panel": "panel"}
    assert all(len(k["fingerprint"]) == 19 for k in keys)


def test_a_facilitator_seated_on_the_panel_does_not_publish_alone(app, db, panel_keys):
    from decide.models import PanelMember

    c = build_closed_round(app, db.session, threshold=1)
    db.session.execute(
        Round.__table__.update()
        .where(Round.id == c.round.id)
        .values(threshold_reason="A pilot round in one ward.")
    )
    db.session.add(PanelMember(round=c.round, user=c.facilitator))
    db.session.commit()
    db.session.refresh(c.round)
    own = generate("Fay Facilitator", seed=b"\x45" * 32)
    key = signing.register_key(
        db.session, c.round, c.facilitator, canonical_json(own.public_record().to_dict())
    )
    assert key.role == "panel"  # seated on the panel, so the key is a panel member's
    row = manifests.write_manifest(db.session, c.round)
    record = sign_document(own, Manifest.from_json_bytes(row.manifest_json).to_dict())
    signing.upload_signature(
        db.session, c.round, c.facilitator, canonical_json(record.to_dict()),
        document_type=signing.MANIFEST_TYPE, digest=row.digest,
    )  # fmt: skip
    message = publication.publish_guard(db.session, c.round)
    assert message is not None
    assert "a round's facilitator never publishes alone" in message
    assert "a panel member who is not a facilitator must sign" in message.lower()
    with pytest.raises(PhaseChangeRefused):
        change_phase(db.session, c.round, "published", c.facilitator)


def test_a_private_key_file_is_refused_with_a_warning_and_not_kept(app, db, panel_keys):
    from decide.models import SigningKey

    c = build_closed_round(app, db.session)
    private = canonical_json(panel_keys.keys[0].private_record())
    with pytest.raises(signing.KeyRefused, match="This is your private key file"):
        signing.register_key(db.session, c.round, c.members[0], private)
    assert db.session.query(SigningKey).count() == 0
