"""Voting rows: ballots on the board, participation marks, chain state and eligibility.

Anonymity by construction: a `Ballot` row carries no voter id and no time finer than the day;
a `Participation` row carries no ballot reference. The two are written in one transaction, so
a ballot exists exactly when its voter's mark does, yet nothing links one to the other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.area import Area
from decide.models.base import Base

CHANNELS = ("online", "paper", "imported")
ELIGIBILITY_MODES = {
    "postcode": "An account with a postcode in one of the round's areas",
    "roll": "On the voter roll (reference number and date of birth)",
    "codes": "A one-time access code handed out at a community event",
}


class Ballot(Base):
    """One accepted ballot on the round's bulletin board (no voter, day only)."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        UniqueConstraint("round_id", "tracker"),
        CheckConstraint("channel IN ('online','paper','imported')", name="channel_known"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    tracker: Mapped[bytes] = mapped_column(LargeBinary(16))
    # The exact bytes hashed into the leaf (ballots.canonical), and the choices as JSON text
    # (project codes, points aligned or null) for the board after close and the .pb export.
    ballot_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    choices_json: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10), default="online")
    cast_on: Mapped[dt.date] = mapped_column(Date)
    leaf: Mapped[bytes] = mapped_column(LargeBinary(32))
    head: Mapped[bytes] = mapped_column(LargeBinary(32))


class Participation(Base):
    """A voter's "has voted" mark. The key (round, voter) decides any race to vote twice.

    There is deliberately no serial id: an id counting up in voting order would line up with
    the ballots' sequence numbers and link marks to ballots.
    """

    __tablename__ = "participation"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    # "user:<id>", "roll:<voter roll entry id>", "code:<access code id>" or "paper:<form number>".
    voter_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    voted_on: Mapped[dt.date] = mapped_column(Date)
    # How the entry voted: "account", "roll", "code" or "paper" (counts per route; no ballot).
    route: Mapped[str | None] = mapped_column(String(10))


class ChainState(Base):
    """The round's chain: last sequence and head. Casts lock this row to append in order."""

    __tablename__ = "chain_state"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[bytes] = mapped_column(LargeBinary(32))


class RoundEligibility(Base):
    """Who may vote in a round: one or more modes and an optional minimum age."""

    __tablename__ = "round_eligibility"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    by_postcode: Mapped[bool] = mapped_column(Boolean, default=True)
    by_roll: Mapped[bool] = mapped_column(Boolean, default=False)
    by_code: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[int | None] = mapped_column(Integer)
    # Salt for the voter roll's identity hashes (hex); set when a roll is first uploaded.
    roll_salt: Mapped[str | None] = mapped_column(String(64))
    # A round without a roll is "self-declared"; the facilitator confirms the warning once.
    self_declared_ok: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    @property
    def modes(self) -> list[str]:
        """Return the enabled modes' names."""
        flags = {"postcode": self.by_postcode, "roll": self.by_roll, "codes": self.by_code}
        return [name for name, on in flags.items() if on]


class PostcodeArea(Base):
    """A full postcode ('LS9 8AB') and the area it lies in, as the facilitator uploaded it.

    Rows with a round belong to that round's table; rows without one form the global table,
    used by rounds that have no table of their own.
    """

    __tablename__ = "postcode_area"
    __table_args__ = (UniqueConstraint("round_id", "postcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), index=True
    )
    postcode: Mapped[str] = mapped_column(String(8), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))

    area: Mapped[Area] = relationship()


class VoterRollEntry(Base):
    """One person on a round's voter roll, stored only as a keyed hash of reference and birth."""

    __tablename__ = "voter_roll_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "identity_hash"),
        UniqueConstraint("round_id", "reference_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    identity_hash: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the reference alone: a new upload keeps the entry (and its id) by it.
    reference_hash: Mapped[str | None] = mapped_column(String(64))


class AccessCodeBatch(Base):
    """A printed batch of one-time access codes for a community event."""

    __tablename__ = "access_code_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    created_on: Mapped[dt.date] = mapped_column(Date)

    codes: Mapped[list[AccessCode]] = relationship(
        back_populates="batch", cascade="all, delete-orphan"
    )


class AccessCode(Base):
    """One access code, stored hashed. Its use is the participation mark "code:<id>"."""

    __tablename__ = "access_code"
    __table_args__ = (UniqueConstraint("round_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("access_code_batch.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    # The roll entry the code was printed for; its use marks that entry.
    roll_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("voter_roll_entry.id", ondelete="CASCADE")
    )

    batch: Mapped[AccessCodeBatch] = relationship(back_populates="codes")
