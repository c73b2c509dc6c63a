"""Publication rows: closing results, the manifest, panel keys and signatures, PDF editions,
background jobs with their progress, and the disbursement ledger.

Everything a published round needs is stored in the database (PDF bytes included), so every
web worker sees the same files. Hashes and keys are stored as lowercase hex strings, exactly
as the published JSON writes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.base import Base, RoundKeyed, RoundScoped, inserted_at

JOB_KINDS = ("close", "manifest", "publish", "edition")
JOB_STATUSES = ("pending", "running", "done", "failed")
SIGNER_ROLES = ("panel", "official")


class PublicationJob(RoundScoped, Base):
    """A long piece of work (closing, manifest, PDF) and its progress, shared by all workers."""

    __tablename__ = "publication_job"
    __table_args__ = (
        UniqueConstraint("round_id", "kind"),
        CheckConstraint("kind IN ('close','manifest','publish','edition')", name="kind_known"),
        CheckConstraint("status IN ('pending','running','done','failed')", name="status_known"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    step: Mapped[str] = mapped_column(String(200), default="Waiting to start")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RoundClosing(RoundKeyed, Base):
    """What closing the board found: counts, Merkle root, chain head and tally."""

    __tablename__ = "round_closing"

    ballot_count: Mapped[int] = mapped_column(Integer)
    channels_json: Mapped[str] = mapped_column(Text)
    merkle_root: Mapped[str] = mapped_column(String(64))
    chain_head: Mapped[str] = mapped_column(String(64))
    tally_json: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RoundManifest(RoundKeyed, Base):
    """The round's manifest and the files it names (ballots.pb, keys.json), once written."""

    __tablename__ = "round_manifest"

    digest: Mapped[str] = mapped_column(String(64))
    manifest_json: Mapped[bytes] = mapped_column(LargeBinary)
    ballots_pb: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    keys_json: Mapped[bytes] = mapped_column(LargeBinary)
    # Area -> deprivation decile as the PDF chart shows it, frozen with the manifest.
    area_deciles_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SigningKey(RoundScoped, Base):
    """A panel member's or official's BLS public key for a round, with its proof of possession."""

    __tablename__ = "signing_key"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        UniqueConstraint("round_id", "public_key"),
        UniqueConstraint("round_id", "name"),
        CheckConstraint("role IN ('panel','official')", name="role_known"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10), default="panel")
    name: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(96))
    proof_of_possession: Mapped[str] = mapped_column(String(192))
    registered_at: Mapped[dt.datetime] = inserted_at()

    user: Mapped[User] = relationship()


class CosignSignature(RoundScoped, Base):
    """One verified signature by a registered key over a manifest or a ledger checkpoint."""

    __tablename__ = "cosign_signature"
    __table_args__ = (UniqueConstraint("key_id", "document_type", "digest"),)

    key_id: Mapped[int] = mapped_column(ForeignKey("signing_key.id", ondelete="CASCADE"))
    document_type: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(192))
    signed_at: Mapped[dt.datetime] = inserted_at()

    key: Mapped[SigningKey] = relationship()


class Edition(RoundScoped, Base):
    """A published PDF edition of a round's record (bytes kept in the database)."""

    __tablename__ = "edition"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LedgerPayment(RoundScoped, Base):
    """One disbursement, hash-chained to the one before (see audits.ledger)."""

    __tablename__ = "ledger_payment"
    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    sequence: Mapped[int] = mapped_column(Integer)
    project_code: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    bank_reference_sha256: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str] = mapped_column(String(120))
    hash: Mapped[str] = mapped_column(String(64))
    # The milestone whose tranche this pays, if any; a payment beyond the confirmed
    # milestones' tranches carries the facilitator's reason (see services.delivery).
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = inserted_at()


class LedgerCheckpoint(RoundScoped, Base):
    """A statement of the ledger head for the panel to co-sign."""

    __tablename__ = "ledger_checkpoint"
    __table_args__ = (UniqueConstraint("round_id", "count"),)

    count: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    manifest_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    # The delivery annex (delivery.json) drawn up with the checkpoint: its SHA-256 is part of
    # what the panel signs, and the edition after it carries exactly these bytes.
    annex_json: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Set when k valid signatures were reached; a new PDF edition follows.
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


from decide.models.user import User  # noqa: E402
