"""Demo: a round whose panel deliberated in two sessions and put its shortlist on the ballot.

Healthy Canal Side 2027 is under deliberation. Its panel of five, drawn by lot from 150
volunteers (decide.demo.sortition), met twice: first to weigh and
score the six proposals (one member declared a conflict of interest; residents and members
argued for and against, and a moderator hid one advert), then to decide a shortlist of three
by single transferable vote. The panel approved both sets of minutes, and the shortlist is the
round's ballot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from decide.demo.catalogue import FACILITATOR_EMAIL, PANEL_EMAIL
from decide.demo.foundation import add_demo_proposal, demo_round, demo_user
from decide.demo.sortition import seed_sortition
from decide.models import (
    Area,
    CostLine,
    Organisation,
    PanelMember,
    PanelSession,
    Proposal,
    Round,
    User,
)
from decide.services.deliberation import arguments, minutes, scoring, sessions, shortlist

DELIBERATION_ROUND_SLUG = "healthy-canal-side-2027"
PANEL = (
    (PANEL_EMAIL, "Tom Okafor", "Resident panel member"),
    ("grace.panel@example.org", "Grace Mensah", "Community asset seat"),
    ("dev.panel@example.org", "Dev Patel", "Statutory services seat"),
    ("hannah.panel@example.org", "Hannah Kowalski", "Researcher seat"),
    ("jamal.panel@example.org", "Jamal Reid", "Resident panel member"),
)
# Each member's seat: the partner type they were drawn for.
SEATS = (
    (PANEL_EMAIL, "resident"),
    ("grace.panel@example.org", "community-asset"),
    ("dev.panel@example.org", "statutory-service"),
    ("hannah.panel@example.org", "researcher"),
    ("jamal.panel@example.org", "resident"),
)
# (organisation slug, title, summary, cost lines in pence)
PROPOSALS = (
    ("canal-side-tenants-association", "Stairwell gardens", "Planters and seats in four "
     "tower-block stairwells, looked after by tenants.", (("Planters and seating", 640_000),)),
    ("green-plate-kitchen", "Cook and eat evenings", "Weekly cooking sessions for families on "
     "low incomes, with a shared meal.", (("Sessions for a year", 1_180_000),)),
    ("moorfield-harriers", "Couch to 5k by the canal", "Free coached running groups twice a "
     "week along the towpath.", (("Coaches and kit", 520_000),)),
    ("old-market-wellbeing-hub", "Warm space mornings", "A warm, staffed space with hot drinks "
     "and advice, three winter mornings a week.", (("Staff and heating", 910_000),)),
    ("al-noor-womens-group", "Swimming for women", "Women-only swimming sessions with a female "
     "instructor and childcare.", (("Pool hire, instructor, creche", 760_000),)),
    ("riverside-community-food-bank", "Benefits check clinic", "A fortnightly clinic that "
     "checks families get every benefit they are owed.", (("Adviser time", 480_000),)),
)  # fmt: skip
OUTCOMES = (
    "How many people take part, and a short wellbeing questionnaire at the start and the end."
)
# Each member's ranking in the shortlist vote, by proposal number (1-based), best first.
RANKINGS = {
    PANEL_EMAIL: (2, 4, 6),
    "hannah.panel@example.org": (2, 4, 5),
    "grace.panel@example.org": (4, 2, 3),  # a conflict with 6: she leaves it unranked
    "dev.panel@example.org": (6, 1, 2),
    "jamal.panel@example.org": (5, 6, 1),
}
# Each member's score of each proposal (the same on every criterion, for brevity).
SCORES = {
    PANEL_EMAIL: (3, 5, 3, 4, 3, 4),
    "grace.panel@example.org": (3, 4, 3, 5, 3, None),
    "dev.panel@example.org": (2, 4, 2, 4, 3, 5),
    "hannah.panel@example.org": (3, 5, 2, 3, 4, 4),
    "jamal.panel@example.org": (4, 3, 3, 4, 5, 1),
}


def seed_deliberation(session: Session) -> None:
    """Seed the deliberating round, its sessions, scores, vote, minutes and ballot."""
    if session.scalar(select(Round.id).where(Round.slug == DELIBERATION_ROUND_SLUG)):
        return
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    assert facilitator is not None, "seed_foundation runs first"
    rnd, panel, proposals = deliberating_round(session)
    # The panel was drawn by lot from 150 volunteers; its members are those drawn.
    seed_sortition(
        session, rnd, {f"{kind}-{n}": panel[email] for n, (email, kind) in enumerate(SEATS)}
    )
    members = [panel[email] for email, _, _ in PANEL]
    scoring.set_rubric(session, rnd, scoring.default_rubric())
    today = dt.datetime.now(dt.UTC).replace(hour=18, minute=30, second=0, microsecond=0)
    first = _first_session(session, rnd, panel, proposals, facilitator, today)
    _minutes(session, first, members)
    second = _plan_session(
        session, rnd, proposals, "Shortlist session", today - dt.timedelta(days=3),
        online_link="https://meet.example.org/canal-side-panel",
    )  # fmt: skip
    sessions.record_attendance(session, second, [m.id for m in members])
    decision = shortlist.open_ranked_vote(session, second, 3)
    for email, ranking in RANKINGS.items():
        shortlist.cast_ranking(
            session, decision, panel[email], [proposals[n - 1].id for n in ranking]
        )
    shortlist.count_vote(session, decision)
    sessions.close_session(session, second)
    _minutes(session, second, members)
    shortlist.apply_to_ballot(session, decision, facilitator)


def deliberating_round(session: Session) -> tuple[Round, dict[str, User], list[Proposal]]:
    """Add the round in deliberation with its panel of five and six feasible proposals."""
    canal = session.scalar(select(Area).where(Area.slug == "canal-side"))
    today = dt.date.today()
    rnd = demo_round(
        today,
        (-42, -14, 7, 14, 28, 35),
        slug=DELIBERATION_ROUND_SLUG,
        title="Healthy Canal Side 2027",
        description=(
            "£40,000 for projects in Canal Side. A panel of five (residents, a community asset, "
            "statutory services and a researcher) weighs the proposals in public sessions and "
            "decides the shortlist that residents then vote on."
        ),
        budget_pence=4_000_000,
        phase="deliberation",
        max_choices=2,
        signature_threshold=2,
        areas=[canal] if canal else [],
    )
    session.add(rnd)
    panel = {email: demo_user(session, email, name) for email, name, _ in PANEL}
    for email, _, title in PANEL:
        session.add(PanelMember(round=rnd, user=panel[email], role_title=title))
    proposals = []
    for slug, title, summary, lines in PROPOSALS:
        org = session.scalar(select(Organisation).where(Organisation.slug == slug))
        assert org is not None and org.memberships, slug
        author = org.memberships[0].user
        proposal = Proposal(
            round=rnd, author=author, organisation=org, area=canal, title=title,
            summary=summary, description_md=summary, expected_outcomes=OUTCOMES,
            feasibility="feasible",
            cost_lines=[
                CostLine(position=i, item=w, amount_pence=a) for i, (w, a) in enumerate(lines)
            ],
        )  # fmt: skip
        add_demo_proposal(session, proposal)
        proposals.append(proposal)
    session.commit()
    return rnd, panel, proposals


def _plan_session(
    session: Session, rnd: Round, proposals: list[Proposal], title: str,
    starts_at: dt.datetime, **details: Any,
) -> PanelSession:  # fmt: skip
    """Record a panel session in the Canal Side room on all the round's proposals."""
    plan = sessions.SessionPlan(
        title=title, starts_at=starts_at, place="Canal Side Community Room",
        proposal_ids=[p.id for p in proposals], **details,
    )  # fmt: skip
    return sessions.record_session(session, rnd, plan)


def _first_session(
    session: Session,
    rnd: Round,
    panel: dict[str, User],
    proposals: list[Proposal],
    facilitator: User,
    today: dt.datetime,
) -> PanelSession:
    first = _plan_session(
        session, rnd, proposals, "Opening session: the six proposals",
        today - dt.timedelta(days=10),
        topics=["How the panel works, and declaring conflicts of interest"],
    )  # fmt: skip
    sessions.add_document(
        session, first, title="Canal Side health profile (public health team)",
        url="https://www.example.org/canal-side-health-profile",
    )  # fmt: skip
    sessions.declare_conflict(
        session, rnd, panel["grace.panel@example.org"], proposals[5].id,
        "I volunteer at the food bank's advice table.",
    )  # fmt: skip
    for email, values in SCORES.items():
        for proposal, value in zip(proposals, values):
            if value is not None:
                criteria = scoring.rubric_of(session, rnd)
                scoring.record_scores(
                    session, first, panel[email], proposal, {c.id: value for c in criteria}
                )
    amira = session.scalar(select(User).where(User.email == "amira@example.org"))
    john = session.scalar(select(User).where(User.email == "john@example.org"))
    assert amira is not None and john is not None
    said = arguments.post_argument(
        session, proposals[1], amira, side="for",
        body="My kids would go. Cooking together is how families learn to eat well on a budget.",
    )  # fmt: skip
    arguments.post_argument(
        session, proposals[1], panel["dev.panel@example.org"], side="against",
        body="The cost per family is high; could it share the school's kitchen?",
        parent_id=said.id,
    )  # fmt: skip
    arguments.post_argument(
        session, proposals[0], john, side="against",
        body="Stairwells are a fire route: the planters need the fire officer's say first.",
    )  # fmt: skip
    advert = arguments.post_argument(
        session, proposals[2], john, side="for", body="Buy running shoes at my shop, 10% off!"
    )
    arguments.report_argument(session, advert, amira, "An advert")
    arguments.hide_argument(session, advert, facilitator, "Advertising a business.")
    sessions.record_attendance(session, first, [u.id for u in panel.values()])
    sessions.close_session(session, first)
    return first


def _minutes(session: Session, panel_session: PanelSession, members: list[User]) -> None:
    written = minutes.generate_minutes(session, panel_session)
    present = sessions.present_member_ids(panel_session)
    for member in members:
        if member.id in present:
            minutes.approve_minutes(session, written, member)
