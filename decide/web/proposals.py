"""Proposals: the filtered list, the proposal page, submitting and editing, versions."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Proposal, ProposalVersion, Round
from decide.services import ledger
from decide.services import permissions as can
from decide.services import proposals as service
from decide.services.deliberation import shortlist
from decide.services.errors import DomainError
from decide.web.access import require, viewable_round, wants_fragment
from decide.web.forms import (
    ActionForm,
    ProposalForm,
    options,
    run_action,
    show_domain_error,
    submit_form,
)

bp = Blueprint("proposals", __name__)


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    require(can.can_view_round(current_user, proposal.round))
    return proposal


def _form(rnd: Round, proposal: Proposal | None = None) -> ProposalForm:
    data = None
    if proposal is not None:
        data = {
            **{k: getattr(proposal, k) for k in ("title", "summary", "expected_outcomes")},
            "description_md": proposal.description_md,
            "organisation_id": proposal.organisation_id or 0,
            "area_id": proposal.area_id or 0,
            "theme_ids": [t.id for t in proposal.themes],
            "cost_lines": [{"item": c.item, "amount": c.amount_pence} for c in proposal.cost_lines],
        }
    form = ProposalForm(data=data)
    orgs = can.proposing_organisations(current_user)
    if proposal is not None and proposal.organisation and proposal.organisation not in orgs:
        orgs.append(proposal.organisation)
    people = [(0, "Myself, as a local resident")] + [(o.id, o.name) for o in orgs]
    form.organisation_id.choices = options(people)
    form.area_id.choices = options([(0, "Choose an area")] + [(a.id, a.name) for a in rnd.areas])
    form.theme_ids.choices = options([(t.id, t.name) for t in rnd.themes])
    return form


def _draft(form: ProposalForm) -> service.ProposalDraft:
    return service.ProposalDraft(
        title=form.title.data or "",
        summary=form.summary.data or "",
        description_md=form.description_md.data or "",
        expected_outcomes=form.expected_outcomes.data or "",
        area_id=form.area_id.data or None,
        theme_ids=tuple(form.theme_ids.data or ()),
        cost_lines=form.filled_cost_lines(),
        organisation_id=form.organisation_id.data or None,
    )


def _wants_another_line(form: ProposalForm) -> bool:
    """Handle the no-JavaScript "Add another line" button: re-render with one more row."""
    if request.method == "POST" and form.add_line.data:
        form.cost_lines.append_entry()
        return True
    return False


@bp.get("/rounds/<int:round_id>/proposals")
def index(round_id: int) -> str:
    """List a round's proposals, filtered by area and theme (a fragment for htmx)."""
    rnd = viewable_round(round_id)
    area, theme = request.args.get("area") or None, request.args.get("theme") or None
    found = service.list_proposals(db.session, rnd, area_slug=area, theme_slug=theme)
    context = {"round": rnd, "proposals": found, "area": area, "theme": theme}
    if wants_fragment():
        return render_template("proposals/_proposal_list.html", **context)
    return render_template("proposals/index.html", **context)


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
def create(round_id: int) -> str | Response:
    """Submit a proposal to a round in its proposals phase."""
    rnd = viewable_round(round_id)
    require(can.can_submit_proposal(current_user, rnd))
    form = _form(rnd)
    if not _wants_another_line(form) and form.validate_on_submit():
        try:
            proposal = service.submit_proposal(db.session, rnd, current_user, _draft(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Your proposal “{proposal.title}” has been submitted.", "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    closed = service.proposals_closed_reason(rnd)
    return render_template(
        "proposals/form.html", form=form, round=rnd, proposal=None, closed=closed
    )


@bp.get("/rounds/<int:round_id>/proposals/cost-line")
def cost_line_row(round_id: int) -> str:
    """Return one empty cost-line row for htmx, numbered after the rows already on the form."""
    rnd = viewable_round(round_id)
    require(can.can_submit_proposal(current_user, rnd))
    found = (re.match(r"cost_lines-(\d{1,6})-", k) for k in request.args)  # int() of bounded digits
    indices = [int(m.group(1)) for m in found if m]
    index = max(indices, default=-1) + 1
    if index >= 50:
        abort(400, "A proposal can have at most 50 cost lines.")
    form = ProposalForm(formdata=None, meta={"csrf": False})
    while len(form.cost_lines.entries) <= index:
        form.cost_lines.append_entry()
    return render_template(
        "proposals/_cost_line_row.html", line=form.cost_lines[index], index=index
    )


@bp.get("/proposals/<int:proposal_id>")
def show(proposal_id: int) -> str:
    """Show a proposal with its costs, review and ballot status."""
    proposal = _proposal(proposal_id)
    can_review = can.can_review_proposals(current_user, proposal.round)
    project = proposal.project
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        round=proposal.round,
        outcome=project and ledger.project_outcome(db.session, proposal.round, project.code),
        not_shortlisted=shortlist.reasons_for_proposal(db.session, proposal),
        can_edit=can.can_edit_proposal(current_user, proposal),
        can_review=can_review,
        payees=service.payee_options(db.session) if can_review else [],
        action_form=ActionForm(),
    )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: int) -> str | Response:
    """Edit a proposal until the deadline; each save keeps a new version."""
    proposal = _proposal(proposal_id)
    require(can.can_edit_proposal(current_user, proposal))
    form = _form(proposal.round, proposal)
    if not _wants_another_line(form) and submit_form(
        form,
        lambda: service.edit_proposal(db.session, proposal, current_user, _draft(form)),
        lambda _: f"Saved as version {proposal.version}.",
    ):
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    closed = service.proposals_closed_reason(proposal.round)
    return render_template(
        "proposals/form.html", form=form, round=proposal.round, proposal=proposal, closed=closed
    )


@bp.post("/proposals/<int:proposal_id>/withdraw")
def withdraw(proposal_id: int) -> Response:
    """Withdraw a proposal from the round (its author or organisation)."""
    proposal = _proposal(proposal_id)
    require(can.can_edit_proposal(current_user, proposal))
    run_action(
        lambda: service.withdraw_proposal(db.session, proposal, current_user),
        "Your proposal has been withdrawn. It stays visible, marked withdrawn.",
        "info",
    )
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.get("/proposals/<int:proposal_id>/versions")
def versions(proposal_id: int) -> str:
    """List every saved version of a proposal."""
    proposal = _proposal(proposal_id)
    return render_template("proposals/versions.html", proposal=proposal, round=proposal.round)


@bp.get("/proposals/<int:proposal_id>/versions/<int:number>")
def version(proposal_id: int, number: int) -> str:
    """Show one saved version of a proposal as it was."""
    proposal = _proposal(proposal_id)
    row = db.session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.number == number
        )
    )
    if row is None:
        abort(404)
    content = service.version_content(db.session, row)
    return render_template(
        "proposals/version.html", proposal=proposal, round=proposal.round, row=row, v=content
    )
