"""Physical order against board order, repeated, on SQLite (rowid) and PostgreSQL (ctid).

The HTTP test (test_secrecy.py) runs one election through gunicorn; this one casts in
process, three elections of 300 voters each, so the rank correlation between the order in
which marks sit in the table and the order of the board and of the plaintext list is
asserted over repeated runs: |rho| < 0.25 every time (for independent orders, rho has a
standard deviation of about 0.058 with 300 voters).
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot
from decide.services import access_codes, voting
from decide.services import eligibility as elig
from tests.helpers.stats import spearman
from tests.voting.helpers import TODAY, before_voting, close_and_open, make_round

pytestmark = pytest.mark.slow

VOTERS = 300
RUNS = 3


def _physical(db, sql_rowid: str, sql_ctid: str) -> list:
    sql = sql_rowid if db.engine.dialect.name == "sqlite" else sql_ctid
    return db.session.execute(text(sql)).all()


def test_rowid_order_against_board_order(app, db):
    key = voting.load_server_key(app.config["RECEIPT_KEY_FILE"])
    rng = random.Random()
    for _ in range(RUNS):
        rnd = make_round(db.session, "approval")
        with before_voting(db.session, rnd):
            elig.save_settings(
                db.session, rnd.id, by_postcode=False, by_roll=False, by_code=True, min_age=None
            )
        _, codes = access_codes.generate_codes(db.session, rnd.id, VOTERS, label="run", today=TODAY)
        trackers: dict[str, bytes] = {}
        chosen: dict[str, bytes] = {}
        for code in codes:
            voter = access_codes.verify_code(db.session, rnd.id, code)
            picks = rng.sample(["P1", "P2", "P3", "P4", "P5"], rng.randint(1, 3))
            signed = voting.cast_ballot(
                db.session, rnd.id, voter, picks, server_key=key, today=TODAY
            )
            trackers[str(voter)] = signed.receipt.tracker
            chosen[str(voter)] = canonical_ballot_bytes("approval", Ballot("", tuple(picks)))
        close_and_open(db.session, rnd, key)
        where = f"WHERE round_id = {rnd.id}"
        marks = _physical(
            db,
            f"SELECT voter_key FROM participation {where} ORDER BY rowid",
            f"SELECT voter_key FROM participation {where} ORDER BY ctid",
        )
        board = _physical(
            db,
            f"SELECT tracker FROM board_entry {where} ORDER BY rowid",
            f"SELECT tracker FROM board_entry {where} ORDER BY ctid",
        )
        listed = _physical(
            db,
            f"SELECT ballot_bytes FROM ballot {where} ORDER BY rowid",
            f"SELECT ballot_bytes FROM ballot {where} ORDER BY ctid",
        )
        board_at = {bytes(t): i for i, (t,) in enumerate(board)}
        list_at: dict[bytes, int] = {}
        for i, (data,) in enumerate(listed):
            list_at.setdefault(bytes(data), i)
        mark_pos = [float(i) for i, _ in enumerate(marks)]
        by_board = [float(board_at[trackers[m]]) for (m,) in marks]
        by_list = [float(list_at[chosen[m]]) for (m,) in marks]  # identical ballots tie
        assert abs(spearman(mark_pos, by_board)) < 0.25
        assert abs(spearman(mark_pos, by_list)) < 0.25
        # The mark's physical order does follow casting order: the test can see an order.
        assert [m for (m,) in marks] == list(trackers)
