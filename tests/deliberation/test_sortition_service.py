"""Sortition in a round: registering interest, quotas, the lottery, the seed, the draw."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from decide import sortition as pure
from decide.models import PanelMember
from decide.services import sortition
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import make_user

SEED = "a3f1 public meeting numbers 4 17 23"


def _interest(world, **changes):
    values = dict(
        consent=True,
        area_id=world.areas[0].id,
        age_band="25-44",
        gender="woman",
        partner_type="resident",
        extra={},
    )
    values.update(changes)
    return sortition.Interest(**values)


def test_registering_needs_consent_and_valid_features_once_per_person(db, world):
    rnd, citizen = world.round, world.users["citizen"]
    with pytest.raises(InvalidInput) as refused:
        sortition.register_interest(
            db.session, rnd, citizen, _interest(world, consent=False, gender="x", area_id=None)
        )
    assert set(refused.value.errors) == {"consent", "gender", "area_id"}
    assert sortition.volunteers_of(db.session, rnd) == []
    mine = sortition.register_interest(db.session, rnd, citizen, _interest(world))
    assert mine.features()["deprivation_decile"] == "1"  # from the area, never typed in
    assert mine.consent_at is not None and "published" in mine.consent_text
    with pytest.raises(DomainError, match="already registered"):
        sortition.register_interest(db.session, rnd, citizen, _interest(world))
    with pytest.raises(NotAllowed):
        sortition.withdraw_interest(db.session, mine, world.users["asset_member"])
    sortition.withdraw_interest(db.session, mine, citizen)
    assert sortition.volunteers_of(db.session, rnd) == []


def test_extra_questions_are_asked_and_checked(db, world):
    rnd = world.round
    sortition.set_panel(
        db.session, rnd, 4, [{"name": "carer", "label": "Carer", "values": ["yes", "no"]}]
    )
    with pytest.raises(InvalidInput, match="Carer"):
        sortition.register_interest(db.session, rnd, world.users["citizen"], _interest(world))
    mine = sortition.register_interest(
        db.session, rnd, world.users["citizen"], _interest(world, extra={"carer": "yes"})
    )
    assert mine.features()["carer"] == "yes"


def test_infeasible_quotas_name_the_conflict_and_change_nothing(db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, [pure.Quota("gender", "other", 3, 4)])
    with pytest.raises(InvalidInput, match=r"at least 3 with gender = other \(the pool has 2\)"):
        sortition.compute_lottery(db.session, rnd)
    found = sortition.settings_of(db.session, rnd)
    assert found.record is None and not found.pool_closed


def test_lottery_then_seed_then_draw_seats_the_panel_and_the_record_verifies(db, world):
    rnd = world.round
    volunteers = fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    with pytest.raises(DomainError, match="Compute the lottery first"):
        sortition.announce_seed(db.session, rnd, SEED)
    found = sortition.compute_lottery(db.session, rnd)
    published = sortition.record_of(found)
    assert found.pool_closed and published["seed"] is None
    # Commit-reveal: the nonce's hash is published at once, the nonce itself only at the draw.
    assert published["nonce"] is None and found.nonce.encode() not in found.record
    assert published["nonce_hash"] == pure.nonce_hash(found.nonce)
    # The pool and the quotas are frozen once the lottery is published.
    with pytest.raises(DomainError, match="closed"):
        sortition.register_interest(
            db.session, rnd, make_user(db.session, "late@test.example"), _interest(world)
        )
    with pytest.raises(DomainError, match="cannot change"):
        sortition.set_quotas(db.session, rnd, [])
    with pytest.raises(DomainError, match="Announce the seed"):
        sortition.draw_panel(db.session, rnd)
    sortition.announce_seed(db.session, rnd, SEED)
    members = sortition.draw_panel(db.session, rnd)
    record = sortition.record_of(found)
    assert record["seed"] == SEED and len(record["selected"]) == 4
    assert record["nonce"] == found.nonce
    mixed = pure.mixed_seed(SEED, found.nonce)
    assert record["draw_index"] == pure.draw_index(mixed, len(record["panels"]))
    by_pseudonym = {v.pseudonym: v.user_id for v in volunteers}
    seated = set(
        db.session.scalars(select(PanelMember.user_id).where(PanelMember.round_id == rnd.id))
    )
    assert {by_pseudonym[p] for p in record["selected"]} == seated and len(members) == 4
    assert all(c.ok for c in pure.verify_record(json.loads(found.record))), "record verifies"
    assert found.record_hash == hashlib.sha256(found.record).hexdigest()
    assert sortition.manifest_fields(db.session, rnd) == {"sortition_record": found.record_hash}
    # No name is published: ids are pseudonyms.
    assert b"Volunteer" not in found.record and b"@test.example" not in found.record


def test_replacements_are_drawn_from_the_record_and_recorded(db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 30)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)
    sortition.announce_seed(db.session, rnd, SEED)
    sortition.draw_panel(db.session, rnd)
    found = sortition.settings_of(db.session, rnd)
    before = found.record_hash
    with pytest.raises(DomainError, match="Announce the seed for the replacements"):
        sortition.replace_dropouts(db.session, rnd, [sortition.record_of(found)["selected"][0]])
    committed = sortition.record_of(found)["next_nonce_hash"]
    sortition.announce_replacement_seed(db.session, rnd, "replacement seed 99")
    # In a small pool some members cannot be replaced within the quotas (a clear refusal
    # that changes nothing): take the first who can.
    for gone in sortition.record_of(found)["selected"]:
        try:
            sortition.replace_dropouts(db.session, rnd, [gone])
            break
        except DomainError as refused:
            assert "No panel of the lottery" in str(refused)
    else:
        pytest.fail("nobody could be replaced")
    record = sortition.record_of(found)
    entry = record["replacements"][0]
    assert entry["nonce_hash"] == committed == pure.nonce_hash(entry["nonce"])
    assert entry["seed"] == "replacement seed 99" and entry["seed_announced_at"]
    assert record["next_nonce_hash"] not in (None, committed)
    assert record["replacements"][0]["dropouts"] == [gone]
    assert gone not in sortition.current_panel(record) and found.record_hash != before
    user_of = {v.pseudonym: v.user_id for v in sortition.volunteers_of(db.session, rnd)}
    seated = db.session.scalars(select(PanelMember.user_id).where(PanelMember.round_id == rnd.id))
    assert sorted(seated) == sorted(user_of[p] for p in sortition.current_panel(record))
    assert all(c.ok for c in pure.verify_record(record))
    with pytest.raises(DomainError, match="Announce the seed"):
        sortition.replace_dropouts(db.session, rnd, [gone])


def test_a_quota_on_a_value_no_volunteer_can_have_is_refused_and_changes_nothing(db, world):
    rnd = world.round
    sortition.set_panel(
        db.session, rnd, 4, [{"name": "carer", "label": "Carer", "values": ["yes", "no"]}]
    )
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    area = world.areas[0]
    misspelt = [
        (pure.Quota("area", area.name + " X", 0, 1), "is not a value of area"),
        (pure.Quota("gender", "Woman", 1, 4), "its values are woman, man, other"),
        (pure.Quota("Gender", "woman", 1, 4), "There is no feature “Gender”"),
        (pure.Quota("carer", "maybe", 1, 4), "its values are yes, no, not asked"),
    ]
    for quota, message in misspelt:
        with pytest.raises(InvalidInput, match=message):
            sortition.set_quotas(db.session, rnd, [*small_quotas(4), quota])
        kept = {(q.feature, q.value) for q in sortition.quotas_of(db.session, rnd)}
        assert kept == {(q.feature, q.value) for q in small_quotas(4)}
    accepted = [pure.Quota("area", area.slug, 0, 1), pure.Quota("carer", "yes", 1, 4)]
    sortition.set_quotas(db.session, rnd, accepted)
    assert len(sortition.quotas_of(db.session, rnd)) == 2
