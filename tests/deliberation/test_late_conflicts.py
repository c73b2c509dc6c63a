"""A conflict declared after scoring or voting: the member's score and ranking of that
proposal stop counting."""

from __future__ import annotations

from decide.services.deliberation import minutes, scoring, sessions, shortlist
from tests.deliberation.factory import attend_and_close, score_all


def test_a_late_conflict_removes_the_score_from_the_summary_and_minutes(db, delib):
    pat, quinn, rae = delib.panel.values()
    cooking = delib.proposals[0]
    score_all(db.session, delib, pat, cooking, 0)
    score_all(db.session, delib, quinn, cooking, 4)
    score_all(db.session, delib, rae, cooking, 4)
    sessions.declare_conflict(db.session, delib.round, pat, cooking.id, "I chair its trustees")
    assert scoring.scored_counts(db.session, delib.session)[cooking.id] == 2
    attend_and_close(db.session, delib)
    assert "Pat Panel" not in str(scoring.member_scores(db.session, delib.session)[cooking.id])
    (first, *_rest) = scoring.summaries(db.session, delib.session)
    assert (first.count, first.median, first.outliers) == (2, 4, ())
    doc = minutes.read_document(minutes.generate_minutes(db.session, delib.session))
    assert doc["scores"][0]["members"] == 2 and doc["scores"][0]["outliers"] == []


def test_a_late_conflict_removes_the_proposal_from_the_members_ranking(db, delib):
    pat, quinn, rae = delib.panel.values()
    cooking, gym, walking = delib.proposals
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    shortlist.cast_ranking(db.session, decision, pat, [cooking.id, gym.id])
    shortlist.cast_ranking(db.session, decision, quinn, [cooking.id])
    shortlist.cast_ranking(db.session, decision, rae, [gym.id])
    # Counted as cast, cooking would win 2 to 1; pat's first choice no longer counts.
    sessions.declare_conflict(db.session, delib.round, pat, cooking.id, "I chair its trustees")
    shortlist.count_vote(db.session, decision)
    assert decision.shortlist_ids == [gym.id]
    assert walking.id not in decision.shortlist_ids
