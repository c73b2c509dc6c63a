"""The round's register: accounts bound to roll entries, and paper ballot numbers issued ahead.

Every route to a ballot marks one register entry (see decide.services.register). These rows
say which entry an account stands for, and which paper ballot numbers were issued, used, by
which officer and on which day. None of them names a ballot.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.base import Base, RoundKeyed, RoundScoped


class RollBinding(RoundKeyed, Base):
    """An account linked, once, to its entry on a round's voter roll."""

    __tablename__ = "roll_binding"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("voter_roll_entry.id", ondelete="CASCADE"), index=True
    )


class PaperBatch(RoundScoped, Base):
    """A batch of numbered paper ballots a facilitator issued for printing."""

    __tablename__ = "paper_batch"

    label: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    created_on: Mapped[dt.date] = mapped_column(Date)

    numbers: Mapped[list[PaperNumber]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="PaperNumber.id"
    )


class PaperNumber(RoundScoped, Base):
    """One issued paper ballot number; once used it records the day and the officer."""

    __tablename__ = "paper_number"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batch.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20))
    used_on: Mapped[dt.date | None] = mapped_column(Date)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    batch: Mapped[PaperBatch] = relationship(back_populates="numbers")
