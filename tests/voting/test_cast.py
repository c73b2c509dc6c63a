"""cast_ballot: the happy path per kind, receipts, and every refusal writing nothing."""

from __future__ import annotations

import json

import pytest

from audits.chain import verify_chain
from audits.receipts import SignedReceipt, verify_receipt
from decide.models import Round
from decide.services import access_codes, ballot_box, ballot_values, voter_roll, voting
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from tests.voting.helpers import (
    TODAY,
    before_voting,
    close_and_open,
    make_area,
    make_round,
    make_user,
    row_counts,
)

GOOD = {
    "approval": ["P1", "P3"],
    "knapsack": ["P1", "P2", "P4"],
    "cumulative": {"P1": 5, "P2": 3},
    "ranked": ["P3", "P1"],
}


@pytest.fixture
def key(app):
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


@pytest.mark.parametrize("kind", list(GOOD))
def test_cast_each_kind_seals_signs_and_opens_at_close(db, key, kind):
    area = make_area(db.session)
    rnd = make_round(db.session, kind, area=area)
    users = [make_user(db.session) for _ in range(3)]
    receipts = [
        voting.cast_ballot(
            db.session, rnd.id, VoterKey("user", u.id), GOOD[kind], server_key=key, today=TODAY
        )
        for u in users
    ]
    assert all(verify_receipt(key.public_key_bytes, r) for r in receipts)
    assert len({r.receipt.tracker for r in receipts}) == 3
    assert ballot_box.counts(db.session, rnd.id) == {"ballots": 3, "sealed": 3, "participation": 3}
    # The voter can get the same receipt again from their mark (Ed25519 is deterministic).
    again = voting.receipt_again(db.session, rnd.id, VoterKey("user", users[0].id), key)
    assert again == receipts[0]
    result = ballot_box.check_receipt(db.session, receipts[1].to_json(), key)
    assert result.signature_valid and result.on_board and result.sealed
    close_and_open(db.session, rnd, key)
    assert ballot_box.counts(db.session, rnd.id) == {"ballots": 3, "sealed": 0, "participation": 3}
    check = ballot_box.verify_round_chain(db.session, rnd.id)
    assert check.ok and check.count == 3
    result = ballot_box.check_receipt(db.session, receipts[1].to_json(), key)
    assert result.signature_valid and result.on_board and not result.sealed
    assert result.position is not None


def test_ballot_row_has_no_voter_and_participation_no_ballot(db):
    from decide.models import Ballot, Participation, SealedBallot

    ballot_cols = set(Ballot.__table__.columns.keys())
    mark_cols = set(Participation.__table__.columns.keys())
    assert not {c for c in ballot_cols if "user" in c or "voter" in c}
    assert not {c for c in mark_cols if "ballot" in c or "tracker" in c or "sequence" in c}
    # No serial id in voting order. The route (account, roll, code, paper) counts ballots per
    # route; the receipt is kept sealed, never in the clear.
    assert mark_cols == {"round_id", "voter_key", "voted_on", "route", "sealed_receipt"}
    # The envelope: a random key, a keyed lookup, ciphertext; no time, no sequence, no voter.
    assert set(SealedBallot.__table__.columns.keys()) == {"id", "round_id", "lookup", "box"}
    assert str(Ballot.__table__.c.cast_on.type) == "DATE"
    assert str(Participation.__table__.c.voted_on.type) == "DATE"


def test_second_cast_is_already_voted_and_stores_nothing(db, key):
    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    user = make_user(db.session)
    voter = VoterKey("user", user.id)
    voting.cast_ballot(db.session, rnd.id, voter, ["P1"], server_key=key, today=TODAY)
    before = row_counts(db.session)
    with pytest.raises(voting.AlreadyVoted, match="You have already voted in this round"):
        voting.cast_ballot(db.session, rnd.id, voter, ["P2"], server_key=key, today=TODAY)
    assert row_counts(db.session) == before


BAD = [
    ("knapsack", ["P1", "P2", "P3", "P4"], "more than the budget"),
    ("approval", ["P1", "P2", "P3", "P4"], "this round allows at most 3"),
    ("approval", [], "at least 1 project"),
    ("cumulative", {"P1": 5, "P2": 5, "P3": 1}, "more than the 10 this round allows"),
    ("cumulative", {"P1": 6}, "one project can get at most 5"),
    ("approval", ["P1", "P99"], "'P99' is not on this ballot"),
    ("approval", ["P1", "P1"], "each project can appear only once"),
    ("ranked", ["P1", "P2", "P1"], "each project can appear only once"),
    ("ranked", ["P1", "P2", "P3", "P4"], "at most 3"),
]


@pytest.mark.parametrize(("kind", "choices", "message"), BAD)
def test_bad_ballot_is_rejected_and_writes_nothing(db, key, kind, choices, message):
    area = make_area(db.session)
    rnd = make_round(db.session, kind, area=area)
    user = make_user(db.session)
    before = row_counts(db.session)
    with pytest.raises(voting.BallotRejected) as info:
        voting.cast_ballot(
            db.session, rnd.id, VoterKey("user", user.id), choices, server_key=key, today=TODAY
        )
    assert any(message in m for m in info.value.messages), info.value.messages
    assert row_counts(db.session) == before
    assert not voting.has_voted(db.session, rnd.id, VoterKey("user", user.id))


@pytest.mark.parametrize("phase", ["deliberation", "closed"])
def test_outside_voting_phase_is_refused(db, key, phase):
    area = make_area(db.session)
    rnd = make_round(db.session, "approval", phase=phase, area=area)
    user = make_user(db.session)
    before = row_counts(db.session)
    with pytest.raises(voting.VotingClosed, match="Voting is not open in this round"):
        voting.cast_ballot(
            db.session, rnd.id, VoterKey("user", user.id), ["P1"], server_key=key, today=TODAY
        )
    assert row_counts(db.session) == before


def test_ineligible_voters_are_refused(db, key):
    area = make_area(db.session, "LS7")
    make_area(db.session, "LS8")
    rnd = make_round(db.session, "approval", area=area)
    outsider = make_user(db.session, postcode="LS8 1AA")
    nowhere = make_user(db.session, postcode=None)
    before = row_counts(db.session)
    for user, message in [(outsider, "outside this round.s areas"), (nowhere, "Add your postcode")]:
        with pytest.raises(voting.NotEligible, match=message):
            voting.cast_ballot(
                db.session, rnd.id, VoterKey("user", user.id), ["P1"], server_key=key, today=TODAY
            )
    assert row_counts(db.session) == before


def test_minimum_age(db, key):
    import datetime as dt

    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    with before_voting(db.session, rnd):
        elig.save_settings(
            db.session, rnd.id, by_postcode=True, by_roll=False, by_code=False, min_age=16
        )
    young = make_user(db.session, date_of_birth=dt.date(2012, 1, 1))
    old = make_user(db.session, date_of_birth=dt.date(1950, 1, 1))
    with pytest.raises(voting.NotEligible, match="16 or over"):
        voting.cast_ballot(
            db.session, rnd.id, VoterKey("user", young.id), ["P1"], server_key=key, today=TODAY
        )
    voting.cast_ballot(
        db.session, rnd.id, VoterKey("user", old.id), ["P1"], server_key=key, today=TODAY
    )


def test_access_code_works_once(db, key):
    rnd = make_round(db.session, "approval")
    with before_voting(db.session, rnd):
        _, codes = access_codes.generate_codes(db.session, rnd.id, 3, label="Fair", today=TODAY)
    assert len(set(codes)) == 3
    voter = access_codes.verify_code(db.session, rnd.id, codes[0].lower())
    voting.cast_ballot(db.session, rnd.id, voter, ["P1"], server_key=key, today=TODAY)
    before = row_counts(db.session)
    again = access_codes.verify_code(db.session, rnd.id, codes[0])
    with pytest.raises(voting.AlreadyVoted, match="already been used"):
        voting.cast_ballot(db.session, rnd.id, again, ["P2"], server_key=key, today=TODAY)
    with pytest.raises(elig.EligibilityError, match="not valid"):
        access_codes.verify_code(db.session, rnd.id, "AAAA-BBBB-CCCC")
    assert row_counts(db.session) == before


def test_voter_roll_upload_and_verify(db, key, app):
    import datetime as dt

    rnd = make_round(db.session, "approval")
    secret = app.config["SECRET_KEY"]
    with before_voting(db.session, rnd):
        n = voter_roll.upload_roll(
            db.session,
            rnd.id,
            "reference,date_of_birth\nAB-123,1980-02-03\ncd 456,04/05/1990\n",
            secret_key=secret,
        )
    assert n == 2
    from decide.models import VoterRollEntry

    stored = db.session.scalars(__import__("sqlalchemy").select(VoterRollEntry)).all()
    assert all("AB123" not in e.identity_hash and len(e.identity_hash) == 64 for e in stored)
    voter = voter_roll.verify_roll(
        db.session, rnd.id, "ab123", dt.date(1980, 2, 3), secret_key=secret, today=TODAY
    )
    voting.cast_ballot(db.session, rnd.id, voter, ["P1"], server_key=key, today=TODAY)
    with pytest.raises(elig.EligibilityError, match="could not find"):
        voter_roll.verify_roll(
            db.session, rnd.id, "AB123", dt.date(1980, 2, 4), secret_key=secret, today=TODAY
        )


def test_voter_roll_bad_rows_store_nothing(db, app):
    rnd = make_round(db.session, "approval")
    before = row_counts(db.session)
    bad = "reference,date_of_birth\nA1,1980-01-01\n,1990-01-01\nB2,31/02/1990\nA1,1980-01-01\n"
    with pytest.raises(elig.RollError) as info:
        voter_roll.upload_roll(db.session, rnd.id, bad, secret_key=app.config["SECRET_KEY"])
    problems = info.value.problems
    assert problems[0].startswith("line 3:") and "empty" in problems[0]
    assert problems[1].startswith("line 4:")
    assert problems[2].startswith("line 5:") and "repeats line 2" in problems[2]
    assert row_counts(db.session) == before


def test_voter_order_is_fixed_per_voter_and_differs_between_voters():
    codes = [f"P{i}" for i in range(20)]
    a1 = ballot_values.voter_order("s", 1, VoterKey("user", 1), codes)
    a2 = ballot_values.voter_order("s", 1, VoterKey("user", 1), list(reversed(codes)))
    b = ballot_values.voter_order("s", 1, VoterKey("user", 2), codes)
    assert a1 == a2 and sorted(a1) == sorted(codes) and a1 != b


def test_server_key_created_private_and_reused(tmp_path):
    import os
    import stat

    path = tmp_path / "keys" / "receipt.pem"
    k1 = voting.load_server_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    voting._key_cache.clear()
    assert voting.load_server_key(path).public_key_hex == k1.public_key_hex


def test_receipt_check_reports_tampering(db, key):
    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    user = make_user(db.session)
    signed = voting.cast_ballot(
        db.session, rnd.id, VoterKey("user", user.id), ["P1"], server_key=key, today=TODAY
    )
    data = json.loads(signed.to_json())
    data["commitment"] = "00" * 32
    result = ballot_box.check_receipt(db.session, json.dumps(data), key)
    assert not result.signature_valid
    assert not ballot_box.check_receipt(db.session, "not json", key).parsed
    assert SignedReceipt.from_json(signed.to_json()) == signed
    close_and_open(db.session, rnd, key)
    result = ballot_box.check_receipt(db.session, json.dumps(data), key)
    assert not result.signature_valid and not result.on_board
    entries = ballot_box.chain_entries(db.session, rnd.id)
    assert verify_chain(str(rnd.id), entries).ok


def test_concurrent_casts_keep_marks_and_ballots_together(app, db):
    """On both backends: racing casts never leave a mark without its ballot, or a broken chain."""
    import threading

    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    voters = [VoterKey("user", make_user(db.session).id) for _ in range(6)]
    round_id = rnd.id
    db.session.remove()
    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    jobs = voters * 2  # every voter clicks twice
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def work(voter: VoterKey) -> None:
        with app.app_context():
            barrier.wait()
            try:
                voting.cast_ballot(db.session, round_id, voter, ["P2"], server_key=key, today=TODAY)
                outcomes.append("cast")
            except voting.AlreadyVoted:
                outcomes.append("already")
            except Exception as exc:  # asserted below
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(v,)) for v in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["already"] * 6 + ["cast"] * 6, outcomes
    assert ballot_box.counts(db.session, round_id) == {
        "ballots": 6,
        "sealed": 6,
        "participation": 6,
    }
    rnd = db.session.get(Round, round_id)
    close_and_open(db.session, rnd, key)
    assert ballot_box.verify_round_chain(db.session, round_id).ok
