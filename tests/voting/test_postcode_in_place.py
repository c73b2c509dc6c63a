"""An account without a postcode is asked for it on the voting page, then goes on to vote."""

from __future__ import annotations

import pytest

from decide.models import RoundEligibility, User
from decide.services import ballot_box
from tests.helpers.pages import hidden
from tests.helpers.sessions import log_in as login
from tests.voting.helpers import list_postcode, make_area, make_round, make_user, row_counts


def _postcode(db, user: User) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user.id).postcode


@pytest.fixture
def voting_round(db):
    rnd = make_round(db.session, "approval", area=make_area(db.session, "LS7"))
    list_postcode(db.session, "LS7 3AB")  # the postcode the newcomer saves
    db.session.commit()
    return rnd


@pytest.fixture
def newcomer(db, client):
    user = make_user(db.session, postcode=None)
    login(client, user)
    return user


def test_the_vote_page_asks_for_the_missing_postcode_instead_of_refusing(
    client, voting_round, newcomer
):
    response = client.get(f"/rounds/{voting_round.id}/vote")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="/rounds/{voting_round.id}/vote/postcode"' in html
    assert 'name="postcode"' in html and 'autocomplete="postal-code"' in html
    assert "Save and continue to the ballot" in html
    assert 'id="error-summary"' not in html  # no refusal
    assert "Add your postcode to your account" not in html
    assert 'name="project"' not in html  # no ballot yet


def test_saving_the_postcode_goes_on_to_the_ballot_and_the_vote(client, db, voting_round, newcomer):
    rnd = voting_round
    response = client.post(f"/rounds/{rnd.id}/vote/postcode", data={"postcode": "ls7  3ab"})
    assert response.status_code == 303 and response.location == f"/rounds/{rnd.id}/vote"
    assert _postcode(db, newcomer) == "LS7 3AB"
    ballot = client.get(response.location).get_data(as_text=True)
    assert "Your postcode LS7 3AB is saved on your account." in ballot
    assert ballot.count('name="project"') == 5
    review = client.post(f"/rounds/{rnd.id}/vote/review", data={"project": ["P2"]})
    text = review.get_data(as_text=True)
    cast = client.post(
        f"/rounds/{rnd.id}/vote/cast",
        data={"choices": hidden(text, "choices"), "check": hidden(text, "check")},
    )
    assert cast.status_code == 200
    assert ballot_box.counts(db.session, rnd.id) == {"ballots": 1, "sealed": 1, "participation": 1}


def test_a_postcode_outside_the_round_is_refused_in_place_and_not_saved(
    client, db, voting_round, newcomer
):
    make_area(db.session, "LS9")  # another area's district
    list_postcode(db.session, "LS9 8AB")
    db.session.commit()
    response = client.post(f"/rounds/{voting_round.id}/vote/postcode", data={"postcode": "LS9 8AB"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _postcode(db, newcomer) is None
    # The box stays, with the reason next to the field and the round's areas named.
    assert 'name="postcode"' in html and 'id="postcode-error"' in html
    assert "LS9 8AB is outside this round&#39;s areas" in html or (
        "LS9 8AB is outside this round's areas" in html
    )
    assert "saved on your account" not in html
    assert 'name="project"' not in html
    # The refusal holds on the ballot's own POSTs too.
    assert (
        client.post(f"/rounds/{voting_round.id}/vote/review", data={"project": ["P1"]}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("postcode", "message"),
    [("", "Enter your postcode"), ("   ", "Enter your postcode"), ("12345", "Enter a UK postcode")],
)
def test_a_bad_postcode_is_refused_next_to_the_field_and_changes_nothing(
    client, db, voting_round, newcomer, postcode, message
):
    before = row_counts(db.session)
    response = client.post(f"/rounds/{voting_round.id}/vote/postcode", data={"postcode": postcode})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert html.count('id="error-summary"') == 1 and 'href="#postcode"' in html
    assert 'id="postcode-error"' in html and 'aria-invalid="true"' in html
    assert "<html" in html  # without JavaScript: the whole page again
    assert _postcode(db, newcomer) is None
    assert row_counts(db.session) == before


def test_with_htmx_errors_swap_in_place_and_success_moves_the_page_on(
    client, db, voting_round, newcomer
):
    url = f"/rounds/{voting_round.id}/vote/postcode"
    bad = client.post(url, data={"postcode": "nope"}, headers={"HX-Request": "true"})
    fragment = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="postcode-box">')
    assert "Enter a UK postcode" in fragment and 'id="error-summary"' in fragment
    assert "HX-Request" in bad.headers["Vary"]
    assert _postcode(db, newcomer) is None
    list_postcode(db.session, "LS7 1AA")
    db.session.commit()
    good = client.post(url, data={"postcode": "LS7 1AA"}, headers={"HX-Request": "true"})
    assert good.status_code == 200
    assert good.headers["HX-Redirect"] == f"/rounds/{voting_round.id}/vote"
    assert _postcode(db, newcomer) == "LS7 1AA"


def test_an_account_that_has_a_postcode_is_not_changed_from_the_voting_page(
    client, db, voting_round
):
    user = make_user(db.session, postcode="LS7 3AB")
    login(client, user)
    html = client.get(f"/rounds/{voting_round.id}/vote").get_data(as_text=True)
    assert 'name="postcode"' not in html and 'name="project"' in html
    response = client.post(f"/rounds/{voting_round.id}/vote/postcode", data={"postcode": "LS9 8AB"})
    assert response.status_code == 303 and response.location == f"/rounds/{voting_round.id}/vote"
    assert _postcode(db, user) == "LS7 3AB"


def test_no_postcode_is_asked_for_where_accounts_cannot_vote(client, db, voting_round, newcomer):
    db.session.add(RoundEligibility(round_id=voting_round.id, by_postcode=False, by_code=True))
    db.session.commit()
    html = client.get(f"/rounds/{voting_round.id}/vote").get_data(as_text=True)
    assert 'name="postcode"' not in html
    assert 'name="code"' in html


def test_no_postcode_is_asked_for_once_voting_has_closed(client, db, newcomer):
    closed = make_round(db.session, "approval", phase="closed", area=make_area(db.session, "LS8"))
    html = client.get(f"/rounds/{closed.id}/vote").get_data(as_text=True)
    assert "Voting is not open in this round" in html
    assert 'name="postcode"' not in html


def test_anonymous_visitors_are_sent_to_log_in(client, db, voting_round):
    response = client.post(f"/rounds/{voting_round.id}/vote/postcode", data={"postcode": "LS7 3AB"})
    assert response.status_code == 302 and "/login" in response.location
    page = client.get(f"/rounds/{voting_round.id}/vote").get_data(as_text=True)
    assert "Log in to vote" in page
    assert f"/register?next=/rounds/{voting_round.id}/vote" in page.replace("%2F", "/")
