"""The sealed ballot box: what is stored during voting, what close writes, what pages show."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from audits.board import commitment
from audits.chain import tracker_code_full
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot as CoreBallot
from decide.models import Ballot, BoardEntry, Participation, SealedBallot
from decide.services import access_codes, ballot_box, voting
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from decide.services.paper import enter_paper_ballot
from decide.services.sealing import BoxKeys
from tests.voting.helpers import (
    TODAY,
    before_voting,
    close_and_open,
    make_area,
    make_round,
    make_user,
    paper_numbers,
)


@pytest.fixture
def key(app):
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


def _cast(db, rnd, key, choices, n=1):
    out = []
    for _ in range(n):
        voter = VoterKey("user", make_user(db.session).id)
        out.append(
            (voter, voting.cast_ballot(db.session, rnd.id, voter, choices, server_key=key,
                                       today=TODAY))
        )  # fmt: skip
    return out


def test_envelope_is_ciphertext_only(db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    [(_, signed)] = _cast(db, rnd, key, ["P3", "P1"])
    row = db.session.scalars(select(SealedBallot)).one()
    box = bytes(row.box)
    assert b"P1" not in box[12:] or b"P3" not in box[12:]  # no clear text worth the name
    assert signed.receipt.tracker not in box and signed.receipt.commitment not in box
    assert len(bytes(row.id)) == 16 and bytes(row.lookup) != signed.receipt.tracker
    # The key opens it; the envelope holds the canonical order, not the order given.
    opened = BoxKeys(key, rnd.id).open(bytes(row.id), box)
    assert json.loads(opened.choices_json)["projects"] == ["P1", "P3"]
    assert opened.tracker == signed.receipt.tracker and opened.route == "online"
    # Another round's key (or another row's id) does not open it.
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        BoxKeys(key, rnd.id + 1).open(bytes(row.id), box)
    with pytest.raises(Exception):  # noqa: B017
        BoxKeys(key, rnd.id).open(b"\x00" * 16, box)


def test_lookup_is_keyed(db, key, app):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    [(_, signed)] = _cast(db, rnd, key, ["P1"])
    import hashlib

    lookup = bytes(db.session.scalars(select(SealedBallot.lookup)).one())
    tracker = signed.receipt.tracker
    assert lookup not in (tracker, hashlib.sha256(tracker).digest())
    other = voting.load_server_key(app.config["RECEIPT_KEY_FILE"] + ".other")
    assert BoxKeys(other, rnd.id).lookup(tracker) != lookup
    assert BoxKeys(key, rnd.id).lookup(tracker) == lookup


def test_commitment_needs_the_salt(db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    [(_, signed)] = _cast(db, rnd, key, ["P2"])
    data = canonical_ballot_bytes("approval", CoreBallot("", ("P2",)))
    row = db.session.scalars(select(SealedBallot)).one()
    opened = BoxKeys(key, rnd.id).open(bytes(row.id), bytes(row.box))
    assert commitment(opened.salt, data) == signed.receipt.commitment
    assert commitment(b"\x00" * 32, data) != signed.receipt.commitment


def test_board_during_voting_shows_no_count(client, db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    _cast(db, rnd, key, ["P1"], n=3)
    html = client.get(f"/rounds/{rnd.id}/board").get_data(as_text=True)
    assert "sealed box" in html and "<table" not in html
    assert "3 ballots" not in html and "3 ballot" not in html
    assert client.get(f"/rounds/{rnd.id}/ballots.pb").status_code == 403


def test_receipt_check_finds_sealed_ballot(client, db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    [(_, signed)] = _cast(db, rnd, key, ["P1"])
    by_file = client.post("/receipts/check", data={"receipt": signed.to_json().decode()})
    assert "Your ballot is in the sealed box" in by_file.get_data(as_text=True)
    full = tracker_code_full(signed.receipt.tracker)
    by_code = client.post("/receipts/check", data={"receipt": full, "round_id": rnd.id})
    assert "Your ballot is in the sealed box" in by_code.get_data(as_text=True)


def test_receipt_check_is_post_only(app):
    """No route takes a tracker in its path; the board's search form posts."""
    rules = [r for r in app.url_map.iter_rules() if "tracker" in r.rule]
    assert rules == []


def test_receipt_again_needs_the_same_eligibility(db, key):
    rnd = make_round(db.session, "approval")
    with before_voting(db.session, rnd):
        elig.save_settings(
            db.session, rnd.id, by_postcode=False, by_roll=False, by_code=True, min_age=None
        )
    _, codes = access_codes.generate_codes(db.session, rnd.id, 2, label="t", today=TODAY)
    voter = access_codes.verify_code(db.session, rnd.id, codes[0])
    signed = voting.cast_ballot(db.session, rnd.id, voter, ["P1"], server_key=key, today=TODAY)
    before = ballot_box.counts(db.session, rnd.id)
    assert voting.receipt_again(db.session, rnd.id, voter, key) == signed
    other = access_codes.verify_code(db.session, rnd.id, codes[1])
    assert voting.receipt_again(db.session, rnd.id, other, key) is None
    assert ballot_box.counts(db.session, rnd.id) == before  # nothing voted again
    # The sealed receipt on the mark is bound to its register key.
    mark = db.session.scalars(select(Participation)).one()
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag
        BoxKeys(key, rnd.id).open_receipt(str(other), bytes(mark.sealed_receipt))


def test_paper_ballot_is_sealed(db, key):
    rnd = make_round(db.session, "approval")
    [number] = paper_numbers(db.session, rnd.id, 1)
    officer = make_user(db.session, is_officer=True)
    signed = enter_paper_ballot(
        db.session, rnd.id, ["P2"], number=number, officer_id=officer.id, server_key=key,
        today=TODAY,
    )  # fmt: skip
    assert db.session.query(Ballot).count() == 0 and db.session.query(SealedBallot).count() == 1
    close_and_open(db.session, rnd, key)
    entry = db.session.scalars(select(BoardEntry)).one()
    assert (bytes(entry.tracker), entry.route) == (signed.receipt.tracker, "paper")
    assert db.session.scalars(select(Ballot.channel)).one() == "sealed"


def test_close_writes_sorted_list_and_board(db, key):
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    cast = _cast(db, rnd, key, ["P3", "P1"], n=2) + _cast(db, rnd, key, ["P2"], n=2)
    close_and_open(db.session, rnd, key)
    assert db.session.query(SealedBallot).count() == 0  # envelopes and salts are gone
    trackers = [bytes(t) for t in db.session.scalars(select(BoardEntry.tracker).order_by(
        BoardEntry.position))]  # fmt: skip
    assert trackers == sorted(trackers)
    assert set(trackers) == {s.receipt.tracker for _, s in cast}
    rows = db.session.scalars(select(Ballot).order_by(Ballot.sequence)).all()
    data = [bytes(r.ballot_bytes) for r in rows]
    assert data == sorted(data)
    assert not {bytes(r.tracker) for r in rows} & set(trackers)  # list ids, not trackers
    assert {r.channel for r in rows} == {"sealed"} and len({r.cast_on for r in rows}) == 1
    assert ballot_box.verify_round_chain(db.session, rnd.id).ok


def test_sqlite_secure_delete_on(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
