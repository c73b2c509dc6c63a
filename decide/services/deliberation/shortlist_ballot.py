"""What putting a shortlist on the ballot would change: the ballot as it stands, the projects
it would lose and the proposals it would gain. The facilitator sees this before confirming,
because a later session's shortlist replaces the whole ballot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ballots.wording import plural
from decide.models import Project, Proposal, ShortlistDecision

__all__ = ["MIN_BALLOT", "BallotChange", "ballot_change"]

# A ballot with one project is not a choice.
MIN_BALLOT = 2


@dataclass(frozen=True)
class BallotChange:
    """The ballot now, and what the shortlist would take off and put on it."""

    now: tuple[Project, ...]
    kept: tuple[Project, ...]
    removed: tuple[Project, ...]
    added: tuple[Proposal, ...]

    @property
    def after_count(self) -> int:
        """Return how many projects the ballot would list after the change."""
        return len(self.kept) + len(self.added)

    @property
    def already(self) -> bool:
        """Return whether the ballot already lists exactly this shortlist."""
        return not self.removed and not self.added

    def refusal(self) -> str | None:
        """Return why the change cannot be made, or None."""
        if self.already:
            return "This shortlist is already the ballot: there is nothing to change."
        if self.after_count < MIN_BALLOT:
            return (
                f"The ballot would list only {plural(self.after_count, 'project')}, and a ballot "
                f"needs at least {MIN_BALLOT} projects to be a choice. Shortlist at least "
                f"{MIN_BALLOT} proposals before putting the shortlist on the ballot."
            )
        return None


def ballot_change(session: Session, decision: ShortlistDecision) -> BallotChange:
    """Return what making this shortlist the ballot's project list would change."""
    now = tuple(sorted(decision.session.round.projects, key=lambda p: (p.title, p.id)))
    keep = set(decision.shortlist_ids or ())
    removed = tuple(p for p in now if p.proposal_id is not None and p.proposal_id not in keep)
    on_ballot = {p.proposal_id for p in now}
    found = (session.get(Proposal, i) for i in decision.shortlist_ids or () if i not in on_ballot)
    return BallotChange(
        now=now,
        kept=tuple(p for p in now if p not in removed),
        removed=removed,
        added=tuple(p for p in found if p is not None),
    )
