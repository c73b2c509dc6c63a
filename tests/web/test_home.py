"""The home page puts rounds open for voting first; after voting, pages say "You voted on …"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import current_app

from decide.models import Participation, PostcodeArea, Project, Round
from decide.services import voting
from decide.services.eligibility import VoterKey
from tests.web.world import login, make_round

VOTED = dt.date(2026, 12, 3)


def _titles(html: str) -> list[str]:
    """Return the round titles on the home page, in order."""
    return re.findall(r'<h3 class="card-title"><a href="/rounds/\d+">([^<]+)</a></h3>', html)


def test_rounds_open_for_voting_come_first_each_with_a_vote_button(app, db, world):
    s = db.session
    late = make_round(s, "Zeta vote", "voting", voting_close=dt.date(2027, 6, 30))
    soon = make_round(s, "Alpha vote", "voting", voting_close=dt.date(2027, 6, 1))
    open_ended = make_round(s, "Beta vote", "voting")
    make_round(s, "Aardvark results", "published")
    make_round(s, "Another draft", "draft")
    s.commit()
    html = app.test_client().get("/").get_data(as_text=True)
    titles = _titles(html)
    # Voting first, closing soonest first (open-ended last); then the others by phase.
    assert titles == [
        "Alpha vote",
        "Zeta vote",
        "Beta vote",
        "Healthy Riverside",
        "Aardvark results",
    ]
    assert "Secret Draft" not in html and "Another draft" not in html
    assert html.index("Open for voting") < html.index("Alpha vote") < html.index("Other rounds")
    for rnd in (soon, late, open_ended):
        assert re.search(
            rf'<a class="button" href="/rounds/{rnd.id}/vote">Vote'
            rf'<span class="visually-hidden"> in {rnd.title}</span></a>',
            html,
        )
    assert html.count(">Vote<span") == 3  # only rounds open for voting get the button


def test_without_rounds_open_for_voting_the_home_page_lists_the_rest(app, world):
    html = app.test_client().get("/").get_data(as_text=True)
    assert "Open for voting" not in html and "Other rounds" not in html
    assert _titles(html) == ["Healthy Riverside"]
    assert ">Vote<span" not in html


@pytest.fixture
def voted(db, world):
    """A voting round in Riverside in which the world's citizen cast a ballot on VOTED."""
    s = db.session
    s.add(PostcodeArea(postcode="NB1 1AA", area_id=world.areas[0].id))
    rnd = Round(
        title="Riverside vote", slug="riverside-vote", budget_pence=1_000_000, phase="voting",
        ballot_kind="approval", min_choices=1, max_choices=2,
    )  # fmt: skip
    rnd.areas = [world.areas[0]]
    rnd.projects = [Project(code="P1", position=1, title="Community fridge", cost_pence=500_000)]
    s.add(rnd)
    s.commit()
    key = voting.load_server_key(current_app.config["RECEIPT_KEY_FILE"])
    citizen = world.user("citizen")
    signed = voting.cast_ballot(
        s, rnd.id, VoterKey("user", citizen.id), ["P1"], server_key=key, today=VOTED
    )
    return rnd, signed.receipt


def test_the_round_page_says_when_you_voted_and_links_to_receipt_checking(app, world, voted):
    rnd, receipt = voted
    html = (
        login(app.test_client(), world.user("citizen"))
        .get(f"/rounds/{rnd.id}")
        .get_data(as_text=True)
    )
    assert "You voted on 3 December 2026." in html
    assert re.search(r'You voted on 3 December 2026\.[^<]*<a href="/receipts/check">', html)
    assert "Vote now" not in html
    # The page knows only that, and when: nothing from the ballot itself.
    assert receipt.tracker.hex() not in html and receipt.commitment.hex() not in html


@pytest.mark.parametrize("role", ["anonymous", "asset_member"])
def test_people_who_have_not_voted_still_see_vote_now(app, world, voted, role):
    rnd, _ = voted
    html = (
        login(app.test_client(), world.user(role)).get(f"/rounds/{rnd.id}").get_data(as_text=True)
    )
    assert "Vote now" in html and "You voted on" not in html


def test_the_home_and_vote_pages_say_you_voted_too(app, world, voted):
    rnd, _ = voted
    client = login(app.test_client(), world.user("citizen"))
    home = client.get("/").get_data(as_text=True)
    assert "You voted on 3 December 2026." in home
    assert f'href="/rounds/{rnd.id}/vote">Vote<span' not in home
    vote = client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
    assert "You have already voted in this round" in vote and "3 December 2026" in vote
    assert 'href="/receipts/check"' in vote and 'name="project"' not in vote


def test_the_date_comes_from_the_participation_mark_and_stays_after_voting_closes(
    app, db, world, voted
):
    rnd, _ = voted
    mark = db.session.get(Participation, (rnd.id, f"user:{world.user('citizen').id}"))
    assert mark.voted_on == VOTED
    mark.voted_on = dt.date(2026, 12, 4)
    rnd.phase = "closed"
    db.session.commit()
    html = (
        login(app.test_client(), world.user("citizen"))
        .get(f"/rounds/{rnd.id}")
        .get_data(as_text=True)
    )
    assert "You voted on 4 December 2026." in html
