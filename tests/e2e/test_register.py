"""The register's pages in the browser at 360 px, with axe: who can vote (the self-declared
warning, the roll), numbered paper ballots to print, and an officer entering a paper ballot
that marks a place on the voter roll (issue 12, items 3 and 5)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from decide.demo.catalogue import FACILITATOR_EMAIL
from decide.demo.voting import DEMO_ROLL, OFFICER_EMAIL, VOTING_ROUND_SLUGS
from tests.helpers.browser import arrived, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _round_id(server: Any, kind: str) -> int:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return db.session.scalar(select(Round.id).where(Round.slug == VOTING_ROUND_SLUGS[kind]))


def test_facilitator_numbers_paper_ballots_and_officer_enters_one(
    live_server, page, browser, axe_check
):
    base = live_server.url
    approval, ranked = _round_id(live_server, "approval"), _round_id(live_server, "ranked")
    log_in(page, base, FACILITATOR_EMAIL)
    page.goto(f"{base}/rounds/{approval}/eligibility")
    main = page.locator("main").inner_text()
    assert "This round is self-declared" in main and "You have confirmed this" in main
    axe_check(page)
    page.goto(f"{base}/rounds/{ranked}/eligibility")
    assert "Every way to vote marks the person's one place on the roll" in page.inner_text("main")
    axe_check(page)
    # Number two paper ballots and print them.
    page.goto(f"{base}/rounds/{ranked}/paper/numbers")
    page.fill("#count", "0")
    page.click("button:has-text('Number the paper ballots')")
    arrived(page, "#error-summary")
    assert "from 1 to 5,000" in page.locator("#error-summary").inner_text()
    axe_check(page)
    page.fill("#count", "2")
    page.fill("#label", "Library")
    page.click("button:has-text('Number the paper ballots')")
    arrived(page, "h1:has-text('Paper ballots to print')")
    numbers = re.findall(r"\d{3}-\d{3}-\d{4}", page.inner_text("main"))
    assert len(numbers) == 2
    axe_check(page)

    # The officer enters one, for a person on the roll, on a phone.
    officer = page.context.browser.new_context(viewport={"width": 360, "height": 900})
    desk = officer.new_page()
    try:
        log_in(desk, base, OFFICER_EMAIL)
        desk.goto(f"{base}/rounds/{ranked}/paper")
        axe_check(desk)
        desk.fill("#number", numbers[0])
        desk.fill("#reference", DEMO_ROLL[1][0])
        desk.fill("#date_of_birth", DEMO_ROLL[1][1])
        desk.select_option("#rank-R1", "1")
        desk.click("button:has-text('Record this paper ballot')")
        desk.wait_for_selector("h1:has-text('Paper ballot recorded')")
        axe_check(desk)
        # The same person again, on the other paper: refused, and the page says why.
        desk.goto(f"{base}/rounds/{ranked}/paper")
        desk.fill("#number", numbers[1])
        desk.fill("#reference", DEMO_ROLL[1][0])
        desk.fill("#date_of_birth", DEMO_ROLL[1][1])
        desk.select_option("#rank-R2", "1")
        desk.click("button:has-text('Record this paper ballot')")
        arrived(desk, "text=This person has already voted in this round")
        refused = desk.inner_text("main")
        assert "This person has already voted in this round" in refused
        assert "paper, entered by an officer" not in refused  # no day or route for the officer
        axe_check(desk)
    finally:
        officer.close()
