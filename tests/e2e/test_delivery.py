"""Issue 16, acceptance 1: delivery in Debian chromium at 390 px, on the demo's 2026 round.

- The food bank posts an update with a photo carrying an EXIF GPS tag; the stored photo has
  no EXIF at all.
- The facilitator confirms the food bank's next milestone and pays its tranche, then withdraws
  a confirmation made by mistake; the project page shows when and why.
- A visitor follows the money from the round's results to the project page and its entries
  in the ledger.
- A story is hidden once the food bank records that consent was withdrawn.

axe-core runs on every page visited, with 0 violations, and every page fits 390 px.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL
from decide.demo.published import PUBLISHED_ROUND_SLUG
from tests.delivery.conftest import jpeg_with_gps
from tests.e2e.conftest import _new_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FOOD_BANK_EMAIL = "foodbank@example.org"  # a member of Riverside Community Food Bank (N1)
WIDTH = 390


def _scalar(server: Any, statement: Any) -> Any:
    from decide.extensions import db

    with server.app.app_context():
        return db.session.scalar(statement)


def _person(browser: Any, base: str, email: str | None, axe_check: Any) -> Any:
    """Return a fresh phone-width page, logged in as `email` (None: a visitor)."""
    page = _new_page(browser, javascript=True, width=WIDTH)
    if email is not None:
        page.goto(base + "/login")
        axe_check(page)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_attached()
    return page


def test_delivery_from_a_photo_to_the_ledger(live_server, browser, axe_check):
    from decide.models import Photo, Round

    base = live_server.url
    round_id = _scalar(live_server, select(Round.id).where(Round.slug == PUBLISHED_ROUND_SLUG))
    project_url = f"{base}/rounds/{round_id}/projects/N1"

    # The food bank posts an update with a photo that says where it was taken.
    org = _person(browser, base, FOOD_BANK_EMAIL, axe_check)
    org.goto(project_url)
    axe_check(org)
    org.get_by_role("link", name="Post an update").click()
    axe_check(org)
    org.get_by_label("What has happened").fill("The chilled shelf is stocked twice a week now.")
    org.get_by_label("Milestone this is about").select_option(label="Halfway review")
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it has GPS
    org.locator("#photo_1").set_input_files(
        {"name": "shelf.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    org.get_by_label("Alt text of photo 1").fill("Volunteers filling the chilled shelf")
    org.get_by_role("button", name="Publish the update").click()
    expect(org.locator(".flashes")).to_contain_text("Your update is published")
    expect(org.get_by_alt_text("Volunteers filling the chilled shelf")).to_be_visible()
    axe_check(org)
    stored = _scalar(live_server, select(Photo.data).order_by(Photo.id.desc()).limit(1))
    image = Image.open(io.BytesIO(stored))
    assert dict(image.getexif()) == {} and "exif" not in image.info
    assert b"Exif" not in stored and b"Phone Maker" not in stored

    # ... and a story, with the consent of the person in it.
    org.get_by_role("link", name="Add a story").click()
    axe_check(org)
    org.get_by_label("Title").fill("Fresh food every week")
    org.get_by_label("The story").fill("My children eat fruit every day now.")
    org.get_by_label("Consent given by").fill("Jo, a parent in Riverside")
    org.get_by_label("Date consent was given").fill("2026-01-05")
    org.get_by_label("On the project page").check()  # not the open data: never exported
    org.get_by_label("Note on the consent").fill("First name only")
    org.get_by_role("button", name="Publish the story").click()
    expect(org.locator("#stories ~ article").first).to_contain_text("Fresh food every week")
    axe_check(org)

    # The facilitator confirms the next milestone and pays its tranche.
    fac = _person(browser, base, FACILITATOR_EMAIL, axe_check)
    fac.goto(project_url)
    fac.get_by_role("link", name="Milestones and tranches").click()
    axe_check(fac)
    fac.get_by_role("button", name="Confirm “Halfway review” complete").click()
    expect(fac.locator(".flashes")).to_contain_text("is confirmed complete")
    axe_check(fac)
    fac.get_by_role("link", name="Pay the tranche of “Halfway review”").click()
    axe_check(fac)
    # The food bank was paid half ahead of delivery: what is due is the rest of the tranche.
    expect(fac.get_by_label("Amount in pounds")).to_have_value("2400")
    fac.get_by_label("Bank reference").fill("NB-N1-HALFWAY")
    fac.get_by_role("button", name="Record the payment").click()
    expect(fac.locator(".flashes")).to_contain_text("recorded in the ledger")
    axe_check(fac)

    # A confirmation made by mistake is withdrawn, with its reason; one paid against stands.
    fac.goto(project_url)
    fac.get_by_role("link", name="Milestones and tranches").click()
    expect(fac.get_by_text("cannot be withdrawn: a payment rests on it")).to_be_visible()
    fac.get_by_role("link", name="Withdraw the confirmation of “Set up and first sessions”").click()
    fac.get_by_role("button", name="Withdraw the confirmation").click()
    expect(fac.locator("#error-summary")).to_be_focused()
    expect(fac.locator("#reason-error")).to_contain_text("Say why the confirmation is withdrawn")
    axe_check(fac)
    fac.get_by_label("Why the confirmation is withdrawn").fill("Confirmed the wrong project")
    fac.get_by_role("button", name="Withdraw the confirmation").click()
    expect(fac.locator(".flashes")).to_contain_text("is withdrawn")
    axe_check(fac)

    # A visitor follows the money: the dashboard, the project, its ledger entries.
    visitor = _person(browser, base, None, axe_check)
    visitor.goto(f"{base}/learning")
    axe_check(visitor)
    visitor.get_by_text(re.compile("Where the money went: .* funded project")).click()
    visitor.locator(f'a[href$="/rounds/{round_id}/projects/N1"]').first.click()
    expect(visitor).to_have_url(project_url)
    expect(visitor.locator("dl.facts")).to_contain_text("£8,400.00")  # 6,000 + 2,400 paid
    expect(visitor.get_by_alt_text("Volunteers filling the chilled shelf")).to_be_visible()
    expect(visitor.get_by_text("Fresh food every week")).to_be_visible()
    # Consent to the project page only: the story is in no open-data file.
    assert "Fresh food every week" not in visitor.request.get(f"{base}/data/stories.csv").text()
    expect(visitor.locator("#milestones ~ ol")).to_contain_text(
        "because: Confirmed the wrong project"
    )
    axe_check(visitor)
    visitor.get_by_role("link", name=re.compile(r"Ledger payment \d+")).last.click()
    expect(visitor).to_have_url(re.compile(r"/ledger#payment-\d+$"))
    sequence = visitor.url.rsplit("-", 1)[1]
    expect(visitor.locator(f"#payment-{sequence}")).to_contain_text("£2,400.00")
    axe_check(visitor)

    # Consent withdrawn: the story is hidden everywhere.
    org.goto(project_url)
    org.get_by_role("link", name="Record that consent for “Fresh food every week” was "
                    "withdrawn").click()  # fmt: skip
    axe_check(org)  # the page that asks first
    org.get_by_role("button", name="Record the withdrawal").click()
    expect(org.locator(".flashes")).to_contain_text("Consent withdrawn")
    axe_check(org)
    visitor.goto(project_url)
    expect(visitor.get_by_text("Fresh food every week")).to_have_count(0)
    axe_check(visitor)
    for page in (org, fac, visitor):
        page.context.close()
