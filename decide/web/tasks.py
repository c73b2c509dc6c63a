"""A panel member's workspace: "Your tasks", its count on the navigation bar, and what the
sign pages need to sign in the browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from decide.extensions import db
from decide.models import SigningKey
from decide.services import signing
from decide.services import tasks as service
from decide.services.tasks import Task, TaskKind
from decide.web.access import require

bp = Blueprint("tasks", __name__)

# Where each kind of task is done.
_PAGES = {
    TaskKind.SESSION: lambda t: url_for("deliberation.show", session_id=t.session_id),
    TaskKind.SCORE: lambda t: url_for(
        "deliberation.score", session_id=t.session_id, proposal_id=t.target_id
    ),
    TaskKind.RANK: lambda t: url_for("deliberation.ballot", session_id=t.session_id),
    TaskKind.MINUTES: lambda t: url_for("deliberation.minutes_page", session_id=t.session_id),
    TaskKind.SIGN_MANIFEST: lambda t: url_for("publication.sign", round_id=t.round_id),
    TaskKind.SIGN_CHECKPOINT: lambda t: url_for(
        "ledger.sign_checkpoint", round_id=t.round_id, checkpoint_id=t.target_id
    ),
}
_DOCUMENT_TYPES = {"manifest": signing.MANIFEST_TYPE, "ledger checkpoint": signing.CHECKPOINT_TYPE}


def _groups() -> list[service.TaskGroup]:
    # The navigation bar and the page ask once per request (kept on the request, not on `g`,
    # whose app context may outlive one request).
    cached = request.environ.get("decide.task_groups")
    if cached is None:
        cached = request.environ["decide.task_groups"] = service.tasks_for(db.session, current_user)
    return cached  # type: ignore[no-any-return]


@bp.app_template_global()
def your_tasks_count() -> int | None:
    """Return the number of tasks for the navigation bar, or None when it shows no tasks link."""
    if not current_user.is_authenticated or not service.has_workspace(db.session, current_user):
        return None
    return service.task_count(_groups())


@bp.app_template_global()
def task_url(task: Task) -> str:
    """Return the page where a task is done."""
    return _PAGES[task.kind](task)


@bp.app_template_global()
def browser_signing(round_id: int, what: str) -> dict[str, Any]:
    """Return what the sign page's browser signing needs: the document type and own key."""
    key: SigningKey | None = None
    if current_user.is_authenticated:
        key = signing.key_of(db.session, round_id, current_user.id)
    return {"document_type": _DOCUMENT_TYPES[what], "key": key}


@bp.get("/tasks")
def index() -> str:
    """List what waits for the signed-in member: sessions, scores, minutes and signatures."""
    require(current_user.is_authenticated)
    groups = _groups()
    return render_template("tasks/index.html", groups=groups, total=service.task_count(groups))
