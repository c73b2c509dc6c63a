"""A resident on a phone (390 px): registers, adds the postcode where the vote asks for it, votes,
and sees "You voted on …"; the budget and points ballots keep their summary in view.

Runs in Debian chromium against the demo; axe-core checks every page the resident visits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.voting import VOTING_ROUND_SLUGS
from decide.web.filters import long_date
from tests.e2e.conftest import _new_page, register_and_confirm
from tests.helpers.browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDTH, HEIGHT = 390, 700
NEW_EMAIL = "new.resident@example.net"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """Return a page in a fresh browser context the size of a phone (390 x 700 px)."""
    page = _new_page(browser, javascript=True, width=WIDTH)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    yield page
    page.context.close()


def _round_ids(server: Any) -> dict[str, int]:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return {
            kind: db.session.scalar(select(Round.id).where(Round.slug == slug))
            for kind, slug in VOTING_ROUND_SLUGS.items()
        }


def _voted_on(server: Any, round_id: int, email: str) -> Any:
    """Return the day on the participation mark of this account in this round."""
    from decide.extensions import db
    from decide.models import Participation, User

    with server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        return db.session.scalar(
            select(Participation.voted_on).where(
                Participation.round_id == round_id, Participation.voter_key == f"user:{user_id}"
            )
        )


def _postcode(server: Any, email: str) -> str | None:
    from decide.extensions import db
    from decide.models import User

    with server.app.app_context():
        return db.session.scalar(select(User.postcode).where(User.email == email))


def test_a_new_resident_adds_the_postcode_in_place_votes_and_sees_it(live_server, phone, axe_check):
    page, base = phone, live_server.url
    ids = _round_ids(live_server)
    knapsack = ids["knapsack"]

    # The home page offers the rounds open for voting first, each with a Vote button.
    page.goto(base + "/")
    axe_check(page)
    first_card = page.locator("main .card").first
    expect(first_card.get_by_role("link", name=re.compile(r"^Vote in "))).to_be_visible()
    page.locator(f'a[href="/rounds/{knapsack}/vote"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vote in")
    axe_check(page)

    # No account yet: register from the voting page, without a postcode, and come back to it.
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    axe_check(page)
    page.get_by_label("Your name").fill("Nia Resident")
    page.get_by_label("Email address").fill(NEW_EMAIL)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    # The form posts: wait for the page it leads to before axe reads the page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe_check(page)
    register_and_confirm(page, live_server, NEW_EMAIL, "a long enough password")
    page.wait_for_url(f"{base}/rounds/{knapsack}/vote")
    assert _postcode(live_server, NEW_EMAIL) is None

    # The voting page asks for the postcode in place instead of refusing.
    postcode = page.get_by_label("Your postcode")
    expect(postcode).to_be_visible()
    expect(page.locator("#error-summary")).to_have_count(0)  # no refusal
    axe_check(page)
    # A mistake is explained in place (htmx swaps the box), and nothing is saved.
    postcode.fill("NB1")
    page.get_by_role("button", name="Save and continue to the ballot").click()
    expect(page.locator("#postcode-error")).to_contain_text("Enter a UK postcode")
    expect(page.get_by_label("Your postcode")).to_have_attribute("aria-invalid", "true")
    assert page.url == f"{base}/rounds/{knapsack}/vote"
    assert _postcode(live_server, NEW_EMAIL) is None
    axe_check(page)
    page.get_by_label("Your postcode").fill("nb1 4qt")
    page.get_by_role("button", name="Save and continue to the ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot")
    expect(page.locator(".flashes")).to_contain_text("Your postcode NB1 4QT is saved")
    assert _postcode(live_server, NEW_EMAIL) == "NB1 4QT"
    axe_check(page)

    # Vote: two projects within the budget, check, cast.
    page.check("#project-K1")
    page.check("#project-K4")
    expect(page.locator("#summary")).to_contain_text("Budget used: £24,000.00")
    axe_check(page)
    page.get_by_role("button", name="Check my choices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    axe_check(page)
    page.get_by_role("button", name="Cast my ballot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot is in the sealed box")
    axe_check(page)

    # The round page now says when they voted and links to receipt checking, not "Vote now".
    page.goto(f"{base}/rounds/{knapsack}")
    day = _voted_on(live_server, knapsack, NEW_EMAIL)
    assert day is not None
    note = page.locator(".voted-note")
    expect(note).to_have_text(re.compile(rf"^You voted on {re.escape(long_date(day))}\."))
    expect(page.get_by_role("link", name="Vote now")).to_have_count(0)
    axe_check(page)
    note.get_by_role("link").click()
    page.wait_for_url(f"{base}/receipts/check")
    axe_check(page)

    # Home says so too, in place of the Vote button.
    page.goto(base + "/")
    expect(page.locator(f'a[href="/rounds/{knapsack}/vote"]')).to_have_count(0)
    expect(page.locator(".vote-card .voted-note").first).to_contain_text("You voted on")
    axe_check(page)

    # The account holds the postcode, and refuses a bad one with the error summary.
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_label("Postcode")).to_have_value("NB1 4QT")
    axe_check(page)
    page.get_by_label("Postcode").fill("NB1 4QTX")
    page.get_by_role("button", name="Save my details").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#postcode-error")).to_contain_text("Enter a UK postcode")
    axe_check(page)
    assert _postcode(live_server, NEW_EMAIL) == "NB1 4QT"


def test_the_postcode_in_place_works_without_javascript(live_server, js_disabled_page, axe_check):
    page, base = js_disabled_page, live_server.url
    cumulative = _round_ids(live_server)["cumulative"]
    page.goto(f"{base}/register?next=/rounds/{cumulative}/vote")
    page.get_by_label("Your name").fill("Ola Resident")
    page.get_by_label("Email address").fill("ola@example.net")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    register_and_confirm(page, live_server, "ola@example.net", "a long enough password")
    page.wait_for_url(f"{base}/rounds/{cumulative}/vote")
    axe_check(page)
    # A plain form POST: an error comes back as the whole page, with the summary on top.
    page.get_by_role("button", name="Save and continue to the ballot").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter your postcode")
    axe_check(page)
    page.get_by_label("Your postcode").fill("NB3 1XY")
    page.get_by_role("button", name="Save and continue to the ballot").click()
    page.wait_for_url(f"{base}/rounds/{cumulative}/vote")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot")
    expect(page.locator("#summary")).to_contain_text("Points used: 0 of 10")
    assert _postcode(live_server, "ola@example.net") == "NB3 1XY"
    axe_check(page)


GEOMETRY = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; };
  const active = document.activeElement;
  return {
    summary: box(document.querySelector('#summary')),
    fieldset: box(document.querySelector('form fieldset')),
    focused: active && active.closest('fieldset') ? box(active) : null,
    focusedId: active ? active.id : null,
    viewport: window.innerHeight,
    scrollY: window.scrollY,
  };
}"""


def _in_view(g: dict[str, Any]) -> bool:
    return g["summary"]["top"] >= 0 and g["summary"]["bottom"] <= g["viewport"] + 0.5


def _check_summary_stays_in_view(page: Any) -> None:
    """Scroll the ballot and tab through it: the summary stays on screen and hides no focus."""
    page.evaluate("window.scrollTo(0, 0)")
    g = page.evaluate(GEOMETRY)
    # Without sticking, the summary would start below the fold (under the project list).
    assert g["fieldset"]["bottom"] > g["viewport"], "the ballot is too short to test scrolling"
    assert _in_view(g), g
    assert g["viewport"] - g["summary"]["bottom"] < 2, g  # stuck to the bottom edge
    for _ in range(3):
        page.mouse.wheel(0, 250)
        page.wait_for_function("y => window.scrollY > y", arg=g["scrollY"])
        g = page.evaluate(GEOMETRY)
        assert _in_view(g), g
    # Keyboard users: every control in the list that takes focus is scrolled clear of it.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("main").focus()  # the next Tab goes to the first control in the content
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        g = page.evaluate(GEOMETRY)
        if g["focused"] is None:
            if seen:
                break
            continue
        seen.add(g["focusedId"])
        f, s = g["focused"], g["summary"]
        assert f["bottom"] <= s["top"] or f["top"] >= s["bottom"], (
            f"#{g['focusedId']} is hidden under the summary: {g}"
        )
        assert f["top"] >= 0 and f["bottom"] <= g["viewport"], g
    assert len(seen) >= 5, seen


def test_the_budget_and_points_summaries_stay_in_view(live_server, phone, axe_check):
    page, base = phone, live_server.url
    ids = _round_ids(live_server)
    log_in(page, base, "amira@example.org")

    page.goto(f"{base}/rounds/{ids['knapsack']}/vote")
    summary = page.locator("#summary")
    expect(summary).to_have_attribute("aria-live", "polite")
    _check_summary_stays_in_view(page)
    problems = page.locator("#summary-problems")
    expect(problems).to_contain_text("choose at least 1 project")
    page.check("#project-K2")
    expect(summary).to_contain_text("Left to spend: £22,000.00")
    # The rule hints live in their own region below, updated in the same swap (out of band).
    expect(problems).not_to_contain_text("choose at least 1 project")
    expect(problems).to_contain_text("at least £20,000.00")
    expect(problems).to_have_attribute("aria-live", "polite")
    _check_summary_stays_in_view(page)
    axe_check(page)

    page.goto(f"{base}/rounds/{ids['cumulative']}/vote")
    expect(summary).to_have_attribute("aria-live", "polite")
    page.fill("#points-C2", "4")
    page.locator("#points-C2").dispatch_event("change")
    expect(summary).to_contain_text("Points left: 6")
    _check_summary_stays_in_view(page)
    axe_check(page)
    # At the end of the list the summary is back in its place: it covers nothing there.
    page.get_by_role("button", name="Check my choices").scroll_into_view_if_needed()
    g = page.evaluate(GEOMETRY)
    assert g["fieldset"]["bottom"] <= g["summary"]["top"], g
