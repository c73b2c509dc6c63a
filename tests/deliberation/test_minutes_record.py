"""The shortlist reaches the ballot only through approved minutes that record it; the ranked
vote is held during the session, among the members recorded present."""

from __future__ import annotations

from fractions import Fraction

import pytest

from decide.services.deliberation import minutes, sessions, shortlist
from decide.services.errors import DomainError, NotAllowed
from tests.deliberation.factory import attend_and_close, score_all


def _approve(db, delib, members=None):
    m = minutes.generate_minutes(db.session, delib.session)
    for member in members or delib.panel.values():
        minutes.approve_minutes(db.session, m, member)
    return m


def test_minutes_approved_without_the_decision_do_not_put_it_on_the_ballot(db, delib, world):
    cooking, gym, _walking = delib.proposals
    for member in delib.panel.values():
        score_all(db.session, delib, member, cooking, 4)
        score_all(db.session, delib, member, gym, 1)
    attend_and_close(db.session, delib)
    _approve(db, delib)  # approved before any shortlist decision: they record none
    decision = shortlist.adopt_threshold(db.session, delib.session, Fraction(3))
    assert not shortlist.minutes_record(db.session, decision)
    with pytest.raises(DomainError, match="approve the minutes"):
        shortlist.apply_to_ballot(db.session, decision, world.users["facilitator"])
    assert delib.round.projects == []


def test_the_shortlist_page_claims_the_record_only_when_true(client, db, delib, world):
    cooking = delib.proposals[0]
    for member in delib.panel.values():
        score_all(db.session, delib, member, cooking, 4)
    attend_and_close(db.session, delib)
    _approve(db, delib)
    shortlist.adopt_threshold(db.session, delib.session, Fraction(3))
    from tests.web.world import login

    login(client, world.users["facilitator"])
    page = client.get(f"/sessions/{delib.session.id}/shortlist").get_data(as_text=True)
    assert "The approved minutes record this shortlist" not in page
    assert "do not record this shortlist" in page


def test_the_ranked_vote_is_fixed_once_the_session_closes(db, delib):
    pat = delib.panel["pat"]
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    shortlist.cast_ranking(db.session, decision, pat, [delib.proposals[0].id])
    attend_and_close(db.session, delib)
    with pytest.raises(DomainError, match="closed"):
        shortlist.cast_ranking(db.session, decision, pat, [delib.proposals[1].id])
    with pytest.raises(DomainError, match="closed"):
        shortlist.count_vote(db.session, decision)
    assert decision.decided_at is None


def test_a_vote_cannot_open_in_a_closed_session(db, delib):
    attend_and_close(db.session, delib)
    with pytest.raises(DomainError, match="closed"):
        shortlist.open_ranked_vote(db.session, delib.session, 1)


def test_only_members_recorded_present_vote(db, delib):
    sessions.record_attendance(db.session, delib.session, [delib.panel["pat"].id])
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    with pytest.raises(NotAllowed, match="recorded as present"):
        shortlist.cast_ranking(db.session, decision, delib.panel["rae"], [delib.proposals[0].id])
    shortlist.cast_ranking(db.session, decision, delib.panel["pat"], [delib.proposals[0].id])
    assert shortlist.voted_member_ids(db.session, decision) == {delib.panel["pat"].id}


def test_an_empty_shortlist_still_names_minutes_shortlist(db, delib):
    for member in delib.panel.values():
        score_all(db.session, delib, member, delib.proposals[0], 1)
    attend_and_close(db.session, delib)
    decision = shortlist.adopt_threshold(db.session, delib.session, Fraction(5))
    assert decision.shortlist_ids == []
    _approve(db, delib)
    assert minutes.manifest_fields(db.session, delib.round)["minutes_shortlist"] == []
