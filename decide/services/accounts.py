"""Accounts: registration and authentication."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from decide.models import User
from decide.services.errors import DomainError

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# Outward code, optional space, inward code (UK). Stored upper-case with one space.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


class EmailTaken(DomainError):
    """An account with this email address already exists."""


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, the form we store and look up."""
    return email.strip().lower()


def normalise_postcode(postcode: str | None) -> str | None:
    """Return a UK postcode as 'AB1 2CD', None when empty; raise ValueError when malformed."""
    if postcode is None or not postcode.strip():
        return None
    compact = re.sub(r"\s+", "", postcode).upper()
    match = POSTCODE_RE.match(compact)
    if not match:
        raise ValueError("Enter a UK postcode, like LS9 8AB")
    return f"{match.group(1)} {match.group(2)}"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password-" + "x" * 8)


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the account with this email address, if any."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def register(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    postcode: str | None = None,
    date_of_birth: dt.date | None = None,
    today: dt.date | None = None,
) -> User:
    """Create a citizen account and return it."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise DomainError("Enter an email address like name@example.org", field="email")
    if not display_name.strip():
        raise DomainError("Enter your name", field="display_name")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(
            f"Your password must be at least {PASSWORD_MIN_LENGTH} characters", field="password"
        )
    try:
        postcode = normalise_postcode(postcode)
    except ValueError as exc:
        raise DomainError(str(exc), field="postcode") from None
    today = today or dt.date.today()
    if date_of_birth is not None and not (dt.date(1900, 1, 1) <= date_of_birth <= today):
        raise DomainError("Enter a date of birth in the past", field="date_of_birth")
    if find_user_by_email(session, email) is not None:
        raise EmailTaken(
            "An account with this email address already exists. Log in instead.", field="email"
        )
    user = User(
        email=email,
        display_name=display_name.strip(),
        postcode=postcode,
        date_of_birth=date_of_birth,
    )
    user.set_password(password)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the account when the email and password match, else None."""
    user = find_user_by_email(session, email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


def set_roles(
    session: Session, email: str, *, facilitator: bool | None = None, officer: bool | None = None
) -> User:
    """Give or take the facilitator and officer roles (None leaves a role as it is)."""
    user = find_user_by_email(session, email)
    if user is None:
        raise DomainError(f"There is no account with the email address {email!r}", field="email")
    if facilitator is not None:
        user.is_facilitator = facilitator
    if officer is not None:
        user.is_officer = officer
    session.commit()
    return user
