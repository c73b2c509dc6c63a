"""Paper ballots: the facilitator numbers them in advance; officers enter them one at a time."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from limits import parse_many
from sqlalchemy import func, select

from decide.extensions import db, limiter
from decide.models import PaperBatch, PaperNumber, Round
from decide.services import (
    ballot_values,
    register,
    register_setup,
    voter_roll,
    voting,
    voting_errors,
)
from decide.services import eligibility as elig
from decide.services import paper as paper_service
from decide.services.permissions import can_manage_rounds, is_facilitator, is_officer
from decide.web.access import receipt_key, require, viewable_round
from decide.web.ballot_forms import form_choices, selected_inputs, summary_figures
from decide.web.forms import PaperNumbersForm, show_domain_error
from decide.web.receipts import receipt_page

bp = Blueprint("paper", __name__)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _officer_round(round_id: int) -> Round:
    require(is_officer(current_user))
    rnd = db.session.get(Round, round_id)
    # An officer never sees a draft round (its ballot may still change).
    if rnd is None or (rnd.phase.is_draft and not is_facilitator(current_user)):
        abort(404)
    return rnd


PAPER_TOO_MANY = (
    "Too many wrong roll details. To protect voters, entering paper ballots with roll details "
    "is paused for a while after a few wrong dates of birth for one reference number, and "
    "after a few wrong entries by one officer. Wait an hour and try again, or ask the "
    "facilitator."
)


def _roll_throttles(rnd: Round, reference: str) -> list[tuple[Any, tuple[str, ...]]]:
    """Return (limit, key) for the wrong roll details counted against this entry.

    The same limits as /vote/roll, counted per officer and per reference number, in counters
    of their own: a guesser online cannot pause the polling station's desk, nor the reverse.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return []
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "decide")
    entry = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        f"decide/paper-roll-limit/v1\x00{rnd.id}\x00{voter_roll.normalise_reference(reference)}".encode(),
        "sha256",
    ).hexdigest()
    officer = str(current_user.id)
    return [
        *((limit, (prefix, "paper-roll-officer", officer))
          for limit in parse_many(str(current_app.config["ROLL_RATE_LIMIT"]))),
        *((limit, (prefix, "paper-roll-entry", entry))
          for limit in parse_many(str(current_app.config["ROLL_ENTRY_RATE_LIMIT"]))),
    ]  # fmt: skip


def _read_entry(rnd: Round) -> tuple[elig.VoterKey | None, list[str], int]:
    """Return the roll entry the officer typed (rounds with a roll), any problems, and status.

    Wrong details count against the officer and the reference number; past the limit the
    details are not even looked at.
    """
    if not register.has_roll(db.session, rnd.id):
        return None, [], 200
    reference = request.form.get("reference", "").strip()
    if not reference:
        return None, ["Enter the voter's reference number from the voter roll."], 422
    try:
        born = voter_roll.parse_birth_date(request.form.get("date_of_birth", ""))
    except ValueError as exc:
        return None, [f"Date of birth: {exc}."], 422
    throttles = _roll_throttles(rnd, reference)
    if any(not limiter.limiter.test(limit, *key) for limit, key in throttles):
        return None, [PAPER_TOO_MANY], 429
    try:
        return voter_roll.verify_roll(
            db.session, rnd.id, reference, born,
            secret_key=current_app.config["SECRET_KEY"], today=_today(),
        ), [], 200  # fmt: skip
    except elig.EligibilityError as exc:
        for limit, key in throttles:
            limiter.limiter.hit(limit, *key)
        return None, [str(exc)], 422


@bp.route("/rounds/<int:round_id>/paper", methods=["GET", "POST"])
def enter(round_id: int) -> Any:
    """Show the paper-ballot form; on POST validate and record one numbered ballot."""
    rnd = _officer_round(round_id)
    projects = voting.ballot_projects(db.session, rnd.id)
    choices: Any = {} if rnd.ballot_kind == "cumulative" else []
    problems: list[str] = []
    status = 200
    if not rnd.phase.voting_open:
        problems = [f"Voting is not open in this round (it is at: {rnd.phase_label})."]
    elif request.method == "POST":
        choices, problems = form_choices(rnd, projects)
        number = register.normalise_paper_number(request.form.get("number", ""))
        number_problem = register.paper_number_problem(db.session, rnd.id, number)
        if not number:
            problems.append("Enter the number printed on the paper ballot.")
        elif number_problem:
            problems.append(number_problem)
        entry, status = None, 422
        if not problems:
            # Only an issued, unused paper number opens the roll details to a check.
            entry, problems, status = _read_entry(rnd)
        if not problems:
            try:
                signed = paper_service.enter_paper_ballot(
                    db.session, rnd.id, choices, number=number, officer_id=current_user.id,
                    server_key=receipt_key(), today=_today(), entry=entry,
                )  # fmt: skip
            except voting.BallotRejected as exc:
                problems = exc.messages
            except voting_errors.VotingError as exc:
                problems = [str(exc)]
            else:
                return receipt_page(rnd, signed, "paper/slip.html")
        status = max(status, 422)
    return (
        render_template(
            "paper/enter.html",
            rnd=rnd,
            projects=projects,
            selected=selected_inputs(rnd, choices),
            problems=problems,
            summary=summary_figures(rnd, projects, choices),
            rules=ballot_values.describe_rules(db.session, rnd),
            has_roll=register.has_roll(db.session, rnd.id),
            form=request.form,
        ),
        status,
    )


@bp.route("/rounds/<int:round_id>/paper/numbers", methods=["GET", "POST"])
def numbers(round_id: int) -> Any:
    """List the batches of numbered paper ballots; on POST issue a new batch to print."""
    rnd = viewable_round(round_id)
    require(can_manage_rounds(current_user))
    form = PaperNumbersForm()
    if form.validate_on_submit():
        try:
            batch = register_setup.issue_paper_numbers(
                db.session, rnd.id, form.count.data, label=form.label.data or "", today=_today()
            )
        except elig.EligibilityError as exc:
            show_domain_error(form, register.as_domain_error(exc, "count"))
        else:
            return redirect(url_for("paper.print_batch", round_id=rnd.id, batch_id=batch.id), 303)
    used = func.count(PaperNumber.used_on)
    batches = db.session.execute(
        select(PaperBatch, used)
        .outerjoin(PaperNumber, PaperNumber.batch_id == PaperBatch.id)
        .where(PaperBatch.round_id == rnd.id)
        .group_by(PaperBatch.id)
        .order_by(PaperBatch.id)
    ).all()
    status = 422 if form.errors else 200
    return render_template("paper/numbers.html", rnd=rnd, form=form, batches=batches), status


@bp.get("/rounds/<int:round_id>/paper/numbers/<int:batch_id>")
def print_batch(round_id: int, batch_id: int) -> Any:
    """Show a batch's numbered paper ballots, one to a printed page."""
    rnd = viewable_round(round_id)
    require(can_manage_rounds(current_user))
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.round_id != rnd.id:
        abort(404)
    return render_template(
        "paper/print.html",
        rnd=rnd,
        batch=batch,
        projects=voting.ballot_projects(db.session, rnd.id),
        rules=ballot_values.describe_rules(db.session, rnd),
        has_roll=register.has_roll(db.session, rnd.id),
        fmt=register.format_paper_number,
    )
