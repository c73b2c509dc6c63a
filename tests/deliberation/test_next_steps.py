"""Pages on a panel session say what happens next: how minutes get written, where a present
member ranks while the vote is open, and that every member who attended must approve."""

from __future__ import annotations

import datetime as dt

import pytest

from decide.services.deliberation import minutes, scoring, sessions, shortlist
from decide.services.errors import DomainError
from tests.deliberation.factory import attend, attend_and_close
from tests.deliberation.pages import main
from tests.web.world import login


def test_before_close_the_facilitator_is_told_to_close_the_session_to_write_minutes(
    app, db, delib, world
):
    url = f"/sessions/{delib.session.id}"
    page = main(login(app.test_client(), world.users["facilitator"]).get(url).get_data(True))
    assert "Close the session to write its minutes" in page
    public = main(app.test_client().get(url).get_data(as_text=True))
    assert "the facilitator writes them once the session closes" in public


def test_a_present_member_finds_the_ranking_from_the_shortlist_page(app, db, delib, world):
    shortlist.open_ranked_vote(db.session, delib.session, 2)
    attend(db.session, delib, "pat", "quinn")
    url = f"/sessions/{delib.session.id}/shortlist"
    ballot = f'href="/sessions/{delib.session.id}/shortlist/ballot"'
    page = main(login(app.test_client(), delib.panel["pat"]).get(url).get_data(as_text=True))
    assert ballot in page and "Rank the proposals" in page and "0 of 3 members" in page
    absent = main(login(app.test_client(), delib.panel["rae"]).get(url).get_data(as_text=True))
    assert ballot not in absent and "ask the facilitator to record your attendance" in absent
    assert ballot not in main(app.test_client().get(url).get_data(as_text=True))


def test_draft_minutes_say_every_member_who_attended_must_approve(app, db, delib, world):
    attend_and_close(db.session, delib)
    m = minutes.generate_minutes(db.session, delib.session)
    minutes.approve_minutes(db.session, m, delib.panel["pat"])
    url = f"/sessions/{delib.session.id}/minutes"
    page = main(login(app.test_client(), delib.panel["quinn"]).get(url).get_data(as_text=True))
    assert "Draft: 1 of 3 members who attended have approved it" in page
    assert "once all 3 have approved them" in page


def test_a_one_place_vote_explains_instant_runoff_without_surpluses(app, db, delib, world):
    cooking, gym, _walking = delib.proposals
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    for member in delib.panel.values():
        shortlist.cast_ranking(db.session, decision, member, [gym.id, cooking.id])
    shortlist.count_vote(db.session, decision)
    page = main(app.test_client().get(f"/sessions/{delib.session.id}/shortlist").get_data(True))
    assert "the fewest votes is left out" in page and "surplus" not in page


def test_the_rubric_is_offered_only_in_the_phases_where_it_applies(app, db, delib, world):
    delib.round.phase = "published"
    db.session.commit()
    fay = login(app.test_client(), world.users["facilitator"])
    index = main(fay.get(f"/rounds/{delib.round.id}/sessions").get_data(as_text=True))
    assert "Set the scoring rubric" not in index
    url = f"/rounds/{delib.round.id}/rubric"
    assert "Save the rubric" not in main(fay.get(url).get_data(as_text=True))
    refused = fay.post(url, data={"criteria-0-name": "Only", "criteria-0-weight": "1"})
    assert "this round is in its" in refused.get_data(as_text=True)
    assert "Only" not in [c.name for c in scoring.rubric_of(db.session, delib.round)]
    with pytest.raises(DomainError, match="while the round takes proposals"):
        scoring.set_rubric(db.session, delib.round, scoring.default_rubric())


def test_a_session_closes_only_once_it_has_started(app, db, delib, world):
    delib.session.starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    db.session.commit()
    attend(db.session, delib)  # attendance may be taken before, and changed until closing
    with pytest.raises(DomainError, match="close it once it has been held"):
        sessions.close_session(db.session, delib.session)
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/sessions/{delib.session.id}"
    page = main(fay.get(url).get_data(as_text=True))
    assert "close the session once it has started" in page
    assert "Close the session and show the scores" not in page
    fay.post(f"{url}/close")
    db.session.refresh(delib.session)
    assert not delib.session.is_closed
