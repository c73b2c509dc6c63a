"""The public auditor page: upload a published PDF (or its files) and see decide-verify's checks.

Open to anyone, so bounded: uploads larger than the largest real round's PDF are refused from
their declared size before the body is read, uploads are rate-limited per address, and the
service runs the cheap checks in the request and the recomputation as a memory-limited
background job, whose page polls for progress (see `decide.services.auditing`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from audits.pdf import ATTACHMENT_NAMES
from decide.extensions import limiter
from decide.services.auditing import MAX_UPLOAD, AuditBusy, audit_job
from decide.services.auditing import start_audit as run_audit
from decide.web.access import wants_fragment

bp = Blueprint("auditor", __name__)


def _audit_limit() -> str:
    return str(current_app.config.get("AUDIT_RATE_LIMIT", "10 per minute"))


@bp.url_value_preprocessor
def _cap_upload(endpoint: str | None, values: Any) -> None:
    # Runs before any before_request hook (CSRF reads the form), so an oversized upload is
    # refused from its Content-Length without its body being read.
    if endpoint == "auditor.audit":
        request.max_content_length = MAX_UPLOAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    message = (
        f"That upload is larger than {MAX_UPLOAD // (1024 * 1024)} MB. A published PDF of the "
        "largest real round is about 3 MB; check that you chose the right file."
    )
    return _page(413, upload_error=message)


def _read(name: str) -> bytes | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.read()


def _jobs_dir() -> Path:
    configured = current_app.config.get("AUDIT_JOBS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit-jobs"


def _page(status: int = 200, **context: Any) -> Any:
    context.setdefault("report", None)
    context.setdefault("job", None)
    return render_template("auditor/audit.html", names=ATTACHMENT_NAMES, **context), status


@bp.route("/audit", methods=["GET", "POST"])
@limiter.limit(_audit_limit, methods=["POST"])
def audit() -> Any:
    """Run the cheap checks on an uploaded PDF at once, then the rest as a background job."""
    if request.method == "GET":
        return _page()
    files = {}
    for upload in request.files.getlist("bundle"):
        if upload.filename:
            files[upload.filename.rsplit("/", 1)[-1]] = upload.read()
    receipt = _read("receipt") or request.form.get("receipt_json", "").encode() or None
    try:
        started = run_audit(
            jobs_dir=_jobs_dir(), pdf=_read("pdf"), files=files or None, keys=_read("keys"),
            receipt=receipt, wait=bool(current_app.config.get("AUDIT_JOBS_INLINE")),
        )  # fmt: skip
    except AuditBusy as exc:
        return _page(503, upload_error=exc.message)
    if isinstance(started, str):
        return redirect(url_for("auditor.job", job_id=started), 303)
    return _page(200 if started.verdict.status in (0, 3) else 422, report=started)


@bp.get("/audit/jobs/<job_id>")
def job(job_id: str) -> Any:
    """Show a background audit: its progress while it runs (htmx polls), then its checks."""
    found = audit_job(_jobs_dir(), job_id)
    if found is None:
        abort(404)
    if wants_fragment():
        response = Response(render_template("auditor/_job.html", job=found))
    else:
        response = Response(render_template("auditor/audit.html", names=ATTACHMENT_NAMES,
                                            job=found, report=found.report))  # fmt: skip
    response.headers["Vary"] = "HX-Request"
    return response


FORMATS = Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md"


@bp.route("/audit/formats")
def formats() -> Any:
    """Show the specification of the published evidence (docs/FORMATS.md), open to anyone."""
    if not FORMATS.is_file():
        abort(404)
    return render_template("auditor/formats.html", text=FORMATS.read_text(encoding="utf-8"))
