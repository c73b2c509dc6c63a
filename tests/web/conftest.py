from __future__ import annotations

import pytest
from flask import g

from tests.web.world import World, build_world


@pytest.fixture(autouse=True)
def _fresh_login_per_request(request):
    """Forget the cached user before each request.

    The `app` fixture keeps one app context pushed for the whole test, and Flask reuses it
    for every request, so Flask-Login's `g._login_user` would leak from one request (and
    one client) to the next. In production each request has its own app context.
    """
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")

    @app.before_request
    def _forget_user() -> None:
        g.pop("_login_user", None)


@pytest.fixture
def world(db) -> World:
    """Return a world with one account per role, a round taking proposals and a draft."""
    return build_world(db.session)
