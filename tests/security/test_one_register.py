"""One register per round (issue 12, acceptance 2): every route marks the same entry.

One person on the voter roll votes at once by account, access code and paper, 20 times each,
from 60 threads with their own sessions, while the facilitator uploads the roll again: exactly
one ballot is stored and every other attempt is refused in plain words. Runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from decide.models import AccessCode, PaperNumber, Participation, RollBinding, VoterRollEntry
from decide.services import (
    access_codes,
    ballot_box,
    paper,
    register,
    register_setup,
    voter_roll,
    voting,
)
from decide.services.eligibility import VoterKey
from tests.voting.helpers import TODAY, before_voting, make_area, make_round, make_user

ROLL = "reference,date_of_birth\nR-100,1961-07-14\nR-200,1990-01-02\nR-300,1975-11-30\n"
BORN = dt.date(1961, 7, 14)
ATTEMPTS = 20


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Sixty threads at once, each with its own connection.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 70, "max_overflow": 0, "pool_timeout": 120}}


@pytest.fixture
def key(app):
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


def _roll_round(db: Any, app: Any) -> dict[str, Any]:
    """Return a voting round with a roll, one account linked to R-100, its code, 20 papers."""
    secret = app.config["SECRET_KEY"]
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    officer = make_user(db.session, is_officer=True)
    resident = make_user(db.session)
    with before_voting(db.session, rnd):
        voter_roll.upload_roll(db.session, rnd.id, ROLL, secret_key=secret)
        entry = voter_roll.verify_roll(
            db.session, rnd.id, "R100", BORN, secret_key=secret, today=TODAY
        )
        register.bind_account(db.session, rnd.id, resident.id, entry)
        _, pairs = register_setup.codes_for_references(
            db.session, rnd.id, ["R-100"], secret_key=secret, label="Post", today=TODAY
        )
        batch = register_setup.issue_paper_numbers(
            db.session, rnd.id, ATTEMPTS, label="Hall", today=TODAY
        )
    return {
        "round_id": rnd.id,
        "entry": entry,
        "user": VoterKey("user", resident.id),
        "code": pairs[0][1],
        "numbers": [n.number for n in batch.numbers],
        "officer_id": officer.id,
    }


def _entry_ids(db: Any, round_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(VoterRollEntry.id)
            .where(VoterRollEntry.round_id == round_id)
            .order_by(VoterRollEntry.id)
        )
    )


def test_one_roll_entry_by_account_code_and_paper_at_once_stores_one_ballot(app, db, key):
    w = _roll_round(db, app)
    round_id, secret = w["round_id"], app.config["SECRET_KEY"]
    ids_before = _entry_ids(db, round_id)
    db.session.remove()

    def by_account(i: int) -> Any:
        return voting.cast_ballot(
            db.session, round_id, w["user"], ["P1"], server_key=key, today=TODAY
        )

    def by_code(i: int) -> Any:
        voter = access_codes.verify_code(db.session, round_id, w["code"])
        return voting.cast_ballot(db.session, round_id, voter, ["P2"], server_key=key, today=TODAY)

    def by_paper(i: int) -> Any:
        entry = voter_roll.verify_roll(
            db.session, round_id, "r-100", BORN, secret_key=secret, today=TODAY
        )
        return paper.enter_paper_ballot(
            db.session, round_id, ["P3"], number=w["numbers"][i], officer_id=w["officer_id"],
            server_key=key, today=TODAY, entry=entry,
        )  # fmt: skip

    def upload_again(i: int) -> Any:
        return register_setup.store_roll(
            db.session, round_id, voter_roll.parse_roll(ROLL), secret_key=secret
        )

    jobs = [(f, i) for i in range(ATTEMPTS) for f in (by_account, by_code, by_paper)]
    jobs.append((upload_again, 0))
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def work(n: int, job: Any, i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[n] = job(i)
            except Exception as exc:  # collected and asserted on below
                results[n] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n, *job)) for n, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads)

    report, casts = results[-1], results[:-1]
    assert isinstance(report, register_setup.RollReport), report
    assert (report.added, report.changed, report.removed, report.kept) == (0, 0, 0, 3)
    receipts = [r for r in casts if not isinstance(r, Exception)]
    refusals = [r for r in casts if isinstance(r, Exception)]
    assert len(receipts) == 1
    assert len(refusals) == 3 * ATTEMPTS - 1
    # Every refusal is the clear one: this person has already voted, nothing was stored.
    assert all(isinstance(e, voting.AlreadyVoted) for e in refusals), {
        f"{type(e).__name__}: {e}" for e in refusals if not isinstance(e, voting.AlreadyVoted)
    }
    for e in refusals:
        assert "already" in str(e) and "nothing new was stored" in str(e), str(e)
    assert ballot_box.counts(db.session, round_id) == {
        "ballots": 1,
        "sealed": 1,
        "participation": 1,
    }
    mark = db.session.scalars(select(Participation).where(Participation.round_id == round_id)).one()
    assert mark.voter_key == f"roll:{w['entry'].id}"
    assert ballot_box.verify_round_chain(db.session, round_id).ok
    # A refused paper ballot leaves its number unused; at most the winner's is used.
    used = db.session.scalar(
        select(func.count()).where(
            PaperNumber.round_id == round_id, PaperNumber.used_on.is_not(None)
        )
    )
    assert used == (1 if mark.route == "paper" else 0)

    # Uploading the roll again, after the race, changes nothing: same entries, same ids,
    # the link and the code still name the entry, and the entry stays marked.
    report = register_setup.store_roll(
        db.session, round_id, voter_roll.parse_roll(ROLL), secret_key=secret
    )
    assert (report.added, report.changed, report.removed) == (0, 0, 0)
    assert _entry_ids(db, round_id) == ids_before
    assert db.session.scalar(select(RollBinding.entry_id)) == w["entry"].id
    assert db.session.scalar(select(AccessCode.roll_entry_id)) == w["entry"].id
    for voter in (w["user"], access_codes.verify_code(db.session, round_id, w["code"]), w["entry"]):
        with pytest.raises(voting.AlreadyVoted, match="You have already voted"):
            voting.cast_ballot(db.session, round_id, voter, ["P4"], server_key=key, today=TODAY)
    assert ballot_box.counts(db.session, round_id) == {
        "ballots": 1,
        "sealed": 1,
        "participation": 1,
    }
