"""The public disbursement ledger, payments by facilitators, and co-signed checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from audits.annex import DeliveryAnnex, ImpactLine
from audits.canonical import canonical_json
from ballots.wording import combined_words, impact_total_text, plural
from decide.extensions import db
from decide.models import LedgerCheckpoint, Round
from decide.services import delivery, manifests, signing
from decide.services import ledger as service
from decide.services import permissions as can
from decide.services.errors import DomainError
from decide.web.access import require, viewable_round
from decide.web.filters import long_date, money
from decide.web.forms import (
    LedgerPaymentForm,
    add_error,
    apply_form,
    form_status,
    options,
)

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
        published=rnd.phase.results_public
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


def _project_label(p: Any, currency: str) -> str:
    # What is left comes first: a phone shows only the start of a long option.
    payee = p.organisation or "no organisation"
    return f"{p.code}, {money(int(p.left), currency)} left · {p.name} ({payee})"


def _paid_on(rnd: Round, form: LedgerPaymentForm) -> dt.date | None:
    """Return the payment's date, or None with a message on the form.

    The ledger is permanent: a payment is dated between the signed results and today.
    """
    try:
        paid_on = dt.date.fromisoformat((form.paid_on.data or "").strip())
    except ValueError:
        add_error(form, "paid_on", "Enter the date of payment as YYYY-MM-DD, like 2027-06-30")
        return None
    written = manifests.manifest_of(db.session, rnd.id)
    earliest = written.created_at.date() if written is not None else None
    if paid_on > dt.date.today():
        add_error(form, "paid_on", "The date of payment cannot be in the future")
    elif earliest is not None and paid_on < earliest:
        add_error(
            form,
            "paid_on",
            f"The date of payment cannot be before the results were signed ({long_date(earliest)})",
        )
    else:
        return paid_on
    return None


def _payment(form: LedgerPaymentForm, rnd: Round) -> service.PaymentForm | None:
    """Return the payment the form describes, or None when a field is wrong (then marked)."""
    valid = form.validate_on_submit()
    paid_on = _paid_on(rnd, form)
    if not valid or paid_on is None:
        return None
    return service.PaymentForm(
        project_code=form.project_code.data or "",
        amount_pence=form.amount.data or 0,
        paid_on=paid_on,
        bank_reference=form.bank_reference.data or "",
        approver=form.approver.data or "",
        reason=form.reason.data or "",
        milestone_id=_milestone_id(form.milestone_id.data),
    )


def _milestone_id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _milestone_choices(rnd: Round) -> list[Any]:
    """Offer each funded project's milestones, saying which are confirmed."""
    pairs = [("", "None (not a milestone's tranche)")]
    for m in delivery.milestones_of_round(db.session, rnd):
        state = "confirmed" if m.confirmed else "not yet confirmed"
        tranche = money(m.tranche_pence, rnd.currency)
        pairs.append((str(m.id), f"{m.project.code} · {m.title}: tranche {tranche}, {state}"))
    return options(pairs)


@bp.route("/rounds/<int:round_id>/ledger/pay", methods=["GET", "POST"])
def pay(round_id: int) -> Any:
    """Facilitators record a payment; one over a project's allocation is refused."""
    rnd = viewable_round(round_id)
    require(can.can_manage_rounds(current_user))
    # A link from a confirmed milestone fills in its project, milestone and tranche.
    tranche = delivery.milestone_for_payment(db.session, rnd, request.args.get("milestone"))
    form = LedgerPaymentForm(
        paid_on=dt.date.today().isoformat(), approver=current_user.display_name,
        project_code=tranche.project.code if tranche else None,
        milestone_id=str(tranche.id) if tranche else "",
        amount=delivery.tranche_due(db.session, tranche) if tranche else None,
    )  # fmt: skip
    # A project paid in full is not offered: any payment to it would be refused.
    spend = [p for p in service.spend_by_project(db.session, rnd) if p.left > 0]
    form.project_code.choices = options((p.code, _project_label(p, rnd.currency)) for p in spend)
    form.milestone_id.choices = _milestone_choices(rnd)
    if (
        request.method == "POST"
        and (payment := _payment(form, rnd)) is not None
        and apply_form(
            form,
            lambda: service.record_payment(db.session, rnd, payment, current_user),
            lambda row: f"Payment {row.sequence} recorded in the ledger.",
        )
    ):
        return redirect(url_for("ledger.show", round_id=rnd.id), 303)
    status = form_status(form)
    return render_template("ledger/pay.html", round=rnd, form=form, payable=spend), status


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


def _impact_text(line: ImpactLine) -> str:
    """Write an annex's impact total with how it was combined: '95 people (sum of 3 figures)'."""
    how = combined_words(line.aggregation, line.figures, line.projects)
    return f"{impact_total_text(line.total)} {line.unit} ({how})"


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
        annex=DeliveryAnnex.from_json_bytes(cp.annex_json) if cp.annex_json else None,
        impact_text=_impact_text,
        document_url=url_for("ledger.checkpoint_json", round_id=rnd.id, checkpoint_id=cp.id),
        document_name=f"checkpoint-{rnd.id}-{cp.count}.json",
        digest=cp.digest,
        what="ledger checkpoint",
        action=url_for("ledger.sign_checkpoint", round_id=rnd.id, checkpoint_id=cp.id),
        # Only a holder of a registered key can sign: a facilitator without a panel seat
        # (and no key) sees what is signed, not a form that could only refuse them.
        can_sign=signing.key_of(db.session, rnd.id, current_user.id) is not None,
    ), (422 if error else 200)
