"""Paper and assisted ballots, entered one at a time by an officer or facilitator.

A paper ballot goes through exactly the same validation and hash chain as an online ballot,
marked channel=paper, and gets its own tracker (printed on a slip for the voter).

Paper ballots are numbered in advance: the facilitator issues numbers
(`register.issue_paper_numbers`) and prints them on the ballot papers. An entry must give an
issued number that is not yet used; the number is claimed in the cast's own transaction and
records the officer who entered it and the day, so a form sent twice records one ballot and a
made-up number records none. In a round with a voter roll the officer also enters the voter's
reference number and date of birth, and the paper marks that place on the roll: a person who
voted online cannot vote again on paper, nor the other way round.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from audits.receipts import ServerKey, SignedReceipt
from decide.services.eligibility import PAPER_VOTER, VoterKey
from decide.services.register import PaperUse, normalise_paper_number
from decide.services.voting import Choices, cast_ballot


def enter_paper_ballot(
    session: Session,
    round_id: int,
    choices: Choices,
    *,
    number: str,
    officer_id: int,
    server_key: ServerKey,
    today: dt.date,
    entry: VoterKey | None = None,
) -> SignedReceipt:
    """Validate and record one paper ballot under its issued number; return its signed receipt.

    `entry` is the roll entry the paper marks (required when the round has a voter roll).
    An unissued or used number, or an entry that already voted by any route, is refused.
    """
    use = PaperUse(normalise_paper_number(number), officer_id, entry)
    return cast_ballot(
        session,
        round_id,
        PAPER_VOTER,
        choices,
        channel="paper",
        server_key=server_key,
        today=today,
        paper=use,
    )
