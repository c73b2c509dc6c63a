"""What facilitators (and the panel) manage: milestones and their confirmation, the outcome
framework, the retrospective; and the proposer's consent to carry a proposal over."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from decide.extensions import db
from decide.models import Milestone, Proposal, Round
from decide.models.phase import Phase
from decide.services import delivery, delivery_reports, retrospectives
from decide.services import permissions as can
from decide.services.delivery import MilestoneDraft
from decide.services.delivery_reports import MeasureDraft
from decide.services.errors import DomainError
from decide.services.retrospectives import RetrospectiveDraft
from decide.web.access import require, viewable_round
from decide.web.delivery.common import bp, funded, optional_id, parse_date, published_round
from decide.web.forms import (
    CarryOverForm,
    MeasureForm,
    MilestoneForm,
    RetrospectiveForm,
    WithdrawConfirmationForm,
    add_error,
    apply_form,
    form_status,
    options,
    run_action,
    show_domain_error,
    submit_form,
)


@bp.route("/rounds/<int:round_id>/projects/<code>/milestones", methods=["GET", "POST"])
def milestones(round_id: int, code: str) -> Any:
    """A facilitator plans a project's milestones and the tranche tied to each."""
    rnd, project = funded(round_id, code)
    require(can.can_manage_rounds(current_user))
    form = MilestoneForm()
    valid = form.validate_on_submit()
    planned_on = parse_date(form.planned_on.data)
    if form.is_submitted() and planned_on is None:  # checked with the others: one list of gaps
        add_error(form, "planned_on", "Enter the planned date as YYYY-MM-DD, like 2027-09-30")
    if valid and planned_on is not None and apply_form(
        form,
        lambda: delivery.add_milestone(
            db.session, rnd, project,
            MilestoneDraft(form.title.data or "", planned_on, form.tranche.data or 0),
            current_user,
        ),
        "Milestone added.",
    ):  # fmt: skip
        return redirect(url_for(".milestones", round_id=rnd.id, code=project.code), 303)
    money = next(
        m for m in delivery.money_by_project(db.session, rnd) if m.project.id == project.id
    )
    planned = delivery.milestones(db.session, project.id)
    due = {m.id: delivery.tranche_due(db.session, m) for m in planned if m.confirmed}
    kept = {m.id: delivery.withdrawal_blocker(db.session, m) for m in planned if m.confirmed}
    return render_template(
        "delivery/milestones.html", round=rnd, project=project, form=form, money=money,
        milestones=planned, due=due, kept=kept,
        untied=max(0, int(money.allocated) - sum(m.tranche_pence for m in planned)),
    ), form_status(form)  # fmt: skip


@bp.post("/rounds/<int:round_id>/projects/<code>/milestones/<int:milestone_id>/confirm")
def confirm(round_id: int, code: str, milestone_id: int) -> Any:
    """A facilitator confirms a milestone complete; its tranche may then be paid."""
    rnd, project = funded(round_id, code)
    require(can.can_manage_rounds(current_user))
    milestone = db.get_or_404(Milestone, milestone_id)
    if milestone.project_id != project.id:
        return redirect(url_for(".milestones", round_id=rnd.id, code=project.code), 303)
    run_action(
        lambda: delivery.confirm_milestone(db.session, milestone, current_user),
        f"“{milestone.title}” is confirmed complete. Its tranche can now be paid.",
    )
    return redirect(url_for(".milestones", round_id=rnd.id, code=project.code), 303)


@bp.route(
    "/rounds/<int:round_id>/projects/<code>/milestones/<int:milestone_id>/withdraw-confirmation",
    methods=["GET", "POST"],
)
def withdraw_confirmation(round_id: int, code: str, milestone_id: int) -> Any:
    """A facilitator takes back a confirmation made by mistake, with the reason; refused
    (and said why, with no form) once a payment rests on it."""
    rnd, project = funded(round_id, code)
    require(can.can_manage_rounds(current_user))
    milestone = db.get_or_404(Milestone, milestone_id)
    back = url_for(".milestones", round_id=rnd.id, code=project.code)
    if milestone.project_id != project.id or not milestone.confirmed:
        return redirect(back, 303)
    blocker = delivery.withdrawal_blocker(db.session, milestone)
    form = WithdrawConfirmationForm(status=_status_before(milestone))
    if not blocker and submit_form(
        form,
        lambda: delivery.withdraw_confirmation(
            db.session, milestone, form.reason.data or "", form.status.data or "", current_user
        ),
        f"The confirmation of “{milestone.title}” is withdrawn; the project page shows when "
        "and why.",
    ):
        return redirect(back, 303)
    return render_template(
        "delivery/withdraw_confirmation.html", round=rnd, project=project, milestone=milestone,
        form=form, blocker=blocker,
    ), form_status(form)  # fmt: skip


def _status_before(milestone: Milestone) -> str:
    """The status to go back to: the one it had before it was confirmed. Not recorded (a
    confirmation before this was kept): not started. Reported completed: on track."""
    before = milestone.status_before_confirmation or "not-started"
    return "on-track" if before == "completed" else before


@bp.route("/rounds/<int:round_id>/outcomes", methods=["GET", "POST"])
def outcomes(round_id: int) -> Any:
    """A facilitator chooses the round's outcome framework."""
    rnd = published_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = MeasureForm()
    if submit_form(
        form,
        lambda: delivery_reports.add_measure(db.session, rnd, _measure(form), current_user),
        "Measure added to the framework.",
    ):
        return redirect(url_for(".outcomes", round_id=rnd.id), 303)
    return render_template(
        "delivery/outcomes.html", round=rnd, form=form,
        measures=delivery_reports.measures(db.session, rnd.id),
    ), form_status(form)  # fmt: skip


def _measure(form: MeasureForm) -> MeasureDraft:
    return MeasureDraft(
        form.name.data or "", form.unit.data or "", bool(form.may_be_negative.data),
        bool(form.by_area.data), bool(form.by_decile.data), form.description.data or "",
        bool(form.whole_numbers.data), form.aggregation.data or "sum",
    )  # fmt: skip


@bp.route("/rounds/<int:round_id>/retrospective", methods=["GET", "POST"])
def retrospective(round_id: int) -> Any:
    """The facilitator and the panel write the round's retrospective."""
    rnd = published_round(round_id)
    require(retrospectives.can_write_retrospective(current_user, rnd))
    row = retrospectives.retrospective(db.session, rnd.id)
    form = RetrospectiveForm(obj=row)
    if submit_form(
        form,
        lambda: retrospectives.write_retrospective(
            db.session, rnd, _retrospective(form), current_user
        ),
        "The retrospective is published.",
    ):
        return redirect(url_for(".index", round_id=rnd.id) + "#retrospective", 303)
    return render_template("delivery/retrospective.html", round=rnd, form=form), form_status(form)


def _retrospective(form: RetrospectiveForm) -> RetrospectiveDraft:
    return RetrospectiveDraft(
        form.what_worked.data or "", form.what_did_not.data or "",
        form.changes_next_round.data or "", form.authors.data or "",
    )  # fmt: skip


@bp.route("/proposals/<int:proposal_id>/carry-over", methods=["GET", "POST"])
def carry_over(proposal_id: int) -> Any:
    """The proposer consents to carry an unfunded proposal into a round taking proposals."""
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can.is_signed_in(current_user) and proposal.author_id == current_user.id)
    form = CarryOverForm()
    # Offer only what consent can still do: rounds taking proposals it is not already in.
    carried = retrospectives.carried_into(db.session, proposal)
    rounds = [
        r
        for r in db.session.scalars(
            db.select(Round).where(Round.phase == Phase.PROPOSALS).order_by(Round.id)
        )
        if r not in carried
    ]
    form.to_round_id.choices = options((str(r.id), r.title) for r in rounds)
    if form.validate_on_submit():
        target = db.session.get(Round, optional_id(form.to_round_id.data) or 0)
        if target is None:
            add_error(form, "to_round_id", "Choose a round that is taking proposals")
        else:
            try:
                copy = retrospectives.carry_over(db.session, proposal, target, current_user)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                flash(f"Your proposal is carried into {target.title}.", "success")
                return redirect(url_for("proposals.show", proposal_id=copy.id), 303)
    return render_template(
        "delivery/carry_over.html", proposal=proposal, form=form, rounds=rounds, carried=carried,
        eligible=proposal in retrospectives.unfunded(db.session, proposal.round),
    ), form_status(form)  # fmt: skip


@bp.get("/rounds/<int:round_id>/carried-over")
def carried_over(round_id: int) -> str:
    """The facilitator sees what was carried into this round, and what could be with its
    proposer's consent."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    entries = retrospectives.carry_over_overview(db.session, rnd)
    return render_template(
        "delivery/carried_over.html", round=rnd,
        carried=[e for e in entries if e.state == "carried"],
        others=[e for e in entries if e.state != "carried"],
    )  # fmt: skip
