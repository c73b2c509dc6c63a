"""Why a ballot was not accepted: the errors casting raises, each with a plain-words message."""

from __future__ import annotations

from collections.abc import Sequence


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
