"""Casting ballots into the round's sealed box, one per voter, with a signed receipt.

`cast_ballot` writes the ballot in one short transaction and commits once:

1. the round's box lock is taken shared (`lock_box`: a PostgreSQL advisory lock; on SQLite
   the transaction starts with ``BEGIN IMMEDIATE``) and only then is the phase read: closing
   takes the lock exclusively, so it waits for casts in flight, and a later cast sees the
   new phase and is refused;
2. the round must be in the voting phase, the voter eligible, the choices valid
   (`ballots.rules.validate`; every violation is reported); choices are kept in canonical
   order (by project id), never in the order the voter saw;
3. `register.mark` marks the voter's register entry (decide.services.register: every route
   marks the same entry); the unique mark decides any race, by any routes (fifty clicks at
   once store one ballot; the others get `AlreadyVoted`);
4. the ballot is sealed (`decide.services.sealing`) under a fresh random tracker and salt,
   and the envelope row is inserted: ciphertext, a keyed lookup and a random id, no time;
5. after the commit succeeds, and only then, the receipt (round, tracker, commitment) is
   signed and returned. The mark keeps it sealed, so `receipt_again` can give it back.

There is no chain row to lock while voting: the board is built when the box is opened at
close (decide.services.closing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec

from sqlalchemy import select, text
from sqlalchemy.orm import Session, joinedload

from audits.receipts import Receipt, ServerKey, SignedReceipt, sign_receipt
from ballots.canonical import canonical_ballot_bytes
from ballots.model import Ballot as CoreBallot
from ballots.rules import validate
from decide.models import (
    AccessCode,
    Participation,
    Project,
    Round,
    RoundEligibility,
    SealedBallot,
    User,
    VoterRollEntry,
)
from decide.services import register
from decide.services.ballot_values import (
    Choices,
    ballot_projects,
    ballot_rules,
    choices_json,
    make_core_ballot,
    round_instance,
)
from decide.services.eligibility import PAPER_VOTER, EligibilityError, VoterKey, settings_for
from decide.services.sealing import BoxKeys, envelope_capacity
from decide.services.voting_errors import (
    AlreadyVoted,
    BallotRejected,
    NotEligible,
    VotingClosed,
)

P = ParamSpec("P")
ALREADY_VOTED = "You have already voted in this round."
CODE_USED = "This access code has already been used. Each code works once."
PAPER_TWICE = (
    "This paper ballot form was already recorded (it was sent twice); nothing new was stored."
)


def chain_round_id(round_id: int) -> str:
    """Return the round id as the chain, receipts and manifest write it."""
    return str(round_id)


# The server's receipt key -----------------------------------------------------------------

_key_cache: dict[str, ServerKey] = {}
_key_lock = threading.Lock()


def load_server_key(path: str | os.PathLike[str]) -> ServerKey:
    """Return the receipt-signing key at `path`, creating it (mode 0600) if it is absent."""
    name = str(path)
    with _key_lock:
        if name in _key_cache:
            return _key_cache[name]
        target = Path(name)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            key = ServerKey.generate()
            # Write a private temp file, then link it into place: two workers starting at once
            # never see a half-written key, and the loser of the race reads the winner's key.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".receipt-key-")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key.to_pem())
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, target)
            finally:
                os.unlink(tmp)
        _key_cache[name] = ServerKey.load(target)
        return _key_cache[name]


# Ballot values ----------------------------------------------------------------------------


def _capacity(rnd: Round, every: Sequence[Project]) -> int:
    """Return the envelope size that holds any valid ballot of the round (see sealing).

    `every` is all the round's projects, withdrawn ones too, so the size never changes.
    """
    points = rnd.points_total if rnd.ballot_kind == "cumulative" else None
    return envelope_capacity([p.code for p in every], points)


def check_choices(session: Session, rnd: Round, choices: Choices) -> CoreBallot:
    """Return the validated core ballot, or raise BallotRejected with every problem."""
    return _check_against(rnd, ballot_projects(session, rnd.id), choices)


def _check_against(rnd: Round, on_ballot: Sequence[Project], choices: Choices) -> CoreBallot:
    """Return the validated core ballot against these ballot projects, or raise."""
    ballot = make_core_ballot(rnd.ballot_kind, choices)
    instance = round_instance(rnd, on_ballot)
    problems = validate(ballot, ballot_rules(rnd), instance)
    if problems:
        raise BallotRejected([v.message for v in problems])
    return ballot


# Casting ----------------------------------------------------------------------------------


def _begin_write(session: Session) -> None:
    """On SQLite, take the write lock now, so the phase read below stays true until commit.

    pysqlite opens a transaction only at the first INSERT. BEGIN IMMEDIATE waits (busy
    timeout) for the lock. PostgreSQL reads the round row FOR SHARE instead.
    """
    connection = session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def mark_voter(
    session: Session,
    rnd: Round,
    voter: VoterKey,
    today: dt.date,
    paper: register.PaperUse | None,
    seal: Callable[[str], bytes],
    envelope: dict[str, object] | None = None,
) -> None:
    """Mark the voter's register entry with their sealed receipt, or raise (rolled back).

    `register.mark` decides which entry a vote marks (every route, one entry); `seal` seals
    the receipt for that entry's key, so only the same proof of eligibility opens it again.
    The `envelope` row, when given, is written with the mark, in one statement.
    """
    along = [] if envelope is None else [(SealedBallot.__table__, envelope)]
    try:
        register.mark(session, rnd, voter, today=today, paper=paper, seal=seal, along=along)
    except register.AlreadyMarked as exc:
        raise AlreadyVoted(exc.message) from None
    except register.NotOnRegister as exc:
        raise NotEligible(exc.message) from None


BOX_LOCK_CLASS = 0x6465  # the first int of the round's advisory lock key ("de")


def lock_box(session: Session, round_id: int, *, exclusive: bool) -> None:
    """Take the round's box lock for this transaction: shared to cast, exclusive to close.

    On PostgreSQL this is an advisory lock, not a row lock: a hundred casts holding it shared
    write nothing (FOR SHARE on the round row would write a multixact to the row for every
    one of them), while closing waits for casts in flight and later casts see the new phase.
    SQLite needs nothing: BEGIN IMMEDIATE already makes one writer at a time.
    """
    if session.connection().dialect.name != "postgresql":
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {fn}(:cls, :rid)"), {"cls": BOX_LOCK_CLASS, "rid": round_id})


@dataclass(frozen=True)
class OpenBox:
    """A round read once under its box lock, inside the caller's open transaction.

    Only `open_box` makes one, so a cast never trusts a round that was read before the lock:
    closing takes the lock exclusively, so while the transaction holds it shared the phase read
    here stays true until the commit. The same statement reads the round's projects (withdrawn
    ones too) and its eligibility settings; holding `settings` keeps that row in the session's
    identity map, so the register's look-ups by primary key cost no further statement.
    """

    round: Round
    settings: RoundEligibility | None
    voter_row: object | None = None  # the voter's code, account or roll entry, held likewise

    def ballot_projects(self) -> list[Project]:
        """Return the projects on the ballot (not withdrawn), in published order."""
        return sorted(
            (p for p in self.round.projects if not p.withdrawn), key=lambda p: (p.position, p.id)
        )


# The row that stands for a voter of each kind, read with the round so that the eligibility
# checks' look-ups by primary key are answered from the session (see OpenBox).
VOTER_ROWS: dict[str, type[AccessCode | User | VoterRollEntry]] = {
    "code": AccessCode,
    "user": User,
    "roll": VoterRollEntry,
}


def open_box(session: Session, round_id: int, voter: VoterKey | None = None) -> OpenBox | None:
    """Begin a cast's transaction: take the round's box lock shared, then read the round.

    One statement after the lock reads the round, its projects, its eligibility settings and,
    when `voter` is given, the voter's own row (access code, account or roll entry). Returns
    None when there is no such round. The cast view reads the round's ballot kind and phase
    from here instead of reading the round a second time.
    """
    _begin_write(session)
    lock_box(session, round_id, exclusive=False)
    statement = (
        select(Round, RoundEligibility)
        .outerjoin(RoundEligibility, RoundEligibility.round_id == Round.id)
        .where(Round.id == round_id)
        .options(joinedload(Round.projects))
        .execution_options(populate_existing=True)
    )
    entity = VOTER_ROWS.get(voter.kind) if voter is not None else None
    if voter is not None and entity is not None:
        statement = statement.add_columns(entity).outerjoin(entity, entity.id == voter.id)
    row = session.execute(statement).unique().one_or_none()
    if row is None:
        return None
    return OpenBox(row[0], row[1], row[2] if entity is not None else None)


def check_can_vote(
    session: Session,
    rnd: Round,
    voter: VoterKey,
    today: dt.date,
    paper: register.PaperUse | None = None,
) -> None:
    """Raise VotingClosed or NotEligible unless this voter may vote in the round now."""
    if not rnd.phase.voting_open:
        raise VotingClosed(f"Voting is not open in this round (it is at: {rnd.phase_label}).")
    try:
        register.check(session, rnd, voter, today, paper)
    except (EligibilityError, register.RegisterRefusal) as exc:
        raise NotEligible(str(exc)) from exc


def cast_into(
    session: Session,
    box: OpenBox | None,
    voter: VoterKey,
    choices: Choices,
    *,
    channel: str = "online",
    server_key: ServerKey,
    today: dt.date,
    paper: register.PaperUse | None = None,
) -> SignedReceipt:
    """Cast into a box that `open_box` opened in this transaction; commit; return the receipt.

    The transaction is committed on success and rolled back on any refusal or error.
    """
    try:
        if channel not in ("online", "paper"):
            raise ValueError("channel must be 'online' or 'paper'")
        if (channel == "paper") != (paper is not None) or (paper is not None) != (
            voter == PAPER_VOTER
        ):
            raise ValueError("paper ballots, and only they, come with their paper number")
        if box is None:
            raise VotingClosed("There is no such round.")
        rnd = box.round
        round_id = rnd.id
        # box.settings is held until the commit: the register and eligibility checks below look
        # the settings up by primary key three or four times, and the session answers a lookup
        # from its identity map only while something still references the row (it holds rows
        # weakly). A round with no stored settings gets the defaults from settings_for.
        _settings = box.settings if box.settings is not None else settings_for(session, round_id)
        check_can_vote(session, rnd, voter, today, paper)
        # One read of the projects: the ballot's (not withdrawn) for checking, all of them for
        # the envelope's size, which must not change when a project is withdrawn.
        every = rnd.projects
        ballot = canonical_order(
            rnd.ballot_kind, _check_against(rnd, box.ballot_projects(), choices)
        )
        data = canonical_ballot_bytes(rnd.ballot_kind, ballot)
        keys = BoxKeys(server_key, round_id)
        sealed = keys.seal(data, choices_json(ballot), channel, capacity=_capacity(rnd, every))
        envelope: dict[str, object] = {
            "id": sealed.envelope_id,
            "round_id": round_id,
            "lookup": sealed.lookup,
            "box": sealed.box,
        }
        mark_voter(
            session,
            rnd,
            voter,
            today,
            paper,
            lambda key: keys.seal_receipt(key, sealed.tracker, sealed.commitment),
            envelope,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    # Only a committed ballot gets a receipt.
    receipt = Receipt(chain_round_id(round_id), sealed.tracker, sealed.commitment)
    return sign_receipt(server_key, receipt)


def _opening_the_box(
    cast: Callable[Concatenate[Session, OpenBox | None, P], SignedReceipt],
) -> Callable[Concatenate[Session, int, P], SignedReceipt]:
    """Return `cast` taking the round's id instead of its box, which it opens first."""

    def cast_ballot(
        session: Session, round_id: int, /, *args: P.args, **kwargs: P.kwargs
    ) -> SignedReceipt:
        """Validate, mark and seal one ballot in one transaction; return its signed receipt.

        Takes what `cast_into` takes after the box. A paper ballot passes `voter=PAPER_VOTER`
        and `paper`: its issued number, the officer and the roll entry it marks (see
        decide.services.register).
        """
        try:
            box = open_box(session, round_id)
        except BaseException:
            session.rollback()
            raise
        return cast(session, box, *args, **kwargs)

    return cast_ballot


cast_ballot = _opening_the_box(cast_into)


def canonical_order(kind: str, ballot: CoreBallot) -> CoreBallot:
    """Return the ballot with choices sorted by project id, as the canonical bytes sort them.

    Ranked ballots keep their order (it is the vote). The order a voter saw (their personal
    shuffle) must not survive in anything stored.
    """
    if kind == "ranked":
        return ballot
    if ballot.points is not None:
        pairs = sorted(zip(ballot.projects, ballot.points))
        return CoreBallot("", tuple(p for p, _ in pairs), tuple(n for _, n in pairs))
    return CoreBallot("", tuple(sorted(ballot.projects)))


def receipt_again(
    session: Session, round_id: int, voter: VoterKey, server_key: ServerKey
) -> SignedReceipt | None:
    """Return the receipt of this voter's ballot, from their entry's mark; None if none."""
    key = register.entry_key(session, round_id, voter, None)
    if key is None:
        return None
    sealed = session.scalar(
        select(Participation.sealed_receipt).where(
            Participation.round_id == round_id, Participation.voter_key == key
        )
    )
    if sealed is None:
        return None
    tracker, commit = BoxKeys(server_key, round_id).open_receipt(key, bytes(sealed))
    return sign_receipt(server_key, Receipt(chain_round_id(round_id), tracker, commit))


def has_voted(session: Session, round_id: int, voter: VoterKey) -> bool:
    """Return whether this voter's register entry is marked (by any route)."""
    return register.marked_on(session, round_id, voter) is not None


def voted_on(session: Session, round_id: int, voter: VoterKey) -> dt.date | None:
    """Return the day this voter's participation mark was made, or None if they have not voted.

    The mark records only the day and names no ballot, so this says nothing about which
    ballot is theirs.
    """
    return register.marked_on(session, round_id, voter)
