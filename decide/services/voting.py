"""Casting ballots: one per voter, appended to the round's hash chain, with a signed receipt.

`cast_ballot` writes the ballot in one transaction and commits once:

1. the round must be in the voting phase and the voter eligible;
2. the choices are validated with `ballots.rules.validate` (every violation is reported);
3. (the round's chain row is created with the genesis head, in its own short transaction, the
   first time anyone votes; it holds no ballot);
4. the participation mark of the voter's register entry is inserted (decide.services.register:
   every route marks the same entry); the unique constraint on (round, entry) decides any race
   (fifty clicks at once, by any routes, store one ballot; the others get `AlreadyVoted`);
5. the chain row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the transaction
   starts with ``BEGIN IMMEDIATE``, so one writer at a time), a random 128-bit tracker is
   drawn, leaf and head are computed with `audits.chain`, and the ballot row is inserted;
6. after the commit succeeds, and only then, the receipt is signed and returned.

The receipt can be rebuilt at any time from the ballot row (Ed25519 signatures are
deterministic), so the receipt page is a plain GET after a redirect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audits import chain
from audits.receipts import Receipt, ServerKey, SignedReceipt, sign_receipt, verify_receipt
from ballots.canonical import canonical_ballot_bytes
from ballots.model import VOTE_TYPE_OF_KIND, Instance, Profile
from ballots.model import Ballot as CoreBallot
from ballots.model import Project as CoreProject
from ballots.rules import BallotRules, describe, validate
from decide.models import Ballot, ChainState, Participation, Project, Round
from decide.models.limits import INT32_MAX
from decide.services import register
from decide.services.eligibility import PAPER_VOTER, EligibilityError, VoterKey
from decide.services.sanitise import whole_number

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
    ballot = make_core_ballot(rnd.ballot_kind, choices)
    instance = round_instance(rnd, ballot_projects(session, rnd.id))
    problems = validate(ballot, ballot_rules(rnd), instance)
    if problems:
        raise BallotRejected([v.message for v in problems])
    return ballot


# Casting ----------------------------------------------------------------------------------


def _ensure_chain(session: Session, round_id: int) -> None:
    """Create the round's chain row (genesis head) in its own short transaction if absent."""
    exists = session.scalar(select(ChainState.round_id).where(ChainState.round_id == round_id))
    if exists is not None:
        return
    session.add(
        ChainState(round_id=round_id, sequence=0, head=chain.genesis(chain_round_id(round_id)))
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another cast created it first


def _begin_write(session: Session) -> None:
    """On SQLite, take the write lock now so the chain is read and appended by one writer.

    pysqlite opens a transaction only at the first INSERT, so reads before it would see a
    chain another writer is about to extend. BEGIN IMMEDIATE waits (busy timeout) for the lock.
    PostgreSQL needs nothing here: the chain row is locked with SELECT ... FOR UPDATE.
    """
    connection = session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
    """Validate, record and chain one ballot in one transaction; return its signed receipt.

    A paper ballot passes `voter=PAPER_VOTER` and `paper`: its issued number, the officer and
    the roll entry it marks (see decide.services.register).
    """
    if channel not in ("online", "paper"):
        raise ValueError("channel must be 'online' or 'paper'")
    if (channel == "paper") != (paper is not None) or (paper is not None) != (voter == PAPER_VOTER):
        raise ValueError("paper ballots, and only they, come with their paper number")
    try:
        rnd = session.get(Round, round_id)
        if rnd is None:
            raise VotingClosed("There is no such round.")
        if rnd.phase != "voting":
            raise VotingClosed(f"Voting is not open in this round (it is at: {rnd.phase_label}).")
        try:
            register.check(session, rnd, voter, today, paper)
        except (EligibilityError, register.NotOnRegister) as exc:
            raise NotEligible(str(exc)) from exc
        ballot = check_choices(session, rnd, choices)
        data = canonical_ballot_bytes(rnd.ballot_kind, ballot)
        _ensure_chain(session, round_id)
        _begin_write(session)
        # Every route marks the round's one register entry for this voter (and a paper
        # ballot claims its issued number): the unique mark decides any race, by any routes.
        try:
            register.mark(session, rnd, voter, today=today, paper=paper)
        except register.AlreadyMarked as exc:
            raise AlreadyVoted(exc.message) from None
        except register.NotOnRegister as exc:
            raise NotEligible(exc.message) from None
        state = session.scalars(
            select(ChainState)
            .where(ChainState.round_id == round_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        tracker = _fresh_tracker(session, round_id)
        sequence = state.sequence + 1
        leaf, head = chain.append(state.head, chain_round_id(round_id), sequence, tracker, data)
        session.add(
            Ballot(
                round_id=round_id,
                sequence=sequence,
                tracker=tracker,
                ballot_bytes=data,
                choices_json=choices_json(ballot),
                channel=channel,
                cast_on=today,
                leaf=leaf,
                head=head,
            )
        )
        state.sequence, state.head = sequence, head
        session.commit()
    except BaseException:
        session.rollback()
        raise
    # Only a committed ballot gets a receipt.
    receipt = Receipt(chain_round_id(round_id), sequence, tracker, leaf, head)
    return sign_receipt(server_key, receipt)


def _fresh_tracker(session: Session, round_id: int) -> bytes:
    """Draw random trackers until one is new to the round (a repeat is astronomically rare)."""
    while True:
        tracker = secrets.token_bytes(chain.TRACKER_BYTES)
        taken = session.scalar(
            select(Ballot.id).where(Ballot.round_id == round_id, Ballot.tracker == tracker)
        )
        if taken is None:
            return tracker


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


def receipt_for(
    session: Session, round_id: int, tracker: bytes, server_key: ServerKey
) -> SignedReceipt | None:
    """Return the signed receipt of the ballot with this tracker, or None."""
    row = session.scalar(
        select(Ballot).where(Ballot.round_id == round_id, Ballot.tracker == tracker)
    )
    if row is None:
        return None
    receipt = Receipt(chain_round_id(round_id), row.sequence, row.tracker, row.leaf, row.head)
    return sign_receipt(server_key, receipt)


@dataclass(frozen=True)
class ReceiptCheck:
    """What the public receipt check found."""

    parsed: bool
    signature_valid: bool
    on_board: bool
    messages: tuple[str, ...]
    receipt: Receipt | None = None


def check_receipt(session: Session, text: str | bytes, server_key: ServerKey) -> ReceiptCheck:
    """Say whether a pasted receipt is signed by this server and its ballot is on the board."""
    try:
        signed = SignedReceipt.from_json(text)
    except ValueError as exc:
        return ReceiptCheck(False, False, False, (f"This is not a receipt we can read: {exc}.",))
    messages: list[str] = []
    valid = verify_receipt(server_key.public_key_bytes, signed)
    if valid:
        messages.append("The signature is valid: this server issued this receipt.")
    else:
        messages.append(
            "The signature is NOT valid: this receipt was not issued by this server's key, "
            "or it has been changed."
        )
    r = signed.receipt
    on_board = False
    round_id = whole_number(r.round_id, maximum=INT32_MAX)
    row = None
    if round_id is not None:
        row = session.scalar(
            select(Ballot).where(Ballot.round_id == round_id, Ballot.tracker == r.tracker)
        )
    if row is None:
        messages.append("No ballot with this tracker is on the board of this round.")
    elif (row.sequence, row.leaf, row.head) != (r.sequence, r.leaf, r.head):
        messages.append(
            f"A ballot with this tracker is on the board, but at sequence {row.sequence} with "
            "a different leaf or head than the receipt says."
        )
    else:
        on_board = True
        messages.append(
            f"Your ballot is on the board at number {row.sequence}, with the same leaf hash "
            "and chain head."
        )
    return ReceiptCheck(True, valid, on_board, tuple(messages), r)


@dataclass(frozen=True)
class BoardPage:
    """One page of the bulletin board."""

    rows: tuple[Ballot, ...]
    page: int
    pages: int
    total: int
    head: bytes | None
    show_choices: bool


BOARD_PAGE_SIZE = 50


def board_page(
    session: Session, rnd: Round, page: int, per_page: int = BOARD_PAGE_SIZE
) -> BoardPage:
    """Return one page of the board; choices only once voting has closed."""
    total = (
        session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == rnd.id))
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = tuple(
        session.scalars(
            select(Ballot)
            .where(Ballot.round_id == rnd.id)
            .order_by(Ballot.sequence)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    state = session.get(ChainState, rnd.id)
    return BoardPage(
        rows, page, pages, total, state.head if state else None, show_choices=voting_closed(rnd)
    )


def find_on_board(session: Session, round_id: int, code: str) -> int | None:
    """Return the sequence of the ballot whose tracker starts with a typed code, or None.

    The code must be at least the 12-character short code; hex trackers are accepted too.
    """
    try:
        typed = chain.normalise_code(code)
    except ValueError:
        typed = ""
    hex_form = code.strip().lower()
    rows = session.execute(
        select(Ballot.sequence, Ballot.tracker).where(Ballot.round_id == round_id)
    ).all()
    for sequence, tracker in rows:
        raw = bytes(tracker)
        if len(hex_form) == 32 and raw.hex() == hex_form:
            return int(sequence)
        if len(typed) >= 12 and chain.tracker_matches_code(raw, typed):
            return int(sequence)
    return None


def voting_closed(rnd: Round) -> bool:
    """Return True once the round is past its voting phase."""
    return rnd.phase in ("closed", "published", "delivery")


def chain_entries(session: Session, round_id: int) -> list[chain.ChainEntry]:
    """Return the round's board as chain entries, for verification."""
    rows = session.execute(
        select(Ballot.sequence, Ballot.tracker, Ballot.ballot_bytes, Ballot.leaf, Ballot.head)
        .where(Ballot.round_id == round_id)
        .order_by(Ballot.sequence)
    ).all()
    return [chain.ChainEntry(s, bytes(t), bytes(b), bytes(lf), bytes(h)) for s, t, b, lf, h in rows]


def verify_round_chain(session: Session, round_id: int) -> chain.ChainCheck:
    """Recompute the round's chain from its ballot rows."""
    return chain.verify_chain(chain_round_id(round_id), chain_entries(session, round_id))


def counts(session: Session, round_id: int) -> dict[str, int]:
    """Return how many ballots and participation marks the round has (for tests and pages)."""
    n_ballots = session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
    )
    n_marks = session.scalar(
        select(func.count()).select_from(Participation).where(Participation.round_id == round_id)
    )
    return {"ballots": n_ballots or 0, "participation": n_marks or 0}


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
