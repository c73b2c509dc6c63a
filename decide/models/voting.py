"""Voting rows: the sealed box, the board, participation marks, chain state and eligibility.

During voting a cast writes two rows in one transaction: a `Participation` mark and a
`SealedBallot` envelope. The envelope is ciphertext only (decide.services.sealing), with a
random primary key, no time and no sequence, so what the two rows share (PostgreSQL's `xmin`,
their physical order) links a voter to ciphertext and nothing more. At close the envelopes are
opened and deleted: the commitment board (`BoardEntry`, sorted by tracker) and the plaintext
ballot list (`Ballot`, sorted by canonical ballot bytes) are written instead.
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
from decide.models.base import Base, RoundKeyed, RoundScoped

CHANNELS = ("online", "paper", "imported", "sealed")
ELIGIBILITY_MODES = {
    "postcode": "An account with a postcode in one of the round's areas",
    "roll": "On the voter roll (reference number and date of birth)",
    "codes": "A one-time access code handed out at a community event",
}


class Ballot(RoundScoped, Base):
    """One ballot of the round's plaintext list (written at close; imported rounds at import).

    For a voted round the list is sorted by canonical ballot bytes, `tracker` is the list
    position as 16 bytes (never a voter's tracker), `channel` is "sealed" and `cast_on` the
    closing day: nothing in the row says who cast it, when, or by which route.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        UniqueConstraint("round_id", "tracker"),
        CheckConstraint("channel IN ('online','paper','imported','sealed')", name="channel_known"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

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


class SealedBallot(Base):
    """A sealed envelope in the round's box during voting: ciphertext and a keyed lookup.

    The primary key is random (not a sequence) and there is no time column. `lookup` is an
    HMAC of the tracker under a key derived from the server key, never the tracker itself.
    """

    __tablename__ = "sealed_ballot"
    __table_args__ = (UniqueConstraint("round_id", "lookup"),)

    id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32))
    box: Mapped[bytes] = mapped_column(LargeBinary)


class BoardEntry(RoundKeyed, Base):
    """One line of the commitment board, written at close: tracker, commitment and route.

    Sorted by tracker (random), so its order says nothing about time. It holds no choices.
    """

    __tablename__ = "board_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "tracker"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tracker: Mapped[bytes] = mapped_column(LargeBinary(16))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    route: Mapped[str] = mapped_column(String(10))
    leaf: Mapped[bytes] = mapped_column(LargeBinary(32))


class Participation(RoundKeyed, Base):
    """A voter's "has voted" mark. The key (round, voter) decides any race to vote twice.

    There is deliberately no serial id: an id counting up in voting order would line up with
    the ballots' sequence numbers and link marks to ballots.
    """

    __tablename__ = "participation"

    # "user:<id>", "roll:<voter roll entry id>", "code:<access code id>" or "paper:<form number>".
    voter_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    voted_on: Mapped[dt.date] = mapped_column(Date)
    # How the entry voted: "account", "roll", "code" or "paper" (counts per route; no ballot).
    route: Mapped[str | None] = mapped_column(String(10))
    # The voter's receipt (tracker and commitment), encrypted under a key derived from the
    # server key, so a voter who never saw it can get it again by the same eligibility proof.
    sealed_receipt: Mapped[bytes | None] = mapped_column(LargeBinary)


class ChainState(RoundKeyed, Base):
    """The round's chain: last sequence and head. Casts lock this row to append in order."""

    __tablename__ = "chain_state"

    sequence: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[bytes] = mapped_column(LargeBinary(32))


class RoundEligibility(RoundKeyed, Base):
    """Who may vote in a round: one or more modes and an optional minimum age."""

    __tablename__ = "round_eligibility"

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


class VoterRollEntry(RoundScoped, Base):
    """One person on a round's voter roll, stored only as a keyed hash of reference and birth."""

    __tablename__ = "voter_roll_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "identity_hash"),
        UniqueConstraint("round_id", "reference_hash"),
    )

    identity_hash: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the reference alone: a new upload keeps the entry (and its id) by it.
    reference_hash: Mapped[str | None] = mapped_column(String(64))


class AccessCodeBatch(RoundScoped, Base):
    """A printed batch of one-time access codes for a community event."""

    __tablename__ = "access_code_batch"

    label: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    created_on: Mapped[dt.date] = mapped_column(Date)

    codes: Mapped[list[AccessCode]] = relationship(
        back_populates="batch", cascade="all, delete-orphan"
    )


class AccessCode(RoundScoped, Base):
    """One access code, stored hashed. Its use is the participation mark "code:<id>"."""

    __tablename__ = "access_code"
    __table_args__ = (UniqueConstraint("round_id", "code_hash"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("access_code_batch.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    # The roll entry the code was printed for; its use marks that entry.
    roll_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("voter_roll_entry.id", ondelete="CASCADE")
    )

    batch: Mapped[AccessCodeBatch] = relationship(back_populates="codes")
