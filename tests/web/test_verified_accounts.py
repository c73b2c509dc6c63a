"""Verified accounts: e-mail over SMTP, verification, reset, change of address, same answers.

Mail goes to a real SMTP server in the test process (aiosmtpd, the `smtp` fixture).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from decide.models import User
from decide.services import eligibility as elig
from tests.voting.helpers import make_area, make_round
from tests.web.world import PASSWORD, login

NEW_PASSWORD = "lantern orchard pebble"


@pytest.fixture
def app_config(smtp):
    return smtp.config


def _path(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _register(client, email: str, **extra):
    data = {
        "display_name": "Nadia Rahman",
        "email": email,
        "password": "river stone kettle",
        "postcode": "LS7 3AB",
    } | extra
    return client.post("/register?next=/rounds/1/vote", data=data)


def _users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_registering_sends_a_link_over_smtp_and_opening_it_verifies(app, db, smtp):
    client = app.test_client()
    response = _register(client, "Nadia@Example.org")
    assert response.status_code == 303 and response.location == "/check-email"
    user = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
    assert user is not None and not user.is_verified
    message = smtp.wait_for("nadia@example.org")
    assert message["Subject"] == "Confirm your email address"
    link = smtp.link(message)
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/verify/")
    page = client.get(_path(link))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your email address is confirmed" in html
    assert "/login?next=/rounds/1/vote" in html.replace("%2F", "/")
    db.session.expire_all()
    assert db.session.get(User, user.id).is_verified


def test_a_verification_link_for_an_old_address_or_altered_is_refused(app, db, smtp):
    client = app.test_client()
    _register(client, "old@example.org")
    link = _path(smtp.link(smtp.wait_for("old@example.org")))
    assert client.get(link[:-3] + "xyz").status_code == 400
    user = db.session.scalar(select(User).where(User.email == "old@example.org"))
    user.email = "moved@example.org"
    db.session.commit()
    refused = client.get(link)
    assert refused.status_code == 400 and "not valid" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_verified


def test_an_expired_verification_link_is_refused(app, db, smtp):
    client = app.test_client()
    _register(client, "late@example.org")
    link = _path(smtp.link(smtp.wait_for("late@example.org")))
    app.config["VERIFY_LINK_MAX_AGE"] = -1  # every link is already too old
    refused = client.get(link)
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)


def test_registration_answers_the_same_for_an_address_that_has_an_account(app, db, world, smtp):
    before = _users(db)
    known, unknown = app.test_client(), app.test_client()
    a = _register(known, "CITIZEN@test.example")
    b = _register(unknown, "someone.new@test.example")
    assert (a.status_code, a.location) == (b.status_code, b.location)
    page_a = known.get(a.location).get_data(as_text=True)
    page_b = unknown.get(b.location).get_data(as_text=True)
    assert page_a.replace("CITIZEN@test.example", "X") == page_b.replace(
        "someone.new@test.example", "X"
    )
    assert _users(db) == before + 1  # only the new address got an account
    owner = smtp.wait_for("citizen@test.example")
    assert owner["Subject"] == "You already have an account"
    assert "/password/forgot" in smtp.body(owner)
    db.session.expire_all()
    assert world.user("citizen").check_password(PASSWORD)  # nothing about it changed


def test_an_unverified_account_is_told_to_verify_and_can_get_the_link_again(app, db, smtp):
    rnd = make_round(db.session, "approval", area=make_area(db.session, "LS7"))
    from tests.voting.helpers import make_user

    user = make_user(db.session, postcode="LS7 3AB", email_verified_at=None)
    client = login(app.test_client(), user)
    with pytest.raises(elig.EligibilityError, match="confirm your email address"):
        elig.check_voter(db.session, rnd, elig.VoterKey("user", user.id), dt.date(2027, 5, 10))
    html = client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
    assert "Before you can vote, confirm your email address" in html
    assert "Send the link again" in html and 'name="project"' not in html
    response = client.post("/verify/resend", data={"next": f"/rounds/{rnd.id}/vote"})
    assert response.status_code == 302 and response.location == f"/rounds/{rnd.id}/vote"
    message = smtp.wait_for(user.email)
    assert client.get(_path(smtp.link(message))).status_code == 200
    ballot = client.get(f"/rounds/{rnd.id}/vote").get_data(as_text=True)
    assert ballot.count('name="project"') == 5


def test_password_reset_answers_the_same_and_its_link_works_once(app, db, world, smtp):
    citizen = world.user("citizen")
    other_browser = login(app.test_client(), citizen)
    assert other_browser.get("/account").status_code == 200
    known = app.test_client().post("/password/forgot", data={"email": "Citizen@test.example"})
    unknown = app.test_client().post("/password/forgot", data={"email": "nobody@test.example"})
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert smtp.to("nobody@test.example") == []
    message = smtp.wait_for("citizen@test.example")
    assert message["Subject"] == "Reset your password"
    link = _path(smtp.link(message))
    client = app.test_client()
    assert client.get(link).status_code == 200
    weak = client.post(link, data={"password": "qazwsxedcrfv"})
    assert "common passwords" in weak.get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    db.session.expire_all()
    assert db.session.get(User, citizen.id).check_password(NEW_PASSWORD)
    # Used once: the link no longer works, and the other browser was logged out.
    again = client.post(link, data={"password": "another fine password"})
    assert again.status_code == 400
    assert other_browser.get("/account").status_code == 302
    login_page = client.post("/login", data={"email": citizen.email, "password": NEW_PASSWORD})
    assert login_page.status_code == 302


def test_an_expired_reset_link_is_refused(app, db, world, smtp):
    app.test_client().post("/password/forgot", data={"email": "citizen@test.example"})
    link = _path(smtp.link(smtp.wait_for("citizen@test.example")))
    app.config["RESET_LINK_MAX_AGE"] = -1
    refused = app.test_client().post(link, data={"password": NEW_PASSWORD})
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert world.user("citizen").check_password(PASSWORD)


def test_changing_the_address_needs_the_password_and_the_new_address_to_confirm(
    app, db, world, smtp
):
    citizen = world.user("citizen")
    client = login(app.test_client(), citizen)
    wrong = client.post(
        "/account/email", data={"new_email": "cara@new.example", "password": "not it at all"}
    )
    assert "Your password is not right" in wrong.get_data(as_text=True)
    assert smtp.to("cara@new.example") == []
    response = client.post(
        "/account/email", data={"new_email": "Cara@New.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, citizen.id).email == "citizen@test.example"  # not yet
    message = smtp.wait_for("cara@new.example")
    assert client.get(_path(smtp.link(message))).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, citizen.id)
    assert user.email == "cara@new.example" and user.is_verified
    notice = smtp.wait_for("citizen@test.example")
    assert notice["Subject"] == "Your email address was changed"
    assert "cara@new.example" in smtp.body(notice)


def test_moving_to_an_address_that_has_an_account_tells_its_owner_and_changes_nothing(
    app, db, world, smtp
):
    citizen = world.user("citizen")
    client = login(app.test_client(), citizen)
    taken = world.user("facilitator").email
    response = client.post("/account/email", data={"new_email": taken, "password": PASSWORD})
    assert response.status_code == 302
    message = smtp.wait_for(taken)
    assert "already has an account" in smtp.body(message)
    db.session.expire_all()
    assert db.session.get(User, citizen.id).email == "citizen@test.example"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("eleven char", "at least 12 characters"),
        ("qazwsxedcrfv", "common passwords"),
        ("SonyEricsson", "common passwords"),
    ],
)
def test_passwords_are_long_and_not_common(app, db, smtp, password, message):
    response = _register(app.test_client(), "pw@test.example", password=password)
    assert message in response.get_data(as_text=True)
    assert _users(db) == 0


def test_without_a_mail_server_messages_go_to_the_outbox(app, db, tmp_path):
    app.config["MAIL_SERVER"] = ""
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    _register(app.test_client(), "outbox@test.example")
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "To: outbox@test.example" in text and "/verify/" in text
