"""The panel's deliberation: sessions and their agendas, documents, attendance, conflicts of
interest, arguments, rubric scores, shortlist decisions with their ranked ballots, and minutes.

Approved minutes never change: a flush that alters or deletes approved minutes (or their
approvals) is refused with `MinutesLocked`, whatever code attempts it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from decide.models.base import Base, RoundScoped, inserted_at

ARGUMENT_SIDES = {"for": "For", "against": "Against"}
DECISION_METHODS = {
    "ranked": "Ranked vote of the panel (single transferable vote; instant runoff for one place)",
    "threshold": "Score threshold adopted by the panel",
}


class MinutesLocked(Exception):
    """Approved minutes (or their approvals) were changed or deleted."""


class PanelSession(RoundScoped, Base):
    """A scheduled meeting of a round's panel."""

    __tablename__ = "panel_session"

    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    # When the facilitator closed the session: scores are shown from then on, never before.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[Round] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[SessionDocument]] = relationship(
        back_populates="session", order_by="SessionDocument.id", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )

    @property
    def is_closed(self) -> bool:
        """Return True once the facilitator has closed the session."""
        return self.closed_at is not None


class AgendaItem(Base):
    """One item of a session's agenda: a proposal under deliberation, or a topic."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("session_id", "proposal_id"),
        CheckConstraint("proposal_id IS NOT NULL OR topic <> ''", name="proposal_or_topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(300), default="")

    session: Mapped[PanelSession] = relationship(back_populates="items")
    proposal: Mapped[Proposal | None] = relationship()

    @property
    def label(self) -> str:
        """Return what the item is about."""
        return self.proposal.title if self.proposal is not None else self.topic


class SessionDocument(Base):
    """A document for a session: a link, or an uploaded file kept in the database."""

    __tablename__ = "session_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    session: Mapped[PanelSession] = relationship(back_populates="documents")


class Attendance(Base):
    """Whether a panel member attended a session."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)

    session: Mapped[PanelSession] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship()


class ConflictOfInterest(RoundScoped, Base):
    """A panel member's declared conflict with one proposal of the round."""

    __tablename__ = "conflict_of_interest"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300))
    declared_at: Mapped[dt.datetime] = inserted_at()

    proposal: Mapped[Proposal] = relationship()
    user: Mapped[User] = relationship()


class Argument(Base):
    """A short argument for or against a proposal; a reply answers a top-level argument."""

    __tablename__ = "argument"
    __table_args__ = (CheckConstraint("side IN ('for','against')", name="side_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("argument.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(String(600))
    by_panel_member: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = inserted_at()
    # Hidden by a moderator, with the reason everyone sees in its place.
    hidden_reason: Mapped[str | None] = mapped_column(String(300))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    replies: Mapped[list[Argument]] = relationship(order_by="Argument.id")
    reports: Mapped[list[ArgumentReport]] = relationship(cascade="all, delete-orphan")

    @property
    def is_hidden(self) -> bool:
        """Return True when a moderator hid the argument."""
        return self.hidden_reason is not None


class ArgumentReport(Base):
    """One person's report of an argument to the moderators."""

    __tablename__ = "argument_report"
    __table_args__ = (UniqueConstraint("argument_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    argument_id: Mapped[int] = mapped_column(ForeignKey("argument.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300), default="")


class RubricCriterion(RoundScoped, Base):
    """One criterion of a round's scoring rubric, with its whole-number weight."""

    __tablename__ = "rubric_criterion"
    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        CheckConstraint("weight >= 1 AND weight <= 100", name="weight_range"),
    )

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)


class Score(Base):
    """A panel member's score (0 to 5) of one proposal on one criterion, in one session."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("session_id", "proposal_id", "user_id", "criterion_id"),
        CheckConstraint("value >= 0 AND value <= 5", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criterion.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)


class ShortlistDecision(Base):
    """The panel's shortlist decision in a session: a ranked vote, or an adopted threshold."""

    __tablename__ = "shortlist_decision"
    __table_args__ = (
        UniqueConstraint("session_id"),
        CheckConstraint("method IN ('ranked','threshold')", name="method_known"),
        CheckConstraint("places >= 1", name="places_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))
    places: Mapped[int] = mapped_column(Integer, default=1)
    # A threshold's weighted median score, as an exact decimal string ("3.5").
    threshold: Mapped[str] = mapped_column(String(20), default="")
    candidate_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Filled when counted: the shortlisted proposal ids, and the count's transcript.
    shortlist_ids: Mapped[list[int] | None] = mapped_column(JSON)
    transcript: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    session: Mapped[PanelSession] = relationship()
    ballots: Mapped[list[PanelBallot]] = relationship(cascade="all, delete-orphan")
    reasons: Mapped[list[ShortlistReason]] = relationship(
        back_populates="decision", cascade="all, delete-orphan"
    )


class PanelBallot(Base):
    """A panel member's ranking of the candidates of a shortlist vote (proposal ids, in order)."""

    __tablename__ = "panel_ballot"
    __table_args__ = (UniqueConstraint("decision_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("shortlist_decision.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    ranking: Mapped[list[int]] = mapped_column(JSON)


class ShortlistReason(Base):
    """Why a proposal was not shortlisted, shown to its proposer and the public."""

    __tablename__ = "shortlist_reason"
    __table_args__ = (UniqueConstraint("decision_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("shortlist_decision.id", ondelete="CASCADE")
    )
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)

    decision: Mapped[ShortlistDecision] = relationship(back_populates="reasons")
    proposal: Mapped[Proposal] = relationship()


class Minutes(Base):
    """The minutes of a session: a canonical JSON document, approved by the panel.

    `sequence` and `head` are set when the last approval arrives: the minutes then join the
    round's chain (audits.minutes) and never change again.
    """

    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("session_id"), UniqueConstraint("round_id", "sequence"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("panel_session.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int | None] = mapped_column(Integer)
    head: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    session: Mapped[PanelSession] = relationship()
    approvals: Mapped[list[MinutesApproval]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan"
    )

    @property
    def is_approved(self) -> bool:
        """Return True once every panel member present has approved the minutes."""
        return self.approved_at is not None


class MinutesApproval(Base):
    """A panel member's approval of a session's minutes."""

    __tablename__ = "minutes_approval"
    __table_args__ = (UniqueConstraint("minutes_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    approved_at: Mapped[dt.datetime] = inserted_at()

    minutes: Mapped[Minutes] = relationship(back_populates="approvals")
    user: Mapped[User] = relationship()


def _was_approved(obj: Minutes) -> bool:
    history = inspect(obj).attrs.approved_at.history
    if history.deleted:
        return history.deleted[0] is not None
    return obj.approved_at is not None and not history.added


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_approved_minutes(session: Session, context: object, objs: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Minutes) and _was_approved(obj):
            if obj in session.deleted or session.is_modified(obj, include_collections=False):
                raise MinutesLocked("Approved minutes cannot be changed.")
        elif isinstance(obj, MinutesApproval) and obj in session.deleted:
            minutes = obj.minutes
            if minutes is not None and minutes.approved_at is not None:
                raise MinutesLocked("Approvals of approved minutes cannot be withdrawn.")


from decide.models.proposal import Proposal  # noqa: E402
from decide.models.round import Round  # noqa: E402
from decide.models.user import User  # noqa: E402
