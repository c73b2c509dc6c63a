"""Proposals with cost lines, every version kept, and the facilitator's review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.area import Area, Theme
from decide.models.base import Base, inserted_at

FEASIBILITY = {"pending": "Review pending", "feasible": "Feasible", "infeasible": "Not feasible"}

proposal_theme = Table(
    "proposal_theme",
    Base.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(Base):
    """A proposal to a round, by a citizen or on behalf of an organisation."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(
            "feasibility IN ('pending','feasible','infeasible')", name="feasibility_known"
        ),
        CheckConstraint(
            "adjusted_cost_pence IS NULL OR adjusted_cost_pence > 0", name="adjusted_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Who is paid if the project is funded, chosen by the facilitator when accepting it onto
    # the ballot. Empty means the proposing organisation; a resident's proposal needs one.
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    description_md: Mapped[str] = mapped_column(Text, default="")
    expected_outcomes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The author withdrew it: kept (with its versions) but no longer considered.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)

    feasibility: Mapped[str] = mapped_column(String(20), default="pending")
    feasibility_reason: Mapped[str] = mapped_column(Text, default="")
    adjusted_cost_pence: Mapped[int | None] = mapped_column(Integer)
    cost_adjustment_reason: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[dt.datetime] = inserted_at()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    round: Mapped[Round] = relationship()
    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    payee: Mapped[Organisation | None] = relationship(foreign_keys=[payee_id])
    area: Mapped[Area | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=proposal_theme, order_by=Theme.name)
    cost_lines: Mapped[list[CostLine]] = relationship(
        back_populates="proposal", order_by="CostLine.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number", cascade="all, delete-orphan"
    )
    project: Mapped[Project | None] = relationship(uselist=False, viewonly=True)

    @property
    def total_pence(self) -> int:
        """Return the sum of the cost lines."""
        return sum(line.amount_pence for line in self.cost_lines)

    @property
    def payee_organisation(self) -> Organisation | None:
        """Return who is paid if funded: the chosen payee, else the proposing organisation."""
        return self.payee if self.payee is not None else self.organisation

    @property
    def needs_payee(self) -> bool:
        """Return True for a resident's proposal for which nobody has been chosen to be paid."""
        return self.payee_organisation is None

    @property
    def ballot_cost_pence(self) -> int:
        """Return the cost voters would see: the adjusted cost when there is one."""
        return (
            self.adjusted_cost_pence if self.adjusted_cost_pence is not None else self.total_pence
        )

    def snapshot(self) -> dict[str, Any]:
        """Return the proposal's content as plain values, for a version record."""
        return {
            "title": self.title,
            "summary": self.summary,
            "description_md": self.description_md,
            "expected_outcomes": self.expected_outcomes,
            "area_id": self.area_id,
            "organisation_id": self.organisation_id,
            "theme_ids": sorted(t.id for t in self.themes),
            "cost_lines": [
                {"item": line.item, "amount_pence": line.amount_pence} for line in self.cost_lines
            ],
        }


class CostLine(Base):
    """One line of a proposal's costs, in pence."""

    __tablename__ = "cost_line"
    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(Integer)

    proposal: Mapped[Proposal] = relationship(back_populates="cost_lines")


class ProposalVersion(Base):
    """A saved version of a proposal; every edit adds one and none is ever changed."""

    __tablename__ = "proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    edited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = inserted_at()

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    edited_by: Mapped[User] = relationship()


from decide.models.asset import Organisation  # noqa: E402
from decide.models.round import Project, Round  # noqa: E402
from decide.models.user import User  # noqa: E402
