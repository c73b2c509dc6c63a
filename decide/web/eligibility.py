"""Facilitators choose who may vote: modes, minimum age, voter roll upload, access codes."""

from __future__ import annotations

import datetime as dt
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
from flask_login import current_user
from sqlalchemy import select

from decide.extensions import db
from decide.models import AccessCodeBatch, Round
from decide.services import access_codes, register, register_setup, voter_roll
from decide.services import eligibility as elig
from decide.services.permissions import is_facilitator
from decide.services.rounds import MAX_COUNT
from decide.services.sanitise import has_control_characters, whole_number
from decide.web.forms import RollCodesForm, SelfDeclaredForm, add_error, show_domain_error

bp = Blueprint("eligibility", __name__)

MAX_ROLL_BYTES = 20 * 1024 * 1024


def _facilitator_round(round_id: int) -> Round:
    if not is_facilitator(current_user):
        abort(403)
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _page(
    rnd: Round,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    *,
    codes_form: RollCodesForm | None = None,
    self_form: SelfDeclaredForm | None = None,
) -> Any:
    batches = db.session.scalars(
        select(AccessCodeBatch)
        .where(AccessCodeBatch.round_id == rnd.id)
        .order_by(AccessCodeBatch.id)
    ).all()
    settings = elig.settings_for(db.session, rnd.id)
    return (
        render_template(
            "eligibility/settings.html",
            rnd=rnd,
            settings=settings,
            roll_size=voter_roll.roll_size(db.session, rnd.id),
            has_roll=register.has_roll(db.session, rnd.id),
            warning=register_setup.self_declared_warning(settings),
            per_route=register.ballots_per_route(db.session, rnd.id),
            route_labels=register.ROUTE_LABELS,
            batches=batches,
            errors=errors or {},
            codes_form=codes_form or RollCodesForm(formdata=None),
            self_form=self_form or SelfDeclaredForm(formdata=None),
        ),
        status,
    )


@bp.route("/rounds/<int:round_id>/eligibility", methods=["GET", "POST"])
def settings(round_id: int) -> Any:
    """Show and change the round's eligibility modes and minimum age."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    if request.method == "GET":
        return _page(rnd)
    raw_age = request.form.get("min_age", "").strip()
    min_age = whole_number(raw_age, maximum=MAX_COUNT)
    if raw_age and min_age is None:
        return _page(rnd, {"min_age": ["The minimum age must be a whole number of years."]}, 422)
    try:
        elig.save_settings(
            db.session,
            rnd.id,
            by_postcode="by_postcode" in request.form,
            by_roll="by_roll" in request.form,
            by_code="by_code" in request.form,
            min_age=min_age,
        )
    except elig.EligibilityError as exc:
        return _page(rnd, {"modes": [str(exc)]}, 422)
    flash("Eligibility settings saved.", "success")
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)


@bp.post("/rounds/<int:round_id>/eligibility/roll")
def upload_roll(round_id: int) -> Any:
    """Upload a voter roll CSV (reference, date_of_birth); all rows are stored hashed, or none."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    upload = request.files.get("roll_file")
    if upload is None or not upload.filename:
        return _page(rnd, {"roll": ["Choose a CSV file to upload."]}, 422)
    data = upload.read(MAX_ROLL_BYTES + 1)
    if len(data) > MAX_ROLL_BYTES:
        return _page(rnd, {"roll": ["The file is larger than 20 MB."]}, 422)
    try:
        report = register_setup.store_roll(
            db.session,
            rnd.id,
            voter_roll.parse_roll(data.decode("utf-8-sig")),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except UnicodeDecodeError:
        return _page(rnd, {"roll": ["The file is not UTF-8 text. Nothing was stored."]}, 422)
    except elig.RollError as exc:
        return _page(rnd, {"roll": [*exc.problems, "Nothing was stored."]}, 422)
    flash(
        "Voter roll stored (identities kept only as hashes). " + " ".join(report.sentences()),
        "success",
    )
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)


def _codes_pdf(pdf: bytes, filename: str) -> Response:
    """Return printed access codes as a download that no cache keeps (each code is a vote)."""
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/rounds/<int:round_id>/eligibility/codes")
def generate_codes(round_id: int) -> Any:
    """Create a batch of one-time access codes and return them as a printable PDF (once)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    count = whole_number(request.form.get("count"), maximum=access_codes.MAX_BATCH)
    if not count:
        return _page(
            rnd, {"codes": [f"Enter a number of codes from 1 to {access_codes.MAX_BATCH}."]}, 422
        )
    label = request.form.get("label", "")
    if has_control_characters(label):
        return _page(rnd, {"codes": ["The label contains invisible control characters."]}, 422)
    try:
        batch, codes = access_codes.generate_codes(
            db.session,
            rnd.id,
            count,
            label=label,
            today=dt.datetime.now(dt.UTC).date(),
        )
    except elig.EligibilityError as exc:
        return _page(rnd, {"codes": [str(exc)]}, 422)
    vote_url = url_for("voting.ballot", round_id=rnd.id, _external=True)
    pdf = access_codes.access_code_pdf(rnd.title, batch.label, codes, vote_url=vote_url)
    filename = f"access-codes-round{rnd.id}-batch{batch.id}.pdf"
    return _codes_pdf(pdf, filename)


@bp.post("/rounds/<int:round_id>/eligibility/roll-codes")
def roll_codes(round_id: int) -> Any:
    """Make one access code per listed roll reference; return the slips as a PDF (once)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    form = RollCodesForm()
    if not form.validate_on_submit():
        return _page(rnd, status=422, codes_form=form)
    try:
        batch, pairs = register_setup.codes_for_references(
            db.session,
            rnd.id,
            form.references.data.splitlines(),
            secret_key=current_app.config["SECRET_KEY"],
            label=form.label.data or "",
            today=dt.datetime.now(dt.UTC).date(),
        )
    except elig.EligibilityError as exc:
        show_domain_error(form, register.as_domain_error(exc, "references"))
        return _page(rnd, status=422, codes_form=form)
    vote_url = url_for("voting.ballot", round_id=rnd.id, _external=True)
    pdf = access_codes.access_code_pdf(
        rnd.title,
        batch.label,
        [code for _, code in pairs],
        vote_url=vote_url,
        references=[ref for ref, _ in pairs],
    )
    filename = f"roll-access-codes-round{rnd.id}-batch{batch.id}.pdf"
    return _codes_pdf(pdf, filename)


@bp.post("/rounds/<int:round_id>/eligibility/self-declared")
def confirm_self_declared(round_id: int) -> Any:
    """Record that the facilitator read what a round without a voter roll allows."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    form = SelfDeclaredForm()
    if not form.validate_on_submit():
        return _page(rnd, status=422, self_form=form)
    if rnd.ballot_locked:
        add_error(form, "understood", "Voting has opened: who may vote cannot change now.")
        return _page(rnd, status=422, self_form=form)
    if not form.understood.data:
        add_error(form, "understood", "Tick the box to confirm you have read the warning.")
        return _page(rnd, status=422, self_form=form)
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    flash("Confirmed: this round is self-declared. Voting can open.", "success")
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)
