"""Issue 13, item 8: the published edition's accessible HTML tally passes axe and fits a phone.

The demo round published through the real flow is opened from its results page at 360 px and
at desktop width, with JavaScript and without.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.browser import arrived

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _published_round(server: Any) -> int:
    from decide.demo.published import PUBLISHED_ROUND_SLUG
    from decide.extensions import db
    from decide.models import Round

    with server.app.app_context():
        return int(db.session.scalar(select(Round.id).where(Round.slug == PUBLISHED_ROUND_SLUG)))


def test_the_html_tally_passes_axe_and_fits_360_px(live_server, page, desktop_page, axe_check):
    round_id = _published_round(live_server)
    for p in (page, desktop_page):
        p.goto(f"{live_server.url}/rounds/{round_id}/results")
        p.click("a:has-text('as a web page')")
        arrived(p, "h2:has-text('Evidence')")
        assert "Merkle root" in p.inner_text("main")
        assert p.locator("table th[scope=col]").count() >= 3
        axe_check(p)  # also fails on a CSP error and on any sideways scroll


def test_the_html_tally_reads_without_javascript(live_server, js_disabled_page, axe_check):
    round_id = _published_round(live_server)
    js_disabled_page.goto(f"{live_server.url}/rounds/{round_id}/editions/1.html")
    js_disabled_page.wait_for_selector("h2:has-text('Signatures')")
    axe_check(js_disabled_page)


def test_an_audit_runs_in_the_background_and_its_page_works_without_javascript(
    live_server, js_disabled_page, axe_check, tmp_path
):
    round_id = _published_round(live_server)
    page = js_disabled_page
    pdf = tmp_path / "edition.pdf"
    pdf.write_bytes(page.request.get(f"{live_server.url}/rounds/{round_id}/editions/1.pdf").body())
    page.goto(f"{live_server.url}/audit")
    page.set_input_files("#pdf", str(pdf))
    page.click("button:has-text('Check')")
    # The cheap checks passed in the request; the job page reloads itself until the rest is done.
    page.wait_for_url(lambda url: "/audit/jobs/" in url)
    arrived(page, "h2:has-text('CONSISTENT, BUT NOT TRUSTED YET')", timeout=60_000)
    assert page.locator("ol.checks li").count() == 11
    axe_check(page)
