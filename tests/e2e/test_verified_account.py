"""A resident on a phone (390 px) registers, confirms the address from the e-mail that reaches a
real SMTP server in the test process (aiosmtpd), resets the password from a second e-mail, and
votes. axe-core checks every page on the way (0 violations).

The app is served as the other browser tests serve it (tests/e2e/conftest.py), on a copy of the
demo, configured to send mail to the in-process SMTP server.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.voting import VOTING_ROUND_SLUGS
from tests.e2e.conftest import _dispose, _e2e_config, _new_page, _serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDTH, HEIGHT = 390, 800
EMAIL = "hana.resident@example.net"
FIRST_PASSWORD = "kettle harbour violet"
NEW_PASSWORD = "copper meadow lantern"


@pytest.fixture
def mail_server(tmp_path: Path, e2e_files: Path, demo_template: Path, smtp: Any) -> Iterator[Any]:
    """Serve a copy of the demo that sends its e-mail to the in-process SMTP server."""
    from app import create_app

    db_path = tmp_path / "e2e.db"
    shutil.copyfile(demo_template, db_path)
    config = _e2e_config(db_path, e2e_files / "receipt_key.pem") | smtp.config
    app = create_app(config)
    server = _serve(app)
    app.config["PUBLIC_BASE_URL"] = server.url  # links in e-mails point at this server
    yield server
    server.stop()
    _dispose(app)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """Return a page in a fresh browser context the size of a phone (390 px wide)."""
    page = _new_page(browser, javascript=True, width=WIDTH)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    yield page
    page.context.close()


def _round_id(server: Any, slug: str) -> int:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return int(db.session.scalar(select(Round.id).where(Round.slug == slug)))


def _approval_round(server: Any) -> int:
    return _round_id(server, VOTING_ROUND_SLUGS["approval"])


def _link_in(smtp: Any, count: int) -> str:
    """Return the path of the link in the `count`-th e-mail to the resident."""
    message = smtp.wait_for(EMAIL, count)
    parts = urlsplit(smtp.link(message))
    return parts.path


def test_register_verify_reset_and_vote(mail_server, smtp, phone, axe_check):
    page, base = phone, mail_server.url
    rnd = _approval_round(mail_server)

    # From the voting page, create an account.
    page.goto(f"{base}/rounds/{rnd}/vote")
    axe_check(page)
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    axe_check(page)
    page.get_by_label("Your name").fill("Hana Resident")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill("qwerty123456")  # too common: refused in place
    page.get_by_label("Postcode").fill("nb1 2ab")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("common passwords")
    axe_check(page)
    page.get_by_label("Password").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(EMAIL)
    axe_check(page)

    # The verification e-mail arrived over SMTP; its link confirms the address.
    message = smtp.wait_for(EMAIL, 1)
    assert message["Subject"] == "Confirm your email address"
    page.goto(base + _link_in(smtp, 1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email address is confirmed")
    axe_check(page)

    # They have forgotten the password already: reset it from an e-mail.
    page.get_by_role("link", name="Log in to continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    axe_check(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    axe_check(page)
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    reset = smtp.wait_for(EMAIL, 2)
    assert reset["Subject"] == "Reset your password"
    reset_path = _link_in(smtp, 2)
    page.goto(base + reset_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    axe_check(page)
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator("#error-summary")).to_contain_text("at least 12 characters")
    axe_check(page)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator(".flashes")).to_contain_text("Your password is changed")
    axe_check(page)

    # The reset link worked once.
    page.goto(base + reset_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    axe_check(page)

    # Log in with the new password (the old one no longer works), and vote.
    page.goto(f"{base}/login?next=/rounds/{rnd}/vote")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#email-error")).to_contain_text("not right")
    axe_check(page)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/rounds/{rnd}/vote")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot")
    axe_check(page)
    page.check("#project-A1")
    page.check("#project-A2")
    page.get_by_role("button", name="Check my choices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    axe_check(page)
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot is in the sealed box")
    axe_check(page)


def test_account_pages_work_without_javascript_at_360_px(live_server, js_disabled_page, axe_check):
    """The new account and postcode-table pages, as plain HTML forms on a small phone."""
    from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL, FOUNDATION_ROUND_SLUG

    page, base = js_disabled_page, live_server.url
    page.goto(base + "/password/forgot")
    axe_check(page)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter your email address")
    axe_check(page)
    page.get_by_label("Email address").fill("amira@example.org")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    page.goto(base + "/password/reset/not-a-real-token")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    axe_check(page)

    # The facilitator's account page (change of address) and the postcode table with errors.
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(FACILITATOR_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Land on the page the login leads to before going on: a goto now could cancel its POST.
    expect(page.locator(".flashes")).to_contain_text("You are logged in as")
    page.goto(base + "/account")
    page.get_by_label("New email address").fill("priya@example.org")
    page.locator("#password").fill("not my password")
    page.get_by_role("button", name="Change my email address").click()
    expect(page.locator("#error-summary")).to_contain_text("Your password is not right")
    axe_check(page)
    page.goto(base + "/postcodes")
    expect(page.locator("main")).to_contain_text("The global table lists")
    expect(page.locator("main")).to_contain_text("cannot change while these rounds use it")
    axe_check(page)
    page.goto(f"{base}/rounds/{_round_id(live_server, FOUNDATION_ROUND_SLUG)}/postcodes")
    expect(page.locator("main")).to_contain_text("This round has no table of its own")
    axe_check(page)
    bad = "postcode,area\nNB1 1AA,Atlantis\nnot one,Riverside\n"
    page.get_by_label("Postcode table (CSV)").set_input_files(
        {"name": "postcodes.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Upload the postcode table").click()
    expect(page.locator("#error-summary")).to_contain_text("there is no area called 'Atlantis'")
    expect(page.locator("#error-summary")).to_contain_text("line 3")
    axe_check(page)
