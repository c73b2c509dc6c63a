"""The delivery blueprint and what its views share: loading a published round's funded
project (404 otherwise), and the upload limit's friendly message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from decide.extensions import db
from decide.models import MILESTONE_STATUSES, Project, Round
from decide.services import delivery
from decide.services.photos import MAX_UPLOAD_BYTES, PhotoUpload
from decide.web.access import public_round

bp = Blueprint("delivery", __name__)
bp.add_app_template_filter(lambda v: MILESTONE_STATUSES.get(v, v), "milestone_status")


def published_round(round_id: int) -> Round:
    """Return a round whose results are public, else 404."""
    rnd = public_round(round_id)
    if not rnd.phase.results_public:
        abort(404)
    return rnd


def funded(round_id: int, code: str) -> tuple[Round, Project]:
    """Return a published round and one of its funded projects, else 404."""
    rnd = published_round(round_id)
    project = delivery.funded_project(db.session, rnd, code)
    if project is None:
        abort(404)
    return rnd, project


def upload(name: str, alt_text: str, slot: int = 0) -> PhotoUpload | None:
    """Return the file posted as `name` (read to one byte past the limit), or None."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return PhotoUpload(file.read(MAX_UPLOAD_BYTES + 1), file.filename, alt_text or "", slot)


def parse_date(text: str | None) -> dt.date | None:
    """Return a YYYY-MM-DD date, or None."""
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def optional_id(text: str | None) -> int | None:
    """Return a posted id, or None when empty or not a number that fits a column."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """An upload over the request limit: say so on a page, not a bare 413."""
    return render_template(
        "error.html",
        code=413,
        title="The upload is too large",
        message=f"Each photo must be {MAX_UPLOAD_BYTES // (1024 * 1024)} MB or smaller. Go back "
        "and choose smaller photos. Nothing was saved.",
    ), 413
