"""Paper ballots: officers and facilitators enter them one at a time and print a slip."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from decide.extensions import db
from decide.models import Round
from decide.services import paper as paper_service
from decide.services import voting
from decide.services.permissions import is_officer
from decide.services.sanitise import whole_number
from decide.web.access import receipt_key
from decide.web.voting import _form_choices, _selected, _summary, receipt_page

bp = Blueprint("paper", __name__)


def _officer_round(round_id: int) -> Round:
    if not current_user.is_authenticated:
        abort(401)
    if not is_officer(current_user):
        abort(403)
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
def enter(round_id: int) -> Any:
    """Show the paper-ballot form; on POST validate and record one ballot."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _officer_round(round_id)
    projects = voting.ballot_projects(db.session, rnd.id)
    choices: Any = {} if rnd.ballot_kind == "cumulative" else []
    problems: list[str] = []
    status = 200
    if rnd.phase != "voting":
        problems = [f"Voting is not open in this round (it is at: {rnd.phase_label})."]
    elif request.method == "POST":
        choices, problems = _form_choices(rnd, projects)
        raw_entry = request.form.get("entry", "")
        if not whole_number(raw_entry, maximum=2**62):
            problems = ["This form has no entry number. Reload the page and enter the ballot."]
        if not problems:
            try:
                signed = paper_service.enter_paper_ballot(
                    db.session,
                    rnd.id,
                    choices,
                    server_key=receipt_key(),
                    today=dt.datetime.now(dt.UTC).date(),
                    entry=int(raw_entry),
                )
            except voting.BallotRejected as exc:
                problems = exc.messages
            except voting.VotingError as exc:
                problems = [str(exc)]
            else:
                return receipt_page(rnd, signed, "paper/slip.html")
        status = 422
    return (
        render_template(
            "paper/enter.html",
            rnd=rnd,
            projects=projects,
            selected=_selected(rnd, choices),
            problems=problems,
            summary=_summary(rnd, projects, choices),
            rules=voting.describe_rules(db.session, rnd),
            entry=request.form.get("entry") or paper_service.new_entry_number(),
        ),
        status,
    )
