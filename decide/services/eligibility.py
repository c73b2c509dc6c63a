"""Who may vote: postcode areas, voter rolls, one-time access codes and a minimum age.

A voter is named by a `VoterKey`: an account ("user:12"), a voter-roll entry ("roll:34") or an
access code ("code:56"). The participation mark records the register entry the key stands for
(decide.services.register: with a voter roll, every route marks a roll entry); it is never
stored next to a ballot.

Voter roll identities are stored as HMAC-SHA256 over the normalised reference number and date
of birth, keyed by the app's SECRET_KEY together with a random per-round salt. Without the
secret key a leaked table cannot be searched by trying every birth date. (Rotating SECRET_KEY
therefore invalidates uploaded rolls: upload them again.) Access codes carry 60 random bits,
so a plain salted SHA-256 suffices and survives a key rotation.

The roll lives in decide.services.voter_roll, the codes in decide.services.access_codes;
this module holds the round's settings and the checks every route shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from decide.models import (
    AccessCode,
    Round,
    RoundEligibility,
    User,
    VoterRollEntry,
)
from decide.services import postcodes
from decide.services.unit_of_work import transactional

NOT_VERIFIED = (
    "Before you can vote, confirm your email address: open the link we emailed you "
    "when you created your account."
)


class EligibilityError(Exception):
    """A voter may not vote in this round; the message says why in plain words."""


class RollError(Exception):
    """A voter roll upload was refused; `problems` lists each bad line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class VoterKey:
    """Who is voting: an account, a voter-roll entry or an access code, by row id."""

    kind: str
    id: int

    def __post_init__(self) -> None:
        if self.kind not in {"user", "roll", "code", "paper"}:
            raise ValueError(f"unknown voter kind {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> VoterKey:
        """Return the key written as 'kind:id', or raise ValueError."""
        kind, _, ident = text.partition(":")
        if not ident.isdigit():
            raise ValueError(f"not a voter key: {text!r}")
        return cls(kind, int(ident))


# A paper ballot entered by an officer; its issued number and roll entry travel beside it
# (decide.services.register.PaperUse) and decide which register entry it marks.
PAPER_VOTER = VoterKey("paper", 0)


def settings_for(session: Session, round_id: int) -> RoundEligibility:
    """Return the round's eligibility settings (defaults when none are stored: postcode only)."""
    row = session.get(RoundEligibility, round_id)
    if row is None:
        row = RoundEligibility(round_id=round_id, by_postcode=True, by_roll=False, by_code=False)
    return row


@transactional
def save_settings(
    session: Session,
    round_id: int,
    *,
    by_postcode: bool,
    by_roll: bool,
    by_code: bool,
    min_age: int | None,
) -> RoundEligibility:
    """Store the round's modes and minimum age, and commit."""
    if not (by_postcode or by_roll or by_code):
        raise EligibilityError("Choose at least one way for people to prove they may vote.")
    if min_age is not None and not 0 <= min_age <= 120:
        raise EligibilityError("The minimum age must be between 0 and 120.")
    row = session.get(RoundEligibility, round_id)
    rnd = session.get(Round, round_id)
    before = settings_for(session, round_id)
    wanted = (by_postcode, by_roll, by_code, min_age)
    if (
        rnd is not None
        and rnd.ballot_locked
        and (before.by_postcode, before.by_roll, before.by_code, before.min_age) != wanted
    ):
        raise EligibilityError(
            "Voting has opened: the ways to vote and the minimum age cannot change now."
        )
    if row is None:
        row = RoundEligibility(round_id=round_id)
        session.add(row)
    if (row.by_postcode, row.by_roll, row.by_code) != (by_postcode, by_roll, by_code):
        row.self_declared_ok = False  # the warning depends on the routes: confirm it again
    row.by_postcode, row.by_roll, row.by_code, row.min_age = wanted
    return row


def area_of_postcode(session: Session, round_id: int | None, postcode: str | None) -> int | None:
    """Return the area id the postcode -> area table lists for this postcode, or None."""
    return postcodes.area_of_postcode(session, round_id, postcode)


def postcode_outside_round(session: Session, rnd: Round, postcode: str | None) -> str | None:
    """Return why this postcode cannot vote in the round's areas, or None when it can."""
    area_id = area_of_postcode(session, rnd.id, postcode)
    names = ", ".join(sorted(a.name for a in rnd.areas))
    shown = (postcode or "").upper().strip()
    if area_id is None:
        return (
            f"We could not place {shown} in this round's areas ({names}). Check it, or ask "
            "the facilitator for an access code if you live here."
            if names
            else f"We could not place {shown} in any of our areas. Check it."
        )
    if rnd.areas and area_id not in {a.id for a in rnd.areas}:
        return f"{shown} is outside this round's areas ({names}), so this vote is not for it."
    return None


def age_on(born: dt.date, today: dt.date) -> int:
    """Return the age in whole years on `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_user(session: Session, rnd: Round, user: User, today: dt.date) -> None:
    """Raise EligibilityError unless the account may vote in the round by postcode."""
    settings = settings_for(session, rnd.id)
    if not settings.by_postcode:
        raise EligibilityError(
            "In this round you vote with your voter roll details or an access code, "
            "not with your account."
        )
    if not user.is_verified:
        raise EligibilityError(NOT_VERIFIED)
    if not user.postcode:
        raise EligibilityError(
            "This round is for people who live in its areas. Add your postcode to your "
            "account, or ask the facilitator for an access code."
        )
    problem = postcode_outside_round(session, rnd, user.postcode)
    if problem:
        raise EligibilityError(f"{problem} You can change your postcode on your account page.")
    check_age(settings, user.date_of_birth, today)


def check_age(settings: RoundEligibility, born: dt.date | None, today: dt.date) -> None:
    """Raise EligibilityError when the round has a minimum age the birth date does not meet."""
    if settings.min_age is None or settings.min_age == 0:
        return
    if born is None:
        raise EligibilityError(
            f"You must be {settings.min_age} or over to vote in this round. "
            "Add your date of birth to your account."
        )
    if age_on(born, today) < settings.min_age:
        raise EligibilityError(f"You must be {settings.min_age} or over to vote in this round.")


def check_voter(session: Session, rnd: Round, voter: VoterKey, today: dt.date) -> None:
    """Raise EligibilityError unless this voter may vote in the round."""
    settings = settings_for(session, rnd.id)
    if voter.kind == "user":
        user = session.get(User, voter.id)
        if user is None:
            raise EligibilityError("This account does not exist.")
        check_user(session, rnd, user, today)
    elif voter.kind == "roll":
        entry = session.get(VoterRollEntry, voter.id)
        if not settings.by_roll or entry is None or entry.round_id != rnd.id:
            raise EligibilityError("This round does not accept voting by voter roll.")
    elif voter.kind == "code":
        code = session.get(AccessCode, voter.id)
        if not settings.by_code or code is None or code.round_id != rnd.id:
            raise EligibilityError("This access code is not valid for this round.")
    elif voter.kind == "paper":
        return
    else:  # pragma: no cover - VoterKey refuses other kinds
        raise EligibilityError("Unknown kind of voter.")


# Voter roll -----------------------------------------------------------------------------
