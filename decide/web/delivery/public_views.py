"""Public pages: where the money of a round went, one page per funded project, and photos."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user

from decide.extensions import db
from decide.models import MILESTONE_STATUSES, Photo
from decide.services import delivery, delivery_reports, retrospectives
from decide.services import permissions as can
from decide.web.delivery.common import bp, funded, published_round


@bp.get("/rounds/<int:round_id>/delivery")
def index(round_id: int) -> str:
    """Show each funded project's allocation, what the ledger has paid, and its status."""
    rnd = published_round(round_id)
    return render_template(
        "delivery/index.html",
        round=rnd,
        projects=delivery.money_by_project(db.session, rnd),
        measures=delivery_reports.measures(db.session, rnd.id),
        retrospective=retrospectives.retrospective(db.session, rnd.id),
        can_write=retrospectives.can_write_retrospective(current_user, rnd),
        is_facilitator=can.can_manage_rounds(current_user),
    )


@bp.get("/rounds/<int:round_id>/projects/<code>")
def project(round_id: int, code: str) -> str:
    """Where did the money go: allocation, paid (with its ledger entries), milestones,
    updates with photos, impact figures, and stories whose consent stands."""
    rnd, proj = funded(round_id, code)
    money = next(m for m in delivery.money_by_project(db.session, rnd) if m.project.id == proj.id)
    reporter = delivery.can_report(current_user, proj)
    return render_template(
        "delivery/project.html",
        round=rnd,
        project=proj,
        money=money,
        payments=delivery.project_payments(db.session, rnd.id, proj.code),
        milestones=delivery.milestones(db.session, proj.id),
        updates=delivery_reports.updates(db.session, proj.id),
        figures=delivery_reports.figures(db.session, proj.id),
        stories=delivery_reports.shown_stories(db.session, project_id=proj.id),
        withdrawn=[s for s in delivery_reports.all_stories(db.session, proj.id) if s.withdrawn_at]
        if reporter
        else [],
        reporter=reporter,
        can_remove=delivery_reports.can_remove(current_user, proj),
        statuses=MILESTONE_STATUSES,
        is_facilitator=can.can_manage_rounds(current_user),
    )


@bp.get("/photos/<int:photo_id>")
def photo(photo_id: int) -> Response:
    """Serve a stored photo (re-encoded, without metadata) if the public may see it."""
    row = db.session.get(Photo, photo_id)
    if row is None or not retrospectives.photo_is_public(db.session, row):
        abort(404)
    response = Response(row.data, mimetype=row.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="photo-{row.id}.jpg"'
    # Revalidate each time: a story whose consent is withdrawn loses its photo at once.
    response.headers["Cache-Control"] = "no-cache"
    return response
