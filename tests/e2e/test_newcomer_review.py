"""Issue 11, the newcomer review at 390 px, in Debian chromium with axe on every page.

- The proposal form's total follows the amounts as they are typed (finding 1).
- The review list and the ledger are cards on a phone: every column is on screen (finding 2).
- Points over a project's cap and ranks given twice are flagged next to the field as the voter
  types, and the summary over its limit says so in words and turns red (finding 4).
- Small links and file inputs are at least 24 by 24 px (finding 8, WCAG 2.5.8).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL, FOUNDATION_ROUND_SLUG
from decide.demo.published import PUBLISHED_ROUND_SLUG
from decide.demo.voting import DEMO_ROLL, VOTING_ROUND_SLUGS
from tests.e2e.conftest import _new_page
from tests.helpers.browser import arrived

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """Return a page at the reviewer's phone width, 390 px, with JavaScript on."""
    page = _new_page(browser, javascript=True, width=390)
    yield page
    page.context.close()


def _round_id(server: Any, slug: str) -> int:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return db.session.scalar(select(Round.id).where(Round.slug == slug))


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.bounding_box()


def test_the_cost_total_follows_the_amounts_as_they_are_typed(live_server, phone, axe_check):
    page, base = phone, live_server.url
    _log_in(page, base, "amira@example.org")
    page.goto(f"{base}/rounds/{_round_id(live_server, FOUNDATION_ROUND_SLUG)}/proposals/new")
    axe_check(page)
    total = page.locator("[data-cost-total-value]")
    page.locator("#cost_lines-0-amount").fill("2,400")
    expect(total).to_have_text("£2,400.00")
    page.get_by_role("button", name="Add another line").click()
    page.locator("#cost_lines-1-amount").fill("600.50")
    expect(total).to_have_text("£3,000.50")
    page.locator("#cost_lines-1-amount").fill("six hundred")
    expect(total).to_have_text("£2,400.00")
    expect(page.locator("[data-cost-total-note]")).to_contain_text("1 amount is not in pounds")
    axe_check(page)


def test_review_and_ledger_tables_are_cards_on_a_phone(live_server, phone, axe_check):
    page, base = phone, live_server.url
    _log_in(page, base, FACILITATOR_EMAIL)
    page.goto(f"{base}/rounds/{_round_id(live_server, FOUNDATION_ROUND_SLUG)}/review")
    axe_check(page)
    for label in ("Feasibility", "Ballot"):
        cell = page.locator(f'td[data-label="{label}"]').first
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
    page.goto(f"{base}/rounds/{_round_id(live_server, PUBLISHED_ROUND_SLUG)}/ledger")
    axe_check(page)
    for label in ("Paid", "Left"):
        box = page.locator(f'td[data-label="{label}"]').first.bounding_box()
        assert box["x"] + box["width"] <= 390, (label, box)
    caption = _box(page, "table caption")
    assert caption["x"] + caption["width"] <= 390


def test_points_over_a_projects_cap_are_flagged_as_typed(live_server, phone, axe_check):
    page, base = phone, live_server.url
    _log_in(page, base, "amira@example.org")
    page.goto(f"{base}/rounds/{_round_id(live_server, VOTING_ROUND_SLUGS['cumulative'])}/vote")
    page.fill("#points-C1", "7")  # 10 points, at most 5 on one project
    error = page.locator("#points-C1-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("at most 5 points; this has 7")
    expect(page.locator("#points-C1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#summary")).to_contain_text("Over the limit.")
    expect(page.locator("#points-meter")).to_have_class(re.compile(r"\bover\b"))
    axe_check(page)
    page.fill("#points-C1", "5")
    expect(error).to_be_hidden()
    expect(page.locator("#summary")).not_to_contain_text("Over the limit.")
    # Without the live check, the server says the same next to the field after submitting.
    page.fill("#points-C1", "6")
    page.get_by_role("button", name="Check my choices").click()
    expect(page.locator("#error-summary h2")).to_have_text("There is a problem")
    expect(page.locator("#points-C1-error")).to_contain_text("this has 6")
    axe_check(page)


def test_a_rank_given_twice_is_flagged_on_both_projects(live_server, phone, axe_check):
    page, base = phone, live_server.url
    _log_in(page, base, "amira@example.org")
    page.goto(f"{base}/rounds/{_round_id(live_server, VOTING_ROUND_SLUGS['ranked'])}/vote")
    # The ranked round has a voter roll: the account is linked to its place on it first.
    page.fill("#reference", DEMO_ROLL[1][0])
    page.fill("#date_of_birth", DEMO_ROLL[1][1])
    page.locator("section[aria-labelledby='by-roll'] button").click()
    arrived(page, "#rank-R3")
    page.select_option("#rank-R3", "1")
    page.select_option("#rank-R1", "1")
    expect(page.locator("#rank-R1-error")).to_contain_text("Rank 1 is also given to")
    expect(page.locator("#rank-R3-error")).to_contain_text("Rank 1 is also given to")
    expect(page.locator("#summary")).to_contain_text("2 projects share a rank")
    axe_check(page)
    page.select_option("#rank-R1", "2")
    expect(page.locator("#rank-R3-error")).to_be_hidden()
    expect(page.locator("#summary")).to_contain_text("You ranked 2 projects")


def test_small_links_and_file_inputs_are_big_enough_to_tap(live_server, phone, axe_check):
    page, base = phone, live_server.url
    _log_in(page, base, FACILITATOR_EMAIL)
    page.goto(f"{base}/rounds/areas")
    axe_check(page)
    edit = _box(page, "a.tap")
    assert edit["width"] >= 24 and edit["height"] >= 24, edit
    page.goto(f"{base}/rounds/import-pb")
    file_input = _box(page, 'input[type="file"]')
    assert file_input["height"] >= 24, file_input
    axe_check(page)
    page.goto(f"{base}/rounds/{_round_id(live_server, PUBLISHED_ROUND_SLUG)}/board")
    link = _box(page, "main a.tap-inline")
    assert link["width"] >= 24 and link["height"] >= 24, link
