"""Races on PostgreSQL: one ballot per voter under fifty simultaneous casts; a sound chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from decide.models import BoardEntry, Round
from decide.services import ballot_box, voting
from decide.services.eligibility import VoterKey
from tests.voting.helpers import TODAY, close_and_open, make_area, make_round, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 0, "pool_timeout": 60}}


def _skip_unless_postgres(db: Any) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency tests run on PostgreSQL only")


def key_of(app: Any) -> Any:
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


def _run_threads(app: Any, jobs: list[tuple[int, VoterKey, list[str]]]) -> list[Any]:
    """Cast every job in its own thread, app context and session, all released at once."""
    from decide.extensions import db

    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def work(i: int, round_id: int, voter: VoterKey, choices: list[str]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = voting.cast_ballot(
                    db.session, round_id, voter, choices, server_key=key, today=TODAY
                )
            except Exception as exc:  # collected and asserted on below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_fifty_threads_same_voter_store_one_ballot(app, db):
    _skip_unless_postgres(db)
    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    voter = VoterKey("user", make_user(db.session).id)
    round_id = rnd.id
    db.session.remove()
    results = _run_threads(app, [(round_id, voter, ["P1", "P2"])] * 50)
    receipts = [r for r in results if not isinstance(r, Exception)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(receipts) == 1
    assert len(errors) == 49 and all(isinstance(e, voting.AlreadyVoted) for e in errors), {
        type(e).__name__ for e in errors
    }
    assert ballot_box.counts(db.session, round_id) == {
        "ballots": 1,
        "sealed": 1,
        "participation": 1,
    }
    close_and_open(db.session, db.session.get(Round, round_id), key_of(app))
    assert ballot_box.verify_round_chain(db.session, round_id).ok


def test_two_hundred_voters_concurrently_give_a_sound_chain(app, db):
    _skip_unless_postgres(db)
    area = make_area(db.session)
    rnd = make_round(db.session, "approval", area=area)
    voters = [VoterKey("user", make_user(db.session).id) for _ in range(200)]
    round_id = rnd.id
    db.session.remove()
    results = _run_threads(app, [(round_id, v, ["P1", "P3"]) for v in voters])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert len({r.receipt.tracker for r in results}) == 200
    assert ballot_box.counts(db.session, round_id) == {
        "ballots": 200,
        "sealed": 200,
        "participation": 200,
    }
    close_and_open(db.session, db.session.get(Round, round_id), key_of(app))
    check = ballot_box.verify_round_chain(db.session, round_id)
    assert check.ok and check.count == 200, check.reason
    # Every receipt's tracker and commitment is on the board.
    board = dict(db.session.execute(select(BoardEntry.tracker, BoardEntry.commitment)).all())
    assert {bytes(t): bytes(c) for t, c in board.items()} == {
        r.receipt.tracker: r.receipt.commitment for r in results
    }
