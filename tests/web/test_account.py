"""The account page: change name, postcode and date of birth; change the password safely."""

from __future__ import annotations

import datetime as dt

import pytest

from decide.models import User
from tests.web.world import PASSWORD, login


def _fresh(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _snapshot(user: User) -> tuple:
    return (user.display_name, user.postcode, user.date_of_birth, user.password_hash)


@pytest.fixture
def citizen(world):
    return world.user("citizen")


@pytest.fixture
def client(app, citizen):
    return login(app.test_client(), citizen)


def test_the_account_page_shows_the_details_in_a_form(client, citizen):
    html = client.get("/account").get_data(as_text=True)
    assert 'name="display_name"' in html and 'value="Cara Citizen"' in html
    assert 'name="postcode"' in html and 'value="NB1 1AA"' in html
    assert 'name="current_password"' in html and 'name="new_password"' in html
    assert 'autocomplete="new-password"' in html
    assert "citizen@test.example" in html
    assert 'id="error-summary"' not in html


def test_saving_name_postcode_and_date_of_birth(client, db, citizen):
    response = client.post(
        "/account",
        data={
            "display_name": "  Cara Okafor ",
            "postcode": "nb2  7xy",
            "date_of_birth": "1980-02-29",
        },
    )
    assert response.status_code == 302 and response.location == "/account"
    user = _fresh(db, citizen)
    assert user.display_name == "Cara Okafor"
    assert user.postcode == "NB2 7XY"
    assert user.date_of_birth == dt.date(1980, 2, 29)
    page = client.get("/account").get_data(as_text=True)
    assert "Your details are saved." in page and 'value="NB2 7XY"' in page


def test_the_postcode_can_be_removed(client, db, citizen):
    client.post("/account", data={"display_name": "Cara Citizen", "postcode": "  "})
    assert _fresh(db, citizen).postcode is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "", "postcode": "NB2 7XY"}, "display_name", "Enter your name"),
        ({"display_name": "   ", "postcode": "NB2 7XY"}, "display_name", "Enter your name"),
        ({"display_name": "C" * 121, "postcode": "NB2 7XY"}, "display_name", "120 characters"),
        ({"display_name": "Cara", "postcode": "12345"}, "postcode", "Enter a UK postcode"),
        ({"display_name": "Cara", "postcode": "NB2 7XYZ"}, "postcode", "Enter a UK postcode"),
        (
            {"display_name": "Cara", "postcode": "NB2 7XY", "date_of_birth": "2999-01-01"},
            "date_of_birth",
            "Enter a date of birth in the past",
        ),
        (
            {"display_name": "Cara", "postcode": "NB2 7XY", "date_of_birth": "31/02/1980"},
            "date_of_birth",
            "Not a valid date",
        ),
    ],
)
def test_bad_details_are_refused_and_change_nothing(client, db, citizen, data, field, message):
    before = _snapshot(_fresh(db, citizen))
    response = client.post("/account", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('id="error-summary"') == 1
    assert f'href="#{field}"' in html and f'id="{field}-error"' in html
    assert message in html
    assert _snapshot(_fresh(db, citizen)) == before


def test_every_bad_detail_is_reported_at_once(client, db, citizen):
    before = _snapshot(_fresh(db, citizen))
    html = client.post("/account", data={"display_name": " ", "postcode": "nope"}).get_data(
        as_text=True
    )
    assert 'id="display_name-error"' in html and 'id="postcode-error"' in html
    assert _snapshot(_fresh(db, citizen)) == before


def test_changing_the_password_needs_the_current_one(client, db, citizen):
    before = _snapshot(_fresh(db, citizen))
    response = client.post(
        "/account/password",
        data={"current_password": "not my password", "new_password": "a brand new password"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your current password is not right" in html
    assert 'href="#current_password"' in html and html.count('id="error-summary"') == 1
    # The details form still shows the stored values, not the empty password post.
    assert 'value="Cara Citizen"' in html
    user = _fresh(db, citizen)
    assert _snapshot(user) == before
    assert user.check_password(PASSWORD) and not user.check_password("a brand new password")


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("", "Enter a new password"),
        ("short", "Your password must be at least 12 characters"),
        ("x" * 201, "Your password must be 200 characters or fewer"),
        (PASSWORD, "the same as your current one"),
    ],
)
def test_a_new_password_follows_the_registration_rules(client, db, citizen, new_password, message):
    before = _snapshot(_fresh(db, citizen))
    html = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": new_password}
    ).get_data(as_text=True)
    assert message in html and 'id="new_password-error"' in html
    assert _snapshot(_fresh(db, citizen)) == before


def test_a_new_password_replaces_the_old_one(app, client, db, citizen):
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a brand new password"},
    )
    assert response.status_code == 302 and response.location == "/account"
    assert "Your password is changed" in client.get("/account").get_data(as_text=True)
    user = _fresh(db, citizen)
    assert user.check_password("a brand new password") and not user.check_password(PASSWORD)
    other = app.test_client()
    refused = other.post("/login", data={"email": citizen.email, "password": PASSWORD})
    assert refused.status_code == 200 and "not right" in refused.get_data(as_text=True)
    accepted = other.post(
        "/login", data={"email": citizen.email, "password": "a brand new password"}
    )
    assert accepted.status_code == 302


def test_changing_the_password_logs_out_other_sessions_but_not_this_one(app, db, citizen):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        response = device.post("/login", data={"email": citizen.email, "password": PASSWORD})
        assert response.status_code == 302
        assert device.get("/account").status_code == 200
    laptop.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a brand new password"},
    )
    assert laptop.get("/account").status_code == 200
    stale = phone.get("/account")
    assert stale.status_code == 302 and stale.location.startswith("/login")
    assert phone.get("/account").status_code == 302  # it stays logged out
    # Logging in again with the new password works as usual.
    phone.post("/login", data={"email": citizen.email, "password": "a brand new password"})
    assert phone.get("/account").status_code == 200


def test_a_session_is_not_ended_by_editing_the_details(app, db, citizen):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        device.post("/login", data={"email": citizen.email, "password": PASSWORD})
    laptop.post("/account", data={"display_name": "Cara O", "postcode": "NB1 1AA"})
    assert phone.get("/account").status_code == 200


def test_the_account_page_needs_a_login(app, world):
    anonymous = app.test_client()
    for response in (
        anonymous.get("/account"),
        anonymous.post("/account", data={"display_name": "X"}),
        anonymous.post("/account/password", data={"current_password": "x"}),
    ):
        assert response.status_code == 302 and response.location.startswith("/login")
