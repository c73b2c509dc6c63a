"""The deliberation use cases: hidden scores, conflicts, the ranked shortlist, reasons, minutes
that cannot change once approved, and the shortlist becoming the ballot (issue 15, part 2)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import select

from audits.minutes import minutes_head
from decide.models import Minutes, MinutesLocked, Score
from decide.services.deliberation import arguments, minutes, scoring, sessions, shortlist
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from tests.deliberation.factory import attend, attend_and_close, score_all


def test_scores_stay_hidden_until_the_session_closes(db, delib):
    pat, quinn, rae = delib.panel.values()
    cooking = delib.proposals[0]
    score_all(db.session, delib, pat, cooking, 4)
    score_all(db.session, delib, quinn, cooking, 1)
    score_all(db.session, delib, rae, cooking, 4)
    # Before closing: each member sees only their own; nobody sees the values.
    assert scoring.own_scores(db.session, delib.session, quinn) == {
        cooking.id: {c.id: 1 for c in scoring.rubric_of(db.session, delib.round)}
    }
    assert scoring.scored_counts(db.session, delib.session) == {cooking.id: 3}
    with pytest.raises(NotAllowed, match="hidden until the session closes"):
        scoring.summaries(db.session, delib.session)
    attend_and_close(db.session, delib)
    summary = {s.proposal.id: s for s in scoring.summaries(db.session, delib.session)}[cooking.id]
    assert (summary.median, summary.spread, summary.count) == (4, 3, 3)
    assert summary.outliers == (("Quinn Panel", Fraction(1)),)
    # After closing nobody scores any more.
    with pytest.raises(DomainError, match="closed"):
        score_all(db.session, delib, pat, cooking, 2)


def test_weighted_score_is_exact(db, delib):
    plans = [scoring.CriterionPlan("Health impact", 2), scoring.CriterionPlan("Feasibility", 1)]
    scoring.set_rubric(db.session, delib.round, plans)
    health, feasibility = scoring.rubric_of(db.session, delib.round)
    pat = delib.panel["pat"]
    scoring.record_scores(
        db.session, delib.session, pat, delib.proposals[0], {health.id: 5, feasibility.id: 0}
    )
    attend_and_close(db.session, delib)
    scores = scoring.member_scores(db.session, delib.session)
    assert scores[delib.proposals[0].id] == {"Pat Panel": Fraction(10, 3)}


def test_the_rubric_is_fixed_once_scoring_started(db, delib):
    score_all(db.session, delib, delib.panel["pat"], delib.proposals[0], 3)
    with pytest.raises(DomainError, match="no longer change"):
        scoring.set_rubric(db.session, delib.round, scoring.default_rubric())


def test_only_panel_members_score(db, delib, world):
    with pytest.raises(NotAllowed, match="Only members"):
        score_all(db.session, delib, world.users["citizen"], delib.proposals[0], 3)
    assert db.session.scalar(select(Score.id)) is None


def test_a_conflicted_member_cannot_score_or_rank_the_proposal(db, delib):
    pat = delib.panel["pat"]
    cooking = delib.proposals[0]
    sessions.declare_conflict(db.session, delib.round, pat, cooking.id, "I chair its trustees")
    with pytest.raises(NotAllowed, match="conflict of interest"):
        score_all(db.session, delib, pat, cooking, 5)
    score_all(db.session, delib, pat, delib.proposals[1], 5)  # other proposals are fine
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    with pytest.raises(NotAllowed, match="leave it unranked"):
        shortlist.cast_ranking(db.session, decision, pat, [cooking.id])
    shortlist.cast_ranking(db.session, decision, pat, [delib.proposals[1].id])
    with pytest.raises(DomainError, match="already declared"):
        sessions.declare_conflict(db.session, delib.round, pat, cooking.id, "again")


def test_ranked_shortlist_keeps_transcript_and_reasons(app, db, delib, world):
    cooking, gym, walking = delib.proposals
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    pat, quinn, rae = delib.panel.values()
    shortlist.cast_ranking(db.session, decision, pat, [cooking.id, gym.id])
    shortlist.cast_ranking(db.session, decision, quinn, [cooking.id, walking.id])
    shortlist.cast_ranking(db.session, decision, rae, [gym.id, walking.id])
    with pytest.raises(NotAllowed, match="Only members"):
        shortlist.cast_ranking(db.session, decision, world.users["citizen"], [gym.id])
    shortlist.count_vote(db.session, decision)
    assert decision.shortlist_ids == [cooking.id, gym.id]
    assert decision.transcript["method"] == "stv" and decision.transcript["quota"] == "1"
    (reason,) = decision.reasons
    assert reason.proposal_id == walking.id
    assert "ranked vote" in reason.reason and "round" in reason.reason
    assert shortlist.reasons_for_proposal(db.session, walking)[0].reason == reason.reason
    page = app.test_client().get(f"/proposals/{walking.id}").get_data(as_text=True)
    assert "Why the panel did not shortlist it" in page  # on the proposal's own page too
    with pytest.raises(DomainError, match="not open"):
        shortlist.cast_ranking(db.session, decision, pat, [walking.id])


def test_threshold_shortlist_needs_a_closed_session(db, delib):
    cooking, gym, walking = delib.proposals
    with pytest.raises(DomainError, match="Close the session first"):
        shortlist.adopt_threshold(db.session, delib.session, Fraction(3))
    for member in delib.panel.values():
        score_all(db.session, delib, member, cooking, 4)
        score_all(db.session, delib, member, gym, 2)
    attend_and_close(db.session, delib)
    decision = shortlist.adopt_threshold(db.session, delib.session, Fraction(7, 2))
    assert decision.shortlist_ids == [cooking.id]
    reasons = {r.proposal_id: r.reason for r in decision.reasons}
    assert "median score was 2" in reasons[gym.id]
    assert "not scored" in reasons[walking.id]


def _approved_minutes(db, delib) -> Minutes:
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [delib.proposals[1].id])
    # Rae left before the count: her ranking is set aside, and her attendance is then fixed.
    attend(db.session, delib, "pat", "quinn")
    shortlist.count_vote(db.session, decision)
    sessions.close_session(db.session, delib.session)
    m = minutes.generate_minutes(db.session, delib.session)
    minutes.approve_minutes(db.session, m, delib.panel["pat"])
    assert not m.is_approved
    minutes.approve_minutes(db.session, m, delib.panel["quinn"])
    return m


def test_minutes_are_approved_by_those_present_and_chained(db, delib):
    m = _approved_minutes(db, delib)
    assert m.is_approved and m.sequence == 1
    assert m.head == minutes_head(str(delib.round.id), [m.document]).hex()
    assert minutes.minutes_head(db.session, delib.round) == (m.head, 1)
    doc = minutes.read_document(m)
    assert doc["attendance"] == {"present": ["Pat Panel", "Quinn Panel"], "absent": ["Rae Panel"]}
    assert doc["decision"]["transcript"]["set_aside_absent"] == 1
    assert doc["decision"]["shortlist"] == [{"id": delib.proposals[1].id, "title": "Green gym"}]
    assert doc["decision"]["transcript"]["method"] == "irv"


def test_an_absent_member_does_not_approve(db, delib):
    attend_and_close(db.session, delib, "pat")
    m = minutes.generate_minutes(db.session, delib.session)
    with pytest.raises(NotAllowed, match="attended"):
        minutes.approve_minutes(db.session, m, delib.panel["rae"])


def test_minutes_cannot_change_after_approval(db, delib):
    m = _approved_minutes(db, delib)
    with pytest.raises(DomainError, match="can no longer change"):
        minutes.generate_minutes(db.session, delib.session)
    decision = shortlist.decision_of(db.session, delib.session)
    with pytest.raises(DomainError, match="cannot change"):
        shortlist.set_reason(db.session, decision, delib.proposals[0].id, "Other words")
    # Even code that bypasses the services cannot change or delete them.
    m.document = b"{}"
    with pytest.raises(MinutesLocked):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Minutes, m.id))
    with pytest.raises(MinutesLocked):
        db.session.flush()
    db.session.rollback()


def test_the_shortlist_becomes_the_ballot_once_the_minutes_are_approved(db, delib, world):
    decision = shortlist.open_ranked_vote(db.session, delib.session, 2)
    _cooking, gym, walking = delib.proposals
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [gym.id, walking.id])
    shortlist.count_vote(db.session, decision)
    with pytest.raises(DomainError, match="approve the minutes"):
        shortlist.apply_to_ballot(db.session, decision, world.users["facilitator"])
    attend_and_close(db.session, delib)
    m = minutes.generate_minutes(db.session, delib.session)
    for member in delib.panel.values():
        minutes.approve_minutes(db.session, m, member)
    projects = shortlist.apply_to_ballot(db.session, decision, world.users["facilitator"])
    assert sorted(p.title for p in projects) == ["Green gym", "Walking group"]
    assert sorted(p.title for p in delib.round.projects) == ["Green gym", "Walking group"]


def test_arguments_are_short_threaded_once_and_moderated(db, delib, world):
    citizen = world.users["citizen"]
    cooking = delib.proposals[0]
    top = arguments.post_argument(
        db.session, cooking, citizen, side="for", body="<b>Great</b> <script>x()</script>idea"
    )
    assert top.body == "Great idea" and not top.by_panel_member
    reply = arguments.post_argument(
        db.session, cooking, delib.panel["pat"], side="against", body="Costly", parent_id=top.id
    )
    assert reply.by_panel_member
    with pytest.raises(DomainError, match="one level"):
        arguments.post_argument(
            db.session, cooking, citizen, side="for", body="Deeper", parent_id=reply.id
        )
    with pytest.raises(InvalidInput, match="500 characters"):
        arguments.post_argument(db.session, cooking, citizen, side="for", body="x" * 501)
    arguments.report_argument(db.session, top, delib.panel["quinn"], "rude")
    with pytest.raises(DomainError, match="already reported"):
        arguments.report_argument(db.session, top, delib.panel["quinn"], "")
    arguments.hide_argument(db.session, top, world.users["facilitator"], "Off topic")
    assert top.is_hidden and top.hidden_reason == "Off topic"
    with pytest.raises(DomainError, match="hidden argument takes no replies"):
        arguments.post_argument(
            db.session, cooking, citizen, side="for", body="Hi", parent_id=top.id
        )
