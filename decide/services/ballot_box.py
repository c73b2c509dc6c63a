"""After the cast: receipt checks, the commitment board's pages, the list's chain and counts.

Split from decide.services.voting, which casts. Nothing here writes: these are the queries
behind the board pages, the receipt checker and the counts that tests and benchmarks read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audits import chain
from audits.receipts import Receipt, ServerKey, SignedReceipt, verify_receipt
from decide.models import (
    Ballot,
    BoardEntry,
    ChainState,
    Participation,
    Round,
    SealedBallot,
)
from decide.models.limits import INT32_MAX
from decide.services.sanitise import whole_number
from decide.services.sealing import BoxKeys
from decide.services.voting import chain_round_id


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
    return rnd.phase.counted


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
