"""The shortlist goes onto the ballot as one unit of work: a failure midway changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from decide.models import Project
from decide.services import proposals as proposal_service
from decide.services.deliberation import minutes, shortlist
from decide.services.errors import DomainError
from tests.deliberation.factory import attend_and_close


def test_a_failure_midway_leaves_the_ballot_as_it_was(db, delib, world):
    facilitator = world.users["facilitator"]
    cooking, gym, walking = delib.proposals
    proposal_service.accept_onto_ballot(db.session, cooking, facilitator)
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [gym.id, walking.id])
    shortlist.count_vote(db.session, decision)
    attend_and_close(db.session, delib)
    m = minutes.generate_minutes(db.session, delib.session)
    for member in delib.panel.values():
        minutes.approve_minutes(db.session, m, member)
    # The last shortlisted proposal is withdrawn after the vote: removing the cooking club and
    # adding the green gym succeed, then adding it fails.
    last = db.session.get(type(walking), decision.shortlist_ids[-1])
    last.withdrawn = True
    db.session.commit()
    with pytest.raises(DomainError, match="withdrawn"):
        shortlist.apply_to_ballot(db.session, decision, facilitator)
    db.session.expire_all()
    on_ballot = db.session.scalars(select(Project).where(Project.round_id == delib.round.id))
    titles = sorted(p.title for p in on_ballot)
    assert titles == ["Cooking club"]
    last.withdrawn = False
    db.session.commit()
    shortlist.apply_to_ballot(db.session, decision, facilitator)
    assert sorted(p.title for p in delib.round.projects) == ["Green gym", "Walking group"]
