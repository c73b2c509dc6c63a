"""The voting demo: four rounds open for voting with valid chains, codes printed, voters left."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from decide.demo.voting import VOTING_ROUND_SLUGS, demo_voters_who_have_not_voted
from decide.models import Round
from decide.services import ballot_box, voting
from decide.services.eligibility import VoterKey

pytestmark = pytest.mark.slow


@pytest.mark.sqlite_only("the demo is seeded once, on SQLite (as `make run` does)")
def test_demo_voting_rounds(app, db, capsys, tmp_path, monkeypatch):
    from decide.demo import seed_demo

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    seed_demo(db.session)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "demo access codes for" in x)
    pdf = Path(line.rsplit(": ", 1)[1])
    assert pdf.parent == tmp_path and pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    for kind, slug in VOTING_ROUND_SLUGS.items():
        rnd = db.session.scalar(select(Round).where(Round.slug == slug))
        assert rnd.phase == "voting" and rnd.ballot_kind == kind
        assert ballot_box.counts(db.session, rnd.id)["ballots"] == 9
        assert ballot_box.verify_round_chain(db.session, rnd.id).ok
    waiting = demo_voters_who_have_not_voted(db.session)
    assert waiting
    for user in waiting:
        for slug in VOTING_ROUND_SLUGS.values():
            rnd = db.session.scalar(select(Round).where(Round.slug == slug))
            assert not voting.has_voted(db.session, rnd.id, VoterKey("user", user.id))
