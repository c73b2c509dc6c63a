"""The learning dashboard's facts: participation, money, partners and coverage across rounds.

Only rounds whose results are public count (published or in delivery). `facts(session)` reads
them once into a `Facts` value (plain rows, no ORM objects); `learning_cache.current` keeps
that value until something it depends on changes, so a page view never recomputes it. The
figures pages show (`decide.services.learning_views`) are sums over these rows, the same sums
anyone can make from the open-data CSVs.

Partner type is the proposer's: a proposal on behalf of a statutory service or a research group
is "statutory" or "researcher", on behalf of any other organisation a "community asset", and a
resident's own proposal (no organisation) is "resident", whoever hosts it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from audits.manifest import Manifest
from ballots import pabulib
from decide.models import (
    Area,
    ImpactFigure,
    Milestone,
    Organisation,
    OutcomeMeasure,
    Participation,
    Project,
    Proposal,
    Round,
    RoundManifest,
    User,
)
from decide.models.phase import Phase
from decide.services.delivery import paid_by_project
from decide.services.postcodes import area_of_postcode

__all__ = [
    "IMPACT_ORDER",
    "PARTNER_TYPES",
    "AreaFacts",
    "AreaTurnout",
    "Facts",
    "ImpactFacts",
    "MilestoneFacts",
    "ProjectFacts",
    "ProposalFacts",
    "RoundFacts",
    "facts",
    "partner_type",
    "public_phases",
]

# The order figures are read in everywhere (dashboard, open data, annex): a measure's figures
# as reported, so that for a running total the later figure is the latest.
IMPACT_ORDER = (OutcomeMeasure.position, ImpactFigure.created_at, ImpactFigure.id)

PARTNER_TYPES: dict[str, str] = {
    "community-asset": "Community asset",
    "statutory": "Statutory service",
    "researcher": "Researcher",
    "resident": "Resident",
}
_KIND_TO_PARTNER = {"statutory": "statutory", "research": "researcher"}


def partner_type(organisation_kind: str | None) -> str:
    """Return the partner type of a proposer: their organisation's kind, or a resident."""
    if organisation_kind is None:
        return "resident"
    return _KIND_TO_PARTNER.get(organisation_kind, "community-asset")


def public_phases() -> tuple[str, ...]:
    """Return the phases whose rounds count on the dashboard (results public)."""
    return tuple(p.value for p in Phase if p.results_public)


@dataclass(frozen=True)
class AreaFacts:
    """An area as the dashboard counts it."""

    slug: str
    name: str
    decile: int
    population: int


@dataclass(frozen=True)
class RoundFacts:
    """A round with public results: its rule, voters, and voters with a funded project."""

    id: int
    slug: str
    title: str
    position: int
    currency: str
    rule: str
    budget_pence: int
    voters: int
    covered: int
    # Voters whose area is not known (roll, code and paper voters, or no postcode).
    unplaced: int


@dataclass(frozen=True)
class AreaTurnout:
    """How many of a round's voters live in one area (account voters, by their postcode)."""

    round_slug: str
    area_slug: str
    voters: int


@dataclass(frozen=True)
class ProjectFacts:
    """A project on a published ballot: where, whose, funded or not, allocated and paid."""

    round_slug: str
    code: str
    title: str
    area_slug: str | None
    partner: str
    allocated: Fraction
    paid: int

    @property
    def funded(self) -> bool:
        """Return True when the published allocation gives the project money."""
        return self.allocated > 0


@dataclass(frozen=True)
class ProposalFacts:
    """A proposal to a round with public results (withdrawn ones are left out)."""

    round_slug: str
    area_slug: str | None
    partner: str


@dataclass(frozen=True)
class MilestoneFacts:
    """A funded project's milestone: its status and whether the facilitator confirmed it."""

    round_slug: str
    code: str
    status: str
    tranche_pence: int
    confirmed: bool


@dataclass(frozen=True)
class ImpactFacts:
    """One reported impact figure against a round's outcome measure, in the order reported.

    `aggregation` is the measure's (sum, mean or latest, see `learning_views.impact_totals`);
    the area and decile are the figure's breakdown, when it has one.
    """

    round_slug: str
    code: str
    measure: str
    unit: str
    value: Fraction
    aggregation: str = "sum"
    area_slug: str | None = None
    decile: int | None = None


@dataclass(frozen=True)
class Facts:
    """Everything the dashboard shows, as plain rows."""

    areas: tuple[AreaFacts, ...]
    rounds: tuple[RoundFacts, ...]
    turnout: tuple[AreaTurnout, ...]
    projects: tuple[ProjectFacts, ...]
    proposals: tuple[ProposalFacts, ...]
    milestones: tuple[MilestoneFacts, ...] = ()
    impact: tuple[ImpactFacts, ...] = ()

    def area(self, slug: str | None) -> AreaFacts | None:
        """Return the area with this slug, or None."""
        return next((a for a in self.areas if a.slug == slug), None)


def _areas(session: Session) -> tuple[AreaFacts, ...]:
    rows = session.scalars(select(Area).order_by(Area.deprivation_decile, Area.name))
    return tuple(AreaFacts(a.slug, a.name, a.deprivation_decile, a.population) for a in rows)


def _public_rounds(session: Session) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .join(RoundManifest, RoundManifest.round_id == Round.id)
            .where(Round.phase.in_(public_phases()))
            .order_by(Round.voting_close, Round.id)
        )
    )


def _turnout(session: Session, rnd: Round, slugs: dict[int, str]) -> list[AreaTurnout]:
    """Count the round's account voters per area, by the postcode of their account."""
    user_key = cast("user:", String) + cast(User.id, String)
    by_postcode = session.execute(
        select(User.postcode, func.count())
        .select_from(Participation)
        .join(User, user_key == Participation.voter_key)
        .where(Participation.round_id == rnd.id)
        .group_by(User.postcode)
    ).all()
    per_area: dict[str, int] = defaultdict(int)
    for postcode, n in by_postcode:
        area_id = area_of_postcode(session, rnd.id, postcode) if postcode else None
        if area_id in slugs:
            per_area[slugs[area_id]] += int(n)
    return [AreaTurnout(rnd.slug, slug, n) for slug, n in sorted(per_area.items())]


def _coverage(row: RoundManifest, funded: set[str]) -> tuple[int, int]:
    """Return (voters, voters who supported at least one funded project) from ballots.pb.

    A manifest whose ballots cannot be read (none were stored) counts no voters rather than
    break the public dashboard; `decide-verify` is where such a manifest fails.
    """
    try:
        pb = pabulib.parse(row.ballots_pb.decode("utf-8", errors="replace"))
    except pabulib.PbError:
        return 0, 0
    ballots = pb.profile.ballots
    covered = sum(1 for b in ballots if funded & set(b.projects))
    return len(ballots), covered


def _projects(
    session: Session, rnd: Round, manifest: Manifest, slugs: dict[int, str]
) -> list[ProjectFacts]:
    paid = paid_by_project(session, rnd.id)  # the one definition of paid (the ledger's sum)
    rows = session.execute(
        select(Project, Organisation.kind, Proposal.id)
        .outerjoin(Proposal, Proposal.id == Project.proposal_id)
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Project.round_id == rnd.id)
    ).all()
    by_code = {p.code: (p, kind, proposal_id) for p, kind, proposal_id in rows}
    out = []
    for mp in manifest.projects:
        project, kind, proposal_id = by_code.get(mp.id, (None, None, None))
        area = slugs.get(project.area_id) if project and project.area_id else None
        if proposal_id is None and project is not None and project.organisation is not None:
            kind = project.organisation.kind  # imported or hand-made: the payee is all we know
        out.append(
            ProjectFacts(
                round_slug=rnd.slug,
                code=mp.id,
                title=mp.name,
                area_slug=area,
                partner=partner_type(kind),
                allocated=manifest.allocation.get(mp.id, Fraction(0)),
                paid=paid.get(mp.id, 0),
            )
        )
    return out


def _proposals(session: Session, rnd: Round, slugs: dict[int, str]) -> list[ProposalFacts]:
    rows = session.execute(
        select(Proposal.area_id, Organisation.kind)
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.round_id == rnd.id, Proposal.withdrawn.is_(False))
        .order_by(Proposal.id)
    ).all()
    return [
        ProposalFacts(rnd.slug, slugs.get(area_id) if area_id else None, partner_type(kind))
        for area_id, kind in rows
    ]


def _milestones(session: Session, rnd: Round) -> list[MilestoneFacts]:
    rows = session.scalars(
        select(Milestone)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.round_id == rnd.id)
        .order_by(Project.position, Milestone.position, Milestone.id)
    )
    return [
        MilestoneFacts(rnd.slug, m.project.code, m.status, m.tranche_pence, m.confirmed)
        for m in rows
    ]


def _impact(session: Session, rnd: Round, slugs: dict[int, str]) -> list[ImpactFacts]:
    """Return the round's figures not withdrawn, in the order reported (the latest last)."""
    rows = session.execute(
        select(ImpactFigure, OutcomeMeasure, Project.code)
        .join(OutcomeMeasure, OutcomeMeasure.id == ImpactFigure.measure_id)
        .join(Project, Project.id == ImpactFigure.project_id)
        .where(Project.round_id == rnd.id, ImpactFigure.withdrawn_at.is_(None))
        .order_by(*IMPACT_ORDER)
    ).all()
    return [
        ImpactFacts(rnd.slug, code, m.name, m.unit, f.exact, m.aggregation,
                    slugs.get(f.area_id) if f.area_id else None, f.decile)
        for f, m, code in rows
    ]  # fmt: skip


def facts(session: Session) -> Facts:
    """Read the dashboard's facts from the rounds with public results (reads only)."""
    areas = _areas(session)
    slugs = {i: s for i, s in session.execute(select(Area.id, Area.slug))}
    rounds, turnout, projects, proposals = [], [], [], []
    milestones: list[MilestoneFacts] = []
    impact: list[ImpactFacts] = []
    for position, rnd in enumerate(_public_rounds(session)):
        row = session.get(RoundManifest, rnd.id)
        assert row is not None
        manifest = Manifest.from_json_bytes(row.manifest_json)
        round_projects = _projects(session, rnd, manifest, slugs)
        funded = {p.code for p in round_projects if p.funded}
        voters, covered = _coverage(row, funded)
        round_turnout = _turnout(session, rnd, slugs)
        unplaced = voters - sum(t.voters for t in round_turnout)
        rounds.append(
            RoundFacts(
                id=rnd.id,
                slug=rnd.slug,
                title=rnd.title,
                position=position,
                currency=rnd.currency,
                rule=manifest.rule,
                budget_pence=rnd.budget_pence,
                voters=voters,
                covered=covered,
                unplaced=max(unplaced, 0),
            )
        )
        turnout += round_turnout
        projects += round_projects
        proposals += _proposals(session, rnd, slugs)
        milestones += _milestones(session, rnd)
        impact += _impact(session, rnd, slugs)
    return Facts(
        areas,
        tuple(rounds),
        tuple(turnout),
        tuple(projects),
        tuple(proposals),
        tuple(milestones),
        tuple(impact),
    )
