"""Facilitators choose who may vote: modes, minimum age, voter roll upload, access codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
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
from decide.services import permissions as can
from decide.web.access import require, viewable_round
from decide.web.forms import (
    AccessCodesForm,
    DecideForm,
    EligibilityForm,
    RollCodesForm,
    RollUploadForm,
    SelfDeclaredForm,
    add_error,
    show_domain_error,
)

bp = Blueprint("eligibility", __name__)

MAX_ROLL_BYTES = 20 * 1024 * 1024


FORMS = {
    "settings_form": EligibilityForm,
    "roll_form": RollUploadForm,
    "codes_form": AccessCodesForm,
    "roll_codes_form": RollCodesForm,
    "self_form": SelfDeclaredForm,
}


def _page(rnd: Round, status: int = 200, **posted: DecideForm) -> Any:
    """Render the page with every form: the one posted (with its errors), the others fresh."""
    batches = db.session.scalars(
        select(AccessCodeBatch)
        .where(AccessCodeBatch.round_id == rnd.id)
        .order_by(AccessCodeBatch.id)
    ).all()
    settings = elig.settings_for(db.session, rnd.id)
    forms = {name: posted.get(name) or form(formdata=None) for name, form in FORMS.items()}
    if "settings_form" not in posted:
        forms["settings_form"] = EligibilityForm(
            formdata=None,
            by_postcode=settings.by_postcode,
            by_roll=settings.by_roll,
            by_code=settings.by_code,
            min_age=settings.min_age,
        )
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
            posted=next(iter(posted.values()), None),
            **forms,
        ),
        status,
    )


@bp.route("/rounds/<int:round_id>/eligibility", methods=["GET", "POST"])
def settings(round_id: int) -> Any:
    """Show and change the round's eligibility modes and minimum age."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    if request.method == "GET":
        return _page(rnd)
    form = EligibilityForm()
    if not form.validate_on_submit():
        return _page(rnd, 422, settings_form=form)
    try:
        elig.save_settings(
            db.session,
            rnd.id,
            by_postcode=form.by_postcode.data,
            by_roll=form.by_roll.data,
            by_code=form.by_code.data,
            min_age=form.min_age.data,
        )
    except elig.EligibilityError as exc:
        add_error(form, None, str(exc))
        return _page(rnd, 422, settings_form=form)
    flash("Eligibility settings saved.", "success")
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)


@bp.post("/rounds/<int:round_id>/eligibility/roll")
def upload_roll(round_id: int) -> Any:
    """Upload a voter roll CSV (reference, date_of_birth); all rows are stored hashed, or none."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = RollUploadForm()
    if not form.validate_on_submit():
        return _page(rnd, 422, roll_form=form)
    data = form.roll_file.data.read(MAX_ROLL_BYTES + 1)
    if len(data) > MAX_ROLL_BYTES:
        add_error(form, "roll_file", "The file is larger than 20 MB.")
        return _page(rnd, 422, roll_form=form)
    try:
        report = register_setup.store_roll(
            db.session,
            rnd.id,
            voter_roll.parse_roll(data.decode("utf-8-sig")),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except UnicodeDecodeError:
        add_error(form, "roll_file", "The file is not UTF-8 text. Nothing was stored.")
        return _page(rnd, 422, roll_form=form)
    except elig.RollError as exc:
        for problem in [*exc.problems, "Nothing was stored."]:
            add_error(form, "roll_file", problem)
        return _page(rnd, 422, roll_form=form)
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
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = AccessCodesForm()
    if not form.validate_on_submit():
        return _page(rnd, 422, codes_form=form)
    try:
        batch, codes = access_codes.generate_codes(
            db.session,
            rnd.id,
            form.count.data,
            label=form.label.data or "",
            today=dt.datetime.now(dt.UTC).date(),
        )
    except elig.EligibilityError as exc:
        add_error(form, "count", str(exc))
        return _page(rnd, 422, codes_form=form)
    vote_url = url_for("voting.ballot", round_id=rnd.id, _external=True)
    pdf = access_codes.access_code_pdf(rnd.title, batch.label, codes, vote_url=vote_url)
    filename = f"access-codes-round{rnd.id}-batch{batch.id}.pdf"
    return _codes_pdf(pdf, filename)


@bp.post("/rounds/<int:round_id>/eligibility/roll-codes")
def roll_codes(round_id: int) -> Any:
    """Make one access code per listed roll reference; return the slips as a PDF (once)."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = RollCodesForm()
    if not form.validate_on_submit():
        return _page(rnd, 422, roll_codes_form=form)
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
        return _page(rnd, 422, roll_codes_form=form)
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
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    form = SelfDeclaredForm()
    if not form.validate_on_submit():
        return _page(rnd, 422, self_form=form)
    if rnd.ballot_locked:
        add_error(form, "understood", "Voting has opened: who may vote cannot change now.")
        return _page(rnd, 422, self_form=form)
    if not form.understood.data:
        add_error(form, "understood", "Tick the box to confirm you have read the warning.")
        return _page(rnd, 422, self_form=form)
    register_setup.confirm_self_declared(db.session, rnd.id, confirmed=True)
    flash("Confirmed: this round is self-declared. Voting can open.", "success")
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)
