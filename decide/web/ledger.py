"""The public disbursement ledger, payments by facilitators, and co-signed checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from audits.canonical import canonical_json
from ballots.wording import plural
from decide.extensions import db
from decide.models import LedgerCheckpoint, Round
from decide.services import ledger as service
from decide.services import manifests, signing
from decide.services import permissions as can
from decide.services.errors import DomainError, InvalidInput
from decide.web.access import require, viewable_round
from decide.web.filters import long_date
from decide.web.forms import parse_pence

bp = Blueprint("ledger", __name__)


def _checkpoint(rnd: Round, checkpoint_id: int) -> LedgerCheckpoint:
    cp = db.session.get(LedgerCheckpoint, checkpoint_id)
    if cp is None or cp.round_id != rnd.id:
        abort(404)
    return cp


@bp.get("/rounds/<int:round_id>/ledger")
def show(round_id: int) -> str:
    """Show paid against allocated for each funded project, every payment and checkpoint."""
    rnd = viewable_round(round_id)
    cps = service.checkpoints(db.session, rnd.id)
    role = signing.signer_role(current_user, rnd) if current_user.is_authenticated else None
    own_key = signing.key_of(db.session, rnd.id, current_user.id) if role else None
    sigs = {cp.id: service.checkpoint_signatures(db.session, rnd, cp) for cp in cps}
    signed_by_me = {
        cp.id: own_key is not None
        and any(r.public_key.hex() == own_key.public_key for r in sigs[cp.id].records)
        for cp in cps
    }
    return render_template(
        "ledger/show.html",
        round=rnd,
        published=rnd.phase in ("published", "delivery")
        and manifests.manifest_of(db.session, rnd.id) is not None,
        spend=service.spend_by_project(db.session, rnd),
        payments=service.payments(db.session, rnd.id),
        checkpoints=cps,
        sigs=sigs,
        own_key=own_key,
        signed_by_me=signed_by_me,
        is_facilitator=can.can_manage_rounds(current_user),
        head=service.ledger_value(db.session, rnd).head.hex(),
    )


def _payment_form(rnd: Round) -> tuple[service.PaymentForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    f = request.form
    try:
        amount = parse_pence(f.get("amount", ""))
        if amount <= 0:
            raise ValueError("The amount must be more than £0")
    except ValueError as exc:
        errors["amount"] = str(exc)
        amount = 0
    today = dt.date.today()
    try:
        paid_on = dt.date.fromisoformat(f.get("paid_on", "").strip())
    except ValueError:
        errors["paid_on"] = "Enter the date of payment as YYYY-MM-DD, like 2027-06-30"
        paid_on = dt.date.min
    else:
        # The ledger is permanent: a payment is dated between the signed results and today.
        written = manifests.manifest_of(db.session, rnd.id)
        earliest = written.created_at.date() if written is not None else None
        if paid_on > today:
            errors["paid_on"] = "The date of payment cannot be in the future"
        elif earliest is not None and paid_on < earliest:
            errors["paid_on"] = (
                f"The date of payment cannot be before the results were signed "
                f"({long_date(earliest)})"
            )
    if not f.get("project_code"):
        errors["project_code"] = "Choose the project paid"
    if errors:
        return None, errors
    return (
        service.PaymentForm(
            project_code=f.get("project_code", ""),
            amount_pence=amount,
            paid_on=paid_on,
            bank_reference=f.get("bank_reference", ""),
            approver=f.get("approver", ""),
        ),
        {},
    )


@bp.route("/rounds/<int:round_id>/ledger/pay", methods=["GET", "POST"])
def pay(round_id: int) -> Any:
    """Facilitators record a payment; one over a project's allocation is refused."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, errors = _payment_form(rnd)
        if form is not None:
            try:
                row = service.record_payment(db.session, rnd, form, current_user)
            except InvalidInput as exc:
                errors = exc.errors
            except DomainError as exc:
                errors = {exc.field or "form": exc.message}
            else:
                flash(f"Payment {row.sequence} recorded in the ledger.", "success")
                return redirect(url_for("ledger.show", round_id=rnd.id), 303)
    spend = service.spend_by_project(db.session, rnd)
    return render_template(
        "ledger/pay.html",
        round=rnd,
        spend=spend,
        errors=errors,
        values=request.form,
        today=dt.date.today().isoformat(),
    ), (422 if errors else 200)


@bp.post("/rounds/<int:round_id>/ledger/checkpoints")
def create_checkpoint(round_id: int) -> Response:
    """Facilitators ask the panel to co-sign the ledger's current head."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    try:
        cp = service.create_checkpoint(db.session, rnd, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        ready = f"Checkpoint of {plural(cp.count, 'payment')} ready for the panel to sign."
        flash(ready, "success")
    return redirect(url_for("ledger.show", round_id=rnd.id), 303)


@bp.get("/rounds/<int:round_id>/ledger/checkpoints/<int:checkpoint_id>.json")
def checkpoint_json(round_id: int, checkpoint_id: int) -> Response:
    """Download a checkpoint document to sign with decide-keys."""
    rnd = viewable_round(round_id)
    cp = _checkpoint(rnd, checkpoint_id)
    return Response(
        canonical_json(service.checkpoint_document(cp)),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="checkpoint-{rnd.id}-{cp.count}.json"'
        },
    )


@bp.route(
    "/rounds/<int:round_id>/ledger/checkpoints/<int:checkpoint_id>/sign", methods=["GET", "POST"]
)
def sign_checkpoint(round_id: int, checkpoint_id: int) -> Any:
    """A panel member uploads their signature on a checkpoint."""
    rnd = viewable_round(round_id)
    require(signing.signer_role(current_user, rnd) is not None)
    cp = _checkpoint(rnd, checkpoint_id)
    error = None
    if request.method == "POST":
        upload = request.files.get("signature_file")
        data = (
            upload.read(64 * 1024 + 1)
            if upload is not None and upload.filename
            else request.form.get("signature_json", "").encode()
        )
        try:
            completed = service.sign_checkpoint(db.session, rnd, cp, current_user, data)
        except DomainError as exc:
            error = exc.message
        else:
            flash(
                "Your signature on the checkpoint is valid and recorded."
                + (" The checkpoint is now fully signed; a new PDF edition is being written."
                   if completed else ""),
                "success",
            )  # fmt: skip
            return redirect(url_for("ledger.show", round_id=rnd.id), 303)
    return render_template(
        "publication/sign.html",
        round=rnd,
        error=error,
        document_url=url_for("ledger.checkpoint_json", round_id=rnd.id, checkpoint_id=cp.id),
        document_name=f"checkpoint-{rnd.id}-{cp.count}.json",
        digest=cp.digest,
        what="ledger checkpoint",
        action=url_for("ledger.sign_checkpoint", round_id=rnd.id, checkpoint_id=cp.id),
    ), (422 if error else 200)
