"""Closing a round's cycle: the retrospective, and unfunded proposals carried into a later
round with their proposer's consent. Also which stored photos the public may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.models import (
    CarryOver,
    CostLine,
    Photo,
    ProgressUpdate,
    Project,
    Proposal,
    ProposalVersion,
    Retrospective,
    Round,
    Story,
    User,
)
from decide.services import permissions as can
from decide.services import proposals
from decide.services.delivery import allocations
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.sanitise import has_control_characters, visible_text
from decide.services.unit_of_work import transactional

TEXT_MAX = 5000
AUTHORS_MAX = 500


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RetrospectiveDraft:
    """What worked, what did not, what changes next round, and who wrote it."""

    what_worked: str
    what_did_not: str
    changes_next_round: str
    authors: str


def can_write_retrospective(user: User, rnd: Round) -> bool:
    """Return True for a facilitator or a member of the round's panel."""
    return can.can_manage_rounds(user) or can.is_panel_member(user, rnd)


@transactional
def write_retrospective(
    session: Session, rnd: Round, draft: RetrospectiveDraft, actor: User
) -> Retrospective:
    """Write (or rewrite) the round's retrospective once its results are public."""
    if not can_write_retrospective(actor, rnd):
        raise NotAllowed("Only the facilitator and the panel write the round's retrospective")
    if not rnd.phase.results_public:
        raise DomainError("A retrospective is written once the results are published")
    errors = {}
    values = {}
    for name, what, limit in (
        ("what_worked", "what worked", TEXT_MAX),
        ("what_did_not", "what did not work", TEXT_MAX),
        ("changes_next_round", "what changes next round", TEXT_MAX),
        ("authors", "the names of those who wrote it", AUTHORS_MAX),
    ):
        value = visible_text(getattr(draft, name))
        if not value:
            errors[name] = f"Enter {what}"
        elif len(value) > limit or has_control_characters(value):
            errors[name] = f"Write {what} in {limit:,} characters or fewer, in plain text"
        values[name] = value
    if errors:
        raise InvalidInput(errors)
    row = session.get(Retrospective, rnd.id)
    if row is None:
        row = Retrospective(round_id=rnd.id, written_by_id=actor.id, updated_at=_now(), **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.written_by_id, row.updated_at = actor.id, _now()
    session.flush()
    return row


def retrospective(session: Session, round_id: int) -> Retrospective | None:
    """Return the round's retrospective, or None."""
    return session.get(Retrospective, round_id)


# --- Carrying unfunded proposals into a later round ------------------------------------------


def unfunded(session: Session, rnd: Round) -> list[Proposal]:
    """Return the proposals on the round's ballot that were not funded (after publication)."""
    funded = allocations(session, rnd)
    if not funded:
        return []
    on_ballot = [p for p in rnd.projects if p.proposal_id is not None and p.code not in funded]
    return [p for p in (session.get(Proposal, x.proposal_id) for x in on_ballot) if p is not None]


def _check_as_submitted(proposal: Proposal, to_round: Round, actor: User) -> None:
    """Refuse what submitting the same proposal into `to_round` would refuse: its deadline,
    its areas and themes, and the author's membership of the organisation named."""
    closed = proposals.proposals_closed_reason(to_round)
    if closed:
        raise DomainError(closed, field="to_round_id")
    draft = proposals.ProposalDraft(
        title=proposal.title, summary=proposal.summary, description_md=proposal.description_md,
        expected_outcomes=proposal.expected_outcomes, area_id=proposal.area_id,
        theme_ids=tuple(t.id for t in proposal.themes),
        cost_lines=tuple((c.item, c.amount_pence) for c in proposal.cost_lines),
        organisation_id=proposal.organisation_id,
    )  # fmt: skip
    problems = proposals.draft_problems(draft, to_round, actor)
    if problems:
        raise DomainError(
            f"{to_round.title} cannot take this proposal as it is: "
            + "; ".join(dict.fromkeys(problems.values()))
            + ". Submit a new proposal there instead.",
            field="to_round_id",
        )


@transactional
def carry_over(session: Session, proposal: Proposal, to_round: Round, actor: User) -> Proposal:
    """With the proposer's consent, copy an unfunded proposal into a round taking proposals."""
    if not can.is_signed_in(actor) or proposal.author_id != actor.id:
        raise NotAllowed("Only the person who made the proposal can consent to carry it over")
    if proposal not in unfunded(session, proposal.round):
        raise DomainError("Only a proposal that was on the ballot and not funded is carried over")
    if not to_round.phase.proposals_open:
        raise DomainError("Choose a round that is taking proposals", field="to_round_id")
    _check_as_submitted(proposal, to_round, actor)
    done = session.scalar(
        select(CarryOver).where(
            CarryOver.proposal_id == proposal.id, CarryOver.to_round_id == to_round.id
        )
    )
    if done is not None:
        raise DomainError("This proposal is already carried into that round")
    copy = Proposal(
        round_id=to_round.id, author_id=proposal.author_id,
        organisation_id=proposal.organisation_id, area_id=proposal.area_id,
        title=proposal.title, summary=proposal.summary, description_md=proposal.description_md,
        expected_outcomes=proposal.expected_outcomes,
    )  # fmt: skip
    copy.themes = list(proposal.themes)
    copy.cost_lines = [
        CostLine(position=c.position, item=c.item, amount_pence=c.amount_pence)
        for c in proposal.cost_lines
    ]
    session.add(copy)
    session.flush()
    session.add(
        ProposalVersion(
            proposal_id=copy.id, number=1, content=copy.snapshot(), edited_by_id=actor.id
        )
    )
    session.add(
        CarryOver(
            proposal_id=proposal.id, to_round_id=to_round.id, new_proposal_id=copy.id,
            consent_by_id=actor.id, consented_at=_now(),
        )
    )  # fmt: skip
    session.flush()
    return copy


def carried_into(session: Session, proposal: Proposal) -> dict[Round, Proposal | None]:
    """Return the rounds the proposal was carried into, each with its copy there."""
    rows = session.scalars(select(CarryOver).where(CarryOver.proposal_id == proposal.id))
    out: dict[Round, Proposal | None] = {}
    for row in rows:
        target = session.get(Round, row.to_round_id)
        if target is not None:
            copy = session.get(Proposal, row.new_proposal_id) if row.new_proposal_id else None
            out[target] = copy
    return out


@dataclass(frozen=True)
class CarryOverEntry:
    """An unfunded proposal of an earlier round, as the facilitator of `rnd` sees it: carried
    into `rnd` (with the proposer's consent and the copy), carried elsewhere, or waiting."""

    proposal: Proposal
    consented_at: dt.datetime | None = None
    copy: Proposal | None = None
    elsewhere: tuple[Round, ...] = ()

    @property
    def state(self) -> str:
        """Return "carried", "elsewhere" or "waiting" (for the proposer's consent)."""
        if self.copy is not None or self.consented_at is not None:
            return "carried"
        return "elsewhere" if self.elsewhere else "waiting"


def _published_order(rnd: Round) -> tuple[dt.date, dt.datetime, int]:
    """Order rounds by the date of their results (planned, for a round not yet published)."""
    return (rnd.results_date or rnd.created_at.date(), rnd.created_at, rnd.id)


def carry_over_overview(session: Session, rnd: Round) -> list[CarryOverEntry]:
    """Return what was carried into `rnd`, then the unfunded proposals of the rounds published
    before it that could be, by round (in date order) and title. Only their proposers consent
    (`carry_over`)."""
    carried = list(session.scalars(select(CarryOver).where(CarryOver.to_round_id == rnd.id)))
    into = {c.proposal_id: c for c in carried}
    entries = []
    for c in carried:
        original = session.get(Proposal, c.proposal_id)
        if original is not None:
            copy = session.get(Proposal, c.new_proposal_id) if c.new_proposal_id else None
            entries.append(CarryOverEntry(original, c.consented_at, copy))
    published = [
        r
        for r in session.scalars(select(Round).where(Round.id != rnd.id))
        if r.phase.results_public and _published_order(r) < _published_order(rnd)
    ]
    for other in sorted(published, key=_published_order):
        for proposal in sorted(unfunded(session, other), key=lambda p: p.title.casefold()):
            if proposal.id in into:
                continue
            targets = tuple(carried_into(session, proposal))
            entries.append(CarryOverEntry(proposal, elsewhere=targets))
    return entries


# --- Photos the public may see --------------------------------------------------------------


def photo_is_public(session: Session, photo: Photo) -> bool:
    """Return True when the photo belongs to a public update or to a story with consent."""
    if photo.removed_at is not None:
        return False
    if photo.update_id is not None:
        update = session.get(ProgressUpdate, photo.update_id)
        if update is None or update.removed_at is not None:
            return False
        project = session.get(Project, update.project_id)
        return project is not None and project.round.phase.results_public
    story = session.scalar(select(Story).where(Story.photo_id == photo.id))
    return story is not None and story.shown and story.project.round.phase.results_public
