"""Outside test (r16a): only members recorded present at the session vote on its shortlist
(issue 15). cast_ranking checks attendance when the ballot is cast, but the facilitator can
record attendance again while the session is open, and count_vote still counts the rankings
of members who are now recorded absent. The minutes then say they were absent while their
ballots decided the shortlist."""

from __future__ import annotations

from decide.services.deliberation import sessions, shortlist


def test_a_ranking_of_a_member_recorded_absent_before_the_count_does_not_count(db, delib):
    pat, quinn, rae = delib.panel.values()
    cooking, gym, _walking = delib.proposals
    sessions.record_attendance(db.session, delib.session, [pat.id, quinn.id, rae.id])
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    shortlist.cast_ranking(db.session, decision, pat, [cooking.id])
    shortlist.cast_ranking(db.session, decision, quinn, [cooking.id])
    shortlist.cast_ranking(db.session, decision, rae, [gym.id])
    # Attendance corrected before the count: pat and quinn were not in fact there.
    sessions.record_attendance(db.session, delib.session, [rae.id])
    assert sessions.present_member_ids(delib.session) == {rae.id}
    shortlist.count_vote(db.session, decision)
    assert decision.shortlist_ids == [gym.id]
