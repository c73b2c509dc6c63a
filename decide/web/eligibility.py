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

from ballots.wording import plural
from decide.extensions import db
from decide.models import AccessCodeBatch, Round
from decide.services import eligibility as elig
from decide.services.permissions import is_facilitator
from decide.services.rounds import MAX_COUNT
from decide.services.sanitise import has_control_characters, whole_number

bp = Blueprint("eligibility", __name__)

MAX_ROLL_BYTES = 20 * 1024 * 1024


def _facilitator_round(round_id: int) -> Round:
    if not is_facilitator(current_user):
        abort(403)
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _page(rnd: Round, errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    batches = db.session.scalars(
        select(AccessCodeBatch)
        .where(AccessCodeBatch.round_id == rnd.id)
        .order_by(AccessCodeBatch.id)
    ).all()
    return (
        render_template(
            "eligibility/settings.html",
            rnd=rnd,
            settings=elig.settings_for(db.session, rnd.id),
            roll_size=elig.roll_size(db.session, rnd.id),
            batches=batches,
            errors=errors or {},
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
        db.session.rollback()
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
        count = elig.upload_roll(
            db.session,
            rnd.id,
            data.decode("utf-8-sig"),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except UnicodeDecodeError:
        return _page(rnd, {"roll": ["The file is not UTF-8 text. Nothing was stored."]}, 422)
    except elig.RollError as exc:
        db.session.rollback()
        return _page(rnd, {"roll": [*exc.problems, "Nothing was stored."]}, 422)
    flash(
        f"Voter roll stored: {plural(count, 'person', 'people')} (identities kept only as hashes).",
        "success",
    )
    return redirect(url_for("eligibility.settings", round_id=rnd.id), 303)


@bp.post("/rounds/<int:round_id>/eligibility/codes")
def generate_codes(round_id: int) -> Any:
    """Create a batch of one-time access codes and return them as a printable PDF (once)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    rnd = _facilitator_round(round_id)
    count = whole_number(request.form.get("count"), maximum=elig.MAX_BATCH)
    if not count:
        return _page(rnd, {"codes": [f"Enter a number of codes from 1 to {elig.MAX_BATCH}."]}, 422)
    label = request.form.get("label", "")
    if has_control_characters(label):
        return _page(rnd, {"codes": ["The label contains invisible control characters."]}, 422)
    batch, codes = elig.generate_codes(
        db.session,
        rnd.id,
        count,
        label=label,
        today=dt.datetime.now(dt.UTC).date(),
    )
    vote_url = url_for("voting.ballot", round_id=rnd.id, _external=True)
    pdf = elig.access_code_pdf(rnd.title, batch.label, codes, vote_url=vote_url)
    filename = f"access-codes-round{rnd.id}-batch{batch.id}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
