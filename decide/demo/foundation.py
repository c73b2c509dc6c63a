"""The demo's foundation: areas, themes, people, community assets and a round taking
proposals, plus the helpers later seeders use to find or make accounts and ballots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from decide.demo.catalogue import (
    AREAS,
    CITIZENS,
    DEMO_PASSWORD,
    DEMO_THRESHOLD_REASON,
    FACILITATOR_EMAIL,
    FOUNDATION_ROUND_SLUG,
    ORGANISATIONS,
    PANEL_EMAIL,
    PROPOSALS,
    THEMES,
    DemoProposal,
)
from decide.models import (
    Area,
    CostLine,
    Membership,
    Organisation,
    PanelMember,
    Project,
    Proposal,
    ProposalVersion,
    Round,
    Theme,
    User,
)
from decide.services import proposals as proposal_service
from decide.services.rounds import TIMETABLE_FIELDS

DEMO_VERIFIED_AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """Return one hash of DEMO_PASSWORD, computed once, for every demo account."""
    return generate_password_hash(DEMO_PASSWORD)


def demo_user(
    session: Session, email: str, name: str, *, postcode: str | None = None,
    date_of_birth: dt.date | None = None, facilitator: bool = False, officer: bool = False,
) -> User:  # fmt: skip
    """Return the demo account with this email, creating it with the demo password."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            display_name=name,
            password_hash=demo_password_hash(),
            postcode=postcode,
            date_of_birth=date_of_birth,
            is_facilitator=facilitator,
            is_officer=officer,
            # Demo accounts are verified, so they can vote at once.
            email_verified_at=DEMO_VERIFIED_AT,
        )
        session.add(user)
        session.flush()
    return user


# How the demo rounds vote and count unless a round says otherwise.
DEMO_ROUND_RULES: dict[str, Any] = {
    "ballot_kind": "approval",
    "min_choices": 1,
    "allocation_rule": "equal-shares",
}


def demo_round(start: dt.date, days: tuple[int, ...], **fields: Any) -> Round:
    """Return a new demo round (DEMO_ROUND_RULES unless `fields` say otherwise) whose dates
    fall `days` after `start` (before it when negative), in TIMETABLE_FIELDS' order; fewer
    days give only the last dates (a round that starts at voting)."""
    names = TIMETABLE_FIELDS[len(TIMETABLE_FIELDS) - len(days) :]
    dates = {name: start + dt.timedelta(days=n) for name, n in zip(names, days, strict=True)}
    return Round(**(DEMO_ROUND_RULES | dates | fields))


def _get_or_create(session: Session, model: Any, slug: str, **values: Any) -> Any:
    row = session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        session.add(row)
        session.flush()
    return row


def seed_foundation(session: Session) -> None:
    """Seed areas, themes, people, community assets and a round taking proposals."""
    areas = {
        slug: _get_or_create(session, Area, slug, name=n, population=p, deprivation_decile=d)
        for slug, (n, p, d) in AREAS.items()
    }
    themes = {slug: _get_or_create(session, Theme, slug, name=n) for slug, n in THEMES.items()}
    demo_user(
        session, FACILITATOR_EMAIL, "Priya Shah", facilitator=True, officer=True,
        postcode="NB3 1AA", date_of_birth=dt.date(1983, 3, 9),
    )  # fmt: skip
    panel = demo_user(
        session, PANEL_EMAIL, "Tom Okafor", postcode="NB5 3JP", date_of_birth=dt.date(1969, 7, 30)
    )
    for email, name, postcode, born in CITIZENS:
        demo_user(session, email, name, postcode=postcode, date_of_birth=born)
    for o in ORGANISATIONS:
        org = session.scalar(select(Organisation).where(Organisation.slug == o.slug))
        if org is None:
            org = Organisation(
                slug=o.slug, name=o.name, kind=o.kind, description=o.description,
                contact_email=o.email, contact_phone=o.phone,
                areas=[areas[a] for a in o.areas],
            )  # fmt: skip
            session.add(org)
            session.flush()
        admin = demo_user(session, *o.admin)
        if not admin.is_member_of(org.id):
            session.add(Membership(user=admin, organisation=org, role="admin"))
    # The hub's link worker also helps the Harriers with referrals: a member of two assets.
    hub_worker = demo_user(session, "hub@example.org", "Sam Whitfield")
    harriers = session.scalar(select(Organisation).where(Organisation.slug == "moorfield-harriers"))
    if harriers is not None and not hub_worker.is_member_of(harriers.id):
        session.add(Membership(user=hub_worker, organisation=harriers, role="member"))
    session.flush()

    rnd = session.scalar(select(Round).where(Round.slug == FOUNDATION_ROUND_SLUG))
    if rnd is None:
        today = dt.date.today()
        rnd = demo_round(
            today,
            (-14, 28, 49, 56, 70, 77),
            slug=FOUNDATION_ROUND_SLUG,
            title="Healthy Northbridge 2027",
            description=(
                "£250,000 from the Northbridge Health and Wellbeing Partnership for community "
                "projects that reduce health inequalities in six wards. Community groups and "
                "residents propose projects; a panel of residents and the partnership checks "
                "them; then everyone aged 16 or over who lives in the six wards votes."
            ),
            budget_pence=25_000_000,
            phase="proposals",
            max_choices=5,
            signature_threshold=1,
            threshold_reason=DEMO_THRESHOLD_REASON,
            areas=list(areas.values()),
            themes=list(themes.values()),
        )
        session.add(rnd)
        session.add(PanelMember(round=rnd, user=panel, role_title="Resident panel member"))
        session.commit()
    has_proposals = session.scalar(
        select(func.count(Proposal.id)).where(Proposal.round_id == rnd.id)
    )
    if not has_proposals:
        _seed_proposals(session, rnd, areas, themes)
    session.commit()


def _seed_proposals(
    session: Session, rnd: Round, areas: dict[str, Area], themes: dict[str, Theme]
) -> None:
    facilitator = session.scalar(select(User).where(User.email == FACILITATOR_EMAIL))
    assert facilitator is not None
    for p in PROPOSALS:
        org = (
            session.scalar(select(Organisation).where(Organisation.slug == p.org))
            if p.org
            else None
        )
        submit_demo_proposal(session, rnd, p, areas, themes, org, facilitator)


def submit_demo_proposal(
    session: Session, rnd: Round, p: DemoProposal, areas: dict[str, Area],
    themes: dict[str, Theme], org: Organisation | None, facilitator: User,
    today: dt.date | None = None,
) -> Proposal:  # fmt: skip
    """Submit a demo proposal as its author, and review it as `p.review` says."""
    author = session.scalar(select(User).where(User.email == p.author))
    assert author is not None, p.author
    draft = proposal_service.ProposalDraft(
        title=p.title,
        summary=p.summary,
        description_md=p.description,
        expected_outcomes=p.outcomes,
        area_id=areas[p.area].id,
        theme_ids=tuple(themes[t].id for t in p.themes),
        cost_lines=p.lines,
        organisation_id=org.id if org else None,
    )
    proposal = proposal_service.submit_proposal(session, rnd, author, draft, today)
    status, reason = p.review
    if status != "pending":
        proposal_service.review_proposal(
            session, proposal, feasibility=status, feasibility_reason=reason,
            adjusted_cost_pence=None, cost_adjustment_reason="", actor=facilitator,
        )  # fmt: skip
    return proposal


@dataclass(frozen=True)
class DemoBallotItem:
    """A project on a demo ballot with the proposal behind it."""

    code: str
    title: str
    summary: str
    area: str  # area slug
    proposer: str  # organisation slug, or a resident's email
    description: str
    outcomes: str
    lines: tuple[tuple[str, int], ...]  # (item, pence); they add up to the project's cost
    themes: tuple[str, ...] = ()
    payee: str | None = None  # organisation slug paid for a resident's project


def seed_ballot(session: Session, rnd: Round, items: tuple[DemoBallotItem, ...]) -> list[Project]:
    """Put each item on the round's ballot with its proposal (version 1, reviewed feasible).

    Call it before voting opens: it flushes the new rows, so the caller may then open voting
    and commit. A resident's item names its payee; an organisation's is paid itself.
    """
    areas = {a.slug: a for a in session.scalars(select(Area))}
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    orgs = {o.slug: o for o in session.scalars(select(Organisation))}
    rnd.themes = sorted(
        {*rnd.themes, *(themes[t] for item in items for t in item.themes)}, key=lambda t: t.name
    )
    projects = []
    for position, item in enumerate(items):
        org = orgs.get(item.proposer)
        author = _author_of(session, item.proposer, org)
        payee = orgs[item.payee] if item.payee else org
        if payee is None:
            raise ValueError(f"demo project {item.code} is a resident's: it needs a payee")
        note = f"{payee.name} hosts this resident's project and receives the money."
        proposal = Proposal(
            round=rnd, author=author, organisation=org, area=areas[item.area],
            payee_id=payee.id if org is None else None, title=item.title,
            summary=item.summary, description_md=item.description,
            expected_outcomes=item.outcomes, version=1, feasibility="feasible",
            feasibility_reason=note if org is None else "",
            themes=[themes[t] for t in item.themes],
            cost_lines=[
                CostLine(position=i, item=what, amount_pence=pence)
                for i, (what, pence) in enumerate(item.lines)
            ],
        )  # fmt: skip
        add_demo_proposal(session, proposal)
        project = Project(
            round=rnd, proposal_id=proposal.id, code=item.code, position=position,
            title=item.title, summary=item.summary, cost_pence=proposal.total_pence,
            area=areas[item.area], organisation=payee,
        )  # fmt: skip
        session.add(project)
        projects.append(project)
    session.flush()
    return projects


def _author_of(session: Session, proposer: str, org: Organisation | None) -> User:
    if org is None:
        user = session.scalar(select(User).where(User.email == proposer))
    else:
        user = session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org.id, Membership.role == "admin")
            .order_by(Membership.id)
            .limit(1)
        )
    if user is None:
        raise RuntimeError(f"the demo has no account to propose for {proposer}")
    return user


def add_demo_proposal(session: Session, proposal: Proposal) -> None:
    """Add a proposal made directly (not through the service) with its first version."""
    session.add(proposal)
    session.flush()
    session.add(
        ProposalVersion(
            proposal=proposal, number=1, content=proposal.snapshot(),
            edited_by_id=proposal.author.id,
        )
    )  # fmt: skip
