"""Publication pages: closing progress, panel keys and signatures, publishing, PDF editions,
the published files, and "verify my ballot was counted"."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from audits.html import STYLE_CSP_SOURCE
from decide.extensions import db
from decide.models import Round
from decide.models.limits import INT32_MAX
from decide.services import auditing, jobs, manifests, receipt_checks, signing
from decide.services import permissions as can
from decide.services import publication as service
from decide.services.errors import DomainError
from decide.services.phases import change_phase
from decide.services.sanitise import whole_number
from decide.web.access import require, viewable_round, wants_fragment

bp = Blueprint("publication", __name__)

MAX_JSON_UPLOAD = 64 * 1024
PUBLISHED = ("published", "delivery")


def _uploaded_text(file_field: str, text_field: str) -> bytes:
    upload = request.files.get(file_field)
    if upload is not None and upload.filename:
        return upload.read(MAX_JSON_UPLOAD + 1)
    return request.form.get(text_field, "").encode("utf-8")


def _json_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.app_template_global()
def round_editions(round_id: int) -> list[Any]:
    """Return a round's PDF editions for any template (the public results page lists them)."""
    return service.editions(db.session, round_id)


@bp.app_template_global()
def key_fingerprint(public_key_hex: str) -> str:
    """Return a registered key's short fingerprint, as decide-keys and the PDF print it."""
    from audits.bls import fingerprint

    return fingerprint(bytes.fromhex(public_key_hex))


@bp.app_template_global()
def round_is_published(round_id: Any) -> bool:
    """Return True when the round with this id has published results."""
    # A receipt's round is whatever was pasted: only ids an id column can hold are looked up.
    number = whole_number(str(round_id), maximum=INT32_MAX)
    rnd = db.session.get(Round, number) if number is not None else None
    return rnd is not None and rnd.phase in PUBLISHED


@bp.get("/rounds/<int:round_id>/publication")
def overview(round_id: int) -> str:
    """Show the round's verifiable record: closing, manifest, keys, signatures, editions."""
    rnd = viewable_round(round_id)
    summary = service.published_summary(db.session, rnd)
    job_rows = {kind: jobs.job_for(db.session, rnd.id, kind) for kind in jobs.JOB_LABELS}
    role = signing.signer_role(current_user, rnd) if current_user.is_authenticated else None
    own_key = signing.key_of(db.session, rnd.id, current_user.id) if role else None
    return render_template(
        "publication/overview.html",
        round=rnd,
        s=summary,
        jobs=job_rows,
        labels=jobs.JOB_LABELS,
        stalled={k: j is not None and jobs.is_stalled(j) for k, j in job_rows.items()},
        manifest_problems=manifests.manifest_problems(db.session, rnd),
        publish_problem=service.publish_guard(db.session, rnd) if rnd.phase == "closed" else None,
        is_facilitator=can.can_manage_rounds(current_user),
        signer_role=role,
        own_key=own_key,
        signed=own_key is not None
        and any(r.public_key.hex() == own_key.public_key for r in summary["signatures"].records),
    )


@bp.post("/rounds/<int:round_id>/publication/jobs/<kind>")
def start_job(round_id: int, kind: str) -> Response:
    """Start (or start again) the closing, manifest or PDF work for this round."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    if kind not in jobs.JOB_LABELS:
        abort(404)
    if jobs.is_active(jobs.job_for(db.session, rnd.id, kind)):
        # A second click on "Try again" (or another facilitator's): follow the run under way.
        flash(f"{jobs.JOB_LABELS[kind]} is already under way.", "info")
        return redirect(url_for("publication.progress", round_id=rnd.id, kind=kind), 303)
    try:
        service.start_job(db.session, rnd, kind)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("publication.overview", round_id=rnd.id), 303)
    return redirect(url_for("publication.progress", round_id=rnd.id, kind=kind), 303)


@bp.get("/rounds/<int:round_id>/publication/progress/<kind>")
def progress(round_id: int, kind: str) -> Any:
    """Show a job's progress; htmx polls the fragment every second, pages without JavaScript
    reload themselves (a <noscript> refresh, so that a page with JavaScript does not also
    reload and cut short the next navigation)."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    if kind not in jobs.JOB_LABELS:
        abort(404)
    job = jobs.job_for(db.session, rnd.id, kind)
    stalled = job is not None and jobs.is_stalled(job)
    context = {
        "round": rnd,
        "job": job,
        "kind": kind,
        "label": jobs.JOB_LABELS[kind],
        "active": jobs.is_active(job),
        "stalled": stalled,
        "stall_reason": jobs.stall_reason(job) if job is not None and stalled else "",
    }
    template = "publication/_progress.html" if wants_fragment() else "publication/progress.html"
    return Response(render_template(template, **context))


@bp.post("/rounds/<int:round_id>/publication/publish")
def publish(round_id: int) -> Response:
    """Publish the results once k panel members have signed the manifest."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    try:
        change_phase(db.session, rnd, "published", current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("publication.overview", round_id=rnd.id), 303)
    flash("The results are published. The PDF edition is being written.", "success")
    return redirect(url_for("publication.progress", round_id=rnd.id, kind="publish"), 303)


@bp.route("/rounds/<int:round_id>/publication/key", methods=["GET", "POST"])
def register_key(round_id: int) -> Any:
    """Panel members and officials register their BLS public key (checked on upload)."""
    rnd = viewable_round(round_id)
    require(signing.signer_role(current_user, rnd) is not None)
    error = None
    if request.method == "POST":
        try:
            key = signing.register_key(
                db.session, rnd, current_user, _uploaded_text("key_file", "key_json")
            )
        except DomainError as exc:
            error = exc.message
        else:
            flash(
                f"Your key {key.public_key[:16]}… is registered; its proof of possession is valid.",
                "success",
            )
            return redirect(url_for("publication.overview", round_id=rnd.id), 303)
    own = signing.key_of(db.session, rnd.id, current_user.id)
    status = 422 if error else 200
    return render_template("publication/key.html", round=rnd, error=error, own_key=own), status


@bp.route("/rounds/<int:round_id>/publication/sign", methods=["GET", "POST"])
def sign(round_id: int) -> Any:
    """A panel member uploads their signature on the manifest (verified before it is kept)."""
    rnd = viewable_round(round_id)
    require(signing.signer_role(current_user, rnd) is not None)
    manifest = manifests.manifest_of(db.session, rnd.id)
    if manifest is None:
        flash("There is no manifest to sign yet.", "error")
        return redirect(url_for("publication.overview", round_id=rnd.id), 303)
    error = None
    if request.method == "POST":
        try:
            signing.upload_signature(
                db.session,
                rnd,
                current_user,
                _uploaded_text("signature_file", "signature_json"),
                document_type=signing.MANIFEST_TYPE,
                digest=manifest.digest,
            )
        except DomainError as exc:
            error = exc.message
        else:
            flash("Your signature on the manifest is valid and has been recorded.", "success")
            return redirect(url_for("publication.overview", round_id=rnd.id), 303)
    return render_template(
        "publication/sign.html",
        round=rnd,
        error=error,
        document_url=url_for("publication.manifest_json", round_id=rnd.id),
        document_name=f"manifest-{rnd.id}.json",
        digest=manifest.digest,
        what="manifest",
        action=url_for("publication.sign", round_id=rnd.id),
    ), (422 if error else 200)


def _require_results_visible(rnd: Round) -> None:
    # Before publication the manifest holds the tally and the allocation: only the people
    # who check and sign it (facilitators and the round's panel) may read it.
    if rnd.phase not in PUBLISHED:
        require(
            current_user.is_authenticated
            and (can.can_manage_rounds(current_user) or signing.signer_role(current_user, rnd))
        )


@bp.get("/rounds/<int:round_id>/manifest.json")
def manifest_json(round_id: int) -> Response:
    """Download the manifest (canonical JSON), once written; the public see it once published."""
    rnd = viewable_round(round_id)
    _require_results_visible(rnd)
    row = manifests.manifest_of(db.session, rnd.id)
    if row is None:
        abort(404)
    return _json_response(row.manifest_json, f"manifest-{rnd.id}.json")


@bp.get("/rounds/<int:round_id>/keys.json")
def keys_json(round_id: int) -> Response:
    """Download the panel's public keys (as frozen in the manifest, or as registered so far)."""
    rnd = viewable_round(round_id)
    row = manifests.manifest_of(db.session, rnd.id)
    if row is not None:
        data = row.keys_json
    else:
        from audits.bundle import keys_json as make_keys

        keys = signing.round_keys(db.session, rnd.id)
        data = make_keys(
            str(rnd.id), [signing.key_record(k) for k in keys], rnd.signature_threshold
        )
    return _json_response(data, f"keys-{rnd.id}.json")


@bp.get("/rounds/<int:round_id>/signatures.json")
def signatures_json(round_id: int) -> Response:
    """Download the signatures on the manifest and their aggregate."""
    rnd = viewable_round(round_id)
    _require_results_visible(rnd)
    row = manifests.manifest_of(db.session, rnd.id)
    if row is None:
        abort(404)
    from audits.bundle import signatures_json as make_signatures

    sigs = manifests.manifest_signatures(db.session, rnd)
    data = make_signatures(str(rnd.id), bytes.fromhex(row.digest), sigs.records)
    return _json_response(data, f"signatures-{rnd.id}.json")


@bp.get("/rounds/<int:round_id>/editions/<int:number>.pdf")
def edition_pdf(round_id: int, number: int) -> Response:
    """Download a published PDF edition."""
    rnd = viewable_round(round_id)
    found = service.edition(db.session, rnd.id, number)
    if found is None:
        abort(404)
    return Response(
        found.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="round-{rnd.id}-edition-{number}.pdf"'
        },
    )


@bp.get("/rounds/<int:round_id>/editions/<int:number>.html")
def edition_html(round_id: int, number: int) -> Response:
    """Show a published edition as an accessible HTML page, with the same digests as its PDF."""
    rnd = viewable_round(round_id)
    found = service.edition(db.session, rnd.id, number)
    if found is None:
        abort(404)
    page = auditing.tally_html(found.pdf, found.sha256)
    if page is None:
        abort(404)
    # The page is self-contained: its one inline style is allowed by its hash, nothing else.
    policy = (
        f"default-src 'none'; style-src {STYLE_CSP_SOURCE}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": policy})


@bp.route("/receipts/counted", methods=["GET", "POST"])
def counted() -> Any:
    """Verify my ballot was counted: an inclusion proof against the published Merkle root."""
    result = None
    text = ""
    if request.method == "POST":
        data = _uploaded_text("receipt_file", "receipt")
        text = data.decode("utf-8", errors="replace")[:MAX_JSON_UPLOAD]
        if not text.strip():
            flash("Paste your receipt or choose the receipt file.", "error")
            return render_template("publication/counted.html", result=None, text=""), 422
        result = receipt_checks.check_counted(db.session, text)
    status = 200 if result is None or result.ok else 422
    return render_template("publication/counted.html", result=result, text=text), status
