"""The facilitator's and the panel's pages name questions and answers as residents read them,
and dates as people write them: never raw keys or ISO timestamps."""

from __future__ import annotations

from pathlib import Path

from decide.services import sortition
from decide.services.deliberation import minutes
from tests.deliberation.factory import attend_and_close
from tests.deliberation.pages import main
from tests.deliberation.sortition_pool import fill_pool, small_quotas
from tests.web.world import login


def test_the_pool_summary_and_quotas_use_labels(app, db, world):
    rnd = world.round
    fill_pool(db.session, world, rnd, 4)
    sortition.set_panel(db.session, rnd, 4)
    sortition.set_quotas(db.session, rnd, small_quotas(4))
    fay = login(app.test_client(), world.users["facilitator"])
    page = main(fay.get(f"/rounds/{rnd.id}/panel/sortition").get_data(as_text=True))
    pool = page.split('id="pool"', 1)[1].split("<h2", 1)[0]
    assert "<strong>Age band</strong>" in pool and "<strong>Area</strong>" in pool
    assert "Riverside: " in pool and "age_band" not in pool and "riverside" not in pool
    assert "Gender <span" in page and "Woman <span" in page


def test_minutes_write_the_session_time_as_people_do(app, db, delib, world):
    attend_and_close(db.session, delib)
    minutes.generate_minutes(db.session, delib.session)
    url = f"/sessions/{delib.session.id}/minutes"
    page = main(login(app.test_client(), delib.panel["pat"]).get(url).get_data(as_text=True))
    assert "4 March 2026, 18:30" in page and "2026-03-04T18:30" not in page


def test_a_breadcrumb_separator_stays_with_the_item_it_leads_to():
    templates = Path(__file__).resolve().parents[2] / "templates"
    css = (templates.parent / "static/css/app.css").read_text()
    assert ".breadcrumbs .crumb { white-space: nowrap; }" in css
    for path in templates.rglob("*.html"):
        for line in path.read_text().splitlines():
            if 'class="breadcrumbs"' in line:
                # Every separator opens a nowrap span holding the link it leads to.
                assert line.count("›") == line.count('<span class="crumb">› <a'), path
