"""Accounts: registration, authentication, and changes people make to their own account."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from decide.models import User
from decide.services.errors import DomainError, InvalidInput

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# Outward code, optional space, inward code (UK). Stored upper-case with one space.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# The one example postcode: every hint and the error for a malformed postcode show this one.
POSTCODE_EXAMPLE = "LS9 8AB"


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
        raise ValueError(f"Enter a UK postcode, like {POSTCODE_EXAMPLE}")
    return f"{match.group(1)} {match.group(2)}"


BIRTH_DATE_MESSAGE = "Enter a date of birth in the past"
NAME_MAX_LENGTH = 120


def _check_new_password(password: str, *, field: str) -> None:
    """Raise DomainError unless the password meets the rules every account password meets."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(
            f"Your password must be at least {PASSWORD_MIN_LENGTH} characters", field=field
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(
            f"Your password must be {PASSWORD_MAX_LENGTH} characters or fewer", field=field
        )


def _plausible_birth_date(born: dt.date | None, today: dt.date) -> bool:
    return born is None or dt.date(1900, 1, 1) <= born <= today


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
    _check_new_password(password, field="password")
    try:
        postcode = normalise_postcode(postcode)
    except ValueError as exc:
        raise DomainError(str(exc), field="postcode") from None
    today = today or dt.date.today()
    if not _plausible_birth_date(date_of_birth, today):
        raise DomainError(BIRTH_DATE_MESSAGE, field="date_of_birth")
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


# Changes people make to their own account -------------------------------------------------


def update_details(
    session: Session,
    user: User,
    *,
    display_name: str,
    postcode: str | None,
    date_of_birth: dt.date | None,
    today: dt.date | None = None,
) -> User:
    """Change the account's name, postcode and date of birth together, or nothing at all."""
    errors: dict[str, str] = {}
    name = display_name.strip()
    if not name:
        errors["display_name"] = "Enter your name"
    elif len(name) > NAME_MAX_LENGTH:
        errors["display_name"] = f"Your name must be {NAME_MAX_LENGTH} characters or fewer"
    normalised: str | None = None
    try:
        normalised = normalise_postcode(postcode)
    except ValueError as exc:
        errors["postcode"] = str(exc)
    if not _plausible_birth_date(date_of_birth, today or dt.date.today()):
        errors["date_of_birth"] = BIRTH_DATE_MESSAGE
    if errors:
        raise InvalidInput(errors)
    user.display_name, user.postcode, user.date_of_birth = name, normalised, date_of_birth
    session.commit()
    return user


def check_new_postcode(postcode: str | None, problem: Callable[[str], str | None]) -> str:
    """Return the postcode normalised, or raise DomainError: badly written, or `problem` says."""
    try:
        normalised = normalise_postcode(postcode)
    except ValueError as exc:
        raise DomainError(str(exc), field="postcode") from None
    if normalised is None:
        raise DomainError("Enter your postcode", field="postcode")
    reason = problem(normalised)
    if reason:
        raise DomainError(reason, field="postcode")
    return normalised


def add_missing_details(
    session: Session,
    user: User,
    *,
    postcode: str | None = None,
    date_of_birth: dt.date | None = None,
    today: dt.date | None = None,
) -> User:
    """Give an account the postcode and/or date of birth it lacks, both or neither."""
    if date_of_birth is not None:
        if user.date_of_birth is not None:
            raise DomainError(
                "Your account already has a date of birth. You can change it on your account page.",
                field="date_of_birth",
            )
        if not _plausible_birth_date(date_of_birth, today or dt.date.today()):
            raise DomainError(BIRTH_DATE_MESSAGE, field="date_of_birth")
        user.date_of_birth = date_of_birth
    if postcode is not None:
        return add_postcode(session, user, postcode)  # commits both, or raises before
    session.commit()
    return user


def add_postcode(session: Session, user: User, postcode: str | None) -> User:
    """Give an account that has no postcode yet its postcode (asked for where it is needed)."""
    if user.postcode:
        raise DomainError(
            f"Your account already has a postcode ({user.postcode}). "
            "You can change it on your account page.",
            field="postcode",
        )
    try:
        normalised = normalise_postcode(postcode)
    except ValueError as exc:
        raise DomainError(str(exc), field="postcode") from None
    if normalised is None:
        raise DomainError("Enter your postcode", field="postcode")
    user.postcode = normalised
    session.commit()
    return user


def change_password(
    session: Session, user: User, *, current_password: str, new_password: str
) -> User:
    """Set a new password once the current one is confirmed; the rules match registration."""
    if not user.check_password(current_password):
        raise DomainError("Your current password is not right", field="current_password")
    _check_new_password(new_password, field="new_password")
    if user.check_password(new_password):
        raise DomainError(
            "Your new password is the same as your current one. Choose a different one.",
            field="new_password",
        )
    user.set_password(new_password)
    session.commit()
    return user
