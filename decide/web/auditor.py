"""The public auditor page: upload a published PDF (or its files) and see decide-verify's checks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from audits.pdf import ATTACHMENT_NAMES
from decide.services.auditing import audit as run_audit

bp = Blueprint("auditor", __name__)


def _read(name: str) -> bytes | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.read()


@bp.route("/audit", methods=["GET", "POST"])
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
    status = 200 if report is None or report.passed else 422
    return render_template("auditor/audit.html", report=report, names=ATTACHMENT_NAMES), status
