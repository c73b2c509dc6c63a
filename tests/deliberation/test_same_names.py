"""Scores and attendance are grouped by account: two members with one name stay apart."""

from __future__ import annotations

from fractions import Fraction

from decide.services.deliberation import minutes, scoring
from tests.deliberation.factory import attend_and_close, score_all


def _same_name(db, delib):
    quinn, rae = delib.panel["quinn"], delib.panel["rae"]
    quinn.display_name = rae.display_name = "Sam Lee"
    db.session.commit()
    return quinn, rae


def test_two_members_with_one_name_keep_their_own_scores(db, delib):
    quinn, rae = _same_name(db, delib)
    cooking = delib.proposals[0]
    score_all(db.session, delib, quinn, cooking, 1)
    score_all(db.session, delib, rae, cooking, 5)
    attend_and_close(db.session, delib)
    scores = scoring.member_scores(db.session, delib.session)[cooking.id]
    assert scores == {"Sam Lee (member 1)": Fraction(1), "Sam Lee (member 2)": Fraction(5)}
    (summary, *_rest) = scoring.summaries(db.session, delib.session)
    assert summary.count == 2 and summary.median == 3


def test_the_minutes_name_both_members_apart(db, delib):
    _same_name(db, delib)
    attend_and_close(db.session, delib, "pat", "quinn")
    doc = minutes.read_document(minutes.generate_minutes(db.session, delib.session))
    assert doc["attendance"] == {
        "present": ["Pat Panel", "Sam Lee (member 1)"],
        "absent": ["Sam Lee (member 2)"],
    }


def test_the_session_page_tells_them_apart(app, db, delib, world):
    _same_name(db, delib)
    from tests.web.world import login

    page = login(app.test_client(), world.users["facilitator"]).get(f"/sessions/{delib.session.id}")
    text = page.get_data(as_text=True)
    assert "Sam Lee (member 1)" in text and "Sam Lee (member 2)" in text
