"""Facilitators upload the postcode -> area table: globally, or for one round."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from decide.extensions import db
from decide.models import Area, Round
from decide.services import permissions as can
from decide.services import postcodes
from decide.services.errors import DomainError
from decide.web.access import require
from decide.web.forms import PostcodeTableForm, add_error, show_domain_error

bp = Blueprint("postcodes", __name__)

MAX_TABLE_BYTES = 20 * 1024 * 1024


def _page(form: PostcodeTableForm, rnd: Round | None, status: int = 200) -> tuple[str, int]:
    round_id = rnd.id if rnd is not None else None
    own = rnd is not None and postcodes.has_own_table(db.session, rnd.id)
    return (
        render_template(
            "postcodes/table.html",
            form=form,
            rnd=rnd,
            own=own,
            table=postcodes.summary(db.session, round_id if rnd is None or own else None),
            global_table=postcodes.summary(db.session, None) if rnd is not None else None,
            areas=db.session.scalars(db.select(Area).order_by(Area.name)).all(),
            locked=postcodes.lock_reason(db.session, round_id),
        ),
        status,
    )


def _upload(rnd: Round | None) -> tuple[str, int] | Response:
    """Validate the upload, replace the table, and go back to the page (or show each problem)."""
    form = PostcodeTableForm()
    if not form.validate_on_submit():
        return _page(form, rnd, 422 if form.is_submitted() else 200)
    raw = form.file.data.read(MAX_TABLE_BYTES + 1)
    try:
        if len(raw) > MAX_TABLE_BYTES:
            raise DomainError("The file is larger than 20 MB", field="file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            message = "The file is not UTF-8 text; save it as CSV (UTF-8)"
            raise DomainError(message, field="file") from None
        count = postcodes.upload_table(db.session, rnd.id if rnd else None, text)
    except postcodes.PostcodeTableError as error:
        for problem in error.problems:
            add_error(form, None, problem)
        return _page(form, rnd, 422)
    except DomainError as error:
        show_domain_error(form, error)
        return _page(form, rnd, 422)
    flash(f"The postcode table now lists {count} postcodes.", "success")
    target = url_for("postcodes.round_table", round_id=rnd.id) if rnd else url_for(".table")
    return redirect(target)


@bp.route("/postcodes", methods=["GET", "POST"])
def table() -> tuple[str, int] | Response:
    """Show and replace the global postcode -> area table."""
    require(can.can_manage_rounds(current_user))
    return _upload(None)


@bp.route("/rounds/<int:round_id>/postcodes", methods=["GET", "POST"])
def round_table(round_id: int) -> tuple[str, int] | Response:
    """Show and replace one round's own postcode -> area table."""
    require(can.can_manage_rounds(current_user))
    rnd = db.get_or_404(Round, round_id)
    return _upload(rnd)
