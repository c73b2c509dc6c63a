"""Removing an update or a photo, withdrawing a figure or a story's consent asks first, on a
page that works without JavaScript; two updates of one day have distinct button names."""

from __future__ import annotations

import re

from decide.models import ProgressUpdate
from decide.services import delivery_reports
from decide.services.delivery_reports import UpdateDraft
from tests.helpers.sessions import log_in


def test_removing_an_update_asks_first_and_cancel_changes_nothing(app, db, delivered):
    d = delivered
    p1 = d.project("P1")
    first = delivery_reports.post_update(db.session, p1, UpdateDraft("Shelf in.", None, ()),
                                         d.reporter)  # fmt: skip
    second = delivery_reports.post_update(db.session, p1, UpdateDraft("Fridge in.", None, ()),
                                          d.reporter)  # fmt: skip
    first.created_at = first.created_at.replace(hour=9, minute=5)
    second.created_at = second.created_at.replace(hour=16, minute=40)
    db.session.commit()
    client = log_in(app.test_client(), d.reporter)
    url = f"/rounds/{d.round.id}/projects/P1"
    page = client.get(url).get_data(as_text=True)
    names = re.findall(r">(Remove the update of [^<]+)<", page)
    assert len(names) == 2 and len(set(names)) == 2, names
    remove = f"{url}/updates/{first.id}/remove"
    assert f'href="{remove}"' in page  # a link to the page that asks, not a one-tap button
    asked = client.get(remove)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Remove the update of" in html and "09:05" in html
    assert 'name="csrf_token"' in html and f'action="{remove}"' in html
    assert f'href="{url}#updates"' in html  # Cancel
    assert db.session.get(ProgressUpdate, first.id).removed_at is None  # asking changed nothing
    assert client.post(remove).status_code == 303
    db.session.expire_all()
    assert db.session.get(ProgressUpdate, first.id).removed_at is not None
