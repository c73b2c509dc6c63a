"""A round's phase, in order, and the questions the code and the pages ask of it.

The phase is stored as its value (a short lowercase word, see the `phase_known` check on
`rounds`); `Round.phase` reads it back as a `Phase`. Ask a predicate (`rnd.phase.voting_open`)
instead of comparing with strings: one place says which phases count as "results public".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

__all__ = ["PHASES", "PHASE_LABELS", "Phase", "PhaseType"]


class Phase(StrEnum):
    """The phases of a round, in the order a round moves through them."""

    DRAFT = "draft"
    PROPOSALS = "proposals"
    DELIBERATION = "deliberation"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"
    DELIVERY = "delivery"

    @property
    def label(self) -> str:
        """Return the phase as shown to people, e.g. 'Voting open'."""
        return _LABELS[self]

    @property
    def position(self) -> int:
        """Return the phase's place in the order, from 0 (draft)."""
        return _ORDER.index(self)

    @property
    def is_draft(self) -> bool:
        """A draft: seen only by facilitators."""
        return self is Phase.DRAFT

    @property
    def proposals_open(self) -> bool:
        """Proposals may be submitted."""
        return self is Phase.PROPOSALS

    @property
    def under_review(self) -> bool:
        """Proposals may be reviewed, edited and accepted onto the ballot."""
        return self in (Phase.PROPOSALS, Phase.DELIBERATION)

    @property
    def deliberating(self) -> bool:
        """The panel deliberates and any signed-in resident may post arguments."""
        return self is Phase.DELIBERATION

    @property
    def voting_open(self) -> bool:
        """Ballots are accepted."""
        return self is Phase.VOTING

    @property
    def voting_started(self) -> bool:
        """Voting has opened (it may since have closed): the ballot's meaning is fixed."""
        return self.position >= Phase.VOTING.position

    @property
    def awaiting_publication(self) -> bool:
        """Voting has closed and the results are not yet published: the rule is confirmed now."""
        return self is Phase.CLOSED

    @property
    def counted(self) -> bool:
        """Voting has closed: the board is frozen and the results can be computed."""
        return self.position >= Phase.CLOSED.position

    @property
    def results_public(self) -> bool:
        """The results are published (and, in delivery, being paid out)."""
        return self in (Phase.PUBLISHED, Phase.DELIVERY)


_ORDER: tuple[Phase, ...] = tuple(Phase)
_LABELS = {
    Phase.DRAFT: "Draft",
    Phase.PROPOSALS: "Proposals open",
    Phase.DELIBERATION: "Deliberation",
    Phase.VOTING: "Voting open",
    Phase.CLOSED: "Voting closed",
    Phase.PUBLISHED: "Results published",
    Phase.DELIVERY: "Delivery",
}

PHASES: tuple[str, ...] = tuple(p.value for p in _ORDER)
PHASE_LABELS: dict[str, str] = {p.value: p.label for p in _ORDER}


class PhaseType(TypeDecorator[Phase]):
    """Store a Phase as its value in a VARCHAR(20); read it back as a Phase."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else Phase(value).value

    def process_result_value(self, value: Any, dialect: Any) -> Phase | None:
        return None if value is None else Phase(value)
