"""Access rules for verified accounts: check-your-email, verification, reset, change of address,
and the postcode -> area table.

Links carry signed tokens made for the world's citizen; each works for every role (a link is
opened by whoever holds it). Forms are sent with values the service refuses, so no role's
request changes what the next one sees.
"""

from __future__ import annotations

from flask import current_app

from tests.web.access import FACILITATOR_ONLY, PUBLIC, SIGNED_IN, Access
from tests.web.access.voting import Replayable


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _verify_url(w) -> str:
    from decide.services.accounts import verification_token

    return f"/verify/{verification_token(_secret(), w.user('citizen'))}"


def _reset_url(w) -> str:
    from decide.services.accounts import reset_token

    return f"/password/reset/{reset_token(_secret(), w.user('citizen'))}"


def _email_url(w) -> str:
    from decide.services.accounts import email_change_token

    citizen = w.user("citizen")
    return f"/account/email/{email_change_token(_secret(), citizen, 'cara.new@test.example')}"


def _table(w) -> dict:
    return {"file": (Replayable(b"postcode,area\nNB1 1AA,Riverside\n"), "postcodes.csv")}


RULES = [
    Access("auth.check_email", "GET", lambda w: "/check-email", PUBLIC),
    Access("auth.verify", "GET", _verify_url, PUBLIC),
    Access("auth.resend_verification", "POST", lambda w: "/verify/resend", SIGNED_IN),
    Access("auth.forgot_password", "GET", lambda w: "/password/forgot", PUBLIC),
    Access(
        "auth.forgot_password",
        "POST",
        lambda w: "/password/forgot",
        PUBLIC,
        data=lambda w: {"email": "nobody@test.example"},
    ),
    Access("auth.reset_password", "GET", _reset_url, PUBLIC),
    Access("auth.reset_password", "POST", _reset_url, PUBLIC, data=lambda w: {"password": "short"}),
    Access(
        "auth.change_email",
        "POST",
        lambda w: "/account/email",
        SIGNED_IN,
        data=lambda w: {"new_email": "new@test.example", "password": "wrong"},
    ),
    Access("auth.confirm_email_change", "GET", _email_url, PUBLIC),
    Access("postcodes.table", "GET", lambda w: "/postcodes", FACILITATOR_ONLY),
    Access("postcodes.table", "POST", lambda w: "/postcodes", FACILITATOR_ONLY, data=_table),
    Access(
        "postcodes.round_table",
        "GET",
        lambda w: f"/rounds/{w.round.id}/postcodes",
        FACILITATOR_ONLY,
    ),
    Access(
        "postcodes.round_table",
        "POST",
        lambda w: f"/rounds/{w.round.id}/postcodes",
        FACILITATOR_ONLY,
        data=_table,
    ),
]
