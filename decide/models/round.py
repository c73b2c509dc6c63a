"""Rounds of participatory budgeting, their phases, panels and the projects on the ballot."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from decide.allocation.names import RULE_NAMES
from decide.models.area import Area, Theme
from decide.models.base import Base, inserted_at
from decide.models.phase import Phase, PhaseType

BALLOT_KINDS = {
    "approval": "Approval: choose the projects you support",
    "knapsack": "Budget: choose projects that fit within the budget",
    "cumulative": "Points: spread your points over projects",
    "ranked": "Ranked: put your favourite projects in order",
}
# The rules' names in words live with the rules (pure, so the verifier can use them too).
ALLOCATION_RULES = RULE_NAMES
# Settings that change what a ballot means. They lock once voting has opened.
BALLOT_MEANING_FIELDS = (
    "budget_pence",
    "ballot_kind",
    "min_choices",
    "max_choices",
    "min_budget_share_percent",
    "points_total",
    "max_points_per_project",
    "rank_depth",
    "allocation_rule",
    # Who must sign the results is fixed with the ballot: no raising and lowering k later.
    "signature_threshold",
)
# Also fixed when voting opens, though not a ballot setting of the round form.
LOCKED_AT_VOTING = (*BALLOT_MEANING_FIELDS, "threshold_reason")

round_area = Table(
    "round_area",
    Base.metadata,
    Column("round_id", ForeignKey("round.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)
round_theme = Table(
    "round_theme",
    Base.metadata,
    Column("round_id", ForeignKey("round.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class RoundLocked(Exception):
    """A setting that changes what a ballot means was changed after voting opened."""


class Round(Base):
    """One round of participatory budgeting."""

    __tablename__ = "round"
    __table_args__ = (
        CheckConstraint("budget_pence > 0", name="budget_positive"),
        CheckConstraint(
            "phase IN ('draft','proposals','deliberation','voting',"
            "'closed','published','delivery')",
            name="phase_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # BigInteger: large city budgets in pence (Warsaw, Łódź in pabulib) exceed 32 bits.
    budget_pence: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    phase: Mapped[Phase] = mapped_column(PhaseType(), default=Phase.DRAFT)

    # Ballot settings.
    ballot_kind: Mapped[str] = mapped_column(String(20), default="approval")
    min_choices: Mapped[int] = mapped_column(Integer, default=1)
    max_choices: Mapped[int | None] = mapped_column(Integer)
    min_budget_share_percent: Mapped[int] = mapped_column(Integer, default=0)
    points_total: Mapped[int | None] = mapped_column(Integer)
    max_points_per_project: Mapped[int | None] = mapped_column(Integer)
    rank_depth: Mapped[int | None] = mapped_column(Integer)
    allocation_rule: Mapped[str] = mapped_column(String(20), default="equal-shares")
    # At least two signers by default (issue 13); one needs a stated reason, printed on the PDF.
    signature_threshold: Mapped[int] = mapped_column(Integer, default=2)
    threshold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    # Timetable (dates shown to the public; phase changes are explicit actions).
    proposals_open: Mapped[dt.date | None] = mapped_column(Date)
    proposals_close: Mapped[dt.date | None] = mapped_column(Date)
    deliberation_close: Mapped[dt.date | None] = mapped_column(Date)
    voting_open: Mapped[dt.date | None] = mapped_column(Date)
    voting_close: Mapped[dt.date | None] = mapped_column(Date)
    results_date: Mapped[dt.date | None] = mapped_column(Date)

    voting_opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = inserted_at()

    areas: Mapped[list[Area]] = relationship(secondary=round_area, order_by=Area.name)
    themes: Mapped[list[Theme]] = relationship(secondary=round_theme, order_by=Theme.name)
    projects: Mapped[list[Project]] = relationship(
        back_populates="round", order_by="Project.position", cascade="all, delete-orphan"
    )
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    @validates("phase")
    def _as_phase(self, key: str, value: str | Phase) -> Phase:
        """Keep `phase` a Phase, also when set from a string (its stored value)."""
        return Phase(value)

    @property
    def phase_label(self) -> str:
        """Return the phase as shown to people."""
        return Phase(self.phase).label

    @property
    def ballot_locked(self) -> bool:
        """Return True once voting has opened: the ballot's meaning can no longer change."""
        return Phase(self.phase).voting_started

    @property
    def panel_fixed(self) -> bool:
        """Return True once voting opened here: the panel that signs can no longer change.

        A round imported from a pabulib file never opened voting here; its panel is named after
        the import, before anyone signs.
        """
        return self.ballot_locked and self.voting_opened_at is not None

    def has_panel_member(self, user_id: int) -> bool:
        """Return True when the user sits on this round's panel."""
        return any(p.user_id == user_id for p in self.panel)


class PanelMember(Base):
    """A user sitting on a round's deliberation panel."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role_title: Mapped[str] = mapped_column(String(120), default="Panel member")

    round: Mapped[Round] = relationship(back_populates="panel")
    user: Mapped[User] = relationship()


class Project(Base):
    """A proposal accepted onto a round's ballot, with the cost voters see."""

    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("round_id", "code"),
        UniqueConstraint("proposal_id"),
        CheckConstraint("cost_pence > 0", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    # The project id on ballots, in .pb files and in the manifest: stable and short, e.g. "P7".
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    cost_pence: Mapped[int] = mapped_column(BigInteger)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)

    round: Mapped[Round] = relationship(back_populates="projects")
    area: Mapped[Area | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


def _round_changes(session: Session, obj: Round) -> list[str]:
    """Return what changed on a round that was already locked before this flush."""
    state = inspect(obj)
    phase_hist = state.attrs.phase.history
    was_locked = (
        Phase(phase_hist.deleted[0]).voting_started if phase_hist.deleted else obj.ballot_locked
    )
    if not was_locked or obj in session.new:
        return []
    problems = [
        f"{name.replace('_', ' ')} cannot change after voting opened"
        for name in LOCKED_AT_VOTING
        if state.attrs[name].history.has_changes()
    ]
    if state.attrs.areas.history.has_changes():
        problems.append("the areas cannot change after voting opened")
    return problems


def _project_changes(session: Session, obj: Project) -> list[str]:
    """Return what changed on a project of a locked round."""
    rnd = obj.round
    if rnd is None or not rnd.ballot_locked or rnd in session.new or rnd in session.deleted:
        return []
    if obj in session.new or obj in session.deleted:
        return ["the project list cannot change after voting opened"]
    state = inspect(obj)
    return [
        f"project {name.replace('_', ' ')} cannot change after voting opened"
        for name in ("cost_pence", "code", "withdrawn")
        if state.attrs[name].history.has_changes()
    ]


def _eligibility_changes(session: Session, obj: RoundEligibility) -> list[str]:
    """Return what changed in who may vote (routes, minimum age): it locks with the ballot."""
    if obj in session.new:
        return []
    rnd = session.get(Round, obj.round_id)
    if rnd is None or not rnd.ballot_locked or rnd in session.new:
        return []
    state = inspect(obj)
    return [
        "who may vote cannot change after voting opened"
        for name in ("by_postcode", "by_roll", "by_code", "min_age")
        if state.attrs[name].history.has_changes()
    ]


def _ballot_meaning_changes(session: Session) -> list[str]:
    """Return a message for each ballot-meaning change to a locked round in this flush."""
    problems: list[str] = []
    for obj in list(session.dirty) + list(session.new) + list(session.deleted):
        if isinstance(obj, Round):
            problems += _round_changes(session, obj)
        elif isinstance(obj, Project):
            problems += _project_changes(session, obj)
        elif isinstance(obj, RoundEligibility):
            problems += _eligibility_changes(session, obj)
    return problems


@event.listens_for(Session, "before_flush")
def _refuse_locked_changes(session: Session, flush_context: object, instances: object) -> None:
    problems = _ballot_meaning_changes(session)
    if problems:
        raise RoundLocked(
            "This round's ballot is locked: " + "; ".join(sorted(set(problems))) + "."
        )


from decide.models.asset import Organisation  # noqa: E402
from decide.models.user import User  # noqa: E402
from decide.models.voting import RoundEligibility  # noqa: E402
