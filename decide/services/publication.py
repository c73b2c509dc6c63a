"""Publication with k of n signatures, PDF editions, and the public publication page.

Every published file is produced by `audits.bundle` from plain values read here and in
decide.services.manifest, so what the app publishes is exactly what `decide-verify` checks:

- publishing is the phase change closed -> published: its guard needs k stored signatures by
  the manifest's keys, and its effect schedules `publish_round` (a job) to write edition 1.
- `write_edition` (a job) writes the next edition whenever a ledger checkpoint reaches k
  signatures. Editions are rebuilt from stored bytes only, so the same state gives the same PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.bundle import publish
from audits.manifest import Manifest
from ballots.wording import plural
from decide.models import (
    Edition,
    Project,
    Round,
    SigningKey,
    User,
)
from decide.models.limits import INT32_MAX
from decide.services import signing
from decide.services.closing import closing_of
from decide.services.jobs import no_progress, schedule_job
from decide.services.manifests import (
    PublicationRefused,
    manifest_of,
    manifest_signatures,
    start_manifest,
    stored_closing,
    with_board,
)
from decide.services.phase_rules import PhaseBlocker
from decide.services.results import confirmed_result
from decide.services.rows import of_round
from decide.services.sanitise import whole_number
from decide.services.unit_of_work import transactional


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@transactional
def start_job(session: Session, rnd: Round, kind: str) -> None:
    """Start (or start again) the round's closing, manifest or edition job, if the phase allows."""
    if kind == "manifest":
        start_manifest(session, rnd)
    elif kind == "close" and not rnd.phase.counted:
        raise PublicationRefused("The board is closed when the round moves to “Voting closed”.")
    elif kind in ("publish", "edition") and not rnd.phase.results_public:
        raise PublicationRefused("PDF editions are written once the round is published.")
    else:
        schedule_job(session, rnd, kind)


# --- Publication (phase hooks) ----------------------------------------------------------------


def publish_guard(session: Session, rnd: Round) -> str | None:
    """Return why the round cannot be published yet (the publication page shows it), or None."""
    blocker = publish_blocker(session, rnd)
    return blocker.message if blocker else None


def publish_blocker(session: Session, rnd: Round) -> PhaseBlocker | None:
    """Phase guard closed -> published: a confirmed rule, its manifest, and k signatures."""
    result = confirmed_result(session, rnd.id)
    row = manifest_of(session, rnd.id)
    if result is None and row is None:
        return PhaseBlocker(
            "Publishing needs a confirmed allocation rule: compare the rules and confirm one.",
            "results",
        )
    if row is None:
        return PhaseBlocker(
            "Publishing needs the manifest: write it on the publication page.", "publication"
        )
    manifest = Manifest.from_json_bytes(row.manifest_json)
    confirmed = {k: Fraction(v) for k, v in (result.amounts if result else {}).items()}
    if result is None or result.rule != manifest.rule or confirmed != dict(manifest.allocation):
        return PhaseBlocker(
            "The confirmed outcome changed after the manifest was written; write the manifest "
            "again and ask the panel to sign the new one.",
            "publication",
        )
    sigs = manifest_signatures(session, rnd)
    holders = {k.public_key: k for k in signing.frozen_keys(session, rnd)}
    if sigs.records and not any(
        _independent(holders.get(r.public_key.hex())) for r in sigs.records
    ):
        # A facilitator seated on the panel signs as a panel member, but is still the
        # facilitator: the record needs one signer who does not run the round.
        return PhaseBlocker(
            "Only the facilitator's side has signed (facilitators and officials, including a "
            "facilitator seated on the panel); a round's facilitator never publishes alone. A "
            "panel member who is not a facilitator must sign the manifest too.",
            "publication",
        )
    if not sigs.complete:
        return PhaseBlocker(
            f"Publishing needs {plural(rnd.signature_threshold, 'valid panel signature')} on "
            f"the manifest; {len(sigs.records)} so far.",
            "publication",
        )
    return None


def _independent(key: SigningKey | None) -> bool:
    """Return True for a panel member's key held by someone who is not a facilitator."""
    return (
        key is not None and key.role == "panel" and not getattr(key.user, "is_facilitator", False)
    )


def on_publish(session: Session, rnd: Round, actor: User) -> None:
    """Phase effect closed -> published: schedule the first PDF edition."""
    schedule_job(session, rnd, "publish")


def publish_round(session: Session, rnd: Round, progress: Any = no_progress) -> Edition:
    """Check the signatures again and write edition 1 (job for the phase change)."""
    if editions(session, rnd.id):
        return editions(session, rnd.id)[0]
    return _write_edition(session, rnd, "Results published", progress)


def write_edition(session: Session, rnd: Round, progress: Any = no_progress) -> Edition:
    """Write the next edition with the current ledger (job after a signed checkpoint)."""
    return _write_edition(session, rnd, "Ledger checkpoint signed", progress)


def _write_edition(session: Session, rnd: Round, reason: str, progress: Any) -> Edition:
    from decide.services.ledger import checkpoints, signed_ledger

    if not rnd.phase.results_public:
        raise PublicationRefused("Editions are written once the round is published.")
    row = manifest_of(session, rnd.id)
    if row is None:
        raise PublicationRefused("The round has no manifest.")
    progress("Collecting the panel's signatures", 0, 3, force=True)
    closing = stored_closing(row)
    # Each signature was verified against its key on upload, and each key's proof of
    # possession at registration; py-ecc pairings are slow, so they are not re-run here.
    # decide-verify re-checks everything from the PDF.
    sigs = manifest_signatures(session, rnd)
    if not sigs.complete:
        raise PublicationRefused(
            f"The manifest has {plural(len(sigs.records), 'valid signature')}; "
            f"{closing.manifest.threshold} {'is' if closing.manifest.threshold == 1 else 'are'} "
            "needed."
        )
    # An edition carries the ledger as far as its last co-signed checkpoint, and is numbered
    # by it (edition 1 + checkpoints): the verifier derives both from ledger.json.
    ledger = signed_ledger(session, rnd)
    number = len(ledger.checkpoints) + 1
    existing = edition(session, rnd.id, number)
    if existing is not None:
        return existing
    progress("Writing the PDF", 1, 3, force=True)
    # The delivery annex: the dashboard's figures for this round as the panel co-signed them
    # with the last checkpoint (its SHA-256 is in it), paid as this edition's ledger. Edition 1
    # has no checkpoint, so no annex: nothing it printed would be signed.
    signed = [cp for cp in checkpoints(session, rnd.id) if cp.signed_at is not None]
    annex = signed[-1].annex_json if signed and signed[-1].count == ledger.count else None
    pub = publish(with_board(session, closing), sigs.records, ledger, annex=annex)
    progress("Storing the PDF", 2, 3, force=True)
    row = Edition(
        round_id=rnd.id,
        number=number,
        reason=reason,
        sha256=hashlib.sha256(pub.pdf).hexdigest(),
        size=len(pub.pdf),
        pdf=pub.pdf,
        created_at=_now(),
    )
    session.add(row)
    session.commit()
    return row


def editions(session: Session, round_id: int) -> list[Edition]:
    """Return the round's PDF editions, oldest first (PDF bytes loaded on access)."""
    return of_round(session, Edition, round_id, Edition.number)


def edition(session: Session, round_id: int, number: int | None = None) -> Edition | None:
    """Return one edition, or the latest when `number` is None."""
    query = select(Edition).where(Edition.round_id == round_id)
    if number is None:
        query = query.order_by(Edition.number.desc()).limit(1)
    else:
        query = query.where(Edition.number == number)
    return session.scalar(query)


def find_round(session: Session, ref: str) -> Round | None:
    """Return a round by id or slug."""
    if (round_id := whole_number(ref, maximum=INT32_MAX)) is not None:
        found = session.get(Round, round_id)
        if found is not None:
            return found
    return session.scalar(select(Round).where(Round.slug == ref))


def published_summary(session: Session, rnd: Round) -> Mapping[str, Any]:
    """Return what the public publication page shows about a round."""
    row = manifest_of(session, rnd.id)
    return {
        "closing": closing_of(session, rnd.id),
        "manifest": row,
        "result": confirmed_result(session, rnd.id),
        "keys": signing.frozen_keys(session, rnd),
        "signatures": manifest_signatures(session, rnd),
        "editions": editions(session, rnd.id),
    }


def project_names(session: Session, round_id: int) -> dict[str, str]:
    """Return project code -> title."""
    query = select(Project.code, Project.title).where(Project.round_id == round_id)
    return {code: title for code, title in session.execute(query)}
