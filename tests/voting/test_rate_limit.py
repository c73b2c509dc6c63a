"""The cast endpoint is rate limited with VOTE_RATE_LIMIT."""

from __future__ import annotations

import pytest

from tests.helpers.sessions import log_in as login
from tests.voting.helpers import make_area, make_round, make_user, row_counts


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "VOTE_RATE_LIMIT": "2 per minute"}


def test_cast_is_rate_limited(client, db):
    from decide.extensions import limiter

    limiter.reset()
    rnd = make_round(db.session, "approval", area=make_area(db.session))
    login(client, make_user(db.session))
    forged = {"choices": "{}", "check": "0"}
    assert client.post(f"/rounds/{rnd.id}/vote/cast", data=forged).status_code == 400
    assert client.post(f"/rounds/{rnd.id}/vote/cast", data=forged).status_code == 400
    before = row_counts(db.session)
    third = client.post(f"/rounds/{rnd.id}/vote/cast", data=forged)
    assert third.status_code == 429
    assert "Too many attempts" in third.get_data(as_text=True)
    assert row_counts(db.session) == before
