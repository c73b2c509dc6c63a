"""Arguments for and against proposals: short, threaded one level, reported and moderated."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from decide.models import Argument, ArgumentReport, Proposal, User
from decide.models.deliberation import ARGUMENT_SIDES
from decide.services.deliberation.access import can_post_argument
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.sanitise import strip_raw_html

ARGUMENT_MAX = 500
REASON_MAX = 300


def _clean(text: str, field: str, maximum: int, missing: str) -> str:
    cleaned = strip_raw_html(text or "").strip()
    if not cleaned:
        raise InvalidInput({field: missing})
    if len(cleaned) > maximum:
        raise InvalidInput({field: f"Keep it to {maximum} characters or fewer"})
    return cleaned


def post_argument(
    session: Session,
    proposal: Proposal,
    author: User,
    *,
    side: str,
    body: str,
    parent_id: int | None = None,
) -> Argument:
    """Post an argument for or against a proposal, or a reply to a top-level argument.

    Panel members argue while proposals are considered; other residents during deliberation.
    """
    if not can_post_argument(author, proposal.round):
        raise NotAllowed(
            "Residents post arguments while the round is under deliberation; panel members "
            "while its proposals are considered."
        )
    if side not in ARGUMENT_SIDES:
        raise InvalidInput({"side": "Choose for or against"})
    text = _clean(body, "body", ARGUMENT_MAX, "Write your argument")
    if parent_id is not None:
        parent = session.get(Argument, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise DomainError("That argument is not on this proposal.")
        if parent.parent_id is not None:
            raise DomainError("Reply to the argument itself: replies are one level deep.")
        if parent.is_hidden:
            raise DomainError("A hidden argument takes no replies.")
    argument = Argument(
        proposal_id=proposal.id,
        author_id=author.id,
        parent_id=parent_id,
        side=side,
        body=text,
        by_panel_member=proposal.round.has_panel_member(author.id),
    )
    session.add(argument)
    session.commit()
    return argument


def report_argument(session: Session, argument: Argument, reporter: User, reason: str) -> None:
    """Report an argument to the moderators (once per person)."""
    if any(r.user_id == reporter.id for r in argument.reports):
        raise DomainError("You have already reported this argument.")
    text = strip_raw_html(reason or "").strip()[:REASON_MAX]
    session.add(ArgumentReport(argument_id=argument.id, user_id=reporter.id, reason=text))
    session.commit()


def hide_argument(session: Session, argument: Argument, moderator: User, reason: str) -> Argument:
    """Hide an argument, with a reason shown to everyone in its place."""
    if argument.is_hidden:
        raise DomainError("This argument is already hidden.")
    argument.hidden_reason = _clean(
        reason, "reason", REASON_MAX, "Give the public reason for hiding it"
    )
    argument.hidden_by_id = moderator.id
    session.commit()
    return argument


def arguments_of(session: Session, proposal: Proposal) -> list[Argument]:
    """Return the proposal's top-level arguments (replies attached), oldest first."""
    return list(
        session.scalars(
            select(Argument)
            .where(Argument.proposal_id == proposal.id, Argument.parent_id.is_(None))
            .options(selectinload(Argument.replies), selectinload(Argument.reports))
            .order_by(Argument.id)
        )
    )
