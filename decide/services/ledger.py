"""The disbursement ledger: payments hash-chained by `audits.ledger`, never over allocation.

A payment is validated by appending it to the pure `audits.ledger.Ledger` rebuilt from the
stored rows; only if that succeeds is the row inserted, with the chain hash the pure code
computed. The unique (round, sequence) constraint decides a race between two payments: the
loser is refused and nothing of it is written. Checkpoints of the ledger head are co-signed
like the manifest; when one reaches k signatures a new PDF edition is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from audits.ledger import Checkpoint, Ledger, LedgerEntry, LedgerError, SignedCheckpoint
from audits.manifest import Manifest
from ballots.wording import money, plural
from decide.models import LedgerCheckpoint, LedgerPayment, Round, User
from decide.services import delivery, signing
from decide.services.errors import DomainError, InvalidInput
from decide.services.jobs import schedule_job
from decide.services.manifests import manifest_of
from decide.services.rows import of_round
from decide.services.sanitise import has_control_characters
from decide.services.unit_of_work import transactional
from decide.services.voting import chain_round_id

APPROVER_MAX = 120  # LedgerPayment.approver


class PaymentRefused(DomainError):
    """A payment the ledger refuses; nothing was written."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _manifest(session: Session, rnd: Round) -> Manifest:
    row = manifest_of(session, rnd.id)
    if row is None or not rnd.phase.results_public:
        raise PaymentRefused("Payments are recorded once the round's results are published.")
    return Manifest.from_json_bytes(row.manifest_json)


def payments(session: Session, round_id: int) -> list[LedgerPayment]:
    """Return the round's payments in ledger order."""
    return of_round(session, LedgerPayment, round_id, LedgerPayment.sequence)


def ledger_value(session: Session, rnd: Round, *, signed_only: bool = True) -> Ledger:
    """Return the round's ledger as the pure value, with its fully signed checkpoints."""
    key = chain_round_id(rnd.id)
    entries = tuple(
        LedgerEntry(
            key, p.sequence, p.project_code, p.organisation, p.amount_pence,
            p.paid_on.isoformat(), p.bank_reference_sha256, p.approver, bytes.fromhex(p.hash),
            p.reason,
        )
        for p in payments(session, rnd.id)
    )  # fmt: skip
    ledger = Ledger(key, entries)
    previous = None
    for cp in checkpoints(session, rnd.id):
        if signed_only and cp.signed_at is None:
            continue
        sigs = checkpoint_signatures(session, rnd, cp)
        if sigs.records:
            doc = _checkpoint(cp, previous)
            ledger = ledger.with_checkpoint(SignedCheckpoint.of(doc, sigs.records))
            previous = cp
    return ledger


def signed_ledger(session: Session, rnd: Round) -> Ledger:
    """Return the ledger as an edition publishes it: the payments that co-signed checkpoints
    cover, with those checkpoints (later payments wait for the next checkpoint)."""
    return ledger_value(session, rnd, signed_only=True).covered()


@dataclass(frozen=True)
class PaymentForm:
    """A payment as the facilitator enters it."""

    project_code: str
    amount_pence: int
    paid_on: dt.date
    bank_reference: str
    approver: str
    # Required when the payment goes beyond the confirmed milestones' tranches.
    reason: str = ""
    milestone_id: int | None = None


def record_payment(session: Session, rnd: Round, form: PaymentForm, actor: User) -> LedgerPayment:
    """Append one payment to the ledger, or raise PaymentRefused writing nothing; commit."""
    try:
        return _append_payment(session, rnd, form)
    except BaseException:
        session.rollback()  # writes nothing, and lets go of the project's money lock
        raise


def _append_payment(session: Session, rnd: Round, form: PaymentForm) -> LedgerPayment:
    manifest = _manifest(session, rnd)
    errors = {}
    if not form.bank_reference.strip():
        errors["bank_reference"] = "Enter the bank reference of the payment"
    if not form.approver.strip():
        errors["approver"] = "Name the person who approved the payment"
    elif len(form.approver.strip()) > APPROVER_MAX:
        errors["approver"] = f"The approver's name must be {APPROVER_MAX} characters or fewer"
    for name in ("bank_reference", "approver", "project_code"):
        if has_control_characters(getattr(form, name)):
            errors[name] = "This contains invisible control characters; type it again"
    if form.amount_pence is None or form.amount_pence <= 0:
        errors["amount"] = f"The amount must be more than {money(0, rnd.currency)}"
    if errors:
        raise InvalidInput(errors)
    organisations = {p.id: p.organisation for p in manifest.projects}
    organisation = organisations.get(form.project_code)
    if organisation is None:
        raise PaymentRefused("Choose a project of this round.", field="project_code")
    if not organisation:
        # Payees are chosen when proposals are accepted onto the ballot, and voting cannot
        # open without one for every project; only a round from before payees lacks one.
        raise PaymentRefused(
            f"Project {form.project_code} has no payee named in the manifest, so the ledger "
            "cannot say who is paid (a signed manifest never changes).",
            field="project_code",
        )
    project = next((p for p in rnd.projects if p.code == form.project_code), None)
    if project is not None:  # checked and written under the lock a withdrawal takes too
        delivery.lock_project_money(session, project)
    reason = delivery.check_tranches(
        session, rnd, form.project_code, form.amount_pence, form.reason
    )
    milestone_id = delivery.milestone_of(session, rnd, form.project_code, form.milestone_id, reason)
    ledger = ledger_value(session, rnd)
    try:
        ledger = ledger.append(
            project_id=form.project_code,
            organisation=organisation,
            amount_pence=form.amount_pence,
            date=form.paid_on.isoformat(),
            bank_reference_sha256=hashlib.sha256(form.bank_reference.strip().encode()).hexdigest(),
            approver=form.approver.strip(),
            allocation=manifest.allocation,
            organisations=organisations,
            reason=reason,
        )
    except LedgerError as exc:
        raise PaymentRefused(f"Payment refused: {exc}. Nothing was recorded.") from None
    e = ledger.entries[-1]
    row = LedgerPayment(
        round_id=rnd.id,
        sequence=e.sequence,
        project_code=e.project_id,
        organisation=e.organisation,
        amount_pence=e.amount_pence,
        paid_on=form.paid_on,
        bank_reference_sha256=e.bank_reference_sha256,
        approver=e.approver,
        hash=e.hash.hex(),
        milestone_id=milestone_id,
        reason=e.reason,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PaymentRefused(
            "Another payment was recorded at the same moment; nothing was recorded. "
            "Check the ledger and enter this payment again."
        ) from None
    return row


@dataclass(frozen=True)
class ProjectSpend(delivery.LeftToPay):
    """Paid against allocated for one project."""

    code: str
    name: str
    organisation: str
    allocated: Fraction
    paid: int


def spend_by_project(session: Session, rnd: Round) -> list[ProjectSpend]:
    """Return paid vs allocated for every funded project."""
    row = manifest_of(session, rnd.id)
    if row is None:
        return []
    m = Manifest.from_json_bytes(row.manifest_json)
    paid: dict[str, int] = {}
    for p in payments(session, rnd.id):
        paid[p.project_code] = paid.get(p.project_code, 0) + p.amount_pence
    return [
        ProjectSpend(p.id, p.name, p.organisation, m.allocation[p.id], paid.get(p.id, 0))
        for p in m.projects
        if p.id in m.allocation
    ]


@dataclass(frozen=True)
class ProjectOutcome:
    """What the published results gave one project, and what the ledger has paid it."""

    funded: bool
    allocated: Fraction
    paid: int


def project_outcome(session: Session, rnd: Round, code: str) -> ProjectOutcome | None:
    """Return a project's outcome once the results are published, else None."""
    if not rnd.phase.results_public:
        return None
    row = manifest_of(session, rnd.id)
    if row is None:
        return None
    allocated = Manifest.from_json_bytes(row.manifest_json).allocation.get(code, Fraction(0))
    paid = sum(p.amount_pence for p in payments(session, rnd.id) if p.project_code == code)
    return ProjectOutcome(allocated > 0, allocated, paid)


# --- Checkpoints ------------------------------------------------------------------------------


def checkpoints(session: Session, round_id: int) -> list[LedgerCheckpoint]:
    """Return the round's checkpoints, oldest first."""
    return of_round(session, LedgerCheckpoint, round_id, LedgerCheckpoint.count)


def _checkpoint(cp: LedgerCheckpoint, previous: LedgerCheckpoint | None) -> Checkpoint:
    return Checkpoint(
        chain_round_id(cp.round_id),
        cp.count,
        bytes.fromhex(cp.head),
        bytes.fromhex(cp.manifest_digest),
        None if previous is None else bytes.fromhex(previous.digest),
        cp.created_at.date().isoformat(),
        None if cp.annex_json is None else hashlib.sha256(cp.annex_json).digest(),
    )


def _annex_now(session: Session, rnd: Round, ledger: Ledger) -> bytes | None:
    """Return the delivery annex as it stands, paid as this ledger (None: not on the dashboard)."""
    from decide.services.learning_annex import annex_for

    row = manifest_of(session, rnd.id)
    assert row is not None
    paid: dict[str, int] = {}
    for e in ledger.entries:
        paid[e.project_id] = paid.get(e.project_id, 0) + e.amount_pence
    annex = annex_for(session, rnd, Manifest.from_json_bytes(row.manifest_json), paid)
    return annex.to_json_bytes() if annex is not None else None


def _previous(session: Session, cp: LedgerCheckpoint) -> LedgerCheckpoint | None:
    earlier = [c for c in checkpoints(session, cp.round_id) if c.count < cp.count]
    return earlier[-1] if earlier else None


def checkpoint_document(cp: LedgerCheckpoint) -> dict[str, object]:
    """Return the checkpoint JSON that panel members download and sign."""
    session = object_session(cp)
    previous = _previous(session, cp) if session is not None else None
    return _checkpoint(cp, previous).to_dict()


def create_checkpoint(session: Session, rnd: Round, actor: User) -> LedgerCheckpoint:
    """Add a checkpoint of the current ledger head for the panel to sign; commit."""
    _manifest(session, rnd)
    row = manifest_of(session, rnd.id)
    assert row is not None
    ledger = ledger_value(session, rnd)
    if ledger.count == 0:
        raise DomainError("Record a payment before asking the panel to sign a checkpoint.")
    existing = checkpoints(session, rnd.id)
    if any(cp.count == ledger.count for cp in existing):
        raise DomainError("The ledger already has a checkpoint at its current head.")
    pending = [cp for cp in existing if cp.signed_at is None]
    if pending:
        # Each checkpoint names the one before it, so they are signed one at a time.
        raise DomainError(
            f"The checkpoint of {plural(pending[-1].count, 'payment')} is still waiting for the "
            "panel's signatures; a new checkpoint can be drawn up once it is signed."
        )
    now = _now()
    # The panel co-signs the delivery annex with the ledger: the next edition carries it.
    annex = _annex_now(session, rnd, ledger)
    annex_digest = hashlib.sha256(annex).digest() if annex is not None else None
    doc = ledger.checkpoint(bytes.fromhex(row.digest), now.date().isoformat(), annex_digest)
    cp = LedgerCheckpoint(
        round_id=rnd.id,
        count=doc.count,
        head=doc.head.hex(),
        manifest_digest=row.digest,
        digest=doc.digest().hex(),
        annex_json=annex,
        created_at=now,
    )
    session.add(cp)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError("The ledger already has a checkpoint at its current head.") from None
    return cp


def checkpoint_signatures(
    session: Session, rnd: Round, cp: LedgerCheckpoint
) -> signing.SignatureSet:
    """Return the stored signatures on a checkpoint by the manifest's keys."""
    keys = signing.frozen_keys(session, rnd)
    return signing.signature_set(session, rnd, signing.CHECKPOINT_TYPE, cp.digest, keys)


@transactional
def sign_checkpoint(
    session: Session, rnd: Round, cp: LedgerCheckpoint, user: User, data: bytes | str
) -> bool:
    """Verify and store a signature on a checkpoint; start a new edition at k. Return whether
    this signature completed the checkpoint."""
    signing.upload_signature(
        session, rnd, user, data, document_type=signing.CHECKPOINT_TYPE, digest=cp.digest
    )
    sigs = checkpoint_signatures(session, rnd, cp)
    if cp.signed_at is not None or not sigs.complete:
        return False
    cp.signed_at = _now()
    schedule_job(session, rnd, "edition")
    return True
