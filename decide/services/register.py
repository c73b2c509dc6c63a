"""One register per round: every route to a ballot marks the same register entry.

A round's register is its voter roll when it has one, else it is "self-declared".

With a roll, every route resolves to one roll entry, and the participation mark is keyed
"roll:<entry id>":

- voter roll: reference number and date of birth;
- account: the account is linked once to its roll entry, by the same reference number and
  date of birth (`bind_account`); from then on the account stands for that entry;
- access code: a code printed for a roll entry (`codes_for_references`) marks that entry; a
  code that names no entry is refused in a round with a roll;
- paper: the officer enters the voter's reference number and date of birth together with the
  ballot paper's issued number; the paper marks that entry.

Without a roll, each account ("user:<id>"), each access code ("code:<id>") and each issued paper
ballot number ("paper:<number id>") is its own entry. That is what "self-declared" means: the
facilitator is told in plain words what it allows (`self_declared_warning`) and must confirm it
before voting opens.

The participation table's primary key (round, entry key) decides every race: of many casts for
one entry at once, by any routes, one inserts its mark and the others fail on the constraint
and are refused (`AlreadyMarked`). A paper ballot number is claimed in the same transaction
(``UPDATE ... WHERE used_on IS NULL``), so a number is used once and a refused ballot leaves it
unused. The mark records its route, so ballots can be counted per route without naming one.

A new upload of the roll keeps the entries that exist: entries are matched on a keyed hash of
the reference, keep their ids (so marks, codes and linked accounts still point at them), new
people are added, and once voting has opened nobody is removed (`store_roll` reports who).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from decide.models import (
    AccessCode,
    Ballot,
    PaperNumber,
    Participation,
    RollBinding,
    Round,
    RoundEligibility,
    User,
    VoterRollEntry,
)
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from decide.services.errors import DomainError

__all__ = [
    "ROUTES",
    "ROUTE_LABELS",
    "AlreadyMarked",
    "NotOnRegister",
    "PaperUse",
    "RegisterRefusal",
    "already_message",
    "as_domain_error",
    "ballots_per_route",
    "bind_account",
    "check",
    "entry_key",
    "format_paper_number",
    "has_roll",
    "mark",
    "marked_on",
    "normalise_paper_number",
    "paper_number_problem",
]

# How a ballot reached the register, by the kind of voter key that cast it.
ROUTES = {"user": "account", "roll": "roll", "code": "code", "paper": "paper"}
ROUTE_LABELS = {
    "account": "Online, signed in with an account",
    "roll": "Online, with voter roll details",
    "code": "Online, with an access code",
    "paper": "Paper, entered by an officer",
    "imported": "Imported from a pabulib file",
}
MAX_PAPER_BATCH = 5000
PAPER_DIGITS = 10  # unguessable: 1 in 10^10 for a made-up number
ROUTE_DAYS = "%d %B %Y"


class RegisterRefusal(Exception):
    """A ballot was refused by the register; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyMarked(RegisterRefusal):
    """The register entry already has a ballot (by any route), or the paper number was used."""


class NotOnRegister(RegisterRefusal):
    """The voter names no entry of this round's register."""


@dataclass(frozen=True)
class PaperUse:
    """A paper ballot: its issued number, the officer entering it, and the roll entry it marks."""

    number: str
    officer_id: int
    entry: VoterKey | None = None


# Which entry -----------------------------------------------------------------------------


def has_roll(session: Session, round_id: int) -> bool:
    """Return True when the round's register is a voter roll (with at least one entry)."""
    settings = session.get(RoundEligibility, round_id)
    if settings is None or not settings.by_roll:
        return False
    return (
        session.scalar(
            select(VoterRollEntry.id).where(VoterRollEntry.round_id == round_id).limit(1)
        )
        is not None
    )


def _roll_entry_of(session: Session, round_id: int, voter: VoterKey) -> int | None:
    """Return the roll entry id a voter stands for in a round with a roll, or None."""
    if voter.kind == "roll":
        entry = session.get(VoterRollEntry, voter.id)
        return entry.id if entry is not None and entry.round_id == round_id else None
    if voter.kind == "user":
        return session.scalar(
            select(RollBinding.entry_id).where(
                RollBinding.round_id == round_id, RollBinding.user_id == voter.id
            )
        )
    if voter.kind == "code":
        code = session.get(AccessCode, voter.id)
        return code.roll_entry_id if code is not None and code.round_id == round_id else None
    return None


def entry_key(
    session: Session, round_id: int, voter: VoterKey, paper: PaperUse | None = None
) -> str | None:
    """Return the register entry this voter (or paper ballot) marks, or None if it names none."""
    if has_roll(session, round_id):
        if paper is not None:
            entry = paper.entry
            if entry is None or entry.kind != "roll":
                return None
            found = _roll_entry_of(session, round_id, entry)
        else:
            found = _roll_entry_of(session, round_id, voter)
        return None if found is None else f"roll:{found}"
    if paper is not None:
        number_id = session.scalar(
            select(PaperNumber.id).where(
                PaperNumber.round_id == round_id, PaperNumber.number == paper.number.strip()
            )
        )
        return None if number_id is None else f"paper:{number_id}"
    return str(voter) if voter.kind in ("user", "code") else None


NEEDS_BINDING = (
    "This round has a voter roll. Enter your reference number and date of birth once, below, "
    "to link your account to your place on the roll; then you can vote."
)
CODE_NOT_ON_ROLL = (
    "This access code was not printed for anyone on this round's voter roll, so it cannot be "
    "used. Ask the facilitator for a code with your reference number on it."
)
PAPER_ENTRY_VOTED = (
    "This person has already voted in this round, so this paper ballot cannot be entered: "
    "nothing new was stored, and the paper ballot number stays unused."
)
PAPER_NEEDS_ENTRY = (
    "This round has a voter roll: enter the voter's reference number and date of birth, as "
    "on the roll, so that the paper ballot marks their place on it."
)


def check(
    session: Session, rnd: Round, voter: VoterKey, today: dt.date, paper: PaperUse | None = None
) -> None:
    """Raise NotOnRegister (or EligibilityError) unless this voter may vote in the round."""
    if not has_roll(session, rnd.id):
        if paper is not None:
            if paper.entry is not None:
                raise NotOnRegister("This round has no voter roll; leave the roll details empty.")
            return
        elig.check_voter(session, rnd, voter, today)
        return
    if paper is not None:
        if paper.entry is None or _roll_entry_of(session, rnd.id, paper.entry) is None:
            raise NotOnRegister(PAPER_NEEDS_ENTRY)
        return
    if voter.kind == "user":
        # An account votes only once its address is verified, whichever way it is placed.
        user = session.get(User, voter.id)
        if user is None or not user.is_verified:
            raise elig.EligibilityError(elig.NOT_VERIFIED)
        if _roll_entry_of(session, rnd.id, voter) is None:
            raise NotOnRegister(NEEDS_BINDING)
        return
    if voter.kind == "code":
        elig.check_voter(session, rnd, voter, today)
        if _roll_entry_of(session, rnd.id, voter) is None:
            raise NotOnRegister(CODE_NOT_ON_ROLL)
        return
    elig.check_voter(session, rnd, voter, today)


def marked_on(session: Session, round_id: int, voter: VoterKey) -> dt.date | None:
    """Return the day this voter's register entry was marked as voted, or None."""
    key = entry_key(session, round_id, voter)
    if key is None:
        return None
    return session.scalar(
        select(Participation.voted_on).where(
            Participation.round_id == round_id, Participation.voter_key == key
        )
    )


def already_message(session: Session, round_id: int, voter: VoterKey) -> str | None:
    """Return why this voter cannot vote again (their entry is marked), or None."""
    key = entry_key(session, round_id, voter)
    if key is None or marked_on(session, round_id, voter) is None:
        return None
    return _already_message(session, round_id, key)


def _already_message(session: Session, round_id: int, key: str) -> str:
    row = session.execute(
        select(Participation.voted_on, Participation.route).where(
            Participation.round_id == round_id, Participation.voter_key == key
        )
    ).first()
    if key.startswith("code:"):
        return "This access code has already been used. Each code works once."
    if key.startswith("paper:"):
        return "This paper ballot number was already used; nothing new was stored."
    when = f" on {row.voted_on.strftime(ROUTE_DAYS).lstrip('0')}" if row else ""
    how = ROUTE_LABELS.get(row.route or "", "").lower() if row else ""
    how = f" ({how})" if how else ""
    whose = "this place on the voter roll" if key.startswith("roll:") else "this account"
    return (
        f"You have already voted in this round: a ballot was recorded for {whose}{when}{how}. "
        "Each person votes once, by one route; nothing new was stored."
    )


def mark(
    session: Session,
    rnd: Round,
    voter: VoterKey,
    *,
    today: dt.date,
    paper: PaperUse | None = None,
    seal: Callable[[str], bytes] | None = None,
    along: Sequence[tuple[Table, dict[str, object]]] = (),
) -> None:
    """Mark the voter's register entry (and claim the paper number) in the open transaction.

    `seal` seals the voter's receipt for the entry's key; the mark keeps it. `along` are rows
    written with the mark (a cast's envelope), in the same statement where the database
    allows it (see `insert_together`). Raise
    AlreadyMarked when the entry has a ballot by any route or the number was used, and
    NotOnRegister when the voter names no entry. On a refusal the transaction is rolled back.
    """
    key = entry_key(session, rnd.id, voter, paper)
    if key is None:
        raise NotOnRegister(
            PAPER_NEEDS_ENTRY if paper is not None and has_roll(session, rnd.id) else
            "That paper ballot number was never issued for this round. Check the number "
            "printed on the ballot paper." if paper is not None else
            "You are not on this round's register."
        )  # fmt: skip
    if paper is not None:
        _claim_number(session, rnd.id, paper, today)
    route = "paper" if paper is not None else ROUTES[voter.kind]
    mark_row = {
        "round_id": rnd.id,
        "voter_key": key,
        "voted_on": today,
        "route": route,
        "sealed_receipt": seal(key) if seal is not None else None,
    }
    try:
        insert_together(session, [(Participation.__table__, mark_row), *along])
    except IntegrityError:
        session.rollback()
        # The officer learns only what stops a second ballot, not the day or the route.
        message = PAPER_ENTRY_VOTED if paper is not None and key.startswith("roll:") else None
        raise AlreadyMarked(message or _already_message(session, rnd.id, key)) from None


def insert_together(session: Session, rows: Sequence[tuple[Table, dict[str, object]]]) -> None:
    """Insert one row into each table, in order, all or none (in the open transaction).

    On PostgreSQL the rows go in one statement (every insert but the last in a WITH clause), so
    a cast's mark and envelope cost one round trip, not two; elsewhere one statement per row.
    A unique violation in any row raises IntegrityError, as separate inserts would.
    """
    if session.connection().dialect.name != "postgresql" or len(rows) < 2:
        for table, values in rows:
            session.execute(insert(table).values(**values))
        return
    *first, (last_table, last_values) = rows
    statement = insert(last_table).values(**last_values)
    for n, (table, values) in enumerate(first):
        statement = statement.add_cte(insert(table).values(**values).cte(f"row_{n}"))
    session.execute(statement)


def paper_number_problem(session: Session, round_id: int, number: str) -> str | None:
    """Return why this paper ballot number cannot be entered (never issued, or used), or None."""
    used = session.execute(
        select(PaperNumber.used_on).where(
            PaperNumber.round_id == round_id, PaperNumber.number == number.strip()
        )
    ).first()
    if used is None:
        return _never_issued(number.strip())
    return None if used.used_on is None else _number_used(number.strip())


def _never_issued(number: str) -> str:
    return (
        f"Paper ballot number {number} was never issued for this round. Check the number "
        "printed on the ballot paper."
    )


def _number_used(number: str) -> str:
    return (
        f"Paper ballot number {number} was already entered; a number is used once. Nothing "
        "new was stored."
    )


def _claim_number(session: Session, round_id: int, paper: PaperUse, today: dt.date) -> None:
    number = paper.number.strip()
    claimed = session.execute(
        update(PaperNumber)
        .where(
            PaperNumber.round_id == round_id,
            PaperNumber.number == number,
            PaperNumber.used_on.is_(None),
        )
        .values(used_on=today, officer_id=paper.officer_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        return
    issued = session.scalar(
        select(PaperNumber.id).where(PaperNumber.round_id == round_id, PaperNumber.number == number)
    )
    session.rollback()
    if issued is None:
        raise NotOnRegister(_never_issued(number))
    raise AlreadyMarked(_number_used(number))


# Accounts on the roll --------------------------------------------------------------------


def bind_account(session: Session, round_id: int, user_id: int, entry: VoterKey) -> None:
    """Link the account to its roll entry (once; a second, different entry is refused). Commit."""
    if entry.kind != "roll":
        raise ValueError("an account is linked to a voter roll entry")
    existing = session.get(RollBinding, (round_id, user_id))
    if existing is not None:
        if existing.entry_id != entry.id:
            raise NotOnRegister(
                "Your account is already linked to another place on this round's voter roll."
            )
        return
    session.add(RollBinding(round_id=round_id, user_id=user_id, entry_id=entry.id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the same account linked at the same moment: one link stays
        existing = session.get(RollBinding, (round_id, user_id))
        if existing is None or existing.entry_id != entry.id:
            raise NotOnRegister(
                "Your account is already linked to another place on this round's voter roll."
            ) from None


def as_domain_error(exc: Exception, field: str | None = None) -> DomainError:
    """Return a refusal as the DomainError the web layer shows next to `field`."""
    return DomainError(str(exc), field=field)


def format_paper_number(number: str) -> str:
    """Return a paper ballot number in groups for printing ('0123456789' -> '012-345-6789')."""
    if len(number) != PAPER_DIGITS:
        return number
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def normalise_paper_number(text: str) -> str:
    """Return a typed paper ballot number's digits (0-9 only: '²' is no digit of ours)."""
    return "".join(ch for ch in text if ch in "0123456789")[:20]


# Counts and the self-declared warning ----------------------------------------------------


def ballots_per_route(session: Session, round_id: int) -> dict[str, int]:
    """Return how many ballots came by each route (from the marks; no ballot is named)."""
    counts = dict.fromkeys(ROUTE_LABELS, 0)
    rows = session.execute(
        select(Participation.route, func.count())
        .where(Participation.round_id == round_id)
        .group_by(Participation.route)
    ).all()
    for route, n in rows:
        counts[route or "unrecorded"] = counts.get(route or "unrecorded", 0) + n
    counts["imported"] = (
        session.scalar(
            select(func.count())
            .select_from(Ballot)
            .where(Ballot.round_id == round_id, Ballot.channel == "imported")
        )
        or 0
    )
    return counts
