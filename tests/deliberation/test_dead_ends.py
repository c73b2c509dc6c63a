"""A form is offered only while its action can succeed. Otherwise the page says why and what
happens next, and a POST made anyway is refused with a clear message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from decide.models import SessionDocument
from decide.services import sortition
from decide.services.deliberation import minutes, scoring, sessions, shortlist
from decide.services.errors import InvalidInput
from tests.deliberation.factory import attend_and_close, score_all
from tests.deliberation.pages import assert_next_to, main
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import login, make_round, make_user


def _lottery(db, world) -> None:
    rnd = world.round
    fill_pool(db.session, world, rnd, 10)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    sortition.compute_lottery(db.session, rnd)


def test_no_registration_once_the_pool_is_closed(app, db, world):
    _lottery(db, world)
    rnd = world.round
    late = make_user(db.session, "late@test.example", "Late Comer")
    db.session.commit()
    client = login(app.test_client(), late)
    page = main(client.get(f"/rounds/{rnd.id}/panel/volunteer").get_data(as_text=True))
    assert "Register my interest" not in page and "the pool is fixed for the lottery" in page
    assert "Serve on the panel</a>" not in main(client.get(f"/rounds/{rnd.id}").get_data(True))
    data = {"area_id": str(world.areas[0].id), "age_band": "25-44", "gender": "woman",
            "partner_type": "resident", "consent": "y"}  # fmt: skip
    refused = client.post(f"/rounds/{rnd.id}/panel/volunteer", data=data)
    assert "Registration for this round's panel is closed" in refused.get_data(as_text=True)
    assert sortition.volunteer_of(db.session, rnd, late) is None


def test_no_quotas_or_panel_size_once_the_lottery_is_computed(app, db, world):
    _lottery(db, world)
    rnd = world.round
    fay = login(app.test_client(), world.users["facilitator"])
    page = main(fay.get(f"/rounds/{rnd.id}/panel/sortition").get_data(as_text=True))
    assert "Save the quotas" not in page and "the quotas are fixed" in page
    assert 'name="panel_size"' not in page
    new = {"quotas": "feature,value,min,max\ngender,woman,0,4\n"}
    refused = fay.post(f"/rounds/{rnd.id}/panel/quotas", data=new).get_data(as_text=True)
    assert "cannot change" in refused
    assert [(q.feature, q.value, q.min_count) for q in sortition.quotas_of(db.session, rnd)] == [
        ("gender", "man", 1), ("gender", "woman", 1), ("partner_type", "resident", 0)
    ]  # fmt: skip


def test_the_lottery_button_waits_for_a_pool_and_quotas(app, db, world):
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{world.round.id}/panel/sortition"
    page = main(fay.get(url).get_data(as_text=True))
    assert "compute the lottery</button>" not in page and "Nobody has registered" in page
    fill_pool(db.session, world, world.round, 3)
    page = main(fay.get(url).get_data(as_text=True))
    assert "compute the lottery</button>" not in page and "Set at least one quota" in page


def test_no_scoring_once_the_session_is_closed(app, db, delib):
    attend_and_close(db.session, delib)
    pat = login(app.test_client(), delib.panel["pat"])
    url = f"/sessions/{delib.session.id}/proposals/{delib.proposals[0].id}/score"
    page = main(pat.get(url).get_data(as_text=True))
    assert "Save my scores" not in page and "This session is closed" in page
    criteria = scoring.rubric_of(db.session, delib.round)
    refused = pat.post(url, data={f"criterion_{c.id}": "4" for c in criteria})
    assert "This session is closed" in refused.get_data(as_text=True)
    assert scoring.own_scores(db.session, delib.session, delib.panel["pat"]) == {}


def test_no_ranking_once_the_vote_is_counted_or_the_session_closed(app, db, delib):
    shortlist.open_ranked_vote(db.session, delib.session, 1)
    decision = shortlist.decision_of(db.session, delib.session)
    a, b, _c = delib.proposals
    shortlist.cast_ranking(db.session, decision, delib.panel["pat"], [a.id, b.id])
    shortlist.count_vote(db.session, decision)
    quinn = login(app.test_client(), delib.panel["quinn"])
    url = f"/sessions/{delib.session.id}/shortlist/ballot"
    page = main(quinn.get(url).get_data(as_text=True))
    assert "Save my ranking" not in page and "The vote is counted" in page
    refused = quinn.post(url, data={f"rank_{b.id}": "1"}).get_data(as_text=True)
    assert "The vote is counted" in refused
    db.session.refresh(decision)
    assert [ballot.user_id for ballot in decision.ballots] == [delib.panel["pat"].id]


def test_a_closed_session_offers_no_vote_it_cannot_count(app, db, delib, world):
    shortlist.open_ranked_vote(db.session, delib.session, 1)
    attend_and_close(db.session, delib)
    fay = login(app.test_client(), world.users["facilitator"])
    page = main(fay.get(f"/sessions/{delib.session.id}").get_data(as_text=True))
    assert "Count the vote" not in page and "this vote is over" in page
    pat = login(app.test_client(), delib.panel["pat"])
    page = main(pat.get(f"/sessions/{delib.session.id}").get_data(as_text=True))
    assert "Rank the proposals</a>" not in page


def test_no_rubric_changes_once_scoring_started(app, db, delib, world):
    score_all(db.session, delib, delib.panel["pat"], delib.proposals[0], 3)
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{delib.round.id}/rubric"
    page = main(fay.get(url).get_data(as_text=True))
    assert "Save the rubric" not in page and "can no longer change" in page
    assert "Set the scoring rubric" not in main(
        fay.get(f"/rounds/{delib.round.id}/sessions").get_data(as_text=True)
    )
    refused = fay.post(url, data={"criteria-0-name": "Only", "criteria-0-weight": "1"})
    assert "can no longer change" in refused.get_data(as_text=True)
    assert "Only" not in [c.name for c in scoring.rubric_of(db.session, delib.round)]


def test_no_session_scheduled_outside_the_session_phases(app, db, world):
    voting = make_round(db.session, "Voting round", "voting")
    db.session.commit()
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{voting.id}/sessions/new"
    page = main(fay.get(url).get_data(as_text=True))
    assert "Schedule the session</button>" not in page and "no new session can be" in page
    assert "Schedule a session</a>" not in main(
        fay.get(f"/rounds/{voting.id}/sessions").get_data(as_text=True)
    )
    data = {"title": "Late", "starts_at": "2030-01-01T18:00", "place": "Hub", "topics": "Hello"}
    fay.post(url, data=data)
    assert sessions.sessions_of_round(db.session, voting) == []


def test_no_documents_or_approvals_that_cannot_count(app, db, delib, world):
    attend_and_close(db.session, delib, "pat")
    minutes.generate_minutes(db.session, delib.session)
    rae = login(app.test_client(), delib.panel["rae"])
    page = main(rae.get(f"/sessions/{delib.session.id}/minutes").get_data(as_text=True))
    assert "Approve these minutes" not in page and "you were not recorded as present" in page
    minutes.approve_minutes(
        db.session, minutes.minutes_of(db.session, delib.session), delib.panel["pat"]
    )
    fay = login(app.test_client(), world.users["facilitator"])
    page = main(fay.get(f"/sessions/{delib.session.id}").get_data(as_text=True))
    assert "Add the document" not in page and "no more can be added here" in page
    data = {"title": "Late slides", "url": "https://example.org/slides"}
    refused = fay.post(f"/sessions/{delib.session.id}/documents", data=data)
    assert "add the document to a later session" in refused.get_data(as_text=True)
    assert db.session.query(SessionDocument).filter_by(title="Late slides").count() == 0


def test_a_session_in_the_past_is_refused_at_scheduling(app, db, delib, world):
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{delib.round.id}/sessions/new"
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"title": "Yesterday", "starts_at": past, "place": "Hub", "topics": "Hello"}
    html = fay.post(url, data=data).get_data(as_text=True)
    assert_next_to(html, "starts_at", "Choose a date and time in the future")
    titles = [s.title for s in sessions.sessions_of_round(db.session, delib.round)]
    assert "Yesterday" not in titles
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert fay.post(url, data={**data, "starts_at": future}).status_code == 303
    # A session already held (in the past) still takes its attendance.
    held = sessions.record_session(
        db.session, delib.round,
        sessions.SessionPlan("Held", dt.datetime.now(dt.UTC) - dt.timedelta(days=2), "Hub",
                             topics=["Welcome"]),
    )  # fmt: skip
    present = {"present": [str(delib.panel["pat"].id)]}
    assert fay.post(f"/sessions/{held.id}/attendance", data=present).status_code == 303
    assert sessions.present_member_ids(held) == {delib.panel["pat"].id}


def test_extra_questions_are_fixed_once_someone_registered(app, db, world):
    rnd = world.round
    fay = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{rnd.id}/panel/size"
    asked = {"panel_size": "4", "extra": "Do you care for someone: yes, no"}
    assert fay.post(url, data=asked).status_code == 303
    citizen = login(app.test_client(), world.users["citizen"])
    data = {"area_id": str(world.areas[0].id), "age_band": "25-44", "gender": "woman",
            "partner_type": "resident", "consent": "y",
            "extra_do_you_care_for_someone": "yes"}  # fmt: skip
    assert citizen.post(f"/rounds/{rnd.id}/panel/volunteer", data=data).status_code == 303
    page = main(fay.get(f"/rounds/{rnd.id}/panel/sortition").get_data(as_text=True))
    assert 'name="extra"' not in page and "can no longer change" in page
    # The panel size still changes; the questions stay as the volunteer answered them.
    assert fay.post(url, data={"panel_size": "5", "extra": "Pets: cat, dog"}).status_code == 303
    found = sortition.settings_of(db.session, rnd)
    assert found.panel_size == 5
    assert [f["label"] for f in found.extra_features] == ["Do you care for someone"]
    with pytest.raises(InvalidInput, match="extra questions stay as they are"):
        sortition.set_panel(db.session, rnd, 5, [{"name": "pets", "label": "Pets",
                                                   "values": ["cat", "dog"]}])  # fmt: skip
