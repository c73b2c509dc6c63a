"""Arguments for and against proposals, with reports and moderation."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db, limiter
from decide.models import Argument, Proposal
from decide.services.deliberation import access as can
from decide.services.deliberation import arguments, shortlist
from decide.services.errors import DomainError
from decide.web.access import require
from decide.web.deliberation.common import bp, load_proposal
from decide.web.forms import run_action, show_domain_error
from decide.web.forms.deliberation import ArgumentForm, HideForm, ReportForm


def _poster() -> str:
    """Count posts per signed-in account (per address for anyone else, who is refused)."""
    if current_user.is_authenticated:
        return f"argument-poster:{current_user.get_id()}"
    return get_remote_address()


# --- Arguments ------------------------------------------------------------------------------
@bp.route("/proposals/<int:proposal_id>/arguments", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ARGUMENT_RATE_LIMIT"], key_func=_poster, methods=["POST"]
)
def proposal_arguments(proposal_id: int) -> str | Response:
    """Show the arguments for and against a proposal and take a new one."""
    proposal = load_proposal(proposal_id)
    form = ArgumentForm()
    if form.is_submitted():
        require(can.can_post_argument(current_user, proposal.round))
        if form.validate():
            try:
                arguments.post_argument(
                    db.session, proposal, current_user,
                    side=form.side.data, body=form.body.data or "", parent_id=form.parent(),
                )  # fmt: skip
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash("Your argument is posted.", "success")
                return redirect(url_for(".proposal_arguments", proposal_id=proposal.id), 303)
    return render_template("deliberation/arguments.html", **_arguments_context(proposal, form))


def _arguments_context(proposal: Proposal, form: ArgumentForm) -> dict[str, Any]:
    rnd = proposal.round
    return {
        "proposal": proposal,
        "round": rnd,
        "arguments": arguments.arguments_of(db.session, proposal),
        "reasons": shortlist.reasons_for_proposal(db.session, proposal),
        "form": form,
        "can_post": can.can_post_argument(current_user, rnd),
        "can_report": can.can_report_argument(current_user, rnd),
        "can_moderate": can.can_moderate(current_user, rnd),
        "hide_form": HideForm(formdata=None),
        "report_form": ReportForm(formdata=None),
        "hide_error": None,
    }


def _argument(argument_id: int) -> Argument:
    argument = db.get_or_404(Argument, argument_id)
    require(can.can_see_sessions(current_user, db.get_or_404(Proposal, argument.proposal_id).round))
    return argument


@bp.post("/arguments/<int:argument_id>/report")
def report(argument_id: int) -> Response:
    """Report an argument to the moderators (anyone signed in)."""
    argument = _argument(argument_id)
    rnd = db.session.get(Proposal, argument.proposal_id).round  # type: ignore[union-attr]
    require(can.can_report_argument(current_user, rnd))
    form = ReportForm()
    reason_text = form.reason.data or "" if form.validate_on_submit() else ""
    run_action(
        lambda: arguments.report_argument(db.session, argument, current_user, reason_text),
        "Thank you. The moderators will look at it.",
    )
    return redirect(url_for(".proposal_arguments", proposal_id=argument.proposal_id), 303)


@bp.post("/arguments/<int:argument_id>/hide")
def hide(argument_id: int) -> str | Response:
    """Hide an argument with a public reason (moderators)."""
    argument = _argument(argument_id)
    rnd = db.session.get(Proposal, argument.proposal_id).round  # type: ignore[union-attr]
    require(can.can_moderate(current_user, rnd))
    form = HideForm()
    if not form.validate_on_submit():
        # Shown next to this argument's reason box, with the page's other forms blank.
        proposal = db.get_or_404(Proposal, argument.proposal_id)
        context = _arguments_context(proposal, ArgumentForm(formdata=None))
        context["hide_error"] = (argument.id, next(iter(form.errors.values()))[0])
        return render_template("deliberation/arguments.html", **context)
    run_action(
        lambda: arguments.hide_argument(db.session, argument, current_user, form.reason.data),
        "The argument is hidden; its reason is shown in its place.",
    )
    return redirect(url_for(".proposal_arguments", proposal_id=argument.proposal_id), 303)
