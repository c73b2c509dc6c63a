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
import hashlib
import hmac
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, joinedload

from audits import chain
from audits.receipts import Receipt, ServerKey, SignedReceipt, sign_receipt, verify_receipt
from ballots.canonical import canonical_ballot_bytes
from ballots.model import VOTE_TYPE_OF_KIND, Instance, Profile
from ballots.model import Ballot as CoreBallot
from ballots.model import Project as CoreProject
from ballots.rules import BallotRules, describe, validate
from decide.models import (
    Ballot,
    BoardEntry,
    ChainState,
    Participation,
    Project,
    Round,
    RoundEligibility,
    SealedBallot,
)
from decide.models.limits import INT32_MAX
from decide.services import register
from decide.services.eligibility import PAPER_VOTER, EligibilityError, VoterKey, settings_for
from decide.services.sanitise import whole_number
from decide.services.sealing import BoxKeys, envelope_capacity

Choices = Sequence[str] | Mapping[str, int]


class VotingError(Exception):
    """A ballot was not accepted; the message says why in plain words."""


class VotingClosed(VotingError):
    """The round is not in its voting phase."""


class NotEligible(VotingError):
    """The voter may not vote in this round."""


class AlreadyVoted(VotingError):
    """This voter has already voted in this round."""


class BallotRejected(VotingError):
    """The ballot breaks the round's rules; `messages` lists every problem."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


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


def ballot_projects(session: Session, round_id: int) -> list[Project]:
    """Return the round's projects on the ballot, in published order."""
    return list(
        session.scalars(
            select(Project)
            .where(Project.round_id == round_id, Project.withdrawn.is_(False))
            .order_by(Project.position, Project.id)
        )
    )


def voter_order(
    secret_key: str, round_id: int, voter: VoterKey | str, codes: Sequence[str]
) -> list[str]:
    """Return project codes in this voter's fixed random order.

    The order sorts on sha256(round secret || voter key || project code), where the round secret
    is an HMAC of the app's secret key: the same voter always sees the same order, different
    voters see different orders, and no random state is involved.
    """
    round_secret = hmac.new(
        secret_key.encode(), f"decide/order/v1/{round_id}".encode(), hashlib.sha256
    ).digest()
    prefix = round_secret + str(voter).encode() + b"\x00"
    return sorted(codes, key=lambda code: hashlib.sha256(prefix + code.encode()).digest())


def make_core_ballot(kind: str, choices: Choices) -> CoreBallot:
    """Return the core ballot value for the submitted choices (no voter id)."""
    if kind == "cumulative":
        if not isinstance(choices, Mapping):
            raise BallotRejected(["Give your points as a number for each project."])
        items = [(code, pts) for code, pts in choices.items() if pts != 0]
        return CoreBallot(
            voter_id="", projects=tuple(c for c, _ in items), points=tuple(p for _, p in items)
        )
    if isinstance(choices, Mapping):
        raise BallotRejected(["This ballot takes a list of projects, not points."])
    return CoreBallot(voter_id="", projects=tuple(choices))


def _capacity(rnd: Round, every: Sequence[Project]) -> int:
    """Return the envelope size that holds any valid ballot of the round (see sealing).

    `every` is all the round's projects, withdrawn ones too, so the size never changes.
    """
    points = rnd.points_total if rnd.ballot_kind == "cumulative" else None
    return envelope_capacity([p.code for p in every], points)


def choices_json(ballot: CoreBallot) -> str:
    """Return the choices as stored on the board: project codes and aligned points."""
    return json.dumps(
        {
            "projects": list(ballot.projects),
            "points": list(ballot.points) if ballot.points is not None else None,
        },
        separators=(",", ":"),
    )


def choices_from_json(text: str) -> CoreBallot:
    """Return the core ballot stored as JSON on a ballot row."""
    data = json.loads(text)
    points = tuple(data["points"]) if data.get("points") is not None else None
    return CoreBallot(voter_id="", projects=tuple(data["projects"]), points=points)


def ballot_rules(rnd: Round) -> BallotRules:
    """Return the round's ballot limits as the pure `ballots.rules` value."""
    kind = rnd.ballot_kind
    args: dict[str, Any] = {"kind": kind, "min_choices": max(0, rnd.min_choices or 0)}
    args["currency"] = {"GBP": "£", "EUR": "€"}.get(rnd.currency, rnd.currency)
    if kind != "ranked" and rnd.max_choices:
        args["max_choices"] = rnd.max_choices
    if kind == "knapsack" and rnd.min_budget_share_percent:
        args["min_budget_share"] = Fraction(rnd.min_budget_share_percent, 100)
    if kind == "cumulative":
        args["total_points"] = rnd.points_total or 10
        args["max_points_per_project"] = rnd.max_points_per_project
    if kind == "ranked":
        args["rank_depth"] = rnd.rank_depth
    return BallotRules(**args)


def round_instance(rnd: Round, projects: Sequence[Project]) -> Instance:
    """Return the round's budget and ballot projects as the pure `Instance` (costs in pence)."""
    return Instance(
        budget=Fraction(rnd.budget_pence),
        projects=tuple(CoreProject(p.code, Fraction(p.cost_pence), p.title) for p in projects),
    )


def board_profile(session: Session, rnd: Round) -> Profile:
    """Return every ballot on the round's board, in sequence order, trackers as voter ids."""
    vote_type = VOTE_TYPE_OF_KIND[rnd.ballot_kind]
    rows = session.execute(
        select(Ballot.tracker, Ballot.choices_json)
        .where(Ballot.round_id == rnd.id)
        .order_by(Ballot.sequence)
    ).all()
    ballots = []
    for tracker, choices in rows:
        core = choices_from_json(choices)
        points = (core.points or ()) if vote_type == "cumulative" else None
        ballots.append(CoreBallot(bytes(tracker).hex(), core.projects, points))
    return Profile(vote_type=vote_type, ballots=tuple(ballots))


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
) -> None:
    """Mark the voter's register entry with their sealed receipt, or raise (rolled back).

    `register.mark` decides which entry a vote marks (every route, one entry); `seal` seals
    the receipt for that entry's key, so only the same proof of eligibility opens it again.
    """
    try:
        register.mark(session, rnd, voter, today=today, paper=paper, seal=seal)
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

    def ballot_projects(self) -> list[Project]:
        """Return the projects on the ballot (not withdrawn), in published order."""
        return sorted(
            (p for p in self.round.projects if not p.withdrawn), key=lambda p: (p.position, p.id)
        )


def open_box(session: Session, round_id: int) -> OpenBox | None:
    """Begin a cast's transaction: take the round's box lock shared, then read the round.

    One statement after the lock reads the round, its projects and its eligibility settings.
    Returns None when there is no such round. The cast view reads the round's ballot kind and
    phase from here instead of reading the round a second time.
    """
    _begin_write(session)
    lock_box(session, round_id, exclusive=False)
    row = (
        session.execute(
            select(Round, RoundEligibility)
            .outerjoin(RoundEligibility, RoundEligibility.round_id == Round.id)
            .where(Round.id == round_id)
            .options(joinedload(Round.projects))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    return None if row is None else OpenBox(row[0], row[1])


def _voting_round(box: OpenBox | None) -> Round:
    """Return the box's round, or raise VotingClosed unless voting is open in it."""
    if box is None:
        raise VotingClosed("There is no such round.")
    rnd = box.round
    if rnd.phase != "voting":
        raise VotingClosed(f"Voting is not open in this round (it is at: {rnd.phase_label}).")
    return rnd


def cast_ballot(
    session: Session,
    round_id: int,
    voter: VoterKey,
    choices: Choices,
    *,
    channel: str = "online",
    server_key: ServerKey,
    today: dt.date,
    paper: register.PaperUse | None = None,
) -> SignedReceipt:
    """Validate, mark and seal one ballot in one transaction; return its signed receipt.

    A paper ballot passes `voter=PAPER_VOTER` and `paper`: its issued number, the officer and
    the roll entry it marks (see decide.services.register).
    """
    try:
        box = open_box(session, round_id)
    except BaseException:
        session.rollback()
        raise
    return cast_into(
        session,
        box,
        voter,
        choices,
        channel=channel,
        server_key=server_key,
        today=today,
        paper=paper,
    )


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
        rnd = _voting_round(box)
        round_id = rnd.id
        # box.settings is held until the commit: the register and eligibility checks below look
        # the settings up by primary key three or four times, and the session answers a lookup
        # from its identity map only while something still references the row (it holds rows
        # weakly). A round with no stored settings gets the defaults from settings_for.
        _settings = box.settings if box.settings is not None else settings_for(session, round_id)
        try:
            register.check(session, rnd, voter, today, paper)
        except (EligibilityError, register.NotOnRegister) as exc:
            raise NotEligible(str(exc)) from exc
        # One read of the projects: the ballot's (not withdrawn) for checking, all of them for
        # the envelope's size, which must not change when a project is withdrawn.
        every = rnd.projects
        ballot = canonical_order(
            rnd.ballot_kind, _check_against(rnd, box.ballot_projects(), choices)
        )
        data = canonical_ballot_bytes(rnd.ballot_kind, ballot)
        keys = BoxKeys(server_key, round_id)
        sealed = keys.seal(data, choices_json(ballot), channel, capacity=_capacity(rnd, every))
        mark_voter(
            session,
            rnd,
            voter,
            today,
            paper,
            lambda key: keys.seal_receipt(key, sealed.tracker, sealed.commitment),
        )
        envelope = {
            "id": sealed.envelope_id,
            "round_id": round_id,
            "lookup": sealed.lookup,
            "box": sealed.box,
        }
        session.execute(insert(SealedBallot), [envelope])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    # Only a committed ballot gets a receipt.
    receipt = Receipt(chain_round_id(round_id), sealed.tracker, sealed.commitment)
    return sign_receipt(server_key, receipt)


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


# Receipts and the board -------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    """What the public receipt check found."""

    parsed: bool
    signature_valid: bool
    on_board: bool
    messages: tuple[str, ...]
    receipt: Receipt | None = None
    sealed: bool = False
    position: int | None = None


def _read_receipt_text(text: str | bytes) -> tuple[SignedReceipt | None, bytes | None, str]:
    """Return (signed receipt, tracker, problem) from pasted text: a receipt file or a tracker."""
    raw = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    if raw.lstrip().startswith("{"):
        try:
            signed = SignedReceipt.from_json(raw)
        except ValueError as exc:
            return None, None, f"This is not a receipt we can read: {exc}."
        return signed, signed.receipt.tracker, ""
    try:
        return None, chain.parse_tracker(raw), ""
    except ValueError:
        return (
            None,
            None,
            (
                "This is not a receipt or a full tracker we can read. Paste the whole receipt "
                "file, or the full tracker (26 letters and numbers in groups of four)."
            ),
        )


def check_receipt(
    session: Session, text: str | bytes, server_key: ServerKey, round_id: int | None = None
) -> ReceiptCheck:
    """Say whether a pasted receipt (or full tracker) is ours and its ballot in the box.

    During voting the sealed box is searched by the keyed lookup; after close, the board.
    """
    signed, tracker, problem = _read_receipt_text(text)
    if tracker is None:
        return ReceiptCheck(False, False, False, (problem,))
    messages: list[str] = []
    valid = False
    receipt = None
    if signed is not None:
        receipt = signed.receipt
        valid = verify_receipt(server_key.public_key_bytes, signed)
        messages.append(
            "The signature is valid: this server issued this receipt."
            if valid
            else "The signature is NOT valid: this receipt was not issued by this server's "
            "key, or it has been changed."
        )
        round_id = whole_number(receipt.round_id, maximum=INT32_MAX)
    rnd = session.get(Round, round_id) if round_id is not None else None
    if rnd is None:
        messages.append("There is no such round on this site.")
        return ReceiptCheck(True, valid, False, tuple(messages), receipt)
    lookup = BoxKeys(server_key, rnd.id).lookup(tracker)
    in_box = session.scalar(
        select(SealedBallot.round_id).where(
            SealedBallot.round_id == rnd.id, SealedBallot.lookup == lookup
        )
    )
    if in_box is not None:
        messages.append(
            "Your ballot is in the sealed box. It will be counted when voting closes; "
            "until then nobody can read it."
        )
        return ReceiptCheck(True, valid or signed is None, True, tuple(messages), receipt, True)
    entry = session.scalar(
        select(BoardEntry).where(BoardEntry.round_id == rnd.id, BoardEntry.tracker == tracker)
    )
    if entry is None:
        messages.append("No ballot with this tracker is in this round's box or on its board.")
        return ReceiptCheck(True, valid, False, tuple(messages), receipt)
    if receipt is not None and bytes(entry.commitment) != receipt.commitment:
        messages.append(
            "A ballot with this tracker is on the board, but with another commitment than "
            "the receipt's."
        )
        return ReceiptCheck(True, valid, False, tuple(messages), receipt)
    messages.append(
        f"Your ballot is on the board at line {entry.position}, with the same commitment, "
        "and was counted."
    )
    return ReceiptCheck(
        True, valid or signed is None, True, tuple(messages), receipt, position=entry.position
    )


@dataclass(frozen=True)
class BoardPage:
    """One page of the commitment board (empty while voting is open)."""

    rows: tuple[BoardEntry, ...]
    page: int
    pages: int
    total: int
    head: bytes | None
    show_choices: bool


BOARD_PAGE_SIZE = 50


def board_page(
    session: Session, rnd: Round, page: int, per_page: int = BOARD_PAGE_SIZE
) -> BoardPage:
    """Return one page of the commitment board; nothing at all until the box is opened."""
    if not voting_closed(rnd):
        return BoardPage((), 1, 1, 0, None, show_choices=False)
    total = (
        session.scalar(
            select(func.count()).select_from(BoardEntry).where(BoardEntry.round_id == rnd.id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = tuple(
        session.scalars(
            select(BoardEntry)
            .where(BoardEntry.round_id == rnd.id)
            .order_by(BoardEntry.position)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    state = session.get(ChainState, rnd.id)
    return BoardPage(rows, page, pages, total, state.head if state else None, show_choices=True)


def voting_closed(rnd: Round) -> bool:
    """Return True once the round is past its voting phase."""
    return rnd.phase in ("closed", "published", "delivery")


def chain_entries(session: Session, round_id: int) -> list[chain.ChainEntry]:
    """Return the round's plaintext list as chain entries, for verification."""
    rows = session.execute(
        select(Ballot.sequence, Ballot.tracker, Ballot.ballot_bytes, Ballot.leaf, Ballot.head)
        .where(Ballot.round_id == round_id)
        .order_by(Ballot.sequence)
    ).all()
    return [chain.ChainEntry(s, bytes(t), bytes(b), bytes(lf), bytes(h)) for s, t, b, lf, h in rows]


def verify_round_chain(session: Session, round_id: int) -> chain.ChainCheck:
    """Recompute the round's chain from its plaintext list."""
    return chain.verify_chain(chain_round_id(round_id), chain_entries(session, round_id))


def counts(session: Session, round_id: int) -> dict[str, int]:
    """Return how many ballots (sealed or opened) and marks the round has (for tests)."""
    n_sealed = session.scalar(
        select(func.count()).select_from(SealedBallot).where(SealedBallot.round_id == round_id)
    )
    n_ballots = session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
    )
    n_marks = session.scalar(
        select(func.count()).select_from(Participation).where(Participation.round_id == round_id)
    )
    return {
        "ballots": (n_sealed or 0) + (n_ballots or 0),
        "sealed": n_sealed or 0,
        "participation": n_marks or 0,
    }


def describe_rules(session: Session, rnd: Round) -> list[str]:
    """Return the round's ballot rules in plain words."""
    return describe(ballot_rules(rnd), round_instance(rnd, ballot_projects(session, rnd.id)))


def sign_choices(secret_key: str, round_id: int, voter: VoterKey | str, payload: str) -> str:
    """Return a MAC binding the reviewed choices to this voter and round (review -> cast)."""
    message = f"decide/review/v1\x00{round_id}\x00{voter}\x00{payload}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def review_payload(ballot: CoreBallot) -> str:
    """Return the reviewed choices as the hidden form field carries them."""
    return choices_json(ballot)


def parse_payload(kind: str, payload: str) -> Choices:
    """Return choices from the hidden field, or raise BallotRejected."""
    try:
        data: Any = json.loads(payload)
        projects = [str(p) for p in data["projects"]]
        points = data.get("points")
    except (ValueError, KeyError, TypeError):
        raise BallotRejected(
            ["Your choices could not be read. Please fill in the ballot again."]
        ) from None
    if kind == "cumulative":
        if not isinstance(points, list) or len(points) != len(projects):
            raise BallotRejected(
                ["Your points could not be read. Please fill in the ballot again."]
            )
        return dict(zip(projects, (int(p) for p in points)))
    return projects
