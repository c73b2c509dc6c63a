"""Log a test client in without a password round trip, as a real login would.

A login is a server-side session row (decide.services.accounts.start_login_session) whose
token the cookie carries; a cookie with only `_user_id` logs no one in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

VERIFIED_AT = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def log_in(client: Any, user: Any) -> Any:
    """Log the client in as `user` (None leaves it anonymous); return the client."""
    from flask import g

    from decide.extensions import db
    from decide.services.accounts import start_login_session

    # Requests reuse the test's app context, so Flask-Login's cached user must be dropped.
    g.pop("_login_user", None)
    if user is None:
        return client
    token = start_login_session(db.session, user, now=VERIFIED_AT)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
        sess["login_token"] = token
    return client
