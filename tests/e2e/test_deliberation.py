"""Issue 15, acceptance 5, in a real browser at 390 px, as one walk through a round:

a volunteer registers interest in serving on the panel without JavaScript (a first try without
consent is refused with an error summary); the facilitator sets the panel size and quotas,
computes the leximin lottery, records a seed announced in public and draws the panel, whose
record `decide sortition verify` accepts; in a session two drawn members score alone (hidden
from each other until it closes), one declares a conflict, a resident argues and a moderator
hides an advert, and the panel votes a shortlist by STV; the minutes are approved and published
and the shortlist goes onto the ballot; after the vote a drawn member signs the manifest in the
browser with the vendored @noble/curves (the private key never leaves it; without JavaScript
the page says so and points to decide-keys), the server accepts it, and `decide-verify` passes
the PDF, whose manifest names the minutes' head and the sortition record. One member uses the
site with JavaScript off. axe-core checks every page visited.

The quotas give one seat each to a community asset, statutory services and research (one
volunteer each: Grace, Dev and Hannah are drawn for sure) and two to the four residents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from sqlalchemy import select

from decide.demo.catalogue import DEMO_PASSWORD, FACILITATOR_EMAIL, PANEL_EMAIL
from decide.services.deliberation.scoring import DEFAULT_RUBRIC
from tests.e2e.conftest import LiveServer, _new_page, _serve
from tests.helpers.browser import run_module, wait_finished

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GRACE, DEV = "grace.panel@example.org", "dev.panel@example.org"
AGENDA = ("Cook and eat evenings", "Warm space mornings", "Benefits check clinic")
POOL = (
    (PANEL_EMAIL, "resident", "man"),
    ("jamal.panel@example.org", "resident", "man"),
    ("jo.pool@example.org", "resident", "woman"),
    (GRACE, "community-asset", "woman"),
    (DEV, "statutory-service", "man"),
    ("hannah.panel@example.org", "researcher", "woman"),
)
QUOTAS = """feature,value,min,max
partner_type,resident,2,2
partner_type,community-asset,1,1
partner_type,statutory-service,1,1
partner_type,researcher,1,1
"""
VOTER = "kwame@example.org"


def _next_week() -> str:
    """Return a session time a week ahead, as the form takes it (sessions start in the future)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def server(live_app) -> Iterator[LiveServer]:
    """Serve the foundation demo, a round in deliberation with no panel yet, and its pool."""
    from decide.demo.deliberation import deliberating_round
    from decide.demo.foundation import demo_user, seed_foundation
    from decide.extensions import db
    from decide.models import PanelMember, PostcodeArea, User
    from decide.services import sortition
    from decide.services.deliberation import scoring

    with live_app.app_context():
        seed_foundation(db.session)
        rnd, _, _ = deliberating_round(db.session)
        for seat in db.session.scalars(select(PanelMember).where(PanelMember.round_id == rnd.id)):
            db.session.delete(seat)  # the panel is drawn in the test
        rnd.signature_threshold = 1
        rnd.threshold_reason = "A test round: one drawn member signs."
        voter = db.session.scalar(select(User).where(User.email == VOTER))
        db.session.add(PostcodeArea(postcode=voter.postcode, area_id=rnd.areas[0].id))
        db.session.commit()
        scoring.set_rubric(db.session, rnd, scoring.default_rubric())
        for email, kind, gender in POOL:
            interest = sortition.Interest(
                consent=True, area_id=rnd.areas[0].id, age_band="25-44", gender=gender,
                partner_type=kind, extra={},
            )  # fmt: skip
            user = demo_user(db.session, email, email.split("@")[0].title())
            sortition.register_interest(db.session, rnd, user, interest)
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
    # The caller has waited for the score page's heading; `.all()` and the boxes do not wait,
    # so let the whole page (its radios and its stylesheet) arrive first.
    page.wait_for_load_state("load")
    # Each criterion's 0-to-5 scale is one row of targets at least 24 px square.
    first = page.get_by_role("group", name=re.compile(f"^{re.escape(DEFAULT_RUBRIC[0][0])}"))
    boxes = [r.bounding_box() for r in first.locator("input[type=radio]").all()]
    assert len(boxes) == 6 and len({round(b["y"]) for b in boxes}) == 1, boxes
    assert all(b["width"] >= 24 and b["height"] >= 24 for b in boxes), boxes
    for name, _ in DEFAULT_RUBRIC:
        page.get_by_role("group", name=re.compile(f"^{re.escape(name)}")).get_by_label(
            value, exact=True
        ).check()
    axe_check(page)
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator(".flashes")).to_contain_text("Your scores for Cook and eat evenings")


def _volunteer(john: Any, base: str, round_id: int, axe_check: Any) -> None:
    john.goto(f"{base}/rounds/{round_id}/panel/volunteer")
    john.get_by_label("Area").select_option(label="Canal Side")
    john.get_by_label("45-64").check()
    john.get_by_label("Man", exact=True).check()
    john.get_by_label("Resident", exact=True).check()
    john.get_by_role("button", name="Register my interest").click()
    expect(john.locator("#error-summary")).to_contain_text("Tick the box to give your consent")
    axe_check(john)
    john.get_by_label(re.compile("^I agree that my answers")).check()
    john.get_by_role("button", name="Register my interest").click()
    expect(john.locator(".flashes")).to_contain_text("you are in the pool")
    axe_check(john)


def _draw(fac: Any, base: str, round_id: int, axe_check: Any, tmp_path: Any) -> bytes:
    fac.goto(f"{base}/rounds/{round_id}/panel/sortition")
    expect(fac.locator("#pool ~ p").first).to_contain_text("7 people have registered")
    axe_check(fac)
    fac.get_by_label("Panel size").fill("5")
    fac.get_by_role("button", name="Save", exact=True).click()
    # The page comes back: fill the quotas on the new one, not on the one being replaced.
    expect(fac.locator(".flashes")).to_contain_text("Panel size saved")
    fac.get_by_label(re.compile("^Quotas")).fill(QUOTAS)
    fac.get_by_role("button", name="Save the quotas").click()
    expect(fac.locator(".flashes")).to_contain_text("Quotas saved")
    fac.get_by_role("button", name="Close the pool and compute the lottery").click()
    expect(fac.locator(".flashes")).to_contain_text("Lottery computed")
    axe_check(fac)
    seed = hashlib.sha256(b"4 8 15 16 23 42").hexdigest()  # numbers read out in public
    fac.get_by_label("Seed").fill(seed)
    fac.get_by_role("button", name="Record the seed").click()
    expect(fac.locator(".flashes")).to_contain_text("Seed recorded")  # the page came back
    fac.get_by_role("button", name="Draw the panel").click()
    expect(fac.locator(".flashes")).to_contain_text("Panel drawn: 5 members.")
    axe_check(fac)
    fac.goto(f"{base}/rounds/{round_id}/panel/record")
    expect(fac.locator("main")).to_contain_text(seed)
    axe_check(fac)
    record = fac.request.get(f"{base}/rounds/{round_id}/panel/RECORD.json").body()
    from decide.cli.sortition import sortition_group

    path = tmp_path / "RECORD.json"
    path.write_bytes(record)
    verified = CliRunner().invoke(sortition_group, ["verify", str(path)])
    assert verified.exit_code == 0 and "All checks passed." in verified.output, verified.output
    return record


def _session_has_started(app: Any, session_id: int) -> None:
    """Move the session's start an hour into the past, as if next week had come."""
    from decide.extensions import db
    from decide.models import PanelSession

    with app.app_context():
        found = db.session.get(PanelSession, session_id)
        found.starts_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        db.session.commit()


def _vote_and_close(app: Any, round_id: int) -> None:
    """Open voting, cast one ballot, close and confirm the rule (shown by other tests)."""
    from decide.extensions import db
    from decide.models import Round, User
    from decide.services.eligibility import VoterKey
    from decide.services.phases import change_phase
    from decide.services.results.confirmation import confirm_rule
    from decide.services.voting import cast_ballot, load_server_key

    with app.app_context():
        rnd = db.session.get(Round, round_id)
        fay = db.session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
        voter = db.session.scalar(select(User).where(User.email == VOTER))
        rnd.phase = "voting"
        db.session.commit()
        key = load_server_key(app.config["RECEIPT_KEY_FILE"])
        cast_ballot(db.session, rnd.id, VoterKey("user", voter.id), [rnd.projects[0].code],
                    server_key=key, today=rnd.voting_open + dt.timedelta(days=1))  # fmt: skip
        change_phase(db.session, rnd, "closed", fay)
        confirm_rule(db.session, rnd.id, rule=rnd.allocation_rule, reason="", actor=fay)


def test_a_drawn_panel_deliberates_and_signs_the_manifest(server, browser, axe_check, tmp_path):
    base, round_id = server.url, server.app.config["E2E_ROUND"]
    facilitator = _person(browser, base, FACILITATOR_EMAIL)
    john = _person(browser, base, "john@example.org", javascript=False)
    _volunteer(john, base, round_id, axe_check)
    john.context.close()
    record = _draw(facilitator, base, round_id, axe_check, tmp_path)
    dev = _person(browser, base, DEV)
    grace = _person(browser, base, GRACE, javascript=False)
    amira = _person(browser, base, "amira@example.org")

    # The facilitator schedules the session and records who came.
    facilitator.goto(f"{base}/rounds/{round_id}/sessions")
    axe_check(facilitator)
    facilitator.get_by_role("link", name="Schedule a session").click()
    facilitator.get_by_label("Title").fill("Shortlist session")
    facilitator.get_by_label("Date and time").fill(_next_week())
    facilitator.get_by_label("Place").fill("Canal Side Community Room")
    for title in AGENDA:
        facilitator.get_by_label(title, exact=True).check()
    axe_check(facilitator)
    facilitator.get_by_role("button", name="Schedule the session").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Shortlist session")
    session_url = facilitator.url.split("#")[0]
    facilitator.get_by_label("Dev Patel").check()
    facilitator.get_by_label("Grace Mensah").check()
    facilitator.get_by_role("button", name="Record attendance").click()
    expect(facilitator.locator("#attendance ~ ul").first).to_contain_text("Dev Patel: present")
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
    dev.goto(session_url)
    dev.get_by_role("link", name=re.compile(r"^Score it\s*: Cook and eat evenings")).click()
    expect(dev.get_by_role("heading", level=1)).to_have_text("Score: Cook and eat evenings")
    _score(dev, "5", axe_check)
    grace.get_by_role("link", name=re.compile(r"^Score it\s*: Cook and eat evenings")).click()
    # On the score page (the count below would also hold on the session page).
    expect(grace.get_by_role("heading", level=1)).to_have_text("Score: Cook and eat evenings")
    grace.wait_for_load_state("load")
    expect(grace.locator("main input[type=radio]:checked")).to_have_count(0)  # Dev's are not here
    _score(grace, "1", axe_check)
    for page in (dev, grace):
        page.goto(session_url)
        expect(page.locator("#scores ~ p").first).to_contain_text("Scores stay hidden")
        expect(page.locator("main")).not_to_contain_text("Median")
    expect(dev.get_by_text("2 of 5 members have scored.").first).to_be_visible()

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
    for page, order in ((dev, AGENDA), (grace, AGENDA[1::-1])):
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
    shortlist_url = facilitator.url.split("#")[0]
    main = facilitator.locator("main")
    expect(main).to_contain_text("Counted by single transferable vote for 2 places")
    expect(main).to_contain_text("Round 1: elected")
    expect(main.locator("#reasons ~ ul")).to_contain_text("Benefits check clinic")
    axe_check(facilitator)

    # Closing shows the scores; the minutes are written, approved and published. A session
    # closes only once it has started, so the clock moves on to next week.
    facilitator.goto(session_url)
    expect(facilitator.locator("main")).to_contain_text("close the session once it has started")
    _session_has_started(server.app, int(session_url.rstrip("/").rsplit("/", 1)[1]))
    facilitator.goto(session_url)
    facilitator.get_by_role("button", name="Close the session and show the scores").click()
    expect(facilitator.locator("main")).to_contain_text("Median")
    expect(facilitator.get_by_text("Grace Mensah (1)")).to_be_visible()  # an outlier
    axe_check(facilitator)
    facilitator.get_by_role("button", name="Write the minutes").click()
    expect(facilitator.locator("main")).to_contain_text("Draft: 0 of 2 members")
    axe_check(facilitator)
    for page in (dev, grace):
        page.goto(session_url)
        page.get_by_role("link", name="Read the draft minutes").click()
        expect(page.locator("main")).to_contain_text("Grace Mensah: Benefits check clinic")
        page.get_by_role("button", name="Approve these minutes").click()
        if page is dev:  # recorded before Grace's approval, which publishes the minutes
            expect(dev.locator(".flashes")).to_contain_text("Your approval is recorded")
    expect(grace.locator(".flashes")).to_contain_text("Minutes approved by the panel and published")
    axe_check(grace)
    public = _new_page(browser, javascript=True, width=390)
    public.goto(session_url)
    public.get_by_role("link", name="Read the approved minutes").click()
    expect(public.locator(".voted-note")).to_contain_text("These minutes can no longer change")
    axe_check(public)
    public.context.close()
    facilitator.goto(shortlist_url)
    facilitator.get_by_role("link", name="Review putting the shortlist on the ballot").click()
    expect(facilitator.locator("main")).to_contain_text("After the change")
    axe_check(facilitator)
    facilitator.get_by_role("button", name="Replace the ballot with the shortlist").click()
    expect(facilitator.locator(".flashes")).to_contain_text("The shortlist is now the ballot")
    expect(facilitator.locator("main")).to_contain_text("This shortlist is the ballot")
    axe_check(facilitator)
    amira.context.close()

    _vote_and_close(server.app, round_id)
    _sign_publish_verify(browser, base, round_id, dev, grace, facilitator, axe_check, tmp_path,
                         record)  # fmt: skip


def _sign_publish_verify(
    browser: Any, base: str, round_id: int, dev: Any, grace: Any, fac: Any, axe_check: Any,
    tmp_path: Any, record: bytes,
) -> None:  # fmt: skip
    # Dev makes a key on their own machine and registers its public half.
    made = run_module("audits.keys", "new", "--name", "Dev Patel", "-o", str(tmp_path))
    assert made.returncode == 0, made.stderr
    key_file, pub_file = tmp_path / "dev-patel.key.json", tmp_path / "dev-patel.pub.json"
    secret = json.loads(key_file.read_text())["secret_key"]
    sent: list[str] = []
    dev.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    dev.goto(f"{base}/rounds/{round_id}/publication/key")
    dev.set_input_files("#key_file", str(pub_file))
    dev.click("button:has-text('Register my key')")
    dev.wait_for_selector("text=its proof of possession is valid")
    axe_check(dev)
    fac.goto(f"{base}/rounds/{round_id}/publication")
    fac.click("button:has-text('Write the manifest')")
    wait_finished(fac)

    # Without JavaScript the sign page says browser signing needs it and points to decide-keys.
    grace.goto(f"{base}/rounds/{round_id}/publication/sign")
    text = grace.inner_text("main")
    assert "Signing in the browser needs JavaScript" in text and "decide-keys" in text
    assert not grace.locator("#browser-sign").is_visible()
    axe_check(grace)
    grace.context.close()

    # The manifest waits for Dev: a count on the navigation bar, and "Your tasks".
    dev.goto(f"{base}/tasks")
    tasks_link = dev.get_by_role("link", name=re.compile(r"^Your tasks\s*\(1 waiting\)$"))
    assert tasks_link.locator(".nav-count").is_visible()
    axe_check(dev)
    dev.click("a:has-text('Sign the results manifest')")
    dev.wait_for_selector("#browser-sign:not([hidden])")
    axe_check(dev)
    dev.set_input_files("#browser-key-file", str(key_file))
    dev.click("button:has-text('Sign the manifest and send my signature')")
    dev.wait_for_selector("text=Your signature on the manifest is valid")
    axe_check(dev)
    assert sent and not [s for s in sent if secret in s], "the private key left the browser"
    sign_url = f"{base}/rounds/{round_id}/publication/sign "
    posted = [s for s in sent if s.startswith(sign_url) and s != sign_url]
    assert len(posted) == 1 and "signature_json=" in posted[0], posted
    dev.goto(f"{base}/tasks")
    expect(dev.locator("main")).to_contain_text("Nothing waits for you just now.")
    dev.context.close()

    # The facilitator publishes; decide-verify passes the PDF, which names the minutes' head
    # and the sortition record.
    fac.goto(f"{base}/rounds/{round_id}/publication")
    fac.click("button:has-text('Publish the results')")
    wait_finished(fac)
    fac.goto(f"{base}/rounds/{round_id}/results")
    axe_check(fac)
    with fac.expect_download() as download:
        fac.click("a:has-text('Edition 1')")
    pdf = tmp_path / "results.pdf"
    download.value.save_as(pdf)
    keys = fac.request.get(f"{base}/rounds/{round_id}/keys.json").json()
    pinned = tmp_path / "pinned.json"
    pinned.write_text(json.dumps(keys))
    record_file = tmp_path / "RECORD.json"
    verified = run_module("audits.verify", str(pdf), "--keys", str(pinned),
                          "--sortition-record", str(record_file))  # fmt: skip
    out = verified.stdout
    assert verified.returncode == 0, out + verified.stderr
    assert "Panel minutes: head " in out
    assert f"sortition record {hashlib.sha256(record).hexdigest()}" in out
    assert re.search(r"^11\. PASS .*shortlist the minutes record.*matches the record", out, re.M)
    fac.context.close()
