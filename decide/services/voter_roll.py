"""Voter rolls: a CSV of reference numbers and dates of birth, stored as keyed hashes.

Voter roll identities are stored as HMAC-SHA256 over the normalised reference number and date
of birth, keyed by the app's SECRET_KEY together with a random per-round salt. Without the
secret key a leaked table cannot be searched by trying every birth date. (Rotating SECRET_KEY
therefore invalidates uploaded rolls: upload them again.)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from decide.models import (
    VoterRollEntry,
)
from decide.services.eligibility import (
    EligibilityError,
    RollError,
    VoterKey,
    check_age,
    settings_for,
)

MAX_ROLL_ROWS = 200_000


def normalise_reference(reference: str) -> str:
    """Return a reference number without spaces or hyphens, upper case."""
    return re.sub(r"[\s\-]", "", reference).upper()


def parse_birth_date(text: str) -> dt.date:
    """Read a date of birth written YYYY-MM-DD or DD/MM/YYYY, or raise ValueError."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def identity_hash(secret_key: str, salt: str, reference: str, born: dt.date) -> str:
    """Return the keyed hash that stands for one person on a voter roll."""
    key = hashlib.sha256(b"decide/roll/v1\x00" + secret_key.encode() + bytes.fromhex(salt))
    message = f"{normalise_reference(reference)}|{born.isoformat()}".encode()
    return hmac.new(key.digest(), message, hashlib.sha256).hexdigest()


class _RollReader:
    """A csv.reader over the roll whose unreadable line is a RollError, not a crash."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""))

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> _RollReader:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            line = self._reader.line_num + 1
            raise RollError([f"line {line}: cannot be read as CSV ({exc})"]) from None


def parse_roll(csv_text: str) -> list[tuple[str, dt.date]]:
    """Return the roll's people as (reference, date of birth), or raise RollError per bad line.

    A reference appears once: it names one person across uploads of the roll.
    """
    reader = _RollReader(csv_text)
    problems: list[str] = []
    people: list[tuple[str, dt.date]] = []
    seen: dict[str, int] = {}
    header = next(reader, None)
    if header is None:
        raise RollError(["line 1: the file is empty"])
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "reference" not in names or "date_of_birth" not in names:
        raise RollError(["line 1: the header must name the columns reference and date_of_birth"])
    ref_col, dob_col = names.index("reference"), names.index("date_of_birth")
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(ref_col, dob_col):
            problems.append(f"line {line}: expected {len(names)} columns, found {len(row)}")
            continue
        reference = normalise_reference(row[ref_col])
        if not reference:
            problems.append(f"line {line}: the reference is empty")
            continue
        try:
            born = parse_birth_date(row[dob_col])
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if reference in seen:
            problems.append(
                f"line {line}: repeats line {seen[reference]} (a reference appears once)"
            )
            continue
        seen[reference] = line
        people.append((reference, born))
        if len(people) > MAX_ROLL_ROWS:
            problems.append(f"line {line}: a roll holds at most {MAX_ROLL_ROWS} people")
            break
    if not people and not problems:
        problems.append("the file has a header but no people")
    if problems:
        raise RollError(problems[:50] + ([f"and {len(problems) - 50} more"] * (len(problems) > 50)))
    return people


def upload_roll(session: Session, round_id: int, csv_text: str, *, secret_key: str) -> int:
    """Store a voter roll CSV (reference, date_of_birth) hashed; all rows or none. Commit.

    A new upload keeps the people already on the roll (see decide.services.register).
    Return how many people the file lists.
    """
    from decide.services.register_setup import store_roll

    return store_roll(session, round_id, parse_roll(csv_text), secret_key=secret_key).in_file


def roll_size(session: Session, round_id: int) -> int:
    """Return how many people are on the round's voter roll."""
    return (
        session.scalar(
            select(func.count())
            .select_from(VoterRollEntry)
            .where(VoterRollEntry.round_id == round_id)
        )
        or 0
    )


def verify_roll(
    session: Session,
    round_id: int,
    reference: str,
    born: dt.date,
    *,
    secret_key: str,
    today: dt.date,
) -> VoterKey:
    """Return the roll voter's key when reference and birth date match, else raise."""
    settings = settings_for(session, round_id)
    if not settings.by_roll or settings.roll_salt is None:
        raise EligibilityError("This round does not accept voting by voter roll.")
    digest = identity_hash(secret_key, settings.roll_salt, reference, born)
    entry_id = session.scalar(
        select(VoterRollEntry.id).where(
            VoterRollEntry.round_id == round_id, VoterRollEntry.identity_hash == digest
        )
    )
    if entry_id is None:
        raise EligibilityError(
            "We could not find that reference number and date of birth on the voter roll. "
            "Check both and try again."
        )
    check_age(settings, born, today)
    return VoterKey("roll", entry_id)
