"""The register's rules (issue 12, items 3 and 5): roll kept on upload, locks, the
self-declared warning, paper numbers, codes for roll entries, and ballots per route."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from decide.models import Round, RoundLocked, VoterRollEntry
from decide.services import (
    access_codes,
    ballot_box,
    paper,
    phases,
    register,
    register_setup,
    rounds,
    voter_roll,
    voting,
)
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from tests.voting.helpers import TODAY, before_voting, make_area, make_round, make_user

ROLL = "reference,date_of_birth\nA-1,1980-01-01\nB-2,1981-02-02\n"


@pytest.fixture
def key(app):
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


def _ids(db, round_id):
    return {
        e.reference_hash: e.id
        for e in db.session.scalars(
            select(VoterRollEntry).where(VoterRollEntry.round_id == round_id)
        )
    }


def _upload(db, app, round_id, text):
    return register_setup.store_roll(
        db.session, round_id, voter_roll.parse_roll(text), secret_key=app.config["SECRET_KEY"]
    )


def test_uploading_the_roll_again_keeps_entries_and_ids(app, db):
    rnd = make_round(db.session, "approval", phase="deliberation")
    first = _upload(db, app, rnd.id, ROLL)
    assert (first.added, first.kept) == (2, 0)
    ids = _ids(db, rnd.id)
    again = _upload(db, app, rnd.id, ROLL + "C-3,1982-03-03\n")
    assert (again.added, again.kept, again.removed) == (1, 2, 0)
    after = _ids(db, rnd.id)
    assert len(after) == 3 and all(after[h] == i for h, i in ids.items())
    # A changed date of birth keeps the entry (and its id), with the new identity.
    changed = _upload(db, app, rnd.id, "reference,date_of_birth\nA-1,1980-01-31\nB-2,1981-02-02\n")
    assert (changed.changed, changed.removed) == (1, 1)  # C-3 left the roll before voting
    secret = app.config["SECRET_KEY"]
    born = dt.date(1980, 1, 31)
    entry = voter_roll.verify_roll(db.session, rnd.id, "A1", born, secret_key=secret, today=TODAY)
    assert entry.id in ids.values()
    # Once voting has opened, nobody is taken off the roll: the report says who stayed.
    rnd.phase = "voting"
    db.session.commit()
    late = _upload(db, app, rnd.id, "reference,date_of_birth\nA-1,1980-01-31\nD-4,1990-04-04\n")
    assert (late.added, late.kept, late.removed, late.kept_absent) == (1, 1, 0, 1)
    assert "stays on it: nobody is taken off the roll once voting has opened" in " ".join(
        late.sentences()
    )
    assert len(_ids(db, rnd.id)) == 3


def test_a_reference_appears_once_on_the_roll(app, db):
    rnd = make_round(db.session, "approval", phase="deliberation")
    with pytest.raises(elig.RollError, match="line 3: repeats line 2"):
        _upload(db, app, rnd.id, "reference,date_of_birth\nA-1,1980-01-01\nA1,1999-09-09\n")


def test_who_may_vote_and_the_areas_lock_when_voting_opens(app, db):
    area, other = make_area(db.session, "LS8"), make_area(db.session, "LS9")
    rnd = make_round(db.session, "approval", area=area)
    facilitator = make_user(db.session, is_facilitator=True)
    with pytest.raises(elig.EligibilityError, match="cannot change now"):
        elig.save_settings(
            db.session, rnd.id, by_postcode=True, by_roll=False, by_code=True, min_age=None
        )
    with pytest.raises(elig.EligibilityError, match="cannot change now"):
        elig.save_settings(
            db.session, rnd.id, by_postcode=True, by_roll=False, by_code=False, min_age=18
        )
    settings = rounds.RoundSettings.of(rnd)
    moved = rounds.RoundSettings(**{**settings.__dict__, "area_ids": (other.id,)})
    with pytest.raises(rounds.InvalidInput) as info:
        rounds.update_round(db.session, rnd, moved, facilitator)
    assert info.value.errors == {"area_ids": "The areas cannot change after voting opened"}
    # The model's own guard, for a change that slips past the services.
    rnd.areas = [other]
    with pytest.raises(RoundLocked, match="areas cannot change"):
        db.session.commit()
    db.session.rollback()
    elig.save_settings(db.session, rnd.id, by_postcode=True, by_roll=False, by_code=False,
                       min_age=None)  # fmt: skip
    row = elig.settings_for(db.session, rnd.id)
    row.min_age = 21
    with pytest.raises(RoundLocked, match="who may vote cannot change"):
        db.session.commit()
    db.session.rollback()
    # A roll or codes cannot be added to a round that opened without them.
    with pytest.raises(elig.RollError, match="cannot change now"):
        _upload(db, app, rnd.id, ROLL)
    with pytest.raises(elig.EligibilityError, match="cannot change now"):
        access_codes.generate_codes(db.session, rnd.id, 2, label="", today=TODAY)
    assert db.session.get(Round, rnd.id).areas == [area]


def test_voting_opens_on_a_self_declared_round_only_once_the_warning_is_confirmed(app, db):
    rnd = make_round(db.session, "approval", phase="deliberation", area=make_area(db.session))
    for p in rnd.projects:
        p.organisation_id = None
    facilitator = make_user(db.session, is_facilitator=True)
    problems = phases.phase_problems(db.session, rnd, "voting")
    assert any("self-declared: a person with a second e-mail address" in p for p in problems)
    warning = " ".join(register_setup.self_declared_warning(elig.settings_for(db.session, rnd.id)))
    assert "second e-mail address can make a second account and vote twice" in warning
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    assert not any("self-declared" in p for p in phases.phase_problems(db.session, rnd, "voting"))
    # Changing the ways to vote asks for the confirmation again.
    elig.save_settings(db.session, rnd.id, by_postcode=True, by_roll=False, by_code=True,
                       min_age=None)  # fmt: skip
    assert any("self-declared" in p for p in phases.phase_problems(db.session, rnd, "voting"))
    # A round with a roll is not self-declared.
    _upload(db, app, rnd.id, ROLL)
    assert not any("self-declared" in p for p in phases.phase_problems(db.session, rnd, "voting"))
    assert facilitator.is_facilitator


def test_every_route_marks_the_one_roll_entry(app, db, key):
    secret = app.config["SECRET_KEY"]
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    officer, resident, stranger = (make_user(db.session) for _ in range(3))
    with before_voting(db.session, rnd):
        _, free = access_codes.generate_codes(db.session, rnd.id, 1, label="", today=TODAY)
        _upload(db, app, rnd.id, ROLL)
        with pytest.raises(elig.EligibilityError, match="make codes for the people on it"):
            access_codes.generate_codes(db.session, rnd.id, 1, label="", today=TODAY)
        with pytest.raises(elig.EligibilityError, match="Not on the voter roll: ZZ9"):
            register_setup.codes_for_references(
                db.session, rnd.id, ["A-1", "ZZ9"], secret_key=secret, label="", today=TODAY
            )
        _, pairs = register_setup.codes_for_references(
            db.session, rnd.id, ["A-1", "B-2"], secret_key=secret, label="", today=TODAY
        )
        numbers = [n.number for n in register_setup.issue_paper_numbers(
            db.session, rnd.id, 3, label="", today=TODAY).numbers]  # fmt: skip
    a1 = voter_roll.verify_roll(db.session, rnd.id, "A1", dt.date(1980, 1, 1), secret_key=secret,
                          today=TODAY)  # fmt: skip
    b2 = voter_roll.verify_roll(db.session, rnd.id, "B2", dt.date(1981, 2, 2), secret_key=secret,
                          today=TODAY)  # fmt: skip
    # An account votes only once linked to its place on the roll; the link is made once.
    with pytest.raises(voting.NotEligible, match="link your account"):
        voting.cast_ballot(db.session, rnd.id, VoterKey("user", stranger.id), ["P1"],
                           server_key=key, today=TODAY)  # fmt: skip
    register.bind_account(db.session, rnd.id, resident.id, a1)
    with pytest.raises(register.NotOnRegister, match="already linked to another place"):
        register.bind_account(db.session, rnd.id, resident.id, b2)
    # A code made before the roll names nobody on it, so it is refused.
    with pytest.raises(voting.NotEligible, match="not printed for anyone"):
        voter = access_codes.verify_code(db.session, rnd.id, free[0])
        voting.cast_ballot(db.session, rnd.id, voter, ["P1"], server_key=key, today=TODAY)
    # Paper in a round with a roll must name the voter's entry.
    with pytest.raises(voting.NotEligible, match="reference number and date of birth"):
        paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number=numbers[0],
                                 officer_id=officer.id, server_key=key, today=TODAY)  # fmt: skip
    # A1 votes on paper; then by account, by code and by roll details A1 is refused.
    paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number=numbers[0], officer_id=officer.id,
                             server_key=key, today=TODAY, entry=a1)  # fmt: skip
    by_code = access_codes.verify_code(db.session, rnd.id, pairs[0][1])
    for voter in (VoterKey("user", resident.id), by_code, a1):
        assert voting.has_voted(db.session, rnd.id, voter)
        with pytest.raises(voting.AlreadyVoted, match=r"10 May 2027 \(paper, entered by an"):
            voting.cast_ballot(db.session, rnd.id, voter, ["P2"], server_key=key, today=TODAY)
    # B2 votes by its code; then paper for B2 is refused and leaves its number unused. The
    # officer is told only that the person has voted, not when or by which route.
    voter = access_codes.verify_code(db.session, rnd.id, pairs[1][1])
    voting.cast_ballot(db.session, rnd.id, voter, ["P2"], server_key=key, today=TODAY)
    with pytest.raises(voting.AlreadyVoted, match="This person has already voted") as told:
        paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number=numbers[1],
                                 officer_id=officer.id, server_key=key, today=TODAY,
                                 entry=b2)  # fmt: skip
    assert "access code" not in str(told.value) and "May" not in str(told.value)
    with pytest.raises(voting.AlreadyVoted, match="already entered"):
        paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number=numbers[0],
                                 officer_id=officer.id, server_key=key, today=TODAY,
                                 entry=b2)  # fmt: skip
    assert ballot_box.counts(db.session, rnd.id) == {"ballots": 2, "sealed": 2, "participation": 2}
    per_route = register.ballots_per_route(db.session, rnd.id)
    assert (per_route["paper"], per_route["code"], per_route["account"]) == (1, 1, 0)


def test_self_declared_paper_numbers_are_their_own_entries(app, db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    officer, resident = make_user(db.session), make_user(db.session)
    batch = register_setup.issue_paper_numbers(db.session, rnd.id, 2, label="", today=TODAY)
    assert len({n.number for n in batch.numbers}) == 2
    assert all(len(n.number) == 10 and n.number.isdigit() for n in batch.numbers)
    with pytest.raises(voting.NotEligible, match="never issued"):
        paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number="0000000000",
                                 officer_id=officer.id, server_key=key, today=TODAY)  # fmt: skip
    paper.enter_paper_ballot(db.session, rnd.id, ["P1"], number=batch.numbers[0].number,
                             officer_id=officer.id, server_key=key, today=TODAY)  # fmt: skip
    voting.cast_ballot(db.session, rnd.id, VoterKey("user", resident.id), ["P2"], server_key=key,
                       today=TODAY)  # fmt: skip
    per_route = register.ballots_per_route(db.session, rnd.id)
    assert (per_route["paper"], per_route["account"], per_route["code"]) == (1, 1, 0)
    db.session.refresh(batch.numbers[0])
    assert batch.numbers[0].officer_id == officer.id and batch.numbers[0].used_on == TODAY
    assert batch.numbers[1].used_on is None


def test_whether_a_round_has_a_roll_is_fixed_when_voting_opens(app, db, key):
    """Outside review, finding 1: with "voter roll" ticked and no roll uploaded, voting does not
    open; and a roll uploaded after voting opened cannot let earlier voters vote again."""
    rnd = make_round(db.session, "approval", phase="deliberation", area=make_area(db.session))
    for p in rnd.projects:
        p.organisation_id = None
    resident = make_user(db.session)
    elig.save_settings(
        db.session, rnd.id, by_postcode=True, by_roll=True, by_code=False, min_age=None
    )
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    blockers = phases.phase_blockers(db.session, rnd, "voting")
    empty = [b for b in blockers if "no voter roll has been uploaded" in b.message]
    assert len(empty) == 1 and empty[0].fix == "eligibility", blockers
    assert not any("confirm it" in b.message for b in blockers)  # one clear blocker, not two
    # A round that got into voting that way anyway (opened before this check existed).
    rnd.phase = "voting"
    db.session.commit()
    voting.cast_ballot(
        db.session, rnd.id, VoterKey("user", resident.id), ["P1"], server_key=key, today=TODAY
    )
    with pytest.raises(elig.RollError) as refused:
        _upload(db, app, rnd.id, ROLL)
    assert "would let people who already voted vote again" in str(refused.value.problems)
    assert not register.has_roll(db.session, rnd.id)
    with pytest.raises(voting.AlreadyVoted):
        voting.cast_ballot(
            db.session, rnd.id, VoterKey("user", resident.id), ["P2"], server_key=key, today=TODAY
        )
    assert ballot_box.counts(db.session, rnd.id)["ballots"] == 1
    # With the roll uploaded before voting opens, the blocker goes.
    with before_voting(db.session, rnd):
        _upload(db, app, rnd.id, ROLL)
        blockers = phases.phase_blockers(db.session, rnd, "voting")
        assert not [b for b in blockers if "voter roll" in b.message], blockers
