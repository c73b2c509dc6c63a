"""Voting in the browser: prove eligibility, fill in the ballot, check it, cast it, get a receipt.

The flow works as plain HTML forms: ballot -> (POST) review -> (POST) cast -> (redirect) receipt.
An account without a postcode, in a round that places voters by postcode, is asked for it on
the voting page itself; saving it goes on to the ballot (or says plainly why not).
With JavaScript, htmx posts the ballot form to a fragment endpoint on every change to show a
live budget bar or points counter. The reviewed choices travel in a hidden field with a MAC
bound to the voter and round, so a tampered field is refused before anything is written.
"""

from __future__ import annotations

import base64
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
    session,
    url_for,
)
from flask_login import current_user

from audits.chain import tracker_code, tracker_code_full
from ballots.model import Ballot as CoreBallot
from decide.extensions import db, limiter
from decide.models import Project, Round, User
from decide.services import accounts, voting
from decide.services import eligibility as elig
from decide.services.eligibility import VoterKey
from decide.services.errors import DomainError
from decide.services.sanitise import whole_number
from decide.web.access import public_round, receipt_key, require, wants_fragment
from decide.web.forms import PostcodeForm, show_domain_error

bp = Blueprint("voting", __name__)

SESSION_VOTERS = "voters"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def current_voter(round_id: int) -> VoterKey | None:
    """Return who is voting in this round: a proven roll/code voter, else the account."""
    proven = session.get(SESSION_VOTERS, {}).get(str(round_id))
    if proven:
        return VoterKey.parse(proven)
    if current_user.is_authenticated:
        return VoterKey("user", current_user.id)
    return None


def _remember_voter(round_id: int, voter: VoterKey) -> None:
    voters = dict(session.get(SESSION_VOTERS, {}))
    voters[str(round_id)] = str(voter)
    session[SESSION_VOTERS] = voters


def _forget_voter(round_id: int) -> None:
    voters = dict(session.get(SESSION_VOTERS, {}))
    if voters.pop(str(round_id), None) is not None:
        session[SESSION_VOTERS] = voters


@bp.app_template_global("voted_on")
def voted_on(round_id: int) -> dt.date | None:
    """Return the day the visitor voted in the round (from the participation mark), or None."""
    voter = current_voter(round_id)
    if voter is None:
        return None
    return voting.voted_on(db.session, round_id, voter)


def _account_without_postcode(rnd: Round, voter: VoterKey | None) -> User | None:
    """Return the voting account when the round places voters by postcode and it has none."""
    if voter is None or voter.kind != "user" or rnd.phase != "voting":
        return None
    if not elig.settings_for(db.session, rnd.id).by_postcode:
        return None
    user = db.session.get(User, voter.id)
    if user is None or user.postcode or voting.has_voted(db.session, rnd.id, voter):
        return None
    return user


def _voter_problem(rnd: Round, voter: VoterKey | None) -> str | None:
    """Return why this visitor cannot vote now, or None."""
    if rnd.phase != "voting":
        return f"Voting is not open in this round (it is at: {rnd.phase_label})."
    if voter is None:
        return None
    if voting.has_voted(db.session, rnd.id, voter):
        return voting.CODE_USED if voter.kind == "code" else voting.ALREADY_VOTED
    try:
        elig.check_voter(db.session, rnd, voter, _today())
    except elig.EligibilityError as exc:
        return str(exc)
    return None


def _ordered_projects(rnd: Round, voter: VoterKey) -> list[Project]:
    projects = voting.ballot_projects(db.session, rnd.id)
    by_code = {p.code: p for p in projects}
    order = voting.voter_order(current_app.config["SECRET_KEY"], rnd.id, voter, list(by_code))
    return [by_code[c] for c in order]


def _form_choices(rnd: Round, projects: list[Project]) -> tuple[Any, list[str]]:
    """Read the ballot form into choices; return (choices, problems reading the form)."""
    kind = rnd.ballot_kind
    problems: list[str] = []
    if kind in ("approval", "knapsack"):
        return request.form.getlist("project"), problems
    if kind == "cumulative":
        points: dict[str, int] = {}
        for p in projects:
            raw = request.form.get(f"points-{p.code}", "").strip()
            if raw == "":
                continue
            try:
                points[p.code] = int(raw)
            except ValueError:
                problems.append(f"The points for “{p.title}” must be a whole number.")
        extra = [k for k in request.form if k.startswith("points-")]
        for key in extra:
            code = key.removeprefix("points-")
            if code not in {p.code for p in projects} and request.form[key].strip():
                problems.append(
                    f"Project {code!r} is not on this ballot; please choose from the list."
                )
        return points, problems
    ranks: dict[int, str] = {}
    known = {p.code for p in projects}
    for key in request.form:
        if not key.startswith("rank-"):
            continue
        code, raw = key.removeprefix("rank-"), request.form.get(key, "").strip()
        if raw == "":
            continue
        if code not in known:
            problems.append(f"Project {code!r} is not on this ballot; please choose from the list.")
            continue
        rank = whole_number(raw, maximum=len(known))  # '²' passes isdigit, but not int()
        if not rank:
            problems.append(f"Ranks are whole numbers from 1 to {len(known)}.")
            continue
        if rank in ranks:
            problems.append(f"You gave rank {raw} to more than one project; give each rank once.")
            continue
        ranks[rank] = code
    return [ranks[r] for r in sorted(ranks)], problems


def _selected(rnd: Round, choices: Any) -> dict[str, Any]:
    """Return what each project's input should show: True, points or rank."""
    if rnd.ballot_kind == "cumulative":
        return dict(choices) if isinstance(choices, dict) else {}
    if rnd.ballot_kind == "ranked":
        return {code: i + 1 for i, code in enumerate(choices)}
    return dict.fromkeys(choices, True)


def _summary(rnd: Round, projects: list[Project], choices: Any) -> dict[str, Any]:
    """Return the live counter's figures and any rule problems for the current choices."""
    costs = {p.code: p.cost_pence for p in projects}
    selected = _selected(rnd, choices)
    chosen = [c for c in selected if c in costs and selected[c]]
    summary: dict[str, Any] = {
        "count": len(chosen),
        "cost": sum(costs[c] for c in chosen),
        "points": sum(v for v in selected.values() if isinstance(v, int) and v > 0)
        if rnd.ballot_kind == "cumulative"
        else 0,
        "problems": [],
    }
    try:
        voting.check_choices(db.session, rnd, choices)
    except voting.BallotRejected as exc:
        summary["problems"] = exc.messages
    return summary


def _render_ballot(
    rnd: Round, voter: VoterKey, choices: Any, problems: list[str], status: int = 200
) -> tuple[str, int]:
    projects = _ordered_projects(rnd, voter)
    return (
        render_template(
            "voting/ballot.html",
            rnd=rnd,
            projects=projects,
            selected=_selected(rnd, choices),
            problems=problems,
            summary=_summary(rnd, projects, choices),
            rules=voting.describe_rules(db.session, rnd),
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
    if postcode_form is None and _account_without_postcode(rnd, voter) is not None:
        # The only problem is the missing postcode: ask for it instead of refusing.
        postcode_form, problem = PostcodeForm(formdata=None), None
    return render_template(
        "voting/identify.html",
        rnd=rnd,
        settings=elig.settings_for(db.session, rnd.id),
        problem=problem,
        voter=voter,
        rules=voting.describe_rules(db.session, rnd),
        postcode_form=postcode_form,
    )


def _gate(round_id: int) -> tuple[Round, VoterKey] | Any:
    """Return (round, voter) when the visitor may vote now, else a 403 page saying why."""
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    problem = _voter_problem(rnd, voter)
    if voter is None or problem:
        return _identify_page(rnd, voter, problem or "Show that you can vote first."), 403
    return rnd, voter


@bp.get("/rounds/<int:round_id>/vote")
def ballot(round_id: int) -> Any:
    """Show the ballot, or how to prove you may vote."""
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    problem = _voter_problem(rnd, voter)
    if voter is None or problem:
        return _identify_page(rnd, voter, problem)
    return _render_ballot(rnd, voter, [] if rnd.ballot_kind != "cumulative" else {}, [])[0]


@bp.post("/rounds/<int:round_id>/vote/postcode")
def add_postcode(round_id: int) -> Any:
    """Save the postcode the account was missing, then go on to the ballot."""
    rnd = public_round(round_id)
    require(current_user.is_authenticated)
    target = url_for("voting.ballot", round_id=rnd.id)
    user = db.session.get(User, current_user.id)
    form = PostcodeForm()
    if user is not None and user.postcode:
        # Sent twice (a double click, the back button): the postcode is already saved.
        return _go_on(target)
    if user is not None and form.validate_on_submit():
        try:
            accounts.add_postcode(db.session, user, form.postcode.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Your postcode {user.postcode} is saved on your account.", "success")
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


@bp.post("/rounds/<int:round_id>/vote/roll")
def prove_roll(round_id: int) -> Any:
    """Prove a place on the voter roll with reference number and date of birth."""
    rnd = public_round(round_id)
    reference = request.form.get("reference", "").strip()
    try:
        born = elig.parse_birth_date(request.form.get("date_of_birth", ""))
        if not reference:
            raise elig.EligibilityError("Enter your reference number.")
        voter = elig.verify_roll(
            db.session,
            rnd.id,
            reference,
            born,
            secret_key=current_app.config["SECRET_KEY"],
            today=_today(),
        )
    except (ValueError, elig.EligibilityError) as exc:
        flash(
            str(exc) if isinstance(exc, elig.EligibilityError) else f"Date of birth: {exc}.",
            "error",
        )
        return redirect(url_for("voting.ballot", round_id=round_id))
    _remember_voter(rnd.id, voter)
    return redirect(url_for("voting.ballot", round_id=round_id))


@bp.post("/rounds/<int:round_id>/vote/code")
def prove_code(round_id: int) -> Any:
    """Start voting with a one-time access code (no account needed)."""
    rnd = public_round(round_id)
    try:
        voter = elig.verify_code(db.session, rnd.id, request.form.get("code", ""))
    except elig.EligibilityError as exc:
        flash(str(exc), "error")
        return redirect(url_for("voting.ballot", round_id=round_id))
    if voting.has_voted(db.session, rnd.id, voter):
        flash(voting.CODE_USED, "error")
    # Remembered even when used: the ballot page then offers the receipt again.
    _remember_voter(rnd.id, voter)
    return redirect(url_for("voting.ballot", round_id=round_id))


@bp.post("/rounds/<int:round_id>/vote/summary")
def summary(round_id: int) -> Any:
    """Return the live budget bar or points counter for the choices so far (htmx fragment)."""
    gate = _gate(round_id)
    if not isinstance(gate[1], VoterKey):
        abort(403)
    rnd, voter = gate
    projects = _ordered_projects(rnd, voter)
    choices, problems = _form_choices(rnd, projects)
    figures = _summary(rnd, projects, choices)
    figures["problems"] = problems + figures["problems"]
    response = Response(render_template("voting/_summary.html", rnd=rnd, summary=figures, oob=True))
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
    choices, problems = _form_choices(rnd, projects)
    if not problems:
        try:
            core = voting.check_choices(db.session, rnd, choices)
        except voting.BallotRejected as exc:
            problems = exc.messages
    if problems:
        return _render_ballot(rnd, voter, choices, problems, 422)
    return _render_review(rnd, voter, core)


def _render_review(rnd: Round, voter: VoterKey, core: CoreBallot) -> str:
    by_code = {p.code: p for p in voting.ballot_projects(db.session, rnd.id)}
    points = dict(zip(core.projects, core.points)) if core.points else {}
    rows = [(by_code[c], points.get(c)) for c in core.projects]
    payload = voting.review_payload(core)
    return render_template(
        "voting/review.html",
        rnd=rnd,
        rows=rows,
        total=sum(p.cost_pence for p, _ in rows),
        points_total=sum(points.values()),
        payload=payload,
        check=voting.sign_choices(current_app.config["SECRET_KEY"], rnd.id, voter, payload),
    )


def _read_reviewed(rnd: Round, voter: VoterKey) -> Any:
    payload = request.form.get("choices", "")
    check = request.form.get("check", "")
    expected = voting.sign_choices(current_app.config["SECRET_KEY"], rnd.id, voter, payload)
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    if not hmac.compare_digest(check.encode(), expected.encode()):
        raise voting.BallotRejected(
            [
                "Your choices changed between the check page and casting, so nothing was "
                "stored. Please fill in the ballot again."
            ]
        )
    return voting.parse_payload(rnd.ballot_kind, payload)


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
    rnd = public_round(round_id)
    voter = current_voter(round_id)
    if voter is None:
        return _identify_page(rnd, None, "Show that you can vote first."), 403
    try:
        try:
            choices = _read_reviewed(rnd, voter)
        except voting.BallotRejected:
            # Choices reviewed by someone else, or for a round that has closed: say the real
            # reason. (cast_ballot checks phase and eligibility itself, under the box lock.)
            _refuse_voter(rnd, voter)
            raise
        signed = voting.cast_ballot(
            db.session,
            rnd.id,
            voter,
            choices,
            channel="online",
            server_key=receipt_key(),
            today=_today(),
        )
    except voting.AlreadyVoted as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=[str(exc)], voted=True), 409
    except voting.BallotRejected as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=exc.messages), 400
    except voting.VotingError as exc:
        return render_template("voting/refused.html", rnd=rnd, messages=[str(exc)]), 403
    _forget_voter(rnd.id)
    return receipt_page(rnd, signed)


def _refuse_voter(rnd: Round, voter: VoterKey) -> None:
    """Raise VotingClosed or NotEligible when this voter may not vote in the round now."""
    if rnd.phase != "voting":
        raise voting.VotingClosed(
            f"Voting is not open in this round (it is at: {rnd.phase_label})."
        )
    try:
        elig.check_voter(db.session, rnd, voter, _today())
    except elig.EligibilityError as exc:
        raise voting.NotEligible(str(exc)) from exc


def receipt_page(rnd: Round, signed: Any, template: str = "voting/receipt.html") -> Response:
    """Render a receipt in the response to the POST that made or fetched it.

    The tracker never appears in a URL (path or query), so no access log holds it, and the
    page is not stored by the browser or any cache.
    """
    r = signed.receipt
    body = render_template(
        template,
        rnd=rnd,
        signed=signed,
        r=r,
        short_code=tracker_code(r.tracker),
        full_code=tracker_code_full(r.tracker),
        receipt_data=base64.b64encode(signed.to_json()).decode("ascii"),
    )
    response = Response(body, 200)
    response.headers["Cache-Control"] = "no-store"
    return response


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
