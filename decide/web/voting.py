"""Voting in the browser: prove eligibility, fill in the ballot, check it, cast it, get a receipt.

The flow works as plain HTML forms: ballot -> (POST) review -> (POST) cast -> (redirect) receipt.
An account without a postcode, in a round that places voters by postcode, is asked for it on
the voting page itself; saving it goes on to the ballot (or says plainly why not).
With JavaScript, htmx posts the ballot form to a fragment endpoint on every change to show a
live budget bar or points counter. The reviewed choices travel in a hidden field with a MAC
bound to the voter and round, so a tampered field is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ballots.model import Ballot as CoreBallot
from decide.extensions import db, limiter
from decide.models import Project, Round, User
from decide.services import (
    access_codes,
    accounts,
    ballot_values,
    register,
    voter_roll,
    voting,
    voting_errors,
)
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from decide.services.errors import DomainError
from decide.web.access import public_round, receipt_key, require, shown_publicly, wants_fragment
from decide.web.ballot_forms import (
    TypedFields,
    form_choices,
    problems_by_field,
    selected_inputs,
    summary_figures,
    typed_fields,
    typed_values,
)
from decide.web.forms import PostcodeForm, show_domain_error
from decide.web.receipts import RoundHeading, receipt_page
from decide.web.voters import (
    account_fine_but_missing,
    current_voter,
    forget_voter,
    missing_details,
    remember_voter,
    today,
    voter_problem,
)

bp = Blueprint("voting", __name__)


@bp.app_template_global("voted_on")
def voted_on(round_id: int) -> dt.date | None:
    """Return the day the visitor voted in the round (from the participation mark), or None."""
    voter = current_voter(round_id)
    if voter is None:
        return None
    return voting.voted_on(db.session, round_id, voter)


def _ordered_projects(rnd: Round, voter: VoterKey) -> list[Project]:
    projects = voting.ballot_projects(db.session, rnd.id)
    by_code = {p.code: p for p in projects}
    order = ballot_values.voter_order(
        current_app.config["SECRET_KEY"], rnd.id, voter, list(by_code)
    )
    return [by_code[c] for c in order]


def _render_ballot(
    rnd: Round,
    voter: VoterKey,
    choices: Any,
    problems: list[str],
    status: int = 200,
    *,
    typed: TypedFields | None = None,
) -> tuple[str, int]:
    """Render the ballot; a refused form comes back as `typed`, each field with its problem."""
    projects = _ordered_projects(rnd, voter)
    selected = selected_inputs(rnd, choices)
    summary = summary_figures(rnd, projects, choices)
    field_problems = typed.problems if typed else {}
    if typed and rnd.ballot_kind in ("cumulative", "ranked"):
        selected = typed.values
    if typed and rnd.ballot_kind == "ranked":
        summary["count"], summary["shared_ranks"] = len(selected), len(field_problems)
    return (
        render_template(
            "voting/ballot.html",
            rnd=rnd,
            projects=projects,
            selected=selected,
            problems=problems,
            field_problems=field_problems,
            summary=summary,
            rules=ballot_values.describe_rules(db.session, rnd),
            voter=voter,
        ),
        status,
    )


def _identify_page(
    rnd: Round,
    voter: VoterKey | None,
    problem: str | None,
    postcode_form: PostcodeForm | None = None,
) -> str:
    """Render how to prove you may vote; an account missing its postcode is asked for it."""
    missing = account_fine_but_missing(rnd, voter)
    if postcode_form is None and missing:
        # The only problem is a missing detail: ask for it instead of refusing.
        postcode_form, problem = PostcodeForm.for_missing(missing, formdata=None), None
    return render_template(
        "voting/identify.html",
        rnd=rnd,
        settings=elig.settings_for(db.session, rnd.id),
        has_roll=register.has_roll(db.session, rnd.id),
        problem=problem,
        voter=voter,
        rules=ballot_values.describe_rules(db.session, rnd),
        postcode_form=postcode_form,
    )


def _gate(round_id: int) -> tuple[Round, VoterKey] | Any:
    """Return (round, voter) when the visitor may vote now, else a 403 page saying why."""
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    problem = voter_problem(rnd, voter)
    if voter is None or problem:
        return _identify_page(rnd, voter, problem or "Show that you can vote first."), 403
    return rnd, voter


@bp.get("/rounds/<int:round_id>/vote")
def ballot(round_id: int) -> Any:
    """Show the ballot, or how to prove you may vote."""
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    problem = voter_problem(rnd, voter)
    if voter is None or problem:
        return _identify_page(rnd, voter, problem)
    return _render_ballot(rnd, voter, [] if rnd.ballot_kind != "cumulative" else {}, [])[0]


@bp.post("/rounds/<int:round_id>/vote/postcode")
def add_postcode(round_id: int) -> Any:
    """Save the postcode and/or date of birth the account was missing, then go on."""
    rnd = public_round(round_id)
    require(current_user.is_authenticated)
    target = url_for("voting.ballot", round_id=rnd.id)
    missing = missing_details(rnd, current_voter(rnd.id))
    if not missing:
        # Sent twice (a double click, the back button): the details are already saved.
        return _go_on(target)
    user = db.session.get(User, current_user.id)
    form = PostcodeForm.for_missing(missing)
    if user is not None and form.validate_on_submit():
        # A postcode outside the round is refused here, with the box kept, not saved first
        # and then refused on the next page.
        try:
            postcode = None
            if "postcode" in missing:
                postcode = accounts.check_new_postcode(
                    form.postcode.data,
                    lambda pc: elig.postcode_outside_round(db.session, rnd, pc),
                )
            accounts.add_missing_details(
                db.session,
                user,
                postcode=postcode,
                date_of_birth=form.date_of_birth.data if "date_of_birth" in missing else None,
                today=today(),
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            saved = [
                *([f"postcode {user.postcode}"] if "postcode" in missing else []),
                *(["date of birth"] if "date_of_birth" in missing else []),
            ]
            flash(f"Your {' and '.join(saved)} {'is' if len(saved) == 1 else 'are'} saved "
                  "on your account.", "success")  # fmt: skip
            return _go_on(target)
    if wants_fragment():
        response = Response(
            render_template("voting/_postcode.html", rnd=rnd, form=form, fragment=True)
        )
        response.vary.add("HX-Request")
        return response
    return _identify_page(rnd, current_voter(rnd.id), None, postcode_form=form)


def _go_on(target: str) -> Response:
    """Redirect to `target`; htmx gets HX-Redirect, so the whole page moves on."""
    if wants_fragment():
        response = Response("", 200)
        response.headers["HX-Redirect"] = target
        response.vary.add("HX-Request")
        return response
    return redirect(target, 303)  # type: ignore[return-value]


def _refused_attempt() -> None:
    """Count this request against the per-entry limits (only refused attempts count)."""
    request.environ["decide.register_refused"] = True


def _was_refused(response: Response) -> bool:
    return bool(request.environ.get("decide.register_refused"))


def _roll_entry_key() -> str:
    """Return the rate-limit key of the roll entry named by the typed reference number."""
    reference = voter_roll.normalise_reference(request.form.get("reference", ""))[:64]
    round_id = request.view_args.get("round_id") if request.view_args else None
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        f"decide/roll-limit/v1\x00{round_id}\x00{reference}".encode(),
        "sha256",
    ).hexdigest()
    return f"roll-entry:{digest}"


def _wrong_from_address_key() -> str:
    """Return the rate-limit key of the wrong tries from this address (not every try)."""
    return f"wrong-from:{get_remote_address()}"


def _round_key() -> str:
    round_id = request.view_args.get("round_id") if request.view_args else None
    return f"round:{round_id}"


ROLL_TOO_MANY = (
    "Too many tries with these details. To protect voters, voting with roll details is "
    "paused for a while after a few wrong dates of birth for one reference number, and after "
    "a few wrong tries from one connection. Wait an hour and try again, or vote at a polling "
    "station."
)
CODE_TOO_MANY = (
    "Too many access codes were tried. To protect voters, code entry is paused for a while "
    "after a few wrong codes. "
    "Wait an hour and try again, or ask the facilitator for help."
)


@bp.post("/rounds/<int:round_id>/vote/roll")
@limiter.limit(lambda: current_app.config["ROLL_TRY_RATE_LIMIT"], error_message=ROLL_TOO_MANY)
@limiter.limit(
    lambda: current_app.config["ROLL_RATE_LIMIT"],
    key_func=_wrong_from_address_key,
    deduct_when=_was_refused,
    error_message=ROLL_TOO_MANY,
)
@limiter.limit(
    lambda: current_app.config["ROLL_ENTRY_RATE_LIMIT"],
    key_func=_roll_entry_key,
    deduct_when=_was_refused,
    error_message=ROLL_TOO_MANY,
)
def prove_roll(round_id: int) -> Any:
    """Prove a place on the voter roll with reference number and date of birth.

    A signed-in account is linked, once, to that place on the roll: it then votes as it.
    Wrong details count against the reference number and the address (rate limits); right
    ones count only towards the generous cap on every try from one address.
    """
    rnd = public_round(round_id)
    reference = request.form.get("reference", "").strip()
    try:
        born = voter_roll.parse_birth_date(request.form.get("date_of_birth", ""))
        if not reference:
            raise elig.EligibilityError("Enter your reference number.")
        voter = voter_roll.verify_roll(
            db.session,
            rnd.id,
            reference,
            born,
            secret_key=current_app.config["SECRET_KEY"],
            today=today(),
        )
        if current_user.is_authenticated:
            register.bind_account(db.session, rnd.id, current_user.id, voter)
    except (ValueError, elig.EligibilityError, register.RegisterRefusal) as exc:
        _refused_attempt()
        flash(
            f"Date of birth: {exc}." if isinstance(exc, ValueError) else str(exc),
            "error",
        )
        return redirect(url_for("voting.ballot", round_id=round_id))
    remember_voter(rnd.id, voter)
    return redirect(url_for("voting.ballot", round_id=round_id))


@bp.post("/rounds/<int:round_id>/vote/code")
@limiter.limit(lambda: current_app.config["CODE_TRY_RATE_LIMIT"], error_message=CODE_TOO_MANY)
@limiter.limit(
    lambda: current_app.config["CODE_RATE_LIMIT"],
    key_func=_wrong_from_address_key,
    deduct_when=_was_refused,
    error_message=CODE_TOO_MANY,
)
@limiter.limit(
    lambda: current_app.config["CODE_ROUND_RATE_LIMIT"],
    key_func=_round_key,
    deduct_when=_was_refused,
    error_message=CODE_TOO_MANY,
)
def prove_code(round_id: int) -> Any:
    """Start voting with a one-time access code (no account needed)."""
    rnd = public_round(round_id)
    try:
        voter = access_codes.verify_code(db.session, rnd.id, request.form.get("code", ""))
    except elig.EligibilityError as exc:
        _refused_attempt()
        flash(str(exc), "error")
        return redirect(url_for("voting.ballot", round_id=round_id))
    already = register.already_message(db.session, rnd.id, voter)
    if already:
        flash(already, "error")
    # Remembered even when used: the ballot page then offers the receipt again.
    remember_voter(rnd.id, voter)
    return redirect(url_for("voting.ballot", round_id=round_id))


@bp.post("/rounds/<int:round_id>/vote/summary")
def summary(round_id: int) -> Any:
    """Return the live budget bar or points counter for the choices so far (htmx fragment)."""
    gate = _gate(round_id)
    if not isinstance(gate[1], VoterKey):
        abort(403)
    rnd, voter = gate
    projects = _ordered_projects(rnd, voter)
    choices, problems = form_choices(rnd, projects)
    figures = summary_figures(rnd, projects, choices)
    figures["problems"] = problems + figures["problems"]
    field_problems = problems_by_field(rnd, projects)
    if rnd.ballot_kind == "ranked":
        figures["count"] = len(typed_values(rnd, projects))
        figures["shared_ranks"] = len(field_problems)
    response = Response(
        render_template(
            "voting/_summary.html",
            rnd=rnd,
            summary=figures,
            field_problems=field_problems,
            oob=True,
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/rounds/<int:round_id>/vote/review")
def review(round_id: int) -> Any:
    """Validate the ballot form and show the choices to check before casting."""
    gate = _gate(round_id)
    if not isinstance(gate[1], VoterKey):
        return gate
    rnd, voter = gate
    projects = _ordered_projects(rnd, voter)
    choices, problems = form_choices(rnd, projects)
    if not problems:
        try:
            core = voting.check_choices(db.session, rnd, choices)
        except voting.BallotRejected as exc:
            problems = exc.messages
    if problems:
        return _render_ballot(rnd, voter, choices, problems, 422, typed=typed_fields(rnd, projects))
    return _render_review(rnd, voter, core)


def _render_review(rnd: Round, voter: VoterKey, core: CoreBallot) -> str:
    by_code = {p.code: p for p in voting.ballot_projects(db.session, rnd.id)}
    points = dict(zip(core.projects, core.points)) if core.points else {}
    rows = [(by_code[c], points.get(c)) for c in core.projects]
    payload = ballot_values.review_payload(core)
    return render_template(
        "voting/review.html",
        rnd=rnd,
        rows=rows,
        total=sum(p.cost_pence for p, _ in rows),
        points_total=sum(points.values()),
        payload=payload,
        check=ballot_values.sign_choices(current_app.config["SECRET_KEY"], rnd.id, voter, payload),
    )


def _read_reviewed(rnd: Round, voter: VoterKey) -> Any:
    payload = request.form.get("choices", "")
    check = request.form.get("check", "")
    expected = ballot_values.sign_choices(current_app.config["SECRET_KEY"], rnd.id, voter, payload)
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    if not hmac.compare_digest(check.encode(), expected.encode()):
        raise voting.BallotRejected(
            [
                "Your choices changed between the check page and casting, so nothing was "
                "stored. Please fill in the ballot again."
            ]
        )
    return ballot_values.parse_payload(rnd.ballot_kind, payload)


@bp.post("/rounds/<int:round_id>/vote/edit")
def edit(round_id: int) -> Any:
    """Go back from the check page to the ballot with the choices filled in."""
    gate = _gate(round_id)
    if not isinstance(gate[1], VoterKey):
        return gate
    rnd, voter = gate
    try:
        choices = _read_reviewed(rnd, voter)
    except voting.BallotRejected as exc:
        return _render_ballot(rnd, voter, [], exc.messages, 400)
    return _render_ballot(rnd, voter, choices, [])


@bp.post("/rounds/<int:round_id>/vote/cast")
@limiter.limit(lambda: current_app.config["VOTE_RATE_LIMIT"])
def cast(round_id: int) -> Any:
    """Cast the reviewed ballot; on success go to the receipt."""
    # The cast's transaction starts here, with the box lock taken shared and the round read
    # once under it (see voting.open_box); a refusal below rolls it back.
    voter = current_voter(round_id)
    box = voting.open_box(db.session, round_id, voter)
    rnd = shown_publicly(box.round if box is not None else None)
    if voter is None:
        return _identify_page(rnd, None, "Show that you can vote first."), 403
    try:
        try:
            choices = _read_reviewed(rnd, voter)
        except voting.BallotRejected:
            # Choices reviewed by someone else, or for a round that has closed: say the real
            # reason (cast_into makes the same check itself, under the box lock).
            voting.check_can_vote(db.session, rnd, voter, today())
            raise
        # The commit expires `rnd`; the receipt names the round from this, read now, so
        # rendering it costs no second query (and no transaction left to roll back).
        heading = RoundHeading(rnd.id, rnd.title)
        signed = voting.cast_into(
            db.session,
            box,
            voter,
            choices,
            channel="online",
            server_key=receipt_key(),
            today=today(),
        )
    except voting.AlreadyVoted as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=[str(exc)], voted=True), 409
    except voting.BallotRejected as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=exc.messages), 400
    except voting_errors.VotingError as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=[str(exc)]), 403
    forget_voter(round_id)
    return receipt_page(heading, signed)


@bp.post("/rounds/<int:round_id>/vote/receipt")
def receipt_again(round_id: int) -> Any:
    """Give a voter who has voted their receipt again, on the same proof of eligibility."""
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    if voter is None:
        return _identify_page(rnd, None, "Show that you can vote first."), 403
    signed = voting.receipt_again(db.session, rnd.id, voter, receipt_key())
    if signed is None:
        return _identify_page(rnd, voter, "There is no ballot of yours in this round."), 404
    return receipt_page(rnd, signed)
