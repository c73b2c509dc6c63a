"""The deliberation pages through the test client: hidden scores, conflicts shown and refused,
the transcript rendered, arguments by phase, minutes fixed after approval, and bad input."""

from __future__ import annotations

import re

from decide.models import PanelMember
from decide.services.deliberation import minutes, sessions, shortlist
from tests.deliberation.factory import attend_and_close, score_all
from tests.web.world import login, make_user


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _scores(value: str, criteria) -> dict[str, str]:
    return {f"criterion_{c.id}": value for c in criteria}


def test_members_do_not_see_each_others_scores_until_close(app, db, delib):
    from decide.services.deliberation import scoring

    criteria = scoring.rubric_of(db.session, delib.round)
    cooking = delib.proposals[0]
    pat = login(app.test_client(), delib.panel["pat"])
    url = f"/sessions/{delib.session.id}/proposals/{cooking.id}/score"
    response = pat.post(url, data=_scores("5", criteria))
    assert response.status_code == 303
    quinn = login(app.test_client(), delib.panel["quinn"])
    # Quinn's own form is empty: nothing of Pat's scores is on it, or on the session page.
    form = _page(quinn, url)
    assert " checked" not in _main(form)
    session_page = _main(_page(quinn, f"/sessions/{delib.session.id}"))
    assert "Median" not in session_page and "Scores stay hidden" in session_page
    assert "1 of 3 members have scored" in session_page
    quinn.post(url, data=_scores("1", criteria))
    score_all(db.session, delib, delib.panel["rae"], cooking, 5)
    attend_and_close(db.session, delib)
    shown = _main(_page(app.test_client(), f"/sessions/{delib.session.id}"))
    assert "Median" in shown
    assert re.search(
        r"Cooking club</th>\s*<td class=\"num\">5</td>\s*<td class=\"num\">4</td>", shown
    )
    assert "Quinn Panel (1)" in shown  # the outlier


def test_a_conflict_is_shown_and_the_member_is_refused(app, db, delib):
    from decide.services.deliberation import scoring

    cooking = delib.proposals[0]
    pat = login(app.test_client(), delib.panel["pat"])
    response = pat.post(
        f"/rounds/{delib.round.id}/conflicts",
        data={"proposal_id": str(cooking.id), "reason": "I chair its trustees"},
    )
    assert response.status_code == 303
    page = _main(_page(app.test_client(), f"/sessions/{delib.session.id}"))
    assert "Conflict of interest" in page and "I chair its trustees" in page
    assert "You declared a conflict" in _page(pat, f"/sessions/{delib.session.id}")
    criteria = scoring.rubric_of(db.session, delib.round)
    refused = pat.post(
        f"/sessions/{delib.session.id}/proposals/{cooking.id}/score", data=_scores("5", criteria)
    )
    assert refused.status_code == 200
    assert "you do not score it" in refused.get_data(as_text=True)
    decision = shortlist.open_ranked_vote(db.session, delib.session, 1)
    ballot = pat.post(
        f"/sessions/{delib.session.id}/shortlist/ballot", data={f"rank_{cooking.id}": "1"}
    )
    assert "leave it unranked" in ballot.get_data(as_text=True)
    assert decision.ballots == []


def test_the_hand_counted_stv_transcript_is_rendered(app, db, delib, world):
    """Acceptance 4: the test_ranked election, cast by 11 panel members, counted and shown."""
    a, b, c = delib.proposals
    d = sessions.record_session(
        db.session,
        delib.round,
        sessions.SessionPlan(
            "Shortlist", delib.session.starts_at, "Hub", proposal_ids=[a.id, b.id, c.id]
        ),
    )
    from tests.web.world import make_proposal

    fourth = make_proposal(db.session, delib.round, world.users["asset_member"], "Dance class")
    db.session.commit()
    from decide.models import AgendaItem

    db.session.add(AgendaItem(session_id=d.id, position=9, proposal_id=fourth.id))
    voters = [make_user(db.session, f"v{i}@test.example", f"Voter {i}") for i in range(11)]
    for v in voters:
        db.session.add(PanelMember(round=delib.round, user=v))
    db.session.commit()
    sessions.record_attendance(db.session, d, [v.id for v in voters])
    decision = shortlist.open_ranked_vote(db.session, d, 2)
    A, B, C, D = a.id, b.id, c.id, fourth.id
    rankings = [[A, B]] * 5 + [[C, B]] * 2 + [[D, C]] * 3 + [[B, D]]
    for voter, ranking in zip(voters, rankings):
        shortlist.cast_ranking(db.session, decision, voter, ranking)
    facilitator = login(app.test_client(), world.users["facilitator"])
    assert facilitator.post(f"/sessions/{d.id}/shortlist/count").status_code == 303
    page = _main(_page(app.test_client(), f"/sessions/{d.id}/shortlist"))
    assert "single transferable vote" in page and "needs 3.666667 votes to be elected" in page
    assert "Round 1: elected Cooking club" in page
    assert "Round 2: out Walking group" in page
    assert "Round 3: elected Green gym; out Dance class" in page
    assert "1.333333" in page and "-1.333333" in page and "4.333333" in page
    assert "eliminated in round 2 with 2 votes" in page  # Walking group's reason
    assert "left out when the last place was filled in round 3 with 3 votes" in page


def test_residents_post_arguments_only_in_deliberation(app, db, delib, world):
    citizen = login(app.test_client(), world.users["citizen"])
    early = citizen.post(
        f"/proposals/{world.proposal.id}/arguments", data={"side": "for", "body": "Yes"}
    )
    assert early.status_code == 403
    posted = citizen.post(
        f"/proposals/{delib.proposals[0].id}/arguments",
        data={"side": "against", "body": "<i>Too</i> far from the bus stop"},
    )
    assert posted.status_code == 303
    page = _page(app.test_client(), f"/proposals/{delib.proposals[0].id}/arguments")
    assert "Too far from the bus stop" in page and "<i>Too" not in page


def test_a_moderator_hides_an_argument_with_a_public_reason(app, db, delib, world):
    from decide.services.deliberation import arguments

    argument = arguments.post_argument(
        db.session, delib.proposals[0], world.users["citizen"], side="for", body="Buy my stuff"
    )
    facilitator = login(app.test_client(), world.users["facilitator"])
    empty = facilitator.post(f"/arguments/{argument.id}/hide", data={"reason": ""})
    assert empty.status_code == 200 and argument.hidden_reason is None
    # The message sits next to this argument's reason box, and the summary links to it.
    html = empty.get_data(as_text=True)
    group = html.split(f'id="argument-{argument.id}"', 1)[1].split("</form>", 1)[0]
    assert "Give the public reason for hiding it" in group
    assert f'aria-describedby="hide-{argument.id}-error"' in group
    assert f'href="#hide-{argument.id}"' in html.split('id="error-summary"', 1)[1]
    facilitator.post(f"/arguments/{argument.id}/hide", data={"reason": "Advertising"})
    page = _page(app.test_client(), f"/proposals/{delib.proposals[0].id}/arguments")
    assert "Hidden by a moderator: Advertising" in page and "Buy my stuff" not in page


def test_minutes_cannot_change_after_approval(app, db, delib, world):
    attend_and_close(db.session, delib, "pat")
    facilitator = login(app.test_client(), world.users["facilitator"])
    facilitator.post(f"/sessions/{delib.session.id}/minutes")
    anonymous = app.test_client()
    assert anonymous.get(f"/sessions/{delib.session.id}/minutes").status_code == 302  # draft
    pat = login(app.test_client(), delib.panel["pat"])
    pat.post(f"/sessions/{delib.session.id}/minutes/approve")
    m = minutes.minutes_of(db.session, delib.session)
    db.session.refresh(m)
    before = (m.document, m.digest, m.head)
    assert m.is_approved
    response = facilitator.post(f"/sessions/{delib.session.id}/minutes", follow_redirects=True)
    assert "can no longer change" in response.get_data(as_text=True)
    db.session.refresh(m)
    assert (m.document, m.digest, m.head) == before
    page = _page(anonymous, f"/sessions/{delib.session.id}/minutes")
    assert "Approved by the panel" in page and m.head in page
    assert anonymous.get(f"/sessions/{delib.session.id}/minutes.json").data == m.document


# --- Bad input ------------------------------------------------------------------------------
def test_bad_session_input_is_refused_next_to_its_fields(app, db, delib, world):
    facilitator = login(app.test_client(), world.users["facilitator"])
    url = f"/rounds/{delib.round.id}/sessions/new"
    for data, message in [
        ({"title": "", "starts_at": "2027-03-04T18:30", "place": "Hub"}, "Enter a title"),
        ({"title": "S", "starts_at": "tomorrow", "place": "Hub"}, "Not a valid datetime"),
        ({"title": "S", "starts_at": "2027-03-04T18:30"}, "Enter a place, an online link"),
        (
            {"title": "S", "starts_at": "2027-03-04T18:30", "online_link": "http://x.example"},
            "starting with https://",
        ),
        ({"title": "S", "starts_at": "2027-03-04T18:30", "place": "Hub"}, "at least one"),
        (
            {"title": "S", "starts_at": "2027-03-04T18:30", "place": "Hub",
             "proposal_ids": [str(world.proposal.id)]},
            "Choose proposals of this round",
        ),
        (
            {"title": "S", "starts_at": "2027-03-04T18:30", "place": "Hub",
             "proposal_ids": ["99999999999"]},
            "Invalid choice",
        ),
        ({"title": "S\x00", "starts_at": "2027-03-04T18:30", "place": "Hub"}, "control"),
    ]:  # fmt: skip
        response = facilitator.post(url, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (data, response.status_code)
        assert 'id="error-summary"' in html and message in html, (data, message)


def test_bad_scores_rankings_and_settings_are_refused(app, db, delib, world):
    from decide.services.deliberation import scoring

    criteria = scoring.rubric_of(db.session, delib.round)
    pat = login(app.test_client(), delib.panel["pat"])
    score_url = f"/sessions/{delib.session.id}/proposals/{delib.proposals[0].id}/score"
    for values in (_scores("6", criteria), _scores("-1", criteria), _scores("², ", criteria), {}):
        response = pat.post(score_url, data=values)
        assert response.status_code == 200 and 'id="error-summary"' in response.get_data(
            as_text=True
        )
    assert scoring.own_scores(db.session, delib.session, delib.panel["pat"]) == {}
    assert pat.get(f"/sessions/{delib.session.id}/proposals/99999/score").status_code == 404

    facilitator = login(app.test_client(), world.users["facilitator"])
    for data, message in [
        ({"method": "ranked", "places": ""}, "Enter the number of places"),
        ({"method": "ranked", "places": "3"}, "Choose from 1 to 2 places"),
        ({"method": "threshold", "threshold": "abc"}, "Enter a score from 0 to 5"),
        ({"method": "lottery"}, "Not a valid choice"),
    ]:
        response = facilitator.post(f"/sessions/{delib.session.id}/shortlist", data=data)
        assert message in response.get_data(as_text=True), data
    response = facilitator.post(
        f"/rounds/{delib.round.id}/rubric",
        data={"criteria-0-name": "Reach", "criteria-0-weight": "0"},
    )
    assert "Enter a whole number from 1 to 100, like 20" in response.get_data(as_text=True)

    shortlist.open_ranked_vote(db.session, delib.session, 1)
    a, b, _c = (p.id for p in delib.proposals)
    ballot_url = f"/sessions/{delib.session.id}/shortlist/ballot"
    for data, message in [
        ({}, "Rank at least one proposal"),
        ({f"rank_{a}": "1", f"rank_{b}": "1"}, "Use each rank once"),
        ({f"rank_{a}": "2"}, "Use each rank once"),
        ({f"rank_{a}": "9"}, "Not a valid choice"),
    ]:
        response = pat.post(ballot_url, data=data)
        assert message in response.get_data(as_text=True), data


def test_bad_documents_and_arguments_are_refused(app, db, delib, world):
    facilitator = login(app.test_client(), world.users["facilitator"])
    from io import BytesIO

    url = f"/sessions/{delib.session.id}/documents"
    for data, message in [
        ({"title": "Map", "url": "javascript:alert(1)"}, "starting with https://"),
        (
            {"title": "Fake", "upload": (BytesIO(b"MZ binary"), "x.pdf", "application/pdf")},
            "not a PDF",
        ),
        (
            {"title": "Page", "upload": (BytesIO(b"<html>"), "x.html", "text/html")},
            "Upload a PDF",
        ),
    ]:
        response = facilitator.post(url, data=data, content_type="multipart/form-data")
        assert message in response.get_data(as_text=True), data
    assert delib.session.documents == []

    citizen = login(app.test_client(), world.users["citizen"])
    arguments_url = f"/proposals/{delib.proposals[0].id}/arguments"
    for data, message in [
        ({"side": "for", "body": ""}, "Write your argument"),
        ({"side": "maybe", "body": "Hi"}, "Not a valid choice"),
        ({"side": "for", "body": "x" * 501}, "500"),
        ({"side": "for", "body": "<script></script>"}, "Write your argument"),
        ({"side": "for", "body": "Hi", "parent_id": "99999"}, "not on this proposal"),
    ]:
        response = citizen.post(arguments_url, data=data)
        assert response.status_code == 200 and message in response.get_data(as_text=True), data
