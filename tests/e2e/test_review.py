"""Issue 11, defects 3 and 9 in a real browser at 390 px: on the review list, the facilitator
accepts a resident's proposal in place (htmx swaps its row; the page is not reloaded). Without
a payee the row shows why it was refused; with one, it shows the project code and the payee.
axe-core checks the page before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL, FOUNDATION_ROUND_SLUG
from tests.e2e.conftest import LiveServer, _new_page, _serve

pytestmark = pytest.mark.slow
RESIDENTS = "Sunday play streets"  # the foundation demo's feasible resident's proposal


@pytest.fixture
def foundation_server(live_app) -> Iterator[LiveServer]:
    """Serve the app with only the foundation demo."""
    from decide.demo.foundation import seed_foundation
    from decide.extensions import db

    with live_app.app_context():
        seed_foundation(db.session)
    server = _serve(live_app)
    yield server
    server.stop()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """Return a page 390 px wide with JavaScript on."""
    page = _new_page(browser, javascript=True, width=390)
    yield page
    page.context.close()


def _round_id(server: LiveServer) -> int:
    from sqlalchemy import select

    from decide.extensions import db
    from decide.models import Proposal, Round

    with server.app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.slug == FOUNDATION_ROUND_SLUG))
        proposal = db.session.scalar(select(Proposal).where(Proposal.title == RESIDENTS))
        return rnd.id, proposal.id


def test_accept_a_residents_proposal_in_place(foundation_server, phone, axe_check):
    page, base = phone, foundation_server.url
    round_id, proposal_id = _round_id(foundation_server)
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(FACILITATOR_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in as")).to_be_visible()

    review_url = f"{base}/rounds/{round_id}/review"
    page.goto(review_url)
    row = page.locator(f"#proposal-{proposal_id}")
    expect(page.get_by_role("heading", name="Payees to choose")).to_be_visible()
    expect(row.get_by_text("No payee yet.")).to_be_visible()
    axe_check(page)
    page.evaluate("window.notReloaded = true")  # gone if the browser loads a new page

    # Accepting without a payee is refused in the row; nothing else on the page changes.
    accept = row.get_by_role("button", name="Accept")
    accept.click()
    expect(row.locator(f"#payee-{proposal_id}-error")).to_contain_text("Choose who will be paid")
    expect(row.get_by_label(f"Paid to, if funded: {RESIDENTS}")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.locator("#review-status")).to_contain_text("Choose who will be paid")
    assert page.evaluate("window.notReloaded === true")
    axe_check(page)

    # With the council as payee, the row turns into the project's code and its payee.
    row.get_by_label(f"Paid to, if funded: {RESIDENTS}").select_option(
        label="Northbridge City Council"
    )
    row.get_by_role("button", name="Accept").click()
    expect(row).to_contain_text("Paid to Northbridge City Council")
    expect(row.locator(f"#accept-{proposal_id}")).to_have_text("P1")
    expect(row.locator(f"#accept-{proposal_id}")).to_be_focused()  # focus stays on the row
    expect(page.locator("#review-status")).to_contain_text(
        f"{RESIDENTS}: Accepted onto the ballot as project P1."
    )
    expect(page.locator("#review-summary")).to_contain_text("1 on the ballot")
    expect(page.get_by_role("heading", name="Payees to choose")).to_have_count(0)
    assert page.url == review_url and page.evaluate("window.notReloaded === true")
    axe_check(page)

    # The proposal page shows the payee.
    row.get_by_role("link", name=RESIDENTS, exact=True).click()
    expect(page.locator(".facts")).to_contain_text("Northbridge City Council")
    axe_check(page)


def test_accept_without_javascript_goes_back_to_the_list(
    foundation_server, js_disabled_page, axe_check
):
    page, base = js_disabled_page, foundation_server.url
    round_id, proposal_id = _round_id(foundation_server)
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(FACILITATOR_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Land on the page the login leads to before going on: a goto now could cancel its POST.
    expect(page.get_by_text("You are logged in as")).to_be_visible()
    page.goto(f"{base}/rounds/{round_id}/review")
    row = page.locator(f"#proposal-{proposal_id}")
    row.get_by_label(f"Paid to, if funded: {RESIDENTS}").select_option(
        label="St Anne's Church and Community Centre"
    )
    row.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Accepted onto the ballot as project P1.")).to_be_visible()
    assert page.url == f"{base}/rounds/{round_id}/review#proposal-{proposal_id}"
    expect(page.locator(f"#proposal-{proposal_id}")).to_contain_text(
        "Paid to St Anne's Church and Community Centre"
    )
    axe_check(page)
