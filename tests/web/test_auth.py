"""Register, log in, log out, safe redirects and the login rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from decide.models import User
from decide.web.access import safe_next
from tests.web.world import PASSWORD, login


def _users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_register_creates_a_hashed_unverified_account_and_says_to_check_email(app, db):
    client = app.test_client()
    response = client.post(
        "/register",
        data={
            "display_name": "Amira Hussain",
            "email": "Amira@Example.org ",
            "password": "a long enough password",
            "postcode": "nb1 4qt",
            "date_of_birth": "1988-05-14",
        },
    )
    assert response.status_code == 303 and response.location == "/check-email"
    user = db.session.scalar(select(User).where(User.email == "amira@example.org"))
    assert user.postcode == "NB1 4QT"
    assert str(user.date_of_birth) == "1988-05-14"
    assert "a long enough password" not in user.password_hash
    assert user.check_password("a long enough password")
    assert not user.is_facilitator and not user.memberships
    assert not user.is_verified
    assert "We have sent an email to" in client.get("/check-email").get_data(as_text=True)
    # Not logged in: a newcomer and an existing address must get the same answer.
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short"}, "password", "Your password must be at least 12 characters"),
        ({"password": "LeaveMeAlone"}, "password", "on a list of common passwords"),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.org"),
        ({"display_name": ""}, "display_name", "Enter your name"),
        ({"postcode": "12345"}, "postcode", "Enter a UK postcode, like LS9 8AB"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "Enter a date of birth in the past"),
    ],
)
def test_register_refuses_bad_input(app, db, changes, field, message):
    data = {"display_name": "Jo", "email": "jo@example.org", "password": "long enough pw"}
    data.update(changes)
    before = _users(db)
    html = app.test_client().post("/register", data=data).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert _users(db) == before


def test_login_and_logout(app, world):
    client = app.test_client()
    response = client.post(
        "/login?next=/account", data={"email": "citizen@test.example", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/account"
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_login_with_a_wrong_password_says_so_next_to_the_field(app, world):
    response = app.test_client().post(
        "/login", data={"email": "citizen@test.example", "password": "wrong password"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in html
    assert "The email address or password is not right" in html


def test_login_never_redirects_off_site(app, world):
    client = app.test_client()
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": "citizen@test.example", "password": PASSWORD},
    )
    assert response.location == "/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "x", ""],
)
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_local_paths():
    assert safe_next("/rounds/3?x=1", "/") == "/rounds/3?x=1"


def test_logout_is_post_only(app, world):
    client = login(app.test_client(), world.user("citizen"))
    assert client.get("/logout").status_code == 405


def test_anonymous_user_is_sent_to_login_and_back(app, world):
    client = app.test_client()
    response = client.get(f"/rounds/{world.round.id}/proposals/new")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    back = client.post(
        response.location, data={"email": "citizen@test.example", "password": PASSWORD}
    )
    assert back.location == f"/rounds/{world.round.id}/proposals/new"


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_attempts_are_rate_limited(self, app, world):
        client = app.test_client()
        data = {"email": "citizen@test.example", "password": "wrong password"}
        statuses = [client.post("/login", data=data).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert "Too many attempts" in client.post("/login", data=data).get_data(as_text=True)
        # Reading the login page is not limited.
        assert client.get("/login").status_code == 200
