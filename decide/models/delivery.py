"""Delivery of funded projects: milestones, progress updates with photos, impact figures
against a round's outcome framework, consented stories, the round's retrospective, and
unfunded proposals carried into a later round.

Money paid is never stored here: it is read from the ledger (`LedgerPayment`), see
`decide.services.delivery.paid_by_project`. A milestone's tranche is what the ledger may pay
once the facilitator has confirmed the milestone completed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.base import Base, Removable, RoundKeyed, RoundScoped

MILESTONE_STATUSES = {
    "not-started": "Not started",
    "on-track": "On track",
    "delayed": "Delayed",
    "completed": "Completed",
}
MAX_PHOTOS_PER_UPDATE = 4
# How a measure's figures combine into one total (the facilitator chooses, in plain words).
# sum: counts reported per period; mean: scores or averages, whose sum means nothing;
# latest: running totals ("people reached so far"), where each project's newest figure per
# breakdown already includes its earlier ones.
AGGREGATIONS = {
    "sum": "Add the figures up (counts per period)",
    "mean": "Average of the figures (scores)",
    "latest": "Latest figure of each project (running totals)",
}


class ProjectPost:
    """What a member of the organisation delivering a project posts about it, and who wrote it."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True, sort_order=-1
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), sort_order=-1)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), sort_order=-1)


class Milestone(Base):
    """A step of a funded project, with its planned date and the payment tranche tied to it."""

    __tablename__ = "milestone"
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        CheckConstraint("tranche_pence >= 0", name="tranche_nonnegative"),
        CheckConstraint(
            "status IN ('not-started','on-track','delayed','completed')", name="status_known"
        ),
        CheckConstraint("confirmed_at IS NULL OR status = 'completed'", name="confirmed_completed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[dt.date] = mapped_column(Date)
    tranche_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="not-started")
    # Its status when it was last confirmed: what withdrawing the confirmation goes back to.
    status_before_confirmation: Mapped[str | None] = mapped_column(String(20))
    # The facilitator confirms a completed milestone; only then does its tranche count.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    project: Mapped[Project] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def status_label(self) -> str:
        """Return the status in words."""
        return MILESTONE_STATUSES.get(self.status, self.status)

    @property
    def confirmed(self) -> bool:
        """Return True once the facilitator has confirmed the milestone completed."""
        return self.confirmed_at is not None

    withdrawals: Mapped[list[MilestoneWithdrawal]] = relationship(
        order_by="MilestoneWithdrawal.withdrawn_at", back_populates="milestone"
    )


class MilestoneWithdrawal(Base):
    """A confirmation the facilitator took back (made by mistake), with who, when and why.

    Kept for the milestone's public history; the milestone itself is then unconfirmed.
    """

    __tablename__ = "milestone_withdrawal"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    # The confirmation withdrawn: who made it and when.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)

    milestone: Mapped[Milestone] = relationship(back_populates="withdrawals")
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    withdrawn_by: Mapped[User] = relationship(foreign_keys=[withdrawn_by_id])


class Photo(Removable, Base):
    """A re-encoded image (no EXIF, no GPS) with its alt text; the bytes live in the database."""

    __tablename__ = "photo"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint("alt_text <> ''", name="alt_text_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_update.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ProgressUpdate(ProjectPost, Removable, Base):
    """A progress report posted by a member of the organisation delivering the project."""

    __tablename__ = "progress_update"

    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User] = relationship(foreign_keys="ProgressUpdate.author_id")
    milestone: Mapped[Milestone | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        order_by=Photo.position, cascade="all, delete-orphan"
    )

    @property
    def shown_photos(self) -> list[Photo]:
        """Return the photos not removed."""
        return [p for p in self.photos if p.removed_at is None]


class OutcomeMeasure(RoundScoped, Base):
    """One measure of a round's outcome framework, such as people reached or sessions held."""

    __tablename__ = "outcome_measure"
    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        CheckConstraint("aggregation IN ('sum','mean','latest')", name="aggregation_known"),
    )

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300), default="")
    # A change score (wellbeing after minus before) may be negative; a count may not.
    may_be_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    by_area: Mapped[bool] = mapped_column(Boolean, default=False)
    by_decile: Mapped[bool] = mapped_column(Boolean, default=False)
    # A count (people, sessions): only whole numbers are accepted.
    whole_numbers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How its figures combine into a total: one of AGGREGATIONS.
    aggregation: Mapped[str] = mapped_column(String(10), default="sum", server_default="sum")

    @property
    def aggregation_label(self) -> str:
        """Return how the figures combine, in words."""
        return AGGREGATIONS.get(self.aggregation, self.aggregation)


def exact_value(text: str) -> Fraction:
    """Return a stored figure ("12", "-3.25") as an exact fraction, or raise ValueError."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return Fraction(number)


class ImpactFigure(Base):
    """A figure an organisation reports against a measure, at a milestone.

    The value is an exact decimal written as text ("12", "3.5"), never a float.
    """

    __tablename__ = "impact_figure"
    __table_args__ = (
        CheckConstraint("decile IS NULL OR (decile BETWEEN 1 AND 10)", name="decile_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_measure.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    value: Mapped[str] = mapped_column(String(40))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    decile: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Withdrawn by the organisation (a mistaken figure): kept, but out of every total.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    measure: Mapped[OutcomeMeasure] = relationship()
    project: Mapped[Project] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    area: Mapped[Area | None] = relationship()

    @property
    def exact(self) -> Fraction:
        """Return the value as an exact fraction."""
        return exact_value(self.value)


class Story(ProjectPost, Base):
    """A short account of what changed for someone, shown only while their consent stands."""

    __tablename__ = "story"

    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id", ondelete="SET NULL"))
    # The consent of the person in the story: who gave it, when, where it may be shown (the
    # project page, required to publish at all; the open data under CC BY 4.0), and an
    # optional note in their words.
    consent_by: Mapped[str] = mapped_column(String(120))
    consent_on: Mapped[dt.date] = mapped_column(Date)
    consent_use: Mapped[str] = mapped_column(String(300), default="")
    consent_page: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_open_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    project: Mapped[Project] = relationship()
    photo: Mapped[Photo | None] = relationship()

    @property
    def shown(self) -> bool:
        """Return True while consent to show it on the project page stands."""
        return self.consent_page and self.withdrawn_at is None

    @property
    def open_data(self) -> bool:
        """Return True while it may be in the open data (consent to that, not withdrawn)."""
        return self.shown and self.consent_open_data


class Retrospective(RoundKeyed, Base):
    """How a round's cycle went, written by the facilitator and the panel."""

    __tablename__ = "retrospective"

    what_worked: Mapped[str] = mapped_column(Text)
    what_did_not: Mapped[str] = mapped_column(Text)
    changes_next_round: Mapped[str] = mapped_column(Text)
    # The names of those who wrote it (facilitator and panel members), as published.
    authors: Mapped[str] = mapped_column(String(500))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CarryOver(Base):
    """An unfunded proposal carried into a later round, with its proposer's consent."""

    __tablename__ = "carry_over"
    __table_args__ = (UniqueConstraint("proposal_id", "to_round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    to_round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    # The copy in the new round, made when the proposer consents.
    new_proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL")
    )
    consent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


from decide.models.area import Area  # noqa: E402
from decide.models.asset import Organisation  # noqa: E402
from decide.models.round import Project  # noqa: E402
from decide.models.user import User  # noqa: E402
