"""The learning dashboard's version counter: one row, bumped by every change the figures read.

The dashboard's facts and the open-data files are kept per process and rebuilt only when this
counter moves (decide.services.learning_cache), so a page view costs one primary-key read. An
`after_flush` hook bumps it, in the same transaction, whenever a flush adds, changes or deletes
a row the figures read: rounds, areas, organisations, proposals and their versions, projects,
manifests, ledger payments, and the delivery records. Writes that bypass the ORM (bulk inserts
of seeders, migrations) must call `bump` themselves.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import BigInteger, Connection, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from decide.models.area import Area
from decide.models.asset import Organisation
from decide.models.base import Base
from decide.models.delivery import ImpactFigure, Milestone, OutcomeMeasure, ProgressUpdate, Story
from decide.models.proposal import Proposal, ProposalVersion
from decide.models.publication import LedgerPayment, RoundManifest
from decide.models.round import Project, Round

__all__ = ["WATCHED", "LearningVersion", "bump"]

WATCHED: tuple[type[Base], ...] = (
    Area, Organisation, Round, Project, Proposal, ProposalVersion, RoundManifest, LedgerPayment,
    Milestone, ImpactFigure, OutcomeMeasure, ProgressUpdate, Story,
)  # fmt: skip

# The same statement on SQLite (3.24+) and PostgreSQL: create the row, or add one to it.
_BUMP = text(
    "INSERT INTO learning_version (id, counter) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET counter = learning_version.counter + 1"
)


class LearningVersion(Base):
    """How many changes the dashboard's figures have seen (a single row, id 1)."""

    __tablename__ = "learning_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)


def bump(connection: Connection) -> None:
    """Move the counter on (inside the caller's transaction)."""
    connection.execute(_BUMP)


def _touches_figures(session: Session) -> bool:
    changed = chain(
        session.new,
        session.deleted,
        (o for o in session.dirty if session.is_modified(o, include_collections=False)),
    )
    return any(isinstance(o, WATCHED) for o in changed)


@event.listens_for(Session, "after_flush")
def _bump_on_change(session: Session, flush_context: Any) -> None:
    if _touches_figures(session):
        bump(session.connection())
