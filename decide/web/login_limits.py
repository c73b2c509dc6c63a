"""Throttles behind the account pages: failed logins and password checks, and account e-mail.

Failed logins are counted per account (from any address) and per address; the account page's
password checks count against the same per-account limit. Account e-mails are limited per
address, so nobody can flood a stranger's mailbox through our forms. Limits: decide/config.py.
"""

from __future__ import annotations

from flask import current_app, request
from limits import parse_many

from decide.extensions import limiter
from decide.models import User
from decide.services import accounts
from decide.web.forms import add_error

TOO_MANY_FAILURES = (
    "Too many wrong passwords have been tried for this account, so logging in to it is paused "
    "for a while. Try again in 15 minutes, or reset your password by email."
)
TOO_MANY_FROM_HERE = (
    "Too many wrong passwords have been tried from this network. Try again later, "
    "or reset your password by email."
)


def _throttles(email: str) -> list[tuple[object, tuple[str, ...], str]]:
    """Return (limit, key, message) for the failures counted against this attempt."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return []
    address = request.remote_addr or "unknown"
    account = accounts.normalise_email(email)
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "decide")
    out: list[tuple[object, tuple[str, ...], str]] = []
    for limit in parse_many(str(current_app.config["LOGIN_ACCOUNT_FAILURE_LIMIT"])):
        out.append((limit, (prefix, "login-failures-account", account), TOO_MANY_FAILURES))
    for limit in parse_many(str(current_app.config["LOGIN_ADDRESS_FAILURE_LIMIT"])):
        out.append((limit, (prefix, "login-failures-address", address), TOO_MANY_FROM_HERE))
    return out


def throttled(email: str) -> str | None:
    """Return why this login may not be tried now, or None."""
    for limit, key, message in _throttles(email):
        if not limiter.limiter.test(limit, *key):  # type: ignore[arg-type]
            return message
    return None


def count_failure(email: str) -> None:
    for limit, key, _ in _throttles(email):
        limiter.limiter.hit(limit, *key)  # type: ignore[arg-type]


def password_guess_paused(form: object, user: User) -> bool:
    """Refuse a form that checks the password while the account's failures are paused.

    The account page's password checks count against the same per-account limit as logging
    in, so a stolen session cannot be used to guess the password from many addresses.
    """
    paused = throttled(user.email)
    if paused:
        add_error(form, None, paused)  # type: ignore[arg-type]
    return paused is not None


def may_mail(address: str) -> bool:
    """Return False once an address has been sent too many account e-mails lately.

    The page still says the same (so it reveals nothing); the message is just not sent, so
    nobody can flood a stranger's mailbox through our forms.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "decide")
    key = (prefix, "account-mail", accounts.normalise_email(address))
    limits = parse_many(str(current_app.config["ACCOUNT_MAIL_LIMIT"]))
    if not all(limiter.limiter.test(limit, *key) for limit in limits):
        return False
    for limit in limits:
        limiter.limiter.hit(limit, *key)
    return True
