"""Declarative base with a naming convention, so migrations name constraints predictably.

Also the column groups many tables share, declared once: mixins for rows that belong to a
round, and a factory for timestamps the database fills in on insert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Mixin columns go first in their table, where the migrations put them.
_FIRST = -1


class Base(DeclarativeBase):
    """Base for every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RoundScoped:
    """A row of one round, with its own id: deleted with the round, found by round (indexed)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=_FIRST)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), index=True, sort_order=_FIRST
    )


class RoundKeyed:
    """A row whose primary key is (or starts with) its round's id: deleted with the round."""

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True, sort_order=_FIRST
    )


class Removable:
    """A post kept once removed (by its organisation or the facilitator), but never shown."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


def inserted_at() -> MappedColumn[Any]:
    """Return a timestamp column the database sets to the time of insert."""
    return mapped_column(DateTime(timezone=True), server_default=func.now())
