"""Acceptance 6 at the service level, where the web tests do not already show it: only panel
members vote, and residents argue only while the round is under deliberation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from decide.models import Argument
from decide.models.phase import Phase
from decide.services.deliberation import arguments, shortlist
from decide.services.errors import DomainError, NotAllowed


def test_only_panel_members_rank_the_shortlist(db, delib, world):
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    for outsider in (world.users["citizen"], world.users["facilitator"]):
        with pytest.raises(NotAllowed):
            shortlist.cast_ranking(db.session, decision, outsider, [delib.proposals[0].id])
    assert shortlist.voted_member_ids(db.session, decision) == set()


@pytest.mark.parametrize("phase", [Phase.PROPOSALS, Phase.VOTING])
def test_residents_argue_only_during_deliberation(db, delib, world, phase):
    delib.round.phase = phase
    db.session.commit()
    with pytest.raises(DomainError):
        arguments.post_argument(
            db.session, delib.proposals[0], world.users["citizen"], side="for", body="Yes"
        )
    assert db.session.scalars(select(Argument)).all() == []
