"""The facilitator compares the rules on the closed demo round and confirms one; the public
results page explains the outcome with its chart; a voter's receipt shows how their ballot was
used. axe-core checks every page visited (WCAG 2 A/AA), at desktop and phone widths.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from decide.demo.catalogue import FACILITATOR_EMAIL
from decide.demo.results import RESULTS_ROUND_SLUG
from tests.helpers.browser import arrived, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _db(server: Any, fn: Any) -> Any:
    from decide.extensions import db

    with server.app.app_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


def _round_id(server: Any) -> int:
    from decide.models import Round

    return _db(server, lambda s: s.scalar(select(Round.id).where(Round.slug == RESULTS_ROUND_SLUG)))


def _publish(server: Any, round_id: int) -> None:
    """Stand in for publication (panel signatures, PDF), which another part's tests walk."""
    from decide.models import Round

    def go(session: Any) -> None:
        session.get(Round, round_id).phase = "published"
        session.commit()

    _db(server, go)


def _first_choices(server: Any, round_id: int) -> list[str]:
    import json

    from decide.models import Ballot

    return _db(
        server,
        lambda s: json.loads(
            s.scalar(
                select(Ballot.choices_json).where(Ballot.round_id == round_id, Ballot.sequence == 1)
            )
        )["projects"],
    )


def test_compare_confirm_publish_and_see_how_a_ballot_was_used(
    live_server, desktop_page, page, axe_check
):
    base = live_server.url
    round_id = _round_id(live_server)
    fac = desktop_page

    # The facilitator finds the comparison from the round page.
    log_in(fac, base, FACILITATOR_EMAIL)
    fac.goto(f"{base}/rounds/{round_id}")
    fac.click("a:has-text('Compare the allocation rules and confirm one')")
    fac.wait_for_selector("h1:has-text('Compare the allocation rules')")
    axe_check(fac)
    cards = fac.locator(".compare-list > li")
    assert cards.count() == 5
    assert fac.locator("svg[role=img]").count() == 1  # one combined chart; cards hold tables
    greedy = fac.locator("#rule-greedy").inner_text()
    mes = fac.locator("#rule-equal-shares").inner_text()
    assert "Floodlit all-weather track at Moorfield Park" in greedy
    assert "Floodlit all-weather track at Moorfield Park" not in mes
    assert "Damp and mould advice surgeries" in mes

    # Equity settings: an impossible floor is explained, the demo's floor is met.
    fac.click("a:has-text('Equity settings')")
    fac.wait_for_selector("h1:has-text('Equity settings')")
    axe_check(fac)
    fac.fill("#floor_share", "60")
    fac.fill("#weight_2", "")
    fac.click("button:has-text('Preview')")
    fac.wait_for_selector("#equity-preview:has-text('No outcome')")
    preview = fac.locator("#equity-preview").inner_text()
    assert "area Riverside (decile 1) receives at least £" in preview
    axe_check(fac)

    # A changed rule without a reason is refused next to the field; the fixed rule is confirmed.
    fac.goto(f"{base}/rounds/{round_id}/results/compare")
    fac.check("input[name=rule][value=greedy]")
    fac.click("button:has-text('Confirm this rule')")
    arrived(fac, "#reason-error")
    assert "Give the reason for the change" in fac.locator("#reason-error").inner_text()
    axe_check(fac)
    fac.check("input[name=rule][value=equal-shares]")
    fac.click("button:has-text('Confirm this rule')")
    arrived(fac, "h1:has-text('Results')")
    assert "Preview." in fac.locator("main").inner_text()
    axe_check(fac)

    # Once published, anyone sees the explanation and the chart (phone width).
    _publish(live_server, round_id)
    page.goto(f"{base}/rounds/{round_id}/results")
    text = page.locator("main").inner_text()
    assert "The budget of £100,000.00 was shared equally between the 300 voters" in text
    assert "was funded first: its 129 supporters paid £" in text
    assert "Preview." not in text
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("svg[role=img] rect").first.is_visible()
    axe_check(page)

    # A voter states their choices (the server cannot look a ballot up by tracker) and sees
    # how a ballot with those choices was used.
    chosen = _first_choices(live_server, round_id)
    page.goto(f"{base}/rounds/{round_id}/results/my-ballot")
    axe_check(page)
    for code in chosen:
        page.check(f"#project-{code}")
    page.click("button:has-text('Show how my ballot was used')")
    arrived(page, "h1:has-text('How your ballot was used')")
    used = page.locator("main").inner_text()
    assert "helped direct" in used or "None of the projects you supported was funded" in used
    axe_check(page)

    # The demo round published through the real flow (panel signatures, PDF) shows its results.
    from decide.demo.published import PUBLISHED_ROUND_SLUG
    from decide.models import Round

    published = _db(
        live_server, lambda s: s.scalar(select(Round.id).where(Round.slug == PUBLISHED_ROUND_SLUG))
    )
    page.goto(f"{base}/rounds/{published}")
    page.locator("a:has-text('See the results')").first.click()
    arrived(page, "h2:has-text('How the money was shared')")
    assert re.search(r"shared equally between the \d+ voters", page.locator("main").inner_text())
    assert page.locator("svg[role=img]").count() == 2
    axe_check(page)
