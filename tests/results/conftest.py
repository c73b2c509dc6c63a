from __future__ import annotations

import pytest
from flask import g


@pytest.fixture(autouse=True)
def _fresh_login_per_request(request):
    """Forget Flask-Login's cached user before each request (the test app context is shared)."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")

    def forget() -> None:
        g.pop("_login_user", None)

    app.before_request(forget)
