"""The facilitator's review: feasibility, adjusted cost, and accepting onto the ballot."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Project, Proposal, Round
from decide.services import permissions as can
from decide.services import proposals as service
from decide.services.errors import DomainError
from decide.web.access import require, safe_next, wants_fragment
from decide.web.forms import (
    AcceptForm,
    ActionForm,
    ReviewForm,
    run_action,
    submit_form,
)

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
    return render_template("review/round.html", **_review_context(rnd))


def _review_context(rnd: Round) -> dict[str, object]:
    can_review = can.can_review_proposals(current_user, rnd)
    return {
        "round": rnd,
        "proposals": service.list_proposals(db.session, rnd, include_withdrawn=True),
        "can_review": can_review,
        "payees": service.payee_options(db.session) if can_review else [],
        "action_form": ActionForm(),
    }


@bp.route("/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
def review(proposal_id: int) -> str | Response:
    """Record feasibility (with a reason when not feasible) and any adjusted cost."""
    proposal = _proposal_for_review(proposal_id)
    form = ReviewForm(obj=proposal)
    if submit_form(
        form,
        lambda: service.review_proposal(
            db.session,
            proposal,
            feasibility=form.feasibility.data,
            feasibility_reason=form.feasibility_reason.data or "",
            adjusted_cost_pence=form.adjusted_cost_pence.data,
            cost_adjustment_reason=form.cost_adjustment_reason.data or "",
            actor=current_user,
        ),
        "Review saved.",
    ):
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template(
        "review/proposal.html", form=form, proposal=proposal, round=proposal.round
    )


@bp.post("/proposals/<int:proposal_id>/accept")
def accept(proposal_id: int) -> Response:
    """Accept a feasible proposal onto the ballot, naming its payee.

    htmx gets the proposal's updated row of the review list (and the list's summary, out of
    band); without JavaScript the outcome is flashed and the browser goes back to the list,
    or to the page named in `next` (the proposal page).
    """
    proposal = _proposal_for_review(proposal_id)
    form = AcceptForm()
    project, error = _accept(proposal, form)
    message = error or _accepted_message(project)
    if wants_fragment():
        response = make_response(
            render_template(
                "review/_accepted.html",
                p=proposal,
                message=message,
                error=error,
                **_review_context(proposal.round),
            )
        )
    else:
        flash(message, "error" if error else "success")
        back = url_for("review.round_review", round_id=proposal.round_id)
        response = redirect(safe_next(form.next.data, f"{back}#proposal-{proposal.id}"), 303)
    response.vary.add("HX-Request")
    return response


def _accepted_message(project: Project | None) -> str:
    assert project is not None and project.organisation is not None
    return (
        f"Accepted onto the ballot as project {project.code}. "
        f"If it is funded, {project.organisation.name} is paid."
    )


def _accept(proposal: Proposal, form: AcceptForm) -> tuple[Project | None, str | None]:
    """Run the acceptance; return the new project, or None and the reason it was refused."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return None, "This form expired. Reload the page and try again."
        return None, "Choose a payee from the list of organisations."
    try:
        project = service.accept_onto_ballot(
            db.session, proposal, current_user, payee_id=form.payee_id.data
        )
    except DomainError as error:
        return None, error.message
    return project, None


@bp.post("/proposals/<int:proposal_id>/remove-from-ballot")
def remove_from_ballot(proposal_id: int) -> Response:
    """Take a proposal off the ballot before voting opens."""
    proposal = _proposal_for_review(proposal_id)
    run_action(
        lambda: service.remove_from_ballot(db.session, proposal, current_user),
        "Taken off the ballot.",
    )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))
