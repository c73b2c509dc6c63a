"""The round's scoring rubric, members' scores, and the summaries shown once a session closes.

A member's score of a proposal is the weighted mean of their criterion scores (0 to 5):
sum(weight × score) / sum(weight), an exact fraction. After the session closes, each proposal
shows the median of its members' scores, the spread (highest minus lowest) and the outliers:
members more than 1.5 points from the median. Before then nobody, not even the facilitator,
sees another member's scores (no anchoring).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballots.pabulib import format_decimal
from decide.models import PanelSession, Proposal, Round, RubricCriterion, Score, User
from decide.services.deliberation.sessions import (
    SESSION_PHASES,
    conflicted_pairs,
    conflicted_proposal_ids,
    member_labels,
)
from decide.services.errors import DomainError, InvalidInput, NotAllowed
from decide.services.rows import of_round

SCORE_MAX = 5
OUTLIER_DISTANCE = Fraction(3, 2)
# The example rubric, equally weighted unless the facilitator changes it.
DEFAULT_RUBRIC = (
    ("Health impact", "How much the project would improve people's health"),
    ("Reach into the most deprived areas", "Whether it reaches the areas that need it most"),
    ("Feasibility", "Whether it can be delivered as planned"),
    ("Value for money", "What it achieves for what it costs"),
    ("Community-led", "Whether local people lead and run it"),
)


@dataclass(frozen=True)
class CriterionPlan:
    """One criterion as the facilitator sets it."""

    name: str
    weight: int
    description: str = ""


@dataclass(frozen=True)
class ScoreSummary:
    """The scores of one proposal in a closed session."""

    proposal: Proposal
    count: int
    median: Fraction | None
    spread: Fraction | None
    outliers: tuple[tuple[str, Fraction], ...]

    def words(self) -> str:
        """Return the summary as a sentence."""
        if self.median is None or self.spread is None:
            return "No scores."
        text = (
            f"Median {shown(self.median)} of {SCORE_MAX} from {self.count} "
            f"member{'s' if self.count != 1 else ''}; spread {shown(self.spread)}"
        )
        if self.outliers:
            text += "; outliers: " + ", ".join(f"{n} ({shown(s)})" for n, s in self.outliers)
        return text + "."


def shown(value: Fraction) -> str:
    """Return a score as people read it: exact when short, else to two decimal places."""
    exact = format_decimal(value)
    if "/" not in exact and len(exact.partition(".")[2]) <= 2:
        return exact
    return f"{float(value):.2f}"


def rubric_of(session: Session, rnd: Round) -> list[RubricCriterion]:
    """Return the round's criteria, in order."""
    return of_round(session, RubricCriterion, rnd.id, RubricCriterion.position, RubricCriterion.id)


def default_rubric() -> list[CriterionPlan]:
    """Return the suggested rubric: the issue's five criteria, equally weighted."""
    return [CriterionPlan(name, 1, description) for name, description in DEFAULT_RUBRIC]


def _any_scores(session: Session, rnd: Round) -> bool:
    return (
        session.scalar(
            select(Score.id)
            .join(PanelSession, Score.session_id == PanelSession.id)
            .where(PanelSession.round_id == rnd.id)
            .limit(1)
        )
        is not None
    )


def _rubric_problems(criteria: Sequence[CriterionPlan]) -> dict[str, str]:
    """Say what is wrong with each row, by the rubric form's field names (``criteria-N-name``)."""
    if not any(c.name.strip() for c in criteria):
        return {"criteria-0-name": "Give the rubric at least one criterion"}
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for index, c in enumerate(criteria):
        name = c.name.strip().casefold()
        if not name:
            continue
        if name in seen:
            problems[f"criteria-{index}-name"] = "Give each criterion a different name"
        if not 1 <= c.weight <= 100:
            problems[f"criteria-{index}-weight"] = "Give each criterion a weight from 1 to 100"
        seen.add(name)
    return problems


def set_rubric(session: Session, rnd: Round, criteria: Sequence[CriterionPlan]) -> None:
    """Replace the round's rubric; refused once any member has scored."""
    named = [c for c in criteria if c.name.strip()]
    problems = _rubric_problems(criteria)
    if problems:
        raise InvalidInput(problems)
    fixed = why_rubric_fixed(session, rnd)
    if fixed is not None:
        raise DomainError(fixed)
    session.execute(delete(RubricCriterion).where(RubricCriterion.round_id == rnd.id))
    for position, c in enumerate(named, start=1):
        session.add(
            RubricCriterion(
                round_id=rnd.id,
                position=position,
                name=c.name.strip(),
                weight=c.weight,
                description=c.description.strip(),
            )
        )
    session.commit()


def why_rubric_fixed(session: Session, rnd: Round) -> str | None:
    """Say why the rubric cannot change now, or None while it can."""
    if _any_scores(session, rnd):
        return "Members have started scoring: the rubric can no longer change."
    if rnd.phase not in SESSION_PHASES:
        return (
            "The rubric is set while the round takes proposals or is in deliberation; "
            f"this round is in its “{rnd.phase_label}” phase."
        )
    return None


def rubric_locked(session: Session, rnd: Round) -> bool:
    """Return True once any member has scored: the rubric can no longer change."""
    return _any_scores(session, rnd)


def why_no_scoring(
    session: Session, panel_session: PanelSession, member: User, proposal: Proposal
) -> str | None:
    """Say in plain words why the member cannot score this proposal now, or None if they can."""
    if panel_session.is_closed:
        return (
            "This session is closed, so its scores are fixed: they are shown on the session page."
        )
    if not _on_agenda(panel_session, proposal.id):
        return "This proposal is not on the session's agenda, so it is not scored here."
    if proposal.id in conflicted_proposal_ids(session, panel_session.round, member):
        return "You declared a conflict of interest with this proposal, so you do not score it."
    if not rubric_of(session, panel_session.round):
        return "The facilitator has not set the scoring rubric yet. Come back once it is set."
    return None


def _on_agenda(panel_session: PanelSession, proposal_id: int) -> bool:
    return any(item.proposal_id == proposal_id for item in panel_session.items)


def record_scores(
    session: Session,
    panel_session: PanelSession,
    member: User,
    proposal: Proposal,
    values: Mapping[int, int],
) -> None:
    """Record (or replace) a member's own scores of a proposal on the session's agenda."""
    rnd = panel_session.round
    if not rnd.has_panel_member(member.id):
        raise NotAllowed("Only members of this round's panel score proposals.")
    if panel_session.is_closed:
        raise DomainError("This session is closed: its scores can no longer change.")
    if not _on_agenda(panel_session, proposal.id):
        raise DomainError("This proposal is not on the session's agenda.")
    if proposal.id in conflicted_proposal_ids(session, rnd, member):
        raise NotAllowed(
            "You declared a conflict of interest with this proposal: you do not score it."
        )
    criteria = rubric_of(session, rnd)
    if not criteria:
        raise DomainError("The facilitator has not set the scoring rubric yet.")
    problems = {
        f"criterion_{c.id}": f"Score {c.name} from 0 to {SCORE_MAX}"
        for c in criteria
        if not isinstance(values.get(c.id), int) or not 0 <= values[c.id] <= SCORE_MAX
    }
    if problems:
        raise InvalidInput(problems)
    existing = {
        s.criterion_id: s
        for s in session.scalars(
            select(Score).where(
                Score.session_id == panel_session.id,
                Score.proposal_id == proposal.id,
                Score.user_id == member.id,
            )
        )
    }
    for c in criteria:
        row = existing.get(c.id) or Score(
            session_id=panel_session.id,
            proposal_id=proposal.id,
            user_id=member.id,
            criterion_id=c.id,
        )
        row.value = values[c.id]
        session.add(row)
    session.commit()


def own_scores(
    session: Session, panel_session: PanelSession, member: User
) -> dict[int, dict[int, int]]:
    """Return the member's own scores in the session: proposal id -> criterion id -> value."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for s in session.scalars(
        select(Score).where(Score.session_id == panel_session.id, Score.user_id == member.id)
    ):
        out[s.proposal_id][s.criterion_id] = s.value
    return dict(out)


def scored_counts(session: Session, panel_session: PanelSession) -> dict[int, int]:
    """Return how many members have scored each proposal (no values: safe before closing)."""
    members: dict[int, set[int]] = defaultdict(set)
    conflicted = conflicted_pairs(session, panel_session.round)
    for proposal_id, user_id in session.execute(
        select(Score.proposal_id, Score.user_id).where(Score.session_id == panel_session.id)
    ):
        if (user_id, proposal_id) not in conflicted:
            members[proposal_id].add(user_id)
    return {k: len(v) for k, v in members.items()}


def member_scores(session: Session, panel_session: PanelSession) -> dict[int, dict[str, Fraction]]:
    """Return each member's weighted score per proposal, only once the session is closed."""
    if not panel_session.is_closed:
        raise NotAllowed("Scores stay hidden until the session closes.")
    weights = {c.id: c.weight for c in rubric_of(session, panel_session.round)}
    total = sum(weights.values())
    conflicted = conflicted_pairs(session, panel_session.round)
    by_user: dict[int, dict[int, Fraction]] = defaultdict(dict)
    for proposal_id, user_id, criterion_id, value in session.execute(
        select(Score.proposal_id, Score.user_id, Score.criterion_id, Score.value).where(
            Score.session_id == panel_session.id
        )
    ):
        if (user_id, proposal_id) in conflicted:
            continue  # a conflict declared after scoring: the score no longer counts
        by_user[proposal_id][user_id] = by_user[proposal_id].get(user_id, Fraction(0)) + Fraction(
            weights.get(criterion_id, 0) * value, total
        )
    # Grouped by account, then named: the minutes and the page name members (telling apart
    # two with the same name), never their account ids.
    labels = member_labels(
        session, panel_session.round, {u for scores in by_user.values() for u in scores}
    )
    sums = {
        proposal_id: {labels[u]: v for u, v in sorted(scores.items(), key=lambda i: labels[i[0]])}
        for proposal_id, scores in by_user.items()
    }
    return dict(sums)


def summaries(session: Session, panel_session: PanelSession) -> list[ScoreSummary]:
    """Return the median, spread and outliers of each agenda proposal of a closed session."""
    by_proposal = member_scores(session, panel_session)
    out = []
    for item in panel_session.items:
        if item.proposal is None:
            continue
        scores = by_proposal.get(item.proposal.id, {})
        values = sorted(scores.values())
        if not values:
            out.append(ScoreSummary(item.proposal, 0, None, None, ()))
            continue
        median = Fraction(statistics.median(values))
        outliers = tuple(
            (name, s) for name, s in sorted(scores.items()) if abs(s - median) > OUTLIER_DISTANCE
        )
        out.append(
            ScoreSummary(item.proposal, len(values), median, values[-1] - values[0], outliers)
        )
    return out
