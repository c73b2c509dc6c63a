"""Only members recorded present when the ranked vote is counted have their ranking counted.

The facilitator can correct attendance while the session is open, after some members ranked.
A ranking of a member recorded absent at the count is set aside, and the count, the minutes
and the session page say so; once the vote is counted, the voters' attendance is fixed.
"""

from __future__ import annotations

import pytest

from decide.services.deliberation import minutes, sessions, shortlist
from decide.services.errors import DomainError, InvalidInput
from tests.web.world import login


def _three_rankings(db, delib):
    pat, quinn, rae = delib.panel.values()
    cooking, gym, _walking = delib.proposals
    sessions.record_attendance(db.session, delib.session, [pat.id, quinn.id, rae.id])
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    shortlist.cast_ranking(db.session, decision, pat, [cooking.id])
    shortlist.cast_ranking(db.session, decision, quinn, [cooking.id])
    shortlist.cast_ranking(db.session, decision, rae, [gym.id])
    return decision


def test_a_ranking_of_a_member_recorded_absent_before_the_count_does_not_count(db, delib):
    pat, quinn, rae = delib.panel.values()
    _cooking, gym, _walking = delib.proposals
    decision = _three_rankings(db, delib)
    # Attendance corrected before the count: pat and quinn were not in fact there.
    sessions.record_attendance(db.session, delib.session, [rae.id])
    assert shortlist.set_aside_member_ids(db.session, delib.session) == {pat.id, quinn.id}
    shortlist.count_vote(db.session, decision)
    assert decision.shortlist_ids == [gym.id]
    assert (decision.transcript["ballots"], decision.transcript["set_aside_absent"]) == (1, 2)
    sessions.close_session(db.session, delib.session)
    doc = minutes.read_document(minutes.generate_minutes(db.session, delib.session))
    assert doc["decision"]["transcript"]["set_aside_absent"] == 2


def test_every_voter_recorded_absent_leaves_nothing_to_count(db, delib):
    decision = _three_rankings(db, delib)
    sessions.record_attendance(db.session, delib.session, [])
    with pytest.raises(DomainError, match="recorded as absent"):
        shortlist.count_vote(db.session, decision)
    assert decision.decided_at is None


def test_a_voters_attendance_cannot_change_once_the_vote_is_counted(db, delib):
    pat, quinn, rae = delib.panel.values()
    decision = _three_rankings(db, delib)
    shortlist.count_vote(db.session, decision)
    with pytest.raises(InvalidInput):
        sessions.record_attendance(db.session, delib.session, [quinn.id, rae.id])
    assert sessions.present_member_ids(delib.session) == {pat.id, quinn.id, rae.id}


def test_the_pages_say_which_rankings_are_set_aside(app, db, world, delib):
    pat, _quinn, rae = delib.panel.values()
    decision = _three_rankings(db, delib)
    sessions.record_attendance(db.session, delib.session, [rae.id])
    client = login(app.test_client(), world.users["facilitator"])
    page = client.get(f"/sessions/{delib.session.id}").get_data(as_text=True)
    assert 'id="set-aside"' in page and pat.display_name in page
    shortlist.count_vote(db.session, decision)
    page = client.get(f"/sessions/{delib.session.id}/shortlist").get_data(as_text=True)
    assert "2 rankings were set aside" in page
