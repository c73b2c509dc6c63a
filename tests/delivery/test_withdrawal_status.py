"""Withdrawing a milestone's confirmation offers, as its status now, the status it had before
it was confirmed (not "On track" whatever it was)."""

from __future__ import annotations

import datetime as dt
import re

from decide.services import delivery
from decide.services.delivery import MilestoneDraft
from tests.helpers.sessions import log_in


def _selected(html: str) -> list[str]:
    select = html.split('name="status"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]*selected[^>]*value="([^"]+)"|<option value="([^"]+)" selected',
                      select)  # fmt: skip


def _offered(app, d, m) -> str:
    fac = log_in(app.test_client(), d.facilitator)
    url = f"/rounds/{d.round.id}/projects/P1/milestones/{m.id}/withdraw-confirmation"
    html = fac.get(url).get_data(as_text=True)
    found = [a or b for a, b in _selected(html)]
    assert len(found) == 1, found
    return found[0]


def test_the_status_offered_is_the_one_before_confirmation(app, db, delivered):
    d = delivered
    for status, offered in (("delayed", "delayed"), ("not-started", "not-started"),
                            ("on-track", "on-track"), ("completed", "on-track")):  # fmt: skip
        m = delivery.add_milestone(
            db.session, d.round, d.project("P1"),
            MilestoneDraft(f"Step {status}", dt.date.today(), 100), d.facilitator,
        )  # fmt: skip
        delivery.set_status(db.session, m, status, d.reporter)
        delivery.confirm_milestone(db.session, m, d.facilitator)
        db.session.commit()
        assert _offered(app, d, m) == offered, status


def test_a_confirmation_with_no_status_recorded_offers_not_started(app, db, delivered):
    d = delivered
    m = delivery.add_milestone(
        db.session, d.round, d.project("P1"), MilestoneDraft("Old", dt.date.today(), 100),
        d.facilitator,
    )  # fmt: skip
    delivery.set_status(db.session, m, "delayed", d.reporter)
    delivery.confirm_milestone(db.session, m, d.facilitator)
    m.status_before_confirmation = None  # confirmed before the status was kept
    db.session.commit()
    assert _offered(app, d, m) == "not-started"
