"""Issue 15, acceptance 5 (the session part) in a real browser at 390 px: the facilitator
schedules a session; two panel members score alone (each sees only their own scores until the
session closes), one declares a conflict; a resident argues and a moderator hides an advert;
the panel votes a shortlist by STV; the minutes are approved and published. One member uses
the site with JavaScript off. axe-core checks every page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL, PANEL_EMAIL
from decide.services.deliberation.scoring import DEFAULT_RUBRIC
from tests.e2e.conftest import LiveServer, _new_page, _serve

pytestmark = pytest.mark.slow
GRACE = "grace.panel@example.org"
AGENDA = ("Cook and eat evenings", "Warm space mornings", "Benefits check clinic")


@pytest.fixture
def server(live_app) -> Iterator[LiveServer]:
    """Serve the foundation demo plus a round in deliberation with its rubric (no sessions)."""
    from decide.demo.deliberation import deliberating_round
    from decide.demo.foundation import seed_foundation
    from decide.extensions import db
    from decide.services.deliberation import scoring

    with live_app.app_context():
        seed_foundation(db.session)
        rnd, _, _ = deliberating_round(db.session)
        scoring.set_rubric(db.session, rnd, scoring.default_rubric())
        live_app.config["E2E_ROUND"] = rnd.id
    server = _serve(live_app)
    yield server
    server.stop()


def _person(browser: Any, base: str, email: str, *, javascript: bool = True) -> Any:
    page = _new_page(browser, javascript=javascript, width=390)
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flashes")).to_contain_text("You are logged in as")
    return page


def _score(page: Any, value: str, axe_check: Any) -> None:
    for name, _ in DEFAULT_RUBRIC:
        page.get_by_role("group", name=re.compile(f"^{re.escape(name)}")).get_by_label(
            value, exact=True
        ).check()
    axe_check(page)
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator(".flashes")).to_contain_text("Your scores for Cook and eat evenings")


def test_a_panel_session_from_agenda_to_published_minutes(server, browser, axe_check):
    base, round_id = server.url, server.app.config["E2E_ROUND"]
    facilitator = _person(browser, base, FACILITATOR_EMAIL)
    tom = _person(browser, base, PANEL_EMAIL)
    grace = _person(browser, base, GRACE, javascript=False)
    amira = _person(browser, base, "amira@example.org")

    # The facilitator schedules the session and records who came.
    facilitator.goto(f"{base}/rounds/{round_id}/sessions")
    axe_check(facilitator)
    facilitator.get_by_role("link", name="Schedule a session").click()
    facilitator.get_by_label("Title").fill("Shortlist session")
    facilitator.get_by_label("Date and time").fill("2027-03-04T18:30")
    facilitator.get_by_label("Place").fill("Canal Side Community Room")
    for title in AGENDA:
        facilitator.get_by_label(title, exact=True).check()
    axe_check(facilitator)
    facilitator.get_by_role("button", name="Schedule the session").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Shortlist session")
    session_url = facilitator.url.split("#")[0]
    facilitator.get_by_label("Tom Okafor").check()
    facilitator.get_by_label("Grace Mensah").check()
    facilitator.get_by_role("button", name="Record attendance").click()
    expect(facilitator.locator("#attendance ~ ul").first).to_contain_text("Tom Okafor: present")
    axe_check(facilitator)

    # Grace declares a conflict with the food bank's clinic (without JavaScript).
    grace.goto(f"{base}/rounds/{round_id}/sessions")
    grace.get_by_label("Proposal").select_option(label="Benefits check clinic")
    grace.get_by_label("What the conflict is").fill("I volunteer at the food bank's advice table.")
    grace.get_by_role("button", name="Declare the conflict").click()
    expect(grace.locator(".flashes")).to_contain_text("Conflict of interest declared")
    axe_check(grace)
    grace.goto(session_url)
    expect(
        grace.get_by_text("You declared a conflict: you do not score this proposal.")
    ).to_be_visible()

    # Two members score the same proposal, each alone.
    tom.goto(session_url)
    tom.get_by_role("link", name=re.compile(r"^Score it\s*: Cook and eat evenings")).click()
    _score(tom, "5", axe_check)
    grace.get_by_role("link", name=re.compile(r"^Score it\s*: Cook and eat evenings")).click()
    expect(grace.locator("main input[type=radio]:checked")).to_have_count(0)  # Tom's are not here
    _score(grace, "1", axe_check)
    for page in (tom, grace):
        page.goto(session_url)
        expect(page.locator("#scores ~ p").first).to_contain_text("Scores stay hidden")
        expect(page.locator("main")).not_to_contain_text("Median")
    expect(tom.get_by_text("2 of 5 members have scored.").first).to_be_visible()

    # A resident argues; the moderator hides an advert with a public reason.
    amira.goto(session_url)
    amira.get_by_role("link", name="arguments on Cook and eat evenings").click()
    amira.get_by_label("For", exact=True).check()
    amira.get_by_label("Your argument", exact=True).fill("Buy pans at my shop, 10% off!")
    amira.get_by_role("button", name="Post the argument").click()
    expect(amira.locator(".flashes")).to_contain_text("Your argument is posted")
    axe_check(amira)
    arguments_url = amira.url
    facilitator.goto(arguments_url)
    facilitator.get_by_label(re.compile("^Public reason for hiding it")).fill("Advertising.")
    facilitator.get_by_role("button", name=re.compile("^Hide")).click()
    expect(facilitator.get_by_text("Hidden by a moderator: Advertising.")).to_be_visible()
    amira.reload()
    expect(amira.locator("main")).not_to_contain_text("Buy pans")
    axe_check(amira)

    # The panel votes a shortlist of two by STV.
    facilitator.goto(session_url)
    facilitator.get_by_label(re.compile("^Ranked vote of the panel")).check()
    facilitator.get_by_label("Places on the shortlist").fill("2")
    facilitator.get_by_role("button", name="Start the decision").click()
    expect(facilitator.locator(".flashes")).to_contain_text("Shortlist decision started")
    for page, order in ((tom, AGENDA), (grace, AGENDA[1::-1])):
        page.goto(session_url)
        page.get_by_role("link", name="Rank the proposals").click()
        for rank, title in enumerate(order[:2], start=1):
            page.get_by_label(f"Rank for {title}").select_option(str(rank))
        if page is grace:
            expect(page.get_by_text("You declared a conflict of interest with")).to_be_visible()
        axe_check(page)
        page.get_by_role("button", name="Save my ranking").click()
        expect(page.locator(".flashes")).to_contain_text("Your ranking is recorded")
    facilitator.reload()
    facilitator.get_by_role("button", name="Count the vote").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Shortlist")
    main = facilitator.locator("main")
    expect(main).to_contain_text("Counted by single transferable vote (pyrankvote) for 2 places")
    expect(main).to_contain_text("Round 1: elected")
    expect(main.locator("#reasons ~ ul")).to_contain_text("Benefits check clinic")
    axe_check(facilitator)

    # Closing shows the scores; the minutes are written, approved and published.
    facilitator.goto(session_url)
    facilitator.get_by_role("button", name="Close the session and show the scores").click()
    expect(facilitator.locator("main")).to_contain_text("Median")
    expect(facilitator.get_by_text("Grace Mensah (1)")).to_be_visible()  # an outlier
    axe_check(facilitator)
    facilitator.get_by_role("button", name="Write the minutes").click()
    expect(facilitator.locator("main")).to_contain_text("Draft: 0 of 2 members")
    axe_check(facilitator)
    for page in (tom, grace):
        page.goto(session_url)
        page.get_by_role("link", name="Read the draft minutes").click()
        expect(page.locator("main")).to_contain_text("Grace Mensah: Benefits check clinic")
        page.get_by_role("button", name="Approve these minutes").click()
    expect(grace.locator(".flashes")).to_contain_text("Minutes approved by the panel and published")
    axe_check(grace)
    public = _new_page(browser, javascript=True, width=390)
    public.goto(session_url)
    public.get_by_role("link", name="Read the approved minutes").click()
    expect(public.locator(".voted-note")).to_contain_text("These minutes can no longer change")
    axe_check(public)
    for page in (facilitator, tom, grace, amira, public):
        page.context.close()
