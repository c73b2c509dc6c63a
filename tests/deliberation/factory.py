"""Deliberation rows for tests: a round in deliberation with a panel of three, feasible
proposals, the default rubric and a session on them. Built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from decide.models import PanelMember, PanelSession, Proposal, Round, User
from decide.services.deliberation import scoring, sessions
from tests.web.world import World, make_proposal, make_user

# In the past: a session can be closed only once it has started.
STARTS = dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC)


@dataclass
class Deliberation:
    """A round under deliberation, its panel (pat, quinn, rae) and a session on 3 proposals."""

    round: Round
    panel: dict[str, User]
    proposals: list[Proposal]
    session: PanelSession


def deliberation(db: Session, world: World, title: str = "Deliberating round") -> Deliberation:
    """Build a round in deliberation with a panel of three and an open session."""
    from tests.web.world import make_round

    rnd = make_round(db, title, "deliberation")
    rnd.areas = world.areas
    panel = {
        "pat": world.users["panel_member"],
        "quinn": make_user(db, f"quinn-{rnd.id}@test.example", "Quinn Panel"),
        "rae": make_user(db, f"rae-{rnd.id}@test.example", "Rae Panel"),
    }
    for user in panel.values():
        db.add(PanelMember(round=rnd, user=user))
    proposals = [
        make_proposal(
            db,
            rnd,
            world.users["asset_member"],
            title,
            organisation=world.organisation,
            feasibility="feasible",
        )
        for title in ("Cooking club", "Green gym", "Walking group")
    ]
    db.commit()
    scoring.set_rubric(db, rnd, scoring.default_rubric())
    session = sessions.record_session(
        db,
        rnd,
        sessions.SessionPlan(
            title="First session",
            starts_at=STARTS,
            place="Riverside Hub",
            proposal_ids=[p.id for p in proposals],
            topics=["Welcome"],
        ),
    )
    # Everyone is recorded present at the start; attend_and_close records it again.
    sessions.record_attendance(db, session, [u.id for u in panel.values()])
    return Deliberation(rnd, panel, proposals, session)


def score_all(db: Session, d: Deliberation, member: User, proposal: Proposal, value: int) -> None:
    """Score a proposal with `value` on every criterion."""
    criteria = scoring.rubric_of(db, d.round)
    scoring.record_scores(db, d.session, member, proposal, {c.id: value for c in criteria})


def attend(db: Session, d: Deliberation, *names: str) -> None:
    """Record `names` as present (everyone when none given), leaving the session open."""
    sessions.record_attendance(db, d.session, [d.panel[n].id for n in (names or d.panel)])


def attend_and_close(db: Session, d: Deliberation, *names: str) -> None:
    """Record `names` as present (everyone when none given) and close the session."""
    present = [d.panel[n].id for n in (names or d.panel)]
    sessions.record_attendance(db, d.session, present)
    sessions.close_session(db, d.session)
