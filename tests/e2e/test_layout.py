"""Every page of the demo fits a 390 px phone and passes axe, for every kind of visitor.

A browser at 390 px walks the seeded demo as an anonymous visitor, a resident, the facilitator,
a panel member and an officer: from the home page (and, for some, their own start pages) it
follows every link within the site. On each page it measures
``document.documentElement.scrollWidth`` and watches for Content-Security-Policy errors; on the
first page of each kind it also runs axe-core (WCAG 2.2 A and AA). The walk is bounded: pages
that differ only in which proposal, organisation, version, list page or round of the same phase
they show are visited once.
A last test checks that a demo round's bulletin board stays under 3,000 px tall on that phone.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from decide.demo.catalogue import DEMO_PASSWORD
from tests.e2e.conftest import axe_source, run_axe

WIDTH = 390
BOARD_MAX_HEIGHT = 3_000
PER_KIND = 1  # pages of one kind (same template, another proposal, organisation or round)
MAX_PAGES = 160  # per visitor, a guard against a crawl that never ends
FILES = re.compile(r"\.(?:pdf|json|pb|txt|csv|svg|png|ico)$|/download\b")
VISITORS = {
    "anonymous": None,
    "resident": "amira@example.org",
    "facilitator": "facilitator@example.org",
    "panel member": "panel@example.org",
    "officer": "officer@example.org",
}


def kind_of(path: str, phases: dict[int, str] | None = None) -> str:
    """Return the kind of page a path shows: rounds are kept apart by phase, other ids are not.

    Two rounds in the same phase show the same templates with other figures, so a page of a
    round counts as the kind "that page of a round in this phase" (`phases`: round id to
    phase); without `phases` every round is its own kind.
    """
    parts = urlsplit(path)
    kind = parts.path
    if phases:
        kind = re.sub(
            r"^/rounds/(\d+)",
            lambda m: f"/rounds/{phases.get(int(m.group(1)), m.group(1))}",
            kind,
        )
    kind = re.sub(r"/(proposals|versions|areas|checkpoints)/\d+", r"/\1/N", kind)
    kind = re.sub(r"^/organisations/[^/]+", "/organisations/S", kind)
    page = re.search(r"(?:^|&)page=(\d+)", parts.query)
    return kind + ("?page" if page else "")


def _wanted(url: str, origin: str) -> str | None:
    """Return the path to visit for a link, or None (other sites, files, log-out, far pages)."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(("/static/", "/logout")) or FILES.search(parts.path):
        return None
    page = re.search(r"(?:^|&)page=(\d+)", parts.query)
    if page and int(page.group(1)) > 2:
        return None
    return path


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    # The click may return before the browser leaves /login, whose load has already fired:
    # wait for the page the login leads to.
    page.wait_for_url(lambda url: "/login" not in url)
    assert "/login" not in page.url, f"cannot log in as {email}"


def _problems_on(page: Any, axe: bool = True, width: int | None = None) -> list[str]:
    """Return what is wrong with the page the browser shows: width, axe (if asked), CSP.

    `width` is the page's scrollWidth when the caller has measured it already.
    """
    problems = []
    if width is None:
        width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        problems.append(f"{width} px wide")
    for v in run_axe(page) if axe else []:
        targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
        problems.append(f"axe {v['id']} ({v['impact']}): {v['help']} at {targets}")
    csp = [e for e in page.console_errors if "Content Security Policy" in e]
    problems += [f"CSP: {e}" for e in csp]
    page.console_errors.clear()
    return problems


def walk(
    page: Any, base: str, starts: tuple[str, ...], phases: dict[int, str] | None = None
) -> tuple[list[str], list[str]]:
    """Visit every page reachable from `starts`; return (visited paths, problems)."""
    queue, seen = deque(starts), set(starts)
    per_kind: dict[str, int] = {}
    visited: list[str] = []
    problems: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        kind = kind_of(path, phases)
        if per_kind.get(kind, 0) >= PER_KIND:
            continue
        per_kind[kind] = per_kind.get(kind, 0) + 1
        try:
            response = page.goto(base + path)
        except Exception as exc:  # a download (Content-Disposition) ends the navigation
            if "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc):
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status < 500, f"{path} answered {response.status}"
        visited.append(path)
        # One round trip for the width and the links; axe (the slow check) runs on the first
        # page of each kind, width and CSP on every one.
        width, links = page.evaluate(
            "[document.documentElement.scrollWidth,"
            " Array.from(document.querySelectorAll('a[href]'), a => a.href)]"
        )
        problems += [
            f"{path}: {p}" for p in _problems_on(page, axe=per_kind[kind] == 1, width=width)
        ]
        for url in links:
            target = _wanted(url.split("#")[0], base)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)
    return visited, problems


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB")
    # axe-core is loaded into every page of the crawl as it opens (through the DevTools
    # protocol, so the page's CSP still applies to the page's own scripts) instead of being
    # sent over for each page afterwards: nearly every page of the walk is checked with axe.
    context.add_init_script(axe_source())
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.on(
        "console",
        lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    return page


def _round_phases(server: Any) -> dict[int, str]:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return {rid: str(phase) for rid, phase in db.session.execute(select(Round.id, Round.phase))}


def _round_ids(server: Any) -> dict[str, int]:
    from decide.extensions import db
    from decide.models import Ballot, Round

    with server.app.app_context():
        rounds = dict(db.session.execute(select(Round.id, Round.phase)).all())
        counts = dict(
            db.session.execute(
                select(Ballot.round_id, func.count(Ballot.id)).group_by(Ballot.round_id)
            ).all()
        )
    most = max(counts, key=lambda rid: counts[rid])
    closed = next(rid for rid, phase in rounds.items() if phase == "closed")
    return {"most ballots": most, "closed": closed, **{f"r{rid}": rid for rid in rounds}}


def test_kinds_of_page_keep_rounds_apart_and_group_the_rest():
    assert kind_of("/rounds/6/board") != kind_of("/rounds/7/board")
    phases = {6: "voting", 7: "voting", 8: "published"}
    assert kind_of("/rounds/6/board", phases) == kind_of("/rounds/7/board", phases)
    assert kind_of("/rounds/6/board", phases) != kind_of("/rounds/8/board", phases)
    assert kind_of("/proposals/3/versions/2") == kind_of("/proposals/9/versions/1")
    assert kind_of("/organisations/moorfield-harriers/edit") == kind_of("/organisations/x/edit")
    assert kind_of("/rounds/7/board?page=2") == "/rounds/7/board?page"
    origin = "http://127.0.0.1:5000"
    assert _wanted(f"{origin}/rounds/7/board?page=3", origin) is None
    assert _wanted(f"{origin}/rounds/6/editions/2.pdf", origin) is None
    assert _wanted("https://pabulib.org/", origin) is None
    assert _wanted(f"{origin}/rounds/6/board?page=2", origin) == "/rounds/6/board?page=2"


def test_the_checks_catch_a_wide_page_and_an_axe_violation(browser):
    page = _phone(browser)
    try:
        page.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><h1>Wide</h1>'
            '<img src="data:," width="600" height="10"></main></body></html>'
        )
        found = _problems_on(page)
    finally:
        page.context.close()
    assert any(p.endswith("px wide") for p in found), found
    assert any(p.startswith("axe image-alt") for p in found), found


@pytest.mark.slow
@pytest.mark.parametrize("visitor", list(VISITORS))
def test_every_page_fits_a_phone_and_passes_axe(live_server, browser, visitor):
    page = _phone(browser)
    ids = _round_ids(live_server)
    starts = {
        "facilitator": ("/", f"/rounds/{ids['closed']}/results/compare"),
        "resident": ("/", "/account"),
    }.get(visitor, ("/",))
    try:
        if VISITORS[visitor]:
            _log_in(page, live_server.url, VISITORS[visitor])
        visited, problems = walk(page, live_server.url, starts, _round_phases(live_server))
    finally:
        page.context.close()
    assert len(visited) >= 20, f"the walk reached only {len(visited)} pages: {visited}"
    for must in ("/about", "/privacy", "/accessibility", "/receipts/check"):
        assert must in visited, f"{must} is not linked from the pages the {visitor} saw"
    assert not problems, f"{len(problems)} problems at {WIDTH} px:\n" + "\n".join(problems[:40])


@pytest.mark.slow
def test_the_fullest_bulletin_board_is_short_on_a_phone(live_server, browser):
    from decide.services.ballot_box import BOARD_PAGE_SIZE

    page = _phone(browser)
    ids = _round_ids(live_server)
    heights = {}
    try:
        for rid in sorted(v for k, v in ids.items() if k.startswith("r")):
            page.goto(f"{live_server.url}/rounds/{rid}/board")
            width, height = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            assert width <= WIDTH, f"/rounds/{rid}/board is {width} px wide"
            heights[rid] = height
        page.goto(f"{live_server.url}/rounds/{ids['most ballots']}/board")
        rows = page.locator("table.board-table tbody tr").count()
    finally:
        page.context.close()
    # The fullest board shows a whole page of ballots, with their choices, and stays short.
    assert rows == BOARD_PAGE_SIZE
    assert heights[ids["most ballots"]] < BOARD_MAX_HEIGHT, heights
    assert all(h < BOARD_MAX_HEIGHT for h in heights.values()), heights


@pytest.mark.slow
def test_the_results_table_shows_cost_and_funded_on_a_phone(live_server, browser):
    from decide.extensions import db
    from decide.models import Round

    with live_server.app.app_context():
        published = db.session.scalar(select(Round.id).where(Round.phase == "published"))
    page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/rounds/{published}/results")
        cells = page.eval_on_selector_all(
            "table.stack-table td[data-label=Cost], table.stack-table td[data-label=Funded]",
            "cs => cs.map(c => [c.dataset.label, c.innerText, c.getBoundingClientRect().right])",
        )
    finally:
        page.context.close()
    assert len(cells) >= 8
    for label, text, right in cells:
        assert text.strip() and right <= WIDTH, (label, text, right)
