"""The deliberation demo: two sessions with attendance, arguments (one hidden), rubric scores,
one conflict, an STV shortlist with its transcript, approved minutes, and the ballot from it."""

from __future__ import annotations

from sqlalchemy import select

from audits.minutes import minutes_head
from decide.demo.deliberation import DELIBERATION_ROUND_SLUG, seed_deliberation
from decide.demo.foundation import seed_foundation
from decide.models import Argument, ConflictOfInterest, Minutes, Round, Score
from decide.services.deliberation import minutes, sessions, shortlist


def test_the_deliberation_demo(db):
    seed_foundation(db.session)
    seed_deliberation(db.session)
    seed_deliberation(db.session)  # a second run adds nothing
    rnd = db.session.scalar(select(Round).where(Round.slug == DELIBERATION_ROUND_SLUG))
    first, second = sessions.sessions_of_round(db.session, rnd)
    assert all(a.present for a in first.attendance) and len(second.attendance) == 5
    assert db.session.scalar(select(ConflictOfInterest.reason)).startswith("I volunteer")
    assert db.session.scalars(select(Score)).all()
    hidden = [a for a in db.session.scalars(select(Argument)) if a.is_hidden]
    assert [a.hidden_reason for a in hidden] == ["Advertising a business."]
    decision = shortlist.decision_of(db.session, second)
    assert decision.transcript["method"] == "stv" and len(decision.shortlist_ids) == 3
    assert len(decision.reasons) == 3
    approved = db.session.scalars(select(Minutes).order_by(Minutes.sequence)).all()
    assert [m.sequence for m in approved] == [1, 2]
    head = minutes_head(str(rnd.id), [m.document for m in approved]).hex()
    assert minutes.minutes_head(db.session, rnd) == (head, 2)
    assert sorted(p.proposal_id for p in rnd.projects) == sorted(decision.shortlist_ids)
