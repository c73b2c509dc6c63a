"""Accounts: registration, verification, authentication, recovery, and changes people make.

E-mailed links are signed with the app's secret key (itsdangerous) and expire:
- verify: names the account and the address it verifies; it works only while the account
  still has that address.
- change of address: names the account, its current address and the new one; the new one
  takes effect when the link (sent to the new address) is opened.
- reset: names the account and a fingerprint of its current password hash, so it works once:
  setting the new password changes the hash (a new salt, even for the same password).

Logged-in browsers are rows of `LoginSession` holding only a hash of the cookie's token, so
logging out ends the session on the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from decide.models import LoginSession, User
from decide.services.errors import DomainError, InvalidInput

PASSWORD_MIN_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"
PASSWORD_MAX_LENGTH = 200
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# Outward code, optional space, inward code (UK). Stored upper-case with one space.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# The one example postcode: every hint and the error for a malformed postcode show this one.
POSTCODE_EXAMPLE = "LS9 8AB"


class BadLink(DomainError):
    """An e-mailed link is altered, expired, already used or no longer applies."""


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


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the common-password list (decide/data/common-passwords.txt), lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Return why this password may not be used, or None when it may."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Your password must be at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Your password must be {PASSWORD_MAX_LENGTH} characters or fewer"
    if password.strip().lower() in common_passwords():
        return (
            "This password is on a list of common passwords that attackers try first. "
            "Choose another: a few unrelated words work well."
        )
    return None


def _check_new_password(password: str, *, field: str) -> None:
    """Raise DomainError unless the password meets the rules every account password meets."""
    problem = password_problem(password)
    if problem:
        raise DomainError(problem, field=field)


def _plausible_birth_date(born: dt.date | None, today: dt.date) -> bool:
    return born is None or dt.date(1900, 1, 1) <= born <= today


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password-" + "x" * 8)


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the account with this email address, if any."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


@dataclass(frozen=True)
class Registration:
    """What a registration did: created `user`, or found that `existing` had the address.

    The page says the same in both cases (check your e-mail); only the e-mail differs.
    """

    user: User | None = None
    existing: User | None = None


def register(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    postcode: str | None = None,
    date_of_birth: dt.date | None = None,
    today: dt.date | None = None,
) -> Registration:
    """Create an unverified citizen account, or find the account that has the address."""
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
    password_hash = generate_password_hash(password)  # also when unused: the same time taken
    existing = find_user_by_email(session, email)
    if existing is not None:
        return Registration(existing=existing)
    user = User(
        email=email,
        display_name=display_name.strip(),
        postcode=postcode,
        date_of_birth=date_of_birth,
        password_hash=password_hash,
    )
    session.add(user)
    session.commit()
    return Registration(user=user)


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
    # Everything is checked before anything changes, so a refusal leaves the account as it was.
    normalised = _new_postcode(user, postcode) if postcode is not None else None
    if date_of_birth is not None:
        user.date_of_birth = date_of_birth
    if normalised is not None:
        user.postcode = normalised
    session.commit()
    return user


def _new_postcode(user: User, postcode: str | None) -> str:
    """Return the postcode for an account that has none yet, normalised, or raise."""
    if user.postcode:
        raise DomainError(
            f"Your account already has a postcode ({user.postcode}). "
            "You can change it on your account page.",
            field="postcode",
        )
    return check_new_postcode(postcode, lambda _postcode: None)


def add_postcode(session: Session, user: User, postcode: str | None) -> User:
    """Give an account that has no postcode yet its postcode (asked for where it is needed)."""
    user.postcode = _new_postcode(user, postcode)
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


# Verification, change of address and password reset links --------------------------------

VERIFY_SALT = "decide/verify-email/v1"
CHANGE_EMAIL_SALT = "decide/change-email/v1"
RESET_SALT = "decide/reset-password/v1"
EXPIRED = "This link has expired. Ask for a new one below."
NOT_VALID = "This link is not valid: it may be mistyped, or it has been used already."


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def _load(secret_key: str, salt: str, token: str, max_age: int) -> dict[str, object]:
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadLink(EXPIRED) from None
    except BadSignature:
        raise BadLink(NOT_VALID) from None
    if not isinstance(data, dict):
        raise BadLink(NOT_VALID)
    return data


def _user_of(session: Session, data: dict[str, object]) -> User:
    uid = data.get("u")
    user = session.get(User, uid) if isinstance(uid, int) else None
    if user is None:
        raise BadLink(NOT_VALID)
    return user


def _address_fingerprint(email: str) -> str:
    # The link's payload is signed, not encrypted: it names the address only by a hash, so the
    # link in an access log does not show it.
    return hashlib.sha256(f"decide/verify\x00{email}".encode()).hexdigest()[:24]


def verification_token(secret_key: str, user: User, next_path: str | None = None) -> str:
    """Return the signed token of a link that verifies the account's current address."""
    data: dict[str, object] = {"u": user.id, "e": _address_fingerprint(user.email)}
    if next_path:
        data["n"] = next_path
    return _serializer(secret_key, VERIFY_SALT).dumps(data)


def verify_email(
    session: Session, secret_key: str, token: str, *, max_age: int, now: dt.datetime
) -> tuple[User, str | None]:
    """Mark the address verified; return the account and the page to go on to (if any)."""
    data = _load(secret_key, VERIFY_SALT, token, max_age)
    user = _user_of(session, data)
    if data.get("e") != _address_fingerprint(user.email):
        raise BadLink(NOT_VALID)
    if user.email_verified_at is None:
        user.email_verified_at = now
        session.commit()
    next_path = data.get("n")
    return user, next_path if isinstance(next_path, str) else None


def email_change_token(secret_key: str, user: User, new_email: str) -> str:
    """Return the signed token of a link that moves the account to `new_email`."""
    data = {"u": user.id, "old": user.email, "new": new_email}
    return _serializer(secret_key, CHANGE_EMAIL_SALT).dumps(data)


def request_email_change(session: Session, user: User, *, password: str, new_email: str) -> str:
    """Check a change of address (the password is needed); return the new address.

    Nothing changes until the link sent to the new address is opened. When the new address
    already has an account, the caller tells its owner so, and the page says the same as ever.
    """
    if not user.check_password(password):
        raise DomainError("Your password is not right", field="password")
    new_email = normalise_email(new_email)
    if not EMAIL_RE.match(new_email) or len(new_email) > 254:
        raise DomainError("Enter an email address like name@example.org", field="email")
    if new_email == user.email:
        raise DomainError("This is already your email address", field="email")
    return new_email


def confirm_email_change(
    session: Session, secret_key: str, token: str, *, max_age: int, now: dt.datetime
) -> tuple[User, str | None]:
    """Move the account to the new, now verified, address; return it and the old address.

    Opening the link again changes nothing and returns None for the old address.
    """
    data = _load(secret_key, CHANGE_EMAIL_SALT, token, max_age)
    user = _user_of(session, data)
    old, new = data.get("old"), data.get("new")
    if not isinstance(old, str) or not isinstance(new, str):
        raise BadLink(NOT_VALID)
    if user.email == new:
        return user, None
    if old != user.email:
        raise BadLink(NOT_VALID)
    if find_user_by_email(session, new) is not None:
        raise BadLink("Another account uses that address now, so we cannot move yours to it.")
    user.email, user.email_verified_at = new, now
    session.commit()
    return user, old


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(f"decide/reset\x00{user.password_hash}".encode()).hexdigest()[:24]


def reset_token(secret_key: str, user: User) -> str:
    """Return the signed token of a link that sets a new password once."""
    data = {"u": user.id, "p": _password_fingerprint(user)}
    return _serializer(secret_key, RESET_SALT).dumps(data)


def account_for_reset(session: Session, secret_key: str, token: str, *, max_age: int) -> User:
    """Return the account whose password the link may set, or raise BadLink."""
    data = _load(secret_key, RESET_SALT, token, max_age)
    user = _user_of(session, data)
    if data.get("p") != _password_fingerprint(user):
        raise BadLink(NOT_VALID)
    return user


def reset_password(
    session: Session,
    secret_key: str,
    token: str,
    new_password: str,
    *,
    max_age: int,
    now: dt.datetime,
) -> User:
    """Set a new password from a reset link (which then stops working); log out everywhere.

    Opening the link proves the owner reads the address, so it also counts as verifying it.
    """
    user = account_for_reset(session, secret_key, token, max_age=max_age)
    _check_new_password(new_password, field="password")
    user.set_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = now
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.commit()
    return user


# Logged-in browsers -------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"decide/login-session\x00{token}".encode()).hexdigest()


def start_login_session(session: Session, user: User, *, now: dt.datetime) -> str:
    """Record a new logged-in browser and return the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, token_hash=_token_hash(token), created_at=now))
    session.commit()
    return token


def user_of_login_session(session: Session, user_id: int, token: str) -> User | None:
    """Return the account when this token belongs to one of its live sessions, else None."""
    return session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == user_id, LoginSession.token_hash == _token_hash(token))
    )


def end_login_session(session: Session, token: str) -> None:
    """End one logged-in browser: its cookie no longer logs anyone in."""
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    session.commit()


def end_other_login_sessions(session: Session, user: User, keep_token: str | None) -> None:
    """End every session of the account except the one holding `keep_token`."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.token_hash != _token_hash(keep_token))
    session.execute(query)
    session.commit()
