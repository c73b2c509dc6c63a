"""Paper and assisted ballots, entered one at a time by an officer or facilitator.

A paper ballot goes through exactly the same validation and hash chain as an online ballot,
marked channel=paper, and gets its own tracker (printed on a slip for the voter). The polling
station's own register marks who has voted on paper. Each entry form carries a one-time
number that is recorded as a participation mark ("paper:<number>"), so a form sent twice by a
double click records one ballot; the number is random and says nothing about the voter.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from audits.receipts import ServerKey, SignedReceipt
from decide.services.eligibility import PAPER_VOTER, VoterKey
from decide.services.voting import Choices, cast_ballot


def new_entry_number() -> int:
    """Return a fresh one-time number for a paper-ballot entry form."""
    return 1 + secrets.randbelow(2**62)


def enter_paper_ballot(
    session: Session,
    round_id: int,
    choices: Choices,
    *,
    server_key: ServerKey,
    today: dt.date,
    entry: int | None = None,
) -> SignedReceipt:
    """Validate and record one paper ballot; return its signed receipt for the slip.

    `entry` is the entry form's one-time number: the same form sent twice raises AlreadyVoted
    instead of recording the ballot twice. Without it, no double-entry guard applies.
    """
    voter = PAPER_VOTER if entry is None else VoterKey("paper", entry)
    return cast_ballot(
        session, round_id, voter, choices, channel="paper", server_key=server_key, today=today
    )
