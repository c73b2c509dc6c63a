"""Every envelope of a round has one size, whatever the ballot: an insider who joins marks to
envelopes (xmin on PostgreSQL, insertion order on SQLite) learns nothing from the length.

Found by the outside tester of issue 12: envelopes padded to 512 bytes let a 30-project ballot
among 2-project ones stand out as 1,052 bytes against 540, naming its voter after close."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from decide.models import Project, SealedBallot
from decide.services import voting
from decide.services.eligibility import VoterKey
from decide.services.sealing import PAD, envelope_capacity
from tests.voting.helpers import TODAY, make_area, make_round, make_user


@pytest.fixture
def key(app):
    return voting.load_server_key(app.config["RECEIPT_KEY_FILE"])


def _long_code_round(db, kind: str, n: int = 40):
    rnd = make_round(db.session, kind, phase="deliberation", area=make_area(db.session))
    rnd.projects = [
        Project(code=f"PROJECT-{i:02d}-{'X' * 28}", position=i, title=f"Project {i}",
                cost_pence=1_000, area=rnd.areas[0])
        for i in range(n)
    ]  # fmt: skip
    rnd.max_choices = None
    rnd.min_choices = 1
    if kind == "cumulative":
        rnd.points_total, rnd.max_points_per_project = 2_000_000_000, None
    db.session.commit()
    rnd.phase = "voting"
    db.session.commit()
    return rnd


def _cast(db, rnd, key, choices) -> None:
    voter = VoterKey("user", make_user(db.session).id)
    voting.cast_ballot(db.session, rnd.id, voter, choices, server_key=key, today=TODAY)


def test_a_long_ballot_has_the_same_envelope_size_as_a_short_one(db, key):
    rnd = _long_code_round(db, "approval")
    codes = [p.code for p in rnd.projects]
    for _ in range(4):
        _cast(db, rnd, key, codes[:2])
    _cast(db, rnd, key, codes[:30])
    _cast(db, rnd, key, codes)  # every project: the largest ballot there is
    sizes = {len(bytes(b)) for b in db.session.scalars(select(SealedBallot.box))}
    assert len(sizes) == 1, sizes
    assert sizes.pop() > 40 * 40  # it holds every code, so it is not the old 512-byte pad


def test_points_ballots_too(db, key):
    rnd = _long_code_round(db, "cumulative", n=12)
    codes = [p.code for p in rnd.projects]
    _cast(db, rnd, key, {codes[0]: 1})
    _cast(db, rnd, key, dict.fromkeys(codes, 150_000_000))  # 1.8e9 points, each 9 digits
    sizes = {len(bytes(b)) for b in db.session.scalars(select(SealedBallot.box))}
    assert len(sizes) == 1, sizes


def test_the_capacity_is_a_whole_number_of_pads_and_grows_with_the_ballot():
    small = envelope_capacity(["P1", "P2"], None)
    assert small % PAD == 0 and small >= PAD
    assert envelope_capacity([f"P{i}" for i in range(500)], 10**9) > small
