"""Proposals: submit, edit (every version kept), review and accept onto the ballot."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from decide.models import (
    Area,
    CostLine,
    Organisation,
    Project,
    Proposal,
    ProposalVersion,
    Round,
    RoundLocked,
    Theme,
    User,
)
from decide.models.proposal import FEASIBILITY
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.rounds import MAX_PENCE
from decide.services.sanitise import strip_raw_html
from decide.services.unit_of_work import transactional

TITLE_MAX = 200
SUMMARY_MAX = 500
DESCRIPTION_MAX = 20_000
OUTCOMES_MAX = 5_000
ITEM_MAX = 200
MAX_COST_LINES = 50


def long_date(day: dt.date) -> str:
    """Format a date like '3 March 2027'."""
    return f"{day.day} {day:%B %Y}"


class ProposalsClosed(DomainError):
    """The round is not taking proposals or edits now."""


@dataclass(frozen=True)
class ProposalDraft:
    """A proposal's content as the author typed it, with amounts in pence."""

    title: str
    summary: str
    description_md: str = ""
    expected_outcomes: str = ""
    area_id: int | None = None
    theme_ids: tuple[int, ...] = ()
    cost_lines: tuple[tuple[str, int], ...] = ()
    organisation_id: int | None = None


def proposals_closed_reason(rnd: Round, today: dt.date | None = None) -> str | None:
    """Return why the round takes no proposals today, or None when it does."""
    today = today or dt.date.today()
    if not rnd.phase.proposals_open:
        return (
            f"This round is not taking proposals: it is in the “{rnd.phase_label}” phase. "
            "Nothing was saved."
        )
    if rnd.proposals_close is not None and today > rnd.proposals_close:
        return (
            f"The deadline for proposals was {long_date(rnd.proposals_close)}. Nothing was saved."
        )
    if rnd.proposals_open is not None and today < rnd.proposals_open:
        return f"Proposals open on {long_date(rnd.proposals_open)}. Nothing was saved."
    return None


def _place_problems(draft: ProposalDraft, rnd: Round, errors: dict[str, str]) -> None:
    """Add problems with the proposal's area and themes."""
    area_ids = {a.id for a in rnd.areas}
    if draft.area_id is None and area_ids:
        errors["area_id"] = "Choose the area the proposal serves"
    elif draft.area_id is not None and draft.area_id not in area_ids:
        errors["area_id"] = "Choose one of this round's areas"
    if not set(draft.theme_ids) <= {t.id for t in rnd.themes}:
        errors["theme_ids"] = "Choose themes from this round's list"


def _cost_line_problems(draft: ProposalDraft, errors: dict[str, str]) -> None:
    """Add problems with the cost lines (their number, items, amounts and total)."""
    if not draft.cost_lines:
        errors["cost_lines"] = "Add at least one cost line"
    elif len(draft.cost_lines) > MAX_COST_LINES:
        errors["cost_lines"] = f"Use at most {MAX_COST_LINES} cost lines"
    else:
        for index, (item, amount) in enumerate(draft.cost_lines):
            if not item.strip() or len(item) > ITEM_MAX:
                errors.setdefault(f"cost_lines-{index}-item", "Describe what the money is for")
            if amount <= 0:
                errors.setdefault(f"cost_lines-{index}-amount", "The amount must be more than £0")
        if sum(a for _, a in draft.cost_lines) > MAX_PENCE:
            errors.setdefault("cost_lines", "The total must be £20,000,000 or less")


def draft_problems(draft: ProposalDraft, rnd: Round, author: User) -> dict[str, str]:
    """Return a message per field the round cannot accept, in form order."""
    errors: dict[str, str] = {}
    if draft.organisation_id is not None and not author.is_member_of(draft.organisation_id):
        errors["organisation_id"] = "You can only propose on behalf of your own organisations"
    if not draft.title.strip():
        errors["title"] = "Enter a title"
    elif len(draft.title) > TITLE_MAX:
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer"
    if not draft.summary.strip():
        errors["summary"] = "Enter a short summary"
    elif len(draft.summary) > SUMMARY_MAX:
        errors["summary"] = f"The summary must be {SUMMARY_MAX} characters or fewer"
    if len(draft.description_md) > DESCRIPTION_MAX:
        errors["description_md"] = (
            f"The description must be {DESCRIPTION_MAX:,} characters or fewer "
            f"(it has {len(draft.description_md):,})"
        )
    if len(draft.expected_outcomes) > OUTCOMES_MAX:
        errors["expected_outcomes"] = (
            f"The expected outcomes must be {OUTCOMES_MAX:,} characters or fewer"
        )
    _place_problems(draft, rnd, errors)
    _cost_line_problems(draft, errors)
    return errors


def _write(session: Session, proposal: Proposal, draft: ProposalDraft) -> None:
    proposal.title = draft.title.strip()
    proposal.summary = draft.summary.strip()
    # Raw HTML is removed before storing; the Markdown is sanitised again when rendered.
    proposal.description_md = strip_raw_html(draft.description_md)
    proposal.expected_outcomes = draft.expected_outcomes.strip()
    proposal.area_id = draft.area_id
    proposal.organisation_id = draft.organisation_id
    proposal.themes = list(
        session.scalars(select(Theme).where(Theme.id.in_(draft.theme_ids)).order_by(Theme.name))
    )
    proposal.cost_lines = [
        CostLine(position=i, item=item.strip(), amount_pence=amount)
        for i, (item, amount) in enumerate(draft.cost_lines)
    ]


def _add_version(session: Session, proposal: Proposal, editor: User) -> None:
    session.flush()
    session.add(
        ProposalVersion(
            proposal=proposal,
            number=proposal.version,
            content=proposal.snapshot(),
            edited_by_id=editor.id,
        )
    )


@transactional
def submit_proposal(
    session: Session, rnd: Round, author: User, draft: ProposalDraft, today: dt.date | None = None
) -> Proposal:
    """Create a proposal (version 1) during the round's proposals phase."""
    closed = proposals_closed_reason(rnd, today)
    if closed:
        raise ProposalsClosed(closed)
    problems = draft_problems(draft, rnd, author)
    if problems:
        raise InvalidInput(problems)
    proposal = Proposal(round=rnd, author=author, version=1)
    session.add(proposal)
    _write(session, proposal, draft)
    _add_version(session, proposal, author)
    return proposal


def _is_admin_of(user: User, organisation_id: int) -> bool:
    return any(m.organisation_id == organisation_id and m.role == "admin" for m in user.memberships)


def _may_move(editor: User, proposal: Proposal, draft: ProposalDraft) -> bool:
    """Return True when the editor may change the proposal's organisation to the draft's.

    A plain member cannot take an organisation's proposal elsewhere (or attach a proposal to
    an organisation): an administrator of the organisation it leaves, or else of the one it
    joins, or a facilitator, can.
    """
    if editor.is_facilitator:
        return True
    owner = proposal.organisation_id or draft.organisation_id
    return owner is not None and _is_admin_of(editor, owner)


@transactional
def edit_proposal(
    session: Session,
    proposal: Proposal,
    editor: User,
    draft: ProposalDraft,
    today: dt.date | None = None,
) -> Proposal:
    """Save a new version of the proposal, until the proposals deadline."""
    closed = proposals_closed_reason(proposal.round, today)
    if closed:
        raise ProposalsClosed(closed.replace("taking proposals", "taking changes to proposals"))
    if proposal.author_id != editor.id and not (
        proposal.organisation_id and editor.is_member_of(proposal.organisation_id)
    ):
        raise NotAllowed("Only the author or the organisation's members can edit this proposal")
    if proposal.project is not None:
        raise DomainError(
            "This proposal is already on the ballot. Ask the facilitator to take it off "
            "the ballot before changing it."
        )
    if proposal.withdrawn:
        raise DomainError("This proposal was withdrawn, so it can no longer be changed.")
    problems = draft_problems(draft, proposal.round, editor)
    if draft.organisation_id != proposal.organisation_id and not _may_move(editor, proposal, draft):
        problems.setdefault(
            "organisation_id",
            "Only an administrator of the organisation, or a facilitator, can move a proposal "
            "to another organisation",
        )
    if problems:
        raise InvalidInput(problems)
    _write(session, proposal, draft)
    proposal.version += 1
    _add_version(session, proposal, editor)
    return proposal


@transactional
def review_proposal(
    session: Session,
    proposal: Proposal,
    *,
    feasibility: str,
    feasibility_reason: str,
    adjusted_cost_pence: int | None,
    cost_adjustment_reason: str,
    actor: User,
) -> Proposal:
    """Record the facilitator's feasibility decision and any adjusted cost."""
    rnd = proposal.round
    errors: dict[str, str] = {}
    if not rnd.phase.under_review:
        raise DomainError("Reviews are closed: voting has opened on this round.")
    if feasibility not in FEASIBILITY:
        errors["feasibility"] = "Choose pending, feasible or not feasible"
    elif feasibility == "infeasible" and not feasibility_reason.strip():
        errors["feasibility_reason"] = "Say why it is not feasible: the author will see this"
    elif feasibility != "feasible" and proposal.project is not None:
        errors["feasibility"] = "This proposal is on the ballot: take it off the ballot first"
    if adjusted_cost_pence is not None:
        if not 0 < adjusted_cost_pence <= MAX_PENCE:
            errors["adjusted_cost_pence"] = "The adjusted cost must be more than £0"
        elif not cost_adjustment_reason.strip():
            errors["cost_adjustment_reason"] = "Say why the cost was adjusted"
    if errors:
        raise InvalidInput(errors)
    proposal.feasibility = feasibility
    proposal.feasibility_reason = feasibility_reason.strip()
    proposal.adjusted_cost_pence = adjusted_cost_pence
    proposal.cost_adjustment_reason = (
        cost_adjustment_reason.strip() if adjusted_cost_pence is not None else ""
    )
    project = _project_of(session, proposal)
    if project is not None:
        project.cost_pence = proposal.ballot_cost_pence
    try:
        session.commit()
    except RoundLocked as exc:
        session.rollback()
        raise DomainError(str(exc)) from None
    return proposal


def withdraw_proposal(session: Session, proposal: Proposal, actor: User) -> Proposal:
    """Withdraw a proposal: it stays visible to its authors but leaves the round."""
    if proposal.author_id != actor.id and not (
        proposal.organisation_id and actor.is_member_of(proposal.organisation_id)
    ):
        raise NotAllowed("Only the author or the organisation's members can withdraw this")
    if proposal.withdrawn:
        raise DomainError("This proposal is already withdrawn.")
    if not proposal.round.phase.under_review:
        raise DomainError("Proposals cannot be withdrawn once voting has opened.")
    if _project_of(session, proposal) is not None:
        raise DomainError(
            "This proposal is on the ballot. Ask the facilitator to take it off the ballot first."
        )
    proposal.withdrawn = True
    session.commit()
    return proposal


def _project_of(session: Session, proposal: Proposal) -> Project | None:
    return session.scalar(select(Project).where(Project.proposal_id == proposal.id))


def _next_code(rnd: Round) -> tuple[str, int]:
    numbers = [int(m.group(1)) for p in rnd.projects if (m := re.fullmatch(r"P(\d+)", p.code))]
    n = max(numbers, default=0) + 1
    return f"P{n}", max((p.position for p in rnd.projects), default=0) + 1


def payee_options(session: Session) -> list[Organisation]:
    """Return the organisations that can be paid for a project, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


NO_PAYEE = (
    "Choose who will be paid if this project is funded, such as a host organisation or the "
    "council: a resident's proposal has no organisation of its own to pay."
)


def _chosen_payee(session: Session, proposal: Proposal, payee_id: int | None) -> Organisation:
    if payee_id is None:
        payee = proposal.payee_organisation
    else:
        payee = session.get(Organisation, payee_id)
        if payee is None:
            raise InvalidInput({"payee_id": "Choose a payee from the list of organisations"})
    if payee is None:
        raise InvalidInput({"payee_id": NO_PAYEE})
    return payee


@transactional
def accept_onto_ballot(
    session: Session, proposal: Proposal, actor: User, *, payee_id: int | None = None
) -> Project:
    """Make a feasible proposal a project of its round, with a stable code such as 'P3'.

    The project's organisation (named in the manifest and paid through the ledger) is the
    payee: `payee_id` when given, else the one already chosen, else the proposing organisation.
    """
    project = put_on_ballot(session, proposal, actor, payee_id=payee_id)
    session.refresh(proposal)
    return project


def put_on_ballot(
    session: Session, proposal: Proposal, actor: User, *, payee_id: int | None = None
) -> Project:
    """Add a proposal's project to the ballot inside the caller's unit of work (no commit)."""
    rnd = proposal.round
    if not rnd.phase.under_review:
        raise DomainError("The ballot is locked: voting has opened on this round.")
    if _project_of(session, proposal) is not None:
        raise DomainError("This proposal is already on the ballot.")
    if proposal.withdrawn:
        raise DomainError("This proposal was withdrawn by its author.")
    if proposal.feasibility != "feasible":
        raise DomainError("Only proposals marked feasible can be accepted onto the ballot.")
    payee = _chosen_payee(session, proposal, payee_id)
    # Stored only when it differs from the proposer, so an asset's proposal follows its author.
    proposal.payee_id = None if payee.id == proposal.organisation_id else payee.id
    code, position = _next_code(rnd)
    project = Project(
        round=rnd,
        proposal_id=proposal.id,
        code=code,
        position=position,
        title=proposal.title,
        summary=proposal.summary,
        cost_pence=proposal.ballot_cost_pence,
        area_id=proposal.area_id,
        organisation_id=payee.id,
    )
    session.add(project)
    try:
        session.flush()
    except RoundLocked as exc:
        raise DomainError(str(exc)) from None
    return project


@transactional
def remove_from_ballot(session: Session, proposal: Proposal, actor: User) -> None:
    """Take a proposal's project off the ballot before voting opens."""
    take_off_ballot(session, proposal, actor)
    session.refresh(proposal)


def take_off_ballot(session: Session, proposal: Proposal, actor: User) -> None:
    """Delete a proposal's project inside the caller's unit of work (no commit)."""
    project = _project_of(session, proposal)
    if project is None:
        raise DomainError("This proposal is not on the ballot.")
    if not proposal.round.phase.under_review:
        raise DomainError("The ballot is locked: voting has opened on this round.")
    session.delete(project)
    session.flush()
    # The round's project list still holds the deleted row until it is read again.
    session.expire(proposal.round, ["projects"])


def list_proposals(
    session: Session,
    rnd: Round,
    *,
    area_slug: str | None = None,
    theme_slug: str | None = None,
    include_withdrawn: bool = False,
) -> list[Proposal]:
    """Return the round's proposals, optionally only one area's or one theme's, by title."""
    query = (
        select(Proposal)
        .where(Proposal.round_id == rnd.id)
        .options(selectinload(Proposal.cost_lines), selectinload(Proposal.themes))
        .order_by(Proposal.title, Proposal.id)
    )
    if not include_withdrawn:
        query = query.where(Proposal.withdrawn.is_(False))
    if area_slug:
        query = query.join(Area, Proposal.area_id == Area.id).where(Area.slug == area_slug)
    if theme_slug:
        query = query.where(Proposal.themes.any(Theme.slug == theme_slug))
    return list(session.scalars(query))


def proposals_of_user(session: Session, user: User) -> list[Proposal]:
    """Return the proposals a user wrote or that their organisations made, newest first."""
    org_ids = list(user.organisation_ids)
    query = select(Proposal).where(
        (Proposal.author_id == user.id) | (Proposal.organisation_id.in_(org_ids))
    )
    return list(session.scalars(query.order_by(Proposal.id.desc())))


def proposals_of_organisation(session: Session, organisation: Organisation) -> list[Proposal]:
    """Return the proposals an organisation has submitted, newest first."""
    query = select(Proposal).where(Proposal.organisation_id == organisation.id)
    return list(session.scalars(query.order_by(Proposal.id.desc())))


def proposal_ids_by_code(session: Session, round_id: int) -> dict[str, int]:
    """Return project code -> the id of the proposal behind it, for a round's projects."""
    query = select(Project.code, Project.proposal_id).where(
        Project.round_id == round_id, Project.proposal_id.is_not(None)
    )
    return {code: proposal_id for code, proposal_id in session.execute(query)}


def version_content(session: Session, version: ProposalVersion) -> dict[str, object]:
    """Return a version's content with area and theme names resolved for display."""
    content = dict(version.content)
    area = session.get(Area, content.get("area_id")) if content.get("area_id") else None
    org_id = content.get("organisation_id")
    organisation = session.get(Organisation, org_id) if org_id else None
    theme_ids = list(content.get("theme_ids") or [])
    themes = session.scalars(select(Theme).where(Theme.id.in_(theme_ids))).all()
    lines = list(content.get("cost_lines") or [])
    content.update(
        area=area,
        organisation=organisation,
        themes=sorted(themes, key=lambda t: t.name),
        total_pence=sum(int(line["amount_pence"]) for line in lines),
    )
    return content
