"""Paper and assisted ballots, entered one at a time by an officer or facilitator.

A paper ballot goes through exactly the same validation and hash chain as an online ballot,
marked channel=paper, and gets its own tracker (printed on a slip for the voter). The polling
station's own register marks who has voted on paper, so no participation row is written here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from audits.receipts import ServerKey, SignedReceipt
from decide.services.eligibility import PAPER_VOTER
from decide.services.voting import Choices, cast_ballot


def enter_paper_ballot(
    session: Session, round_id: int, choices: Choices, *, server_key: ServerKey, today: dt.date
) -> SignedReceipt:
    """Validate and record one paper ballot; return its signed receipt for the slip."""
    return cast_ballot(
        session, round_id, PAPER_VOTER, choices, channel="paper", server_key=server_key, today=today
    )
