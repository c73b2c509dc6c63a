"""The public auditor page: upload a published PDF (or its files) and see decide-verify's checks.

Open to anyone, so bounded: uploads larger than the largest real round's PDF are refused from
their declared size before the body is read, uploads are rate-limited per address, and the
service runs the cheap checks first (see `decide.services.auditing`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from audits.pdf import ATTACHMENT_NAMES
from decide.extensions import limiter
from decide.services.auditing import MAX_UPLOAD
from decide.services.auditing import audit as run_audit

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
    return render_template(
        "auditor/audit.html", report=None, names=ATTACHMENT_NAMES, upload_error=message
    ), 413


def _read(name: str) -> bytes | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.read()


@bp.route("/audit", methods=["GET", "POST"])
@limiter.limit(_audit_limit, methods=["POST"])
def audit() -> Any:
    """Verify an uploaded PDF with the same checks as the decide-verify command."""
    report = None
    if request.method == "POST":
        pdf = _read("pdf")
        files = {}
        for upload in request.files.getlist("bundle"):
            if upload.filename:
                files[upload.filename.rsplit("/", 1)[-1]] = upload.read()
        receipt = _read("receipt") or request.form.get("receipt_json", "").encode() or None
        report = run_audit(pdf=pdf, files=files or None, keys=_read("keys"), receipt=receipt)
    status = 200 if report is None or report.verdict.status in (0, 3) else 422
    return render_template("auditor/audit.html", report=report, names=ATTACHMENT_NAMES), status


FORMATS = Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md"


@bp.route("/audit/formats")
def formats() -> Any:
    """Show the specification of the published evidence (docs/FORMATS.md), open to anyone."""
    if not FORMATS.is_file():
        abort(404)
    return render_template("auditor/formats.html", text=FORMATS.read_text(encoding="utf-8"))
