"""Issue 11, acceptance 1: the first hour of a newcomer, in Debian chromium at 390 px and 1280 px.

- A facilitator creates a round with every optional field left empty (defect 1 was a 500).
- A new resident registers without a postcode, adds it where the vote asks, votes, and the
  round page then says "You voted on …" (defects 4 and 8).
- The facilitator pays a resident's funded project through the payee named when it was
  accepted (defect 3: the ledger used to refuse it).

axe-core runs on every page visited, and every page must fit the viewport (no sideways scroll).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL
from decide.demo.published import PUBLISHED_ROUND_SLUG
from decide.demo.voting import VOTING_ROUND_SLUGS
from decide.web.filters import long_date
from tests.e2e.conftest import _new_page, register_and_confirm

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDTHS = (390, 1280)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def screen(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """Return a page with JavaScript on, at a phone's or a desktop's width."""
    page = _new_page(browser, javascript=True, width=request.param)
    page.set_viewport_size({"width": request.param, "height": 800})
    yield page
    page.context.close()


def _query(server: Any, statement: Any) -> Any:
    from decide.extensions import db

    with server.app.app_context():
        return db.session.execute(statement).one_or_none()


def _log_in(page: Any, base: str, email: str, axe_check: Any) -> None:
    page.goto(base + "/login")
    axe_check(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def test_a_facilitator_creates_a_round_leaving_every_optional_field_empty(
    live_server, screen, axe_check
):
    from decide.models import Round

    page, base = screen, live_server.url
    _log_in(page, base, FACILITATOR_EMAIL, axe_check)
    page.goto(base + "/rounds/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a round")
    axe_check(page)
    page.get_by_label("Title").fill("Moorfield healthy streets")
    page.get_by_label("Budget in pounds").fill("10,000")
    areas = page.locator('input[name="area_ids"]')
    areas.nth(0).check()
    areas.nth(1).check()
    page.locator("#ballot_kind-0").check()
    page.get_by_label("Minimum number of projects").fill("1")
    page.get_by_label("Signatures needed to publish results").fill("2")
    # Everything else optional stays empty: description, themes, maximum, minimum share,
    # points, ranks, the reason for one signature and every date.
    for name in ("max_choices", "min_budget_share_percent", "points_total", "rank_depth"):
        expect(page.locator(f'[name="{name}"]')).to_have_value("")
    page.get_by_role("button", name="Create round").click()
    expect(page.locator(".flashes")).to_contain_text("Round “Moorfield healthy streets” created")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Moorfield healthy streets")
    axe_check(page)
    row = _query(
        live_server,
        select(Round.min_budget_share_percent, Round.max_choices, Round.voting_open).where(
            Round.title == "Moorfield healthy streets"
        ),
    )
    assert tuple(row) == (0, None, None)
    # Its settings page opens again with the empty fields still empty.
    page.get_by_role("link", name="Edit settings").first.click()
    expect(page.locator('[name="min_budget_share_percent"]')).to_have_value("")
    axe_check(page)


def test_a_new_resident_adds_a_postcode_in_place_votes_and_sees_it(live_server, screen, axe_check):
    from decide.models import Participation, Round, User

    page, base = screen, live_server.url
    width = page.viewport_size["width"]
    email = f"newcomer-{width}@example.net"
    round_id = _query(
        live_server, select(Round.id).where(Round.slug == VOTING_ROUND_SLUGS["approval"])
    )[0]
    page.goto(f"{base}/rounds/{round_id}")
    axe_check(page)
    page.get_by_role("link", name=re.compile("^Vote")).first.click()
    axe_check(page)
    page.get_by_role("link", name="Create an account").click()
    axe_check(page)
    page.get_by_label("Your name").fill("Sam Newcomer")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    # The postcode is optional at registration, and left empty.
    page.get_by_role("button", name="Create account").click()
    # The form posts: wait for the page it leads to before axe reads the page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    register_and_confirm(page, live_server, email, "a long enough password")
    page.wait_for_url(f"{base}/rounds/{round_id}/vote")
    assert _query(live_server, select(User.postcode).where(User.email == email))[0] is None
    # The vote asks for the postcode in place, then goes on to the ballot.
    expect(page.get_by_label("Your postcode")).to_be_visible()
    axe_check(page)
    page.get_by_label("Your postcode").fill("nb1 4qt")
    page.get_by_role("button", name="Save and continue to the ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot")
    axe_check(page)
    page.locator('main input[type="checkbox"]').first.check()
    page.get_by_role("button", name="Check my choices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    axe_check(page)
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your ballot")
    axe_check(page)
    page.goto(f"{base}/rounds/{round_id}")
    user_id = _query(live_server, select(User.id).where(User.email == email))[0]
    day = _query(
        live_server,
        select(Participation.voted_on).where(
            Participation.round_id == round_id, Participation.voter_key == f"user:{user_id}"
        ),
    )[0]
    expect(page.locator(".voted-note")).to_contain_text(f"You voted on {long_date(day)}")
    expect(page.get_by_role("link", name="Vote now")).to_have_count(0)
    axe_check(page)


def test_a_residents_funded_project_is_paid_through_its_payee(live_server, screen, axe_check):
    from decide.models import Project, Proposal, Round

    page, base = screen, live_server.url
    round_id = _query(live_server, select(Round.id).where(Round.slug == PUBLISHED_ROUND_SLUG))[0]
    # N5 was proposed by a resident; the Harriers were named its payee when it was accepted.
    proposer = _query(
        live_server,
        select(Proposal.organisation_id, Proposal.payee_id)
        .join(Project, Project.proposal_id == Proposal.id)
        .where(Project.round_id == round_id, Project.code == "N5"),
    )
    assert proposer is not None and proposer[0] is None and proposer[1] is not None
    _log_in(page, base, FACILITATOR_EMAIL, axe_check)
    page.goto(f"{base}/rounds/{round_id}/ledger")
    axe_check(page)
    page.goto(f"{base}/rounds/{round_id}/ledger/pay")
    axe_check(page)
    option = page.locator('#project_code option[value="N5"]')
    expect(option).to_contain_text("Harriers")
    page.select_option("#project_code", "N5")
    page.get_by_label("Amount in pounds").fill("1,000")
    page.get_by_label("Bank reference").fill(f"BACS-N5-{page.viewport_size['width']}")
    page.get_by_label("Reason for paying beyond").fill("Start-up costs, agreed by the panel")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.locator(".flashes")).to_contain_text("recorded in the ledger")
    axe_check(page)
    # The newest N5 row (the demo's delivery already paid N5 its first tranche).
    payment = page.locator("table tr", has=page.locator("td", has_text=re.compile(r"^N5$"))).last
    expect(payment).to_contain_text("Harriers")
    expect(payment).to_contain_text("£1,000.00")


def test_a_title_of_one_long_word_never_widens_a_phone_page(live_server, browser, axe_check):
    """Outside tester: an unbroken 181-character title made every page of its round 3,285 px
    wide; a pasted hash did the same to the board's search."""
    from decide.extensions import db
    from decide.models import Round

    long_word = "Healthy" + "x" * 174
    with live_server.app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.slug == VOTING_ROUND_SLUGS["approval"]))
        rnd.title = long_word
        db.session.commit()
        round_id = rnd.id
    page = _new_page(browser, javascript=True, width=390)
    try:
        base = live_server.url
        for path in ("/", "/rounds/", f"/rounds/{round_id}", f"/rounds/{round_id}/vote"):
            page.goto(base + path)
            axe_check(page)  # also asserts the page is no wider than the screen
        page.goto(f"{base}/rounds/{round_id}/board?tracker={'ab12' * 16}")
        axe_check(page)
    finally:
        page.context.close()
