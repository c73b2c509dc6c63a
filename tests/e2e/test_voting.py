"""A citizen votes in each kind of round, keeps the receipt and checks it on the public page.

Runs in Debian chromium at phone width (360 px); axe-core checks the ballot, review and receipt
pages. The approval flow is repeated with JavaScript turned off.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.voting import DEMO_ROLL, VOTING_ROUND_SLUGS
from tests.helpers.browser import arrived, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _round_ids(server: Any) -> dict[str, int]:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return {
            kind: db.session.scalar(select(Round.id).where(Round.slug == slug))
            for kind, slug in VOTING_ROUND_SLUGS.items()
        }


def _fits_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _cast_and_check(page: Any, base: str, axe_check: Any) -> None:
    """From a filled-in ballot: review, cast, keep the receipt, check it on the public page."""
    page.click("button:has-text('Check my choices')")
    page.wait_for_selector("h1:has-text('Check your choices')")
    axe_check(page)
    _fits_phone(page)
    page.click("button:has-text('Cast my ballot')")
    page.wait_for_selector("h1:has-text('Your ballot is in the sealed box')")
    axe_check(page)
    _fits_phone(page)
    # The receipt is the cast's own response: no tracker in the address bar, ever.
    assert "/receipt" not in page.url and "tracker" not in page.url
    short = page.locator(".tracker").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", short)
    board = page.get_attribute("a:has-text('See the bulletin board')", "href")
    href = page.get_attribute("a:has-text('Download my receipt')", "href")
    assert href.startswith("data:application/json;base64,")
    receipt = base64.b64decode(href.split(",", 1)[1]).decode()
    assert '"signature"' in receipt and '"commitment"' in receipt
    full = json.loads(receipt)["tracker"]
    page.goto(base + "/receipts/check")
    page.fill("#receipt", receipt)
    page.click("button:has-text('Check my receipt')")
    arrived(page, "text=Your ballot is in the sealed box")
    assert "Signature: valid" in page.locator("main").inner_text()
    axe_check(page)
    # The board shows no ballots while voting is open; its form checks a tracker by POST.
    page.goto(base + board)
    assert page.locator("table").count() == 0
    page.fill("#receipt", full)
    page.click("button:has-text('Check')")
    page.wait_for_selector("text=Your ballot is in the sealed box")
    assert "tracker" not in page.url
    axe_check(page)


def test_citizen_votes_in_each_kind_of_round(live_server, page, axe_check):
    base = live_server.url
    ids = _round_ids(live_server)
    log_in(page, base, "amira@example.org")

    # Approval: tick two projects; the htmx counter follows.
    page.goto(f"{base}/rounds/{ids['approval']}/vote")
    axe_check(page)
    _fits_phone(page)
    page.check("#project-A1")
    page.check("#project-A3")
    page.wait_for_selector("#summary:has-text('You chose 2 projects')")
    _cast_and_check(page, base, axe_check)

    # Knapsack: the live budget bar shows what is left.
    page.goto(f"{base}/rounds/{ids['knapsack']}/vote")
    page.check("#project-K1")
    page.check("#project-K2")
    page.wait_for_selector("#summary:has-text('Budget used: £32,500.00')")
    # htmx settles a swapped element's attributes a moment after its text (settleDelay): the
    # meter keeps its old value until then.
    expect(page.locator("#budget-meter")).to_have_attribute("value", "3250000")
    assert page.locator("#budget-meter").get_attribute("value") == "3250000"
    axe_check(page)
    _cast_and_check(page, base, axe_check)

    # Cumulative: points counter.
    page.goto(f"{base}/rounds/{ids['cumulative']}/vote")
    page.fill("#points-C1", "5")
    page.fill("#points-C4", "3")
    page.locator("#points-C4").dispatch_event("change")
    page.wait_for_selector("#summary:has-text('Points used: 8 of 10')")
    axe_check(page)
    _cast_and_check(page, base, axe_check)

    # Ranked: this round has a voter roll, so the account is linked once to a place on it
    # (one register: the same person cannot also vote with a code or on paper).
    page.goto(f"{base}/rounds/{ids['ranked']}/vote")
    assert "link your account to your place on the roll" in page.locator("main").inner_text()
    axe_check(page)
    _fits_phone(page)
    page.fill("#reference", DEMO_ROLL[0][0])
    page.fill("#date_of_birth", DEMO_ROLL[0][1])
    page.locator("section[aria-labelledby='by-roll'] button").click()
    page.wait_for_selector("#rank-R3")
    # The click navigated: wait for the page's scripts, or a change made before htmx binds its
    # trigger is never sent and the summary keeps its first figures.
    page.wait_for_load_state("load")
    # Choose ranks from the lists.
    page.select_option("#rank-R3", "1")
    page.select_option("#rank-R1", "2")
    page.wait_for_selector("#summary:has-text('You ranked 2 projects')")
    axe_check(page)
    page.click("button:has-text('Check my choices')")
    # all_inner_texts() does not wait: wait for the review page before reading its rows.
    arrived(page, "h1:has-text('Check your choices')")
    rows = page.locator("tbody tr").all_inner_texts()
    assert "Community transport to clinics" in rows[0]
    assert "befriending" in rows[1]
    page.go_back()
    arrived(page, "#rank-R3")
    _cast_and_check(page, base, axe_check)

    # Voting again in the same round is refused with a clear message.
    page.goto(f"{base}/rounds/{ids['approval']}/vote")
    assert "You have already voted in this round" in page.locator("main").inner_text()


def test_approval_flow_without_javascript(live_server, js_disabled_page, axe_check):
    page = js_disabled_page
    base = live_server.url
    ids = _round_ids(live_server)
    log_in(page, base, "john@example.org")
    page.goto(f"{base}/rounds/{ids['approval']}/vote")
    axe_check(page)
    _fits_phone(page)
    # Too many choices first: the server explains, and nothing is cast.
    for code in ("A1", "A2", "A4", "A6"):
        page.check(f"#project-{code}")
    page.click("button:has-text('Check my choices')")
    arrived(page, ".error-summary")
    assert "this round allows at most 3" in page.locator(".error-summary").inner_text()
    axe_check(page)
    page.uncheck("#project-A6")
    _cast_and_check(page, base, axe_check)
