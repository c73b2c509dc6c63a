"""Results: compare the rules, set equity, confirm the rule, the public results page, my ballot.

Access: comparing, equity settings and confirming are for facilitators once voting has closed.
The results page and "how my ballot was used" are public once the round is published; before
that, facilitators and the round's panel see them as a preview (the panel checks what it signs).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from decide.allocation import TieBreak, fraction_text
from decide.allocation.names import RULE_SHORT_NAMES, TIE_BREAK_NAMES
from decide.extensions import db
from decide.models import ALLOCATION_RULES, Round
from decide.services import ballot_box, ballot_values, voting
from decide.services import permissions as can
from decide.services import results as service
from decide.services.errors import InvalidInput
from decide.services.proposals import proposal_ids_by_code
from decide.web.access import receipt_key, require, wants_fragment
from decide.web.ballot_forms import form_choices, selected_inputs
from decide.web.forms import DecideForm, options

bp = Blueprint("results", __name__)

MAX_RECEIPT_BYTES = 16 * 1024


class ConfirmForm(DecideForm):
    """Confirm the round's rule, or choose another with a reason shown publicly."""

    rule = RadioField(
        "Allocation rule",
        choices=options([(r, ALLOCATION_RULES[r]) for r in service.RULE_ORDER]),
    )
    reason = TextAreaField(
        "Reason for changing the rule", validators=[Optional(), Length(max=service.REASON_MAX)]
    )
    tie_break = SelectField(
        "How ties are broken",
        choices=options(
            [
                ("lex", f"{TIE_BREAK_NAMES['lex'].capitalize()} (the usual choice)"),
                ("lottery", f"{TIE_BREAK_NAMES['lottery'].capitalize()}, from a seed you record"),
            ]
        ),
        default="lex",
    )
    seed = StringField("Lottery seed", validators=[Optional(), Length(max=100)])


class PlainForm(DecideForm):
    """A form with only its CSRF token; fields are read by the service."""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"rule_labels": ALLOCATION_RULES, "rule_short": RULE_SHORT_NAMES, "pct": _pct}


def _pct(share: Any) -> str:
    """Write a share of 1 as a percentage, e.g. Fraction(3, 10) -> '30%'."""
    from fractions import Fraction

    return f"{fraction_text(round(Fraction(share) * 100, 1))}%"


def _round(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None or not can.can_view_round(current_user, rnd):
        abort(404)
    return rnd


def _counted(rnd: Round) -> Round:
    """Return the round once voting has closed; comparing the rules opens then (else 403)."""
    if not rnd.phase.counted:
        abort(403, description="Comparing the rules opens once voting has closed.")
    return rnd


def _privileged(rnd: Round) -> bool:
    return can.is_facilitator(current_user) or can.is_panel_member(current_user, rnd)


def _render_compare(rnd: Round, form: ConfirmForm, status: int = 200) -> tuple[str, int]:
    election = service.round_to_election(db.session, rnd.id)
    spec = service.equity_spec(db.session, election)
    summaries = service.compare_rules(election, spec)
    result = service.confirmed_result(db.session, rnd.id)
    return (
        render_template(
            "results/compare.html",
            rnd=rnd,
            election=election,
            summaries=summaries,
            glance=[service.glance(election, s) for s in summaries],
            spec=spec,
            form=form,
            result=result,
            can_confirm=rnd.phase.awaiting_publication,
        ),
        status,
    )


@bp.get("/rounds/<int:round_id>/results/compare")
def compare(round_id: int) -> Any:
    """Show every allocation rule side by side on the closed round (facilitators)."""
    rnd = _round(round_id)
    require(can.is_facilitator(current_user))
    _counted(rnd)
    result = service.confirmed_result(db.session, rnd.id)
    form = ConfirmForm(
        rule=result.rule if result else rnd.allocation_rule,
        reason=result.change_reason if result else "",
        tie_break=result.tie_break_kind if result else "lex",
        seed=(result.tie_break_seed or "") if result else "",
    )
    return _render_compare(rnd, form)[0]


@bp.post("/rounds/<int:round_id>/results/confirm")
def confirm(round_id: int) -> Any:
    """Confirm the rule fixed at voting, or change it with a recorded reason."""
    rnd = _round(round_id)
    require(can.is_facilitator(current_user))
    _counted(rnd)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_compare(rnd, form, 422)
    try:
        tie_break = (
            TieBreak("lottery", (form.seed.data or "").strip())
            if form.tie_break.data == "lottery"
            else TieBreak()
        )
    except ValueError:
        form.seed.errors = ["Give a seed for the lottery, for example the date and a number."]
        return _render_compare(rnd, form, 422)
    try:
        service.confirm_rule(
            db.session,
            rnd.id,
            rule=form.rule.data or "",
            reason=form.reason.data or "",
            actor=current_user,
            tie_break=tie_break,
        )
    except InvalidInput as error:
        for name, message in error.errors.items():
            getattr(form, name).errors = [message]
        return _render_compare(rnd, form, 422)
    except service.ResultsError as error:
        flash(error.message, "error")
        return _render_compare(rnd, form, 409)
    flash(f"Rule confirmed: {ALLOCATION_RULES[form.rule.data or '']}.", "success")
    return redirect(url_for("results.show", round_id=rnd.id), 303)


@bp.route("/rounds/<int:round_id>/results/equity", methods=["GET", "POST"])
def equity(round_id: int) -> Any:
    """Set the equity program's floors, weights, caps and theme shares, with a preview."""
    rnd = _round(round_id)
    require(can.is_facilitator(current_user))
    _counted(rnd)
    election = service.round_to_election(db.session, rnd.id)
    form = PlainForm()
    errors: dict[str, str] = {}
    preview = None
    spec = service.equity_spec(db.session, election)
    values = service.equity_form_values(spec, election)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        values = {k: str(v) for k, v in request.form.items() if k != "csrf_token"}
        try:
            spec = service.parse_equity_form(request.form, election)
        except InvalidInput as error:
            errors, status = error.errors, 422
        else:
            if request.form.get("action") == "save":
                try:
                    service.save_equity_settings(db.session, rnd.id, spec)
                except service.ResultsError as error:
                    flash(error.message, "error")
                    status = 409
                else:
                    flash("Equity settings saved.", "success")
                    return redirect(url_for("results.compare", round_id=rnd.id), 303)
            outcome = service.run_rule(
                election, "equity", parameters=service.rule_parameters("equity", election, spec)
            )
            preview = service.summarise(election, outcome)
    context = {
        "rnd": rnd,
        "election": election,
        "values": values,
        "errors": errors,
        "preview": preview,
        "floors": _floors(election, spec),
        "organisations": sorted(election.organisation_ids.items()),
        "themes": sorted(election.theme_ids.items()),
        "form": form,
    }
    if wants_fragment() and request.method == "POST":
        return render_template("results/_equity_preview.html", **context), status
    return render_template("results/equity.html", **context), status


def _floors(election: service.Election, spec: service.EquitySpec) -> list[tuple[str, int]]:
    params = election.equity_params(spec)
    names = {a.id: f"{a.name} (decile {a.decile})" for a in election.areas}
    floors = params.area_floors(election.instance.budget)
    return [(names.get(k, k), round(v)) for k, v in sorted(floors.items())]


@bp.get("/rounds/<int:round_id>/results")
def show(round_id: int) -> Any:
    """Show the confirmed outcome, explained in plain words, with the funds chart."""
    rnd = _round(round_id)
    result = service.confirmed_result(db.session, rnd.id)
    privileged = _privileged(rnd)
    if result is None or not service.results_visible(rnd, privileged=privileged):
        return render_template("results/pending.html", rnd=rnd, result=result)
    election, outcome = service.recompute_result(db.session, result)
    return render_template(
        "results/show.html",
        rnd=rnd,
        result=result,
        summary=service.summarise(election, outcome),
        explanation=service.explain(election, outcome),
        rows=service.funded_rows(election, outcome),
        proposal_ids=proposal_ids_by_code(db.session, rnd.id),
        preview=not rnd.phase.results_public,
        election=election,
    )


@bp.route("/rounds/<int:round_id>/results/my-ballot", methods=["GET", "POST"])
def my_ballot(round_id: int) -> Any:
    """State your choices (and, if you like, your tracker) to see how such a ballot was used.

    The server cannot look a ballot up by tracker: nothing links the two after close.
    """
    rnd = _round(round_id)
    if not service.results_visible(rnd, privileged=_privileged(rnd)):
        return render_template("results/pending.html", rnd=rnd, result=None)
    projects = voting.ballot_projects(db.session, rnd.id)
    form = PlainForm()
    page: dict[str, Any] = {"rnd": rnd, "projects": projects, "selected": {}, "error": None}
    if request.method == "GET":
        return render_template("results/my_ballot.html", **page)
    if not form.validate_on_submit():
        abort(400)
    choices, problems = form_choices(rnd, projects)
    page["selected"] = selected_inputs(rnd, choices)
    stated = None
    if not problems:
        try:
            stated = ballot_values.make_core_ballot(rnd.ballot_kind, choices)
        except voting.BallotRejected as exc:
            problems = exc.messages
    if stated is None:
        page["error"] = " ".join(problems)
        return render_template("results/my_ballot.html", **page), 422
    try:
        view = service.usage_for_choices(db.session, rnd.id, stated)
    except service.ResultsError:
        return render_template("results/pending.html", rnd=rnd, result=None), 200
    if view is None:
        page["error"] = (
            "No counted ballot has exactly these choices. Check them against your ballot."
        )
        return render_template("results/my_ballot.html", **page), 404
    tracker_text = request.form.get("tracker", "").strip()[:MAX_RECEIPT_BYTES]
    check = (
        ballot_box.check_receipt(db.session, tracker_text, receipt_key(), rnd.id)
        if tracker_text
        else None
    )
    return render_template(
        "results/usage.html", rnd=rnd, view=view, check=check, currency=rnd.currency
    )
