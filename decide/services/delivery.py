"""Delivery of funded projects: milestones and their tranches, and where the money went.

Money paid is never typed twice: `paid_by_project` sums the round's ledger rows
(`LedgerPayment`), and every page, export and test that shows "paid" calls it. A payment that
would take a project beyond the tranches of its confirmed milestones needs a reason, which the
ledger's payment use case stores with the payment (`check_tranches`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audits.manifest import Manifest
from ballots.wording import money
from decide.models import (
    MILESTONE_STATUSES,
    LedgerPayment,
    Milestone,
    MilestoneWithdrawal,
    Project,
    Round,
    User,
)
from decide.services import permissions as can
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.manifests import manifest_of
from decide.services.sanitise import has_control_characters, visible_text
from decide.services.unit_of_work import begin_write, transactional

TITLE_MAX = 200  # Milestone.title
REASON_MAX = 1000


class TrancheRefused(DomainError):
    """A payment beyond the confirmed milestones' tranches, given without a reason."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- Money: read from the ledger only -------------------------------------------------------


def paid_by_project(session: Session, round_id: int) -> dict[str, int]:
    """Return pence paid per project code, summed from the round's ledger entries."""
    rows = session.execute(
        select(LedgerPayment.project_code, func.sum(LedgerPayment.amount_pence))
        .where(LedgerPayment.round_id == round_id)
        .group_by(LedgerPayment.project_code)
    )
    return {code: int(total) for code, total in rows}


def project_payments(session: Session, round_id: int, code: str) -> list[LedgerPayment]:
    """Return the ledger entries that paid one project, in ledger order."""
    return list(
        session.scalars(
            select(LedgerPayment)
            .where(LedgerPayment.round_id == round_id, LedgerPayment.project_code == code)
            .order_by(LedgerPayment.sequence)
        )
    )


def allocations(session: Session, rnd: Round) -> dict[str, Fraction]:
    """Return each funded project's allocation from the signed manifest, once results are public."""
    row = manifest_of(session, rnd.id)
    if row is None or not rnd.phase.results_public:
        return {}
    allocation = Manifest.from_json_bytes(row.manifest_json).allocation
    return {code: amount for code, amount in allocation.items() if amount > 0}


def funded_projects(session: Session, rnd: Round) -> list[Project]:
    """Return the round's funded projects in ballot order (none before results are public)."""
    funded = allocations(session, rnd)
    return [p for p in sorted(rnd.projects, key=lambda p: p.position) if p.code in funded]


def funded_project(session: Session, rnd: Round, code: str) -> Project | None:
    """Return the funded project with this code, or None."""
    return next((p for p in funded_projects(session, rnd) if p.code == code), None)


def lock_project_money(session: Session, project: Project) -> None:
    """Hold the project's money lock until commit, then read afresh.

    A payment (`ledger.record_payment`) and a withdrawn confirmation both check the project's
    payments against its confirmed tranches and then write; each takes this lock before its
    check, so neither acts on what the other is about to change. PostgreSQL locks the
    project's row (FOR NO KEY UPDATE: rows that merely refer to it are not held up); SQLite
    takes its one write lock.
    """
    begin_write(session)
    if session.connection().dialect.name != "sqlite":
        session.execute(
            select(Project.id).where(Project.id == project.id).with_for_update(key_share=True)
        )


# --- Milestones -----------------------------------------------------------------------------


def milestones(session: Session, project_id: int) -> list[Milestone]:
    """Return a project's milestones in order."""
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.project_id == project_id)
            .order_by(Milestone.position, Milestone.id)
        )
    )


def milestones_of_round(session: Session, rnd: Round) -> list[Milestone]:
    """Return the milestones of the round's projects, by project and order."""
    return list(
        session.scalars(
            select(Milestone)
            .join(Project)
            .where(Project.round_id == rnd.id)
            .order_by(Project.position, Milestone.position, Milestone.id)
        )
    )


def milestone_for_payment(session: Session, rnd: Round, text: str | None) -> Milestone | None:
    """Return the round's milestone named by a link (?milestone=id), or None."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    milestone = session.get(Milestone, int(text))
    return milestone if milestone is not None and milestone.project.round_id == rnd.id else None


def tranche_due(session: Session, milestone: Milestone) -> int:
    """Return what paying this milestone's tranche comes to now (never below 0).

    What the project was paid covers its confirmed milestones' tranches in milestone order:
    a confirmed milestone is owed its tranche less the part of the payments left after the
    tranches of the confirmed milestones before it. So confirming a later milestone never
    makes an earlier, covered tranche owed again. A milestone not yet confirmed is owed its
    tranche less what was paid ahead of every confirmed tranche."""
    project = milestone.project
    paid = paid_by_project(session, project.round_id).get(project.code, 0)
    before = 0  # tranches of the confirmed milestones before this one, in order
    for m in milestones(session, project.id):
        if m.id == milestone.id:
            break
        if m.confirmed:
            before += m.tranche_pence
    if not milestone.confirmed:
        before = confirmed_tranches(session, project.id)
    covered = min(milestone.tranche_pence, max(0, paid - before))
    return milestone.tranche_pence - covered


def confirmed_tranches(session: Session, project_id: int) -> int:
    """Return the pence of the tranches of the project's confirmed milestones."""
    total = session.scalar(
        select(func.coalesce(func.sum(Milestone.tranche_pence), 0)).where(
            Milestone.project_id == project_id, Milestone.confirmed_at.is_not(None)
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class MilestoneDraft:
    """A milestone as the facilitator plans it."""

    title: str
    planned_on: dt.date
    tranche_pence: int


@transactional
def add_milestone(
    session: Session, rnd: Round, project: Project, draft: MilestoneDraft, actor: User
) -> Milestone:
    """Plan a milestone with its tranche; the tranches may not exceed the allocation."""
    if not can.can_manage_rounds(actor):
        raise NotAllowed("Only a facilitator plans milestones and their tranches")
    errors = {}
    title = visible_text(draft.title)
    if not title:
        errors["title"] = "Give the milestone a title"
    elif len(title) > TITLE_MAX or has_control_characters(title):
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer, in plain text"
    if draft.tranche_pence < 0:
        errors["tranche"] = "The tranche cannot be negative"
    if errors:
        raise InvalidInput(errors)
    planned = milestones(session, project.id)
    allocated = allocations(session, rnd).get(project.code, Fraction(0))
    total = sum(m.tranche_pence for m in planned) + draft.tranche_pence
    if total > allocated:
        raise DomainError(
            f"The tranches would come to {money(total, rnd.currency)}, more than the project's "
            f"allocation of {money(allocated, rnd.currency)}",
            field="tranche",
        )
    milestone = Milestone(
        project_id=project.id,
        position=max((m.position for m in planned), default=0) + 1,
        title=title,
        planned_on=draft.planned_on,
        tranche_pence=draft.tranche_pence,
    )
    session.add(milestone)
    session.flush()
    return milestone


def can_report(user: User, project: Project) -> bool:
    """Return True when the user is a member of the organisation delivering the project."""
    return (
        can.is_signed_in(user)
        and project.organisation_id is not None
        and user.is_member_of(project.organisation_id)
    )


@transactional
def set_status(session: Session, milestone: Milestone, status: str, actor: User) -> None:
    """The delivering organisation (or a facilitator) reports a milestone's status."""
    if not (can_report(actor, milestone.project) or can.can_manage_rounds(actor)):
        raise NotAllowed("Only the organisation delivering the project reports its progress")
    if status not in MILESTONE_STATUSES:
        raise DomainError("Choose a status from the list", field="status")
    if milestone.confirmed:
        raise DomainError("This milestone is confirmed complete; its status no longer changes")
    milestone.status = status


@transactional
def confirm_milestone(session: Session, milestone: Milestone, actor: User) -> None:
    """The facilitator confirms a milestone complete: its tranche may then be paid."""
    if not can.can_manage_rounds(actor):
        raise NotAllowed("Only a facilitator confirms a completed milestone")
    if milestone.confirmed:
        raise DomainError("This milestone is already confirmed")
    milestone.status_before_confirmation = milestone.status
    milestone.status = "completed"
    milestone.confirmed_by_id = actor.id
    milestone.confirmed_at = _now()


def withdrawal_blocker(session: Session, milestone: Milestone) -> str | None:
    """Return why the milestone's confirmation can no longer be withdrawn, or None.

    The ledger is permanent: once a payment rests on the confirmation (it names the
    milestone, or it was paid without a reason within the confirmed tranches), the
    confirmation stands."""
    project = milestone.project
    currency = project.round.currency
    paid = project_payments(session, project.round_id, project.code)
    named = [p for p in paid if p.milestone_id == milestone.id]
    if named:
        first = named[0]
        total = sum(p.amount_pence for p in named)
        return (
            f"A payment of {money(total, currency)} was made against this milestone on "
            f"{first.paid_on.day} {first.paid_on.strftime('%B %Y')} (ledger payment "
            f"{first.sequence}). The ledger is permanent, so this confirmation stands. If the "
            "milestone was not in fact delivered, agree with the organisation how the money "
            "is returned or put to use, and say so in the round's retrospective."
        )
    unreasoned = sum(p.amount_pence for p in paid if not p.reason)
    remaining = confirmed_tranches(session, project.id) - milestone.tranche_pence
    if milestone.confirmed and unreasoned > remaining:
        return (
            f"{money(unreasoned, currency)} was paid to {project.code} without a recorded "
            "reason, on the strength of its confirmed milestones; without this confirmation "
            f"only {money(max(0, remaining), currency)} would be confirmed. The ledger is "
            "permanent, so this confirmation stands."
        )
    return None


@transactional
def withdraw_confirmation(
    session: Session, milestone: Milestone, reason: str, status: str, actor: User
) -> MilestoneWithdrawal:
    """The facilitator takes back a confirmation made by mistake, saying why; kept in the
    milestone's public history. Refused once a payment rests on it."""
    if not can.can_manage_rounds(actor):
        raise NotAllowed("Only a facilitator withdraws a milestone's confirmation")
    lock_project_money(session, milestone.project)
    session.refresh(milestone)  # as it stands now that a payment cannot slip in
    if not milestone.confirmed or milestone.confirmed_at is None:
        raise DomainError("This milestone is not confirmed, so there is nothing to withdraw")
    blocker = withdrawal_blocker(session, milestone)
    if blocker:
        raise DomainError(blocker)
    errors = {}
    reason = visible_text(reason)
    if not reason:
        errors["reason"] = "Say why the confirmation is withdrawn; it is shown on the project page"
    elif len(reason) > REASON_MAX or has_control_characters(reason):
        errors["reason"] = f"Give the reason in {REASON_MAX:,} characters or fewer, in plain text"
    if status not in MILESTONE_STATUSES:
        errors["status"] = "Choose the milestone's status now"
    if errors:
        raise InvalidInput(errors)
    row = MilestoneWithdrawal(
        milestone_id=milestone.id, confirmed_by_id=milestone.confirmed_by_id,
        confirmed_at=milestone.confirmed_at, withdrawn_by_id=actor.id, withdrawn_at=_now(),
        reason=reason,
    )  # fmt: skip
    session.add(row)
    milestone.confirmed_at, milestone.confirmed_by_id = None, None
    milestone.status = status
    session.flush()
    return row


def check_tranches(session: Session, rnd: Round, code: str, amount_pence: int, reason: str) -> str:
    """Return the payment's reason (cleaned), or raise when it goes beyond the confirmed
    milestones' tranches without one. Reads what is paid from the ledger."""
    reason = visible_text(reason)  # a reason of zero-width spaces is no reason
    if len(reason) > REASON_MAX:
        raise TrancheRefused(f"The reason must be {REASON_MAX} characters or fewer", field="reason")
    project = next((p for p in rnd.projects if p.code == code), None)
    if project is None:
        return reason
    confirmed = confirmed_tranches(session, project.id)
    after = paid_by_project(session, rnd.id).get(code, 0) + amount_pence
    if after > confirmed and not reason:
        raise TrancheRefused(
            f"This payment brings {code} to {money(after, rnd.currency)} paid, beyond the "
            f"{money(confirmed, rnd.currency)} of its confirmed milestones' tranches. Confirm "
            "the milestone first, or give the reason for paying ahead of delivery. Nothing "
            "was recorded.",
            field="reason",
        )
    return reason


def milestone_of(
    session: Session, rnd: Round, code: str, milestone_id: int | None, reason: str
) -> int | None:
    """Return the id of the milestone a payment names, checked to be the project's, or None.

    A payment names the milestone it pays for, which the ledger keeps for ever: naming one not
    yet confirmed is paying ahead of delivery, which needs a reason (`reason`, cleaned)."""
    if milestone_id is None:
        return None
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.project.round_id != rnd.id or milestone.project.code != code:
        raise TrancheRefused("Choose a milestone of the project paid", field="milestone_id")
    if not milestone.confirmed and not reason:
        raise TrancheRefused(
            f"“{milestone.title}” is not confirmed complete, so this payment would be ahead of "
            "delivery. Confirm the milestone first, or give the reason for paying ahead of it. "
            "Nothing was recorded.",
            field="milestone_id",
        )
    return milestone.id


# --- The public page: where did the money go ------------------------------------------------


class LeftToPay:
    """A funded project's allocation and what the ledger has paid of it."""

    allocated: Fraction
    paid: int

    @property
    def left(self) -> Fraction:
        """Return what may still be paid."""
        return self.allocated - self.paid


@dataclass(frozen=True)
class ProjectMoney(LeftToPay):
    """A funded project's allocation, what the ledger has paid, and its confirmed tranches."""

    project: Project
    allocated: Fraction
    paid: int
    confirmed: int
    status: str


def delivery_status(planned: list[Milestone]) -> str:
    """Return a project's overall status from its milestones."""
    if not planned:
        return "not-started"
    if all(m.confirmed for m in planned):
        return "completed"
    if any(m.status == "delayed" for m in planned):
        return "delayed"
    if any(m.status != "not-started" for m in planned):
        return "on-track"
    return "not-started"


def money_by_project(session: Session, rnd: Round) -> list[ProjectMoney]:
    """Return allocation, paid (from the ledger) and status for each funded project."""
    funded = allocations(session, rnd)
    paid = paid_by_project(session, rnd.id)
    out = []
    for project in funded_projects(session, rnd):
        planned = milestones(session, project.id)
        out.append(
            ProjectMoney(
                project,
                funded[project.code],
                paid.get(project.code, 0),
                sum(m.tranche_pence for m in planned if m.confirmed),
                delivery_status(planned),
            )
        )
    return out
