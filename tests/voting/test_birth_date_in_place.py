"""Defect 4's sibling from the issue 11 review: a round with a minimum age asks an account
without a date of birth for it in place (with the postcode when that is missing too), saves
both or neither, and then goes on to the ballot or says plainly that the voter is too young."""

from __future__ import annotations

import datetime as dt

import pytest

from decide.models import RoundEligibility, User
from tests.helpers.sessions import log_in as login
from tests.voting.helpers import list_postcode, make_area, make_round, make_user, row_counts


@pytest.fixture
def aged_round(db):
    rnd = make_round(db.session, "approval", area=make_area(db.session, "LS7"))
    db.session.add(RoundEligibility(round_id=rnd.id, by_postcode=True, min_age=16))
    list_postcode(db.session, "LS7 3AB")  # the postcode an account saves in place
    db.session.commit()
    return rnd


def _user(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_only_the_birth_date_is_asked_when_the_postcode_is_there(client, db, aged_round):
    user = make_user(db.session)  # LS7 3AB, no date of birth
    login(client, user)
    html = client.get(f"/rounds/{aged_round.id}/vote").get_data(as_text=True)
    assert 'name="date_of_birth"' in html and 'autocomplete="bday"' in html
    assert 'name="postcode"' not in html
    assert "This round has a minimum age." in html
    assert "You cannot vote here right now" not in html

    before = row_counts(db.session)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for bad, message in (("", "Enter your date of birth"), (future, "in the past")):
        url = f"/rounds/{aged_round.id}/vote/postcode"
        response = client.post(url, data={"date_of_birth": bad})
        assert response.status_code == 200
        assert 'id="date_of_birth-error"' in response.get_data(as_text=True)
        assert message in response.get_data(as_text=True)
        assert _user(db, user).date_of_birth is None
    assert row_counts(db.session) == before

    response = client.post(
        f"/rounds/{aged_round.id}/vote/postcode", data={"date_of_birth": "1990-05-17"}
    )
    assert response.status_code == 303
    assert _user(db, user).date_of_birth == dt.date(1990, 5, 17)
    page = client.get(response.location).get_data(as_text=True)
    assert "Your date of birth is saved on your account." in page
    assert 'name="project"' in page  # the ballot


def test_both_are_asked_and_saved_together_or_not_at_all(client, db, aged_round):
    user = make_user(db.session, postcode=None)
    login(client, user)
    html = client.get(f"/rounds/{aged_round.id}/vote").get_data(as_text=True)
    assert 'name="date_of_birth"' in html and 'name="postcode"' in html
    # A good date with a postcode outside the round: neither is saved.
    response = client.post(
        f"/rounds/{aged_round.id}/vote/postcode",
        data={"postcode": "M1 1AA", "date_of_birth": "1990-05-17"},
    )
    assert response.status_code == 200
    assert (_user(db, user).postcode, _user(db, user).date_of_birth) == (None, None)
    response = client.post(
        f"/rounds/{aged_round.id}/vote/postcode",
        data={"postcode": "ls7 3ab", "date_of_birth": "1990-05-17"},
    )
    assert response.status_code == 303
    assert (_user(db, user).postcode, _user(db, user).date_of_birth) == (
        "LS7 3AB",
        dt.date(1990, 5, 17),
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "Your postcode LS7 3AB and date of birth are saved on your account." in page


def test_too_young_is_told_plainly_after_saving(client, db, aged_round):
    user = make_user(db.session)
    login(client, user)
    young = dt.date(dt.date.today().year - 10, 1, 1).isoformat()
    response = client.post(f"/rounds/{aged_round.id}/vote/postcode", data={"date_of_birth": young})
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "You must be 16 or over to vote in this round." in page
    assert 'name="project"' not in page and 'name="date_of_birth"' not in page
