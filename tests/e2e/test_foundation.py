"""Issue 2 in a real browser at phone width: register; an asset member proposes with two cost
lines; the facilitator marks it feasible and accepts it onto the ballot. axe-core checks
every page visited for WCAG 2 A/AA violations, and nothing is wider than the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL
from tests.e2e.conftest import LiveServer, _serve, register_and_confirm

TITLE = "Seed swap and growing club"
pytestmark = pytest.mark.slow


@pytest.fixture
def foundation_server(live_app) -> Iterator[LiveServer]:
    """Serve the app with only the foundation demo (faster than every part's demo data)."""
    from decide.demo.foundation import seed_foundation
    from decide.extensions import db

    with live_app.app_context():
        seed_foundation(db.session)
    server = _serve(live_app)
    yield server
    server.stop()


def _check(page, axe_check) -> None:
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.locator("h1").count() == 1


def _log_in(page, base: str, email: str, axe_check) -> None:
    page.goto(base + "/login")
    _check(page, axe_check)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in as")).to_be_visible()


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def test_register_propose_review_accept(foundation_server, page, axe_check):
    base = foundation_server.url

    # A citizen registers (the first attempt has a short password: errors are shown).
    page.goto(base + "/register")
    _check(page, axe_check)
    page.get_by_label("Your name").fill("Nia Roberts")
    page.get_by_label("Email address").fill("nia@example.net")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Postcode").fill("nb2 7xy")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
    _check(page, axe_check)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    # The form posts: wait for the page it leads to before axe and the h1 count read the page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    _check(page, axe_check)
    register_and_confirm(page, foundation_server, "nia@example.net", "a long enough password")
    _check(page, axe_check)
    _log_out(page)

    # An asset member proposes on behalf of the food bank, with two cost lines.
    _log_in(page, base, "foodbank@example.org", axe_check)
    page.get_by_role("link", name="Healthy Northbridge 2027").first.click()
    _check(page, axe_check)
    page.get_by_role("link", name="Propose a project").first.click()
    _check(page, axe_check)
    page.get_by_label("Who is proposing?").select_option(label="Riverside Community Food Bank")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("Swap seeds and grow vegetables on the estate's spare land.")
    page.get_by_label("Description").fill("We will **grow food** together.\n\n- seeds\n- tools")
    page.get_by_label("Expected outcomes").fill("Thirty households growing food.")
    page.get_by_label("Area", exact=True).select_option(label="Riverside")
    page.get_by_label("Healthy food").check()
    page.get_by_label("Line 1: what it pays for").fill("Raised beds and compost")
    page.get_by_label("Line 1: amount in pounds").fill("1,250.50")
    page.get_by_role("button", name="Add another line").click()  # htmx adds a row
    page.get_by_label("Line 2: what it pays for").fill("Hand tools")
    page.get_by_label("Line 2: amount in pounds").fill("300")
    _check(page, axe_check)
    page.get_by_role("button", name="Submit proposal").click()
    expect(page.get_by_text("has been submitted")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("tfoot")).to_contain_text("£1,550.50")
    expect(page.locator(".prose strong")).to_have_text("grow food")
    proposal_url = page.url
    _check(page, axe_check)

    # It is listed, and the area filter (htmx) keeps it while hiding other areas' proposals.
    page.get_by_role("link", name="Proposals", exact=True).click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    _check(page, axe_check)
    page.get_by_label("Area").select_option(label="Moorfield")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Walk and Talk"))).to_be_visible()
    page.get_by_label("Area").select_option(label="Riverside")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    assert "area=riverside" in page.url  # the filter is in the address, so it can be shared
    _check(page, axe_check)
    _log_out(page)

    # The facilitator marks it feasible and accepts it onto the ballot.
    _log_in(page, base, FACILITATOR_EMAIL, axe_check)
    page.goto(proposal_url)
    page.get_by_role("link", name="Review", exact=True).click()
    _check(page, axe_check)
    page.get_by_label("Feasible", exact=True).check()
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_text("Review saved.")).to_be_visible()
    page.get_by_role("button", name="Accept onto the ballot").click()
    expect(page.get_by_text("Accepted onto the ballot as project P1.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("On the ballot as project P1")
    _check(page, axe_check)
    page.get_by_role("link", name="Healthy Northbridge 2027").first.click()
    page.get_by_role("link", name="Review proposals").click()
    expect(page.locator("tbody")).to_contain_text("P1")
    _check(page, axe_check)


def test_propose_without_javascript(foundation_server, js_disabled_page, axe_check):
    live_server = foundation_server
    page = js_disabled_page
    _log_in(page, live_server.url, "hub@example.org", axe_check)
    page.goto(live_server.url + "/rounds/1/proposals/new")
    page.get_by_label("Title").fill("Chair yoga at the library")
    page.get_by_label("Summary").fill("Gentle weekly chair yoga for people with limited mobility.")
    page.get_by_label("Area", exact=True).select_option(label="Old Market")
    page.get_by_label("Line 1: what it pays for").fill("Yoga teacher, 40 sessions")
    page.get_by_label("Line 1: amount in pounds").fill("0")
    # Without JavaScript, "Add another line" submits the form and comes back with a new row.
    page.get_by_role("button", name="Add another line").click()
    page.get_by_label("Line 2: what it pays for").fill("Chairs")
    page.get_by_label("Line 2: amount in pounds").fill("240")
    page.get_by_role("button", name="Submit proposal").click()
    # The zero amount is refused next to its field, with a summary linking to it.
    expect(page.locator("#cost_lines-0-amount-error")).to_contain_text("more than £0")
    expect(page.locator('.error-summary a[href="#cost_lines-0-amount"]')).to_be_visible()
    _check(page, axe_check)
    page.get_by_label("Line 1: amount in pounds").fill("800")
    page.get_by_role("button", name="Submit proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chair yoga at the library")
    expect(page.locator("tfoot")).to_contain_text("£1,040.00")
    # The filter works as a plain GET form.
    page.goto(live_server.url + "/rounds/1/proposals")
    page.get_by_label("Theme").select_option(label="Housing and health")
    page.get_by_role("button", name="Apply filters").click()
    # The unfiltered page shows both proposals, and a half-parsed filtered one neither: wait
    # for the whole filtered page before the checks below.
    page.wait_for_url(re.compile(r"[?&]theme=[^&]"))
    expect(page.get_by_text("Damp and mould advice surgeries")).to_be_visible()
    expect(page.get_by_text("Chair yoga at the library")).to_have_count(0)
    _check(page, axe_check)


def test_every_foundation_page_passes_axe_at_phone_width(foundation_server, page, axe_check):
    base = foundation_server.url
    _log_in(page, base, FACILITATOR_EMAIL, axe_check)
    slug = "riverside-community-food-bank"
    for path in [
        "/",
        "/rounds/",
        "/rounds/1",
        "/rounds/1/edit",
        "/rounds/areas",
        "/rounds/areas/1/edit",
        "/rounds/1/panel",
        "/rounds/1/review",
        "/rounds/1/proposals",
        "/proposals/1",
        "/proposals/1/review",
        "/proposals/1/versions",
        "/proposals/1/versions/1",
        "/organisations/",
        f"/organisations/{slug}",
        f"/organisations/{slug}/edit",
        "/organisations/new",
        "/account",
        "/no-such-page",
    ]:
        page.goto(base + path)
        _check(page, axe_check)
    # Forms with every kind of error on them.
    page.goto(base + "/rounds/new")
    page.get_by_label("Budget in pounds").fill("-3")
    page.get_by_role("button", name="Create round").click()
    expect(page.locator("#budget_pence-error")).to_contain_text("more than £0")
    expect(page.locator("#title-error")).to_contain_text("Enter a title")
    # static/js/forms.js moves focus to the error summary.
    # (expect waits for the deferred script instead of racing it).
    expect(page.locator("#error-summary")).to_be_focused()
    _check(page, axe_check)
    page.goto(base + "/proposals/1/review")
    page.get_by_label("Not feasible").check()
    page.get_by_role("button", name="Save review").click()
    expect(page.locator("#feasibility_reason-error")).to_be_visible()
    _check(page, axe_check)
    page.goto(base + f"/organisations/{slug}")
    page.get_by_label("Email address of their account").fill("nobody@example.net")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#email-error")).to_contain_text("no account with this email")
    _check(page, axe_check)
    # The error summary links move focus to the field.
    page.locator('.error-summary a[href="#email"]').click()
    expect(page.locator("#email")).to_be_focused()
