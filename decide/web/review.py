"""The facilitator's review: feasibility, adjusted cost, and accepting onto the ballot."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Proposal, Round
from decide.services import permissions as can
from decide.services import proposals as service
from decide.services.errors import DomainError
from decide.web.access import require
from decide.web.forms import ActionForm, ReviewForm, run_action, show_domain_error

bp = Blueprint("review", __name__)


def _proposal_for_review(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can.can_review_proposals(current_user, proposal.round))
    return proposal


@bp.get("/rounds/<int:round_id>/review")
def round_review(round_id: int) -> str:
    """Show every proposal of a round with its review status (facilitators and panel)."""
    rnd = db.get_or_404(Round, round_id)
    require(can.can_see_review(current_user, rnd))
    return render_template(
        "review/round.html",
        round=rnd,
        proposals=service.list_proposals(db.session, rnd, include_withdrawn=True),
        can_review=can.can_review_proposals(current_user, rnd),
        action_form=ActionForm(),
    )


@bp.route("/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
def review(proposal_id: int) -> str | Response:
    """Record feasibility (with a reason when not feasible) and any adjusted cost."""
    proposal = _proposal_for_review(proposal_id)
    form = ReviewForm(obj=proposal)
    if form.validate_on_submit():
        try:
            service.review_proposal(
                db.session,
                proposal,
                feasibility=form.feasibility.data,
                feasibility_reason=form.feasibility_reason.data or "",
                adjusted_cost_pence=form.adjusted_cost_pence.data,
                cost_adjustment_reason=form.cost_adjustment_reason.data or "",
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            flash("Review saved.", "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template(
        "review/proposal.html", form=form, proposal=proposal, round=proposal.round
    )


@bp.post("/proposals/<int:proposal_id>/accept")
def accept(proposal_id: int) -> Response:
    """Accept a feasible proposal onto the ballot as a project."""
    proposal = _proposal_for_review(proposal_id)
    run_action(
        lambda: service.accept_onto_ballot(db.session, proposal, current_user),
        lambda project: f"Accepted onto the ballot as project {project.code}.",
    )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/remove-from-ballot")
def remove_from_ballot(proposal_id: int) -> Response:
    """Take a proposal off the ballot before voting opens."""
    proposal = _proposal_for_review(proposal_id)
    run_action(
        lambda: service.remove_from_ballot(db.session, proposal, current_user),
        "Taken off the ballot.",
    )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))
