"""Posting arguments: a rate limit per account, and reply targets that must be plain numbers."""

from __future__ import annotations

import pytest

from decide.models import Argument
from tests.web.world import login


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "ARGUMENT_RATE_LIMIT": "2 per minute"}


def test_posting_arguments_is_rate_limited_per_account(app, db, delib, world):
    from decide.extensions import limiter

    limiter.reset()
    url = f"/proposals/{delib.proposals[0].id}/arguments"
    citizen = login(app.test_client(), world.users["citizen"])
    codes = [
        citizen.post(url, data={"side": "for", "body": f"Point {n}"}).status_code for n in range(3)
    ]
    assert codes == [303, 303, 429]
    assert db.session.query(Argument).count() == 2
    # Another account is counted apart.
    other = login(app.test_client(), world.users["asset_member"])
    assert other.post(url, data={"side": "against", "body": "No"}).status_code == 303


@pytest.mark.parametrize("parent", ["٣", "1.0", "-1", "abc", "1e3", "12345678901"])
def test_a_reply_target_that_is_not_a_plain_number_is_refused(app, db, delib, world, parent):
    from decide.extensions import limiter

    limiter.reset()
    citizen = login(app.test_client(), world.users["citizen"])
    response = citizen.post(
        f"/proposals/{delib.proposals[0].id}/arguments",
        data={"side": "for", "body": "A reply", "parent_id": parent},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="error-summary"' in page
    assert "Reply to an argument shown on this page" in page
    assert db.session.query(Argument).count() == 0
