"""Every page of a published and a closed demo round passes axe and fits a 360 px phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.helpers.browser import log_in


def _rounds(server: Any) -> dict[str, int]:
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        rows = db.session.execute(select(Round.id, Round.phase)).all()
    return {phase: rid for rid, phase in sorted(rows, reverse=True)}


def _fits_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"


def test_public_pages_of_published_round_at_phone_width(live_server, page, axe_check):
    ids = _rounds(live_server)
    published = ids["published"]
    for path in (
        f"/rounds/{published}",
        f"/rounds/{published}/results",
        f"/rounds/{published}/board",
        f"/rounds/{published}/ledger",
        f"/rounds/{published}/publication",
        "/audit",
        "/receipts/check",
        "/board/key",
    ):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        axe_check(page)
        _fits_phone(page)


def test_facilitator_pages_of_closed_round_at_phone_width(live_server, page, axe_check):
    closed = _rounds(live_server)["closed"]
    log_in(page, live_server.url, "facilitator@example.org")
    for path in (f"/rounds/{closed}/results/compare", f"/rounds/{closed}/results/equity"):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        axe_check(page)
        _fits_phone(page)
