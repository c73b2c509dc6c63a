"""A closed round's rows as the pure values the allocation rules take.

`round_to_election(session, round_id)` is the ONE place where database rows become the pure
values the allocation rules take: the `Instance` (project codes, costs in pence as Fractions),
the `Profile` (every ballot on the board, in sequence order, trackers as voter ids) and the
equity data (areas with population and deprivation decile; each project's area, organisation
and themes). Publication calls it too, so the manifest and the results page cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.model import Instance, Profile
from decide.allocation import Area as AllocationArea
from decide.allocation import EquityParams
from decide.models import Project, Proposal, Round
from decide.services.ballot_values import board_profile, round_instance
from decide.services.errors import DomainError
from decide.services.voting import ballot_projects

if TYPE_CHECKING:
    from decide.services.results.equity import EquitySpec


class ResultsError(DomainError):
    """A results action the round's state does not allow; the message says why."""


def pence_int(x: Fraction) -> int:
    """Return an amount in pence rounded to the nearest penny."""
    return round(Fraction(x))


@dataclass(frozen=True)
class Election:
    """A round as pure values: instance and profile (pence), equity data, and display names.

    Areas are keyed by slug; organisations and themes by their (unique) names, so the equity
    program's explanations read in words.
    """

    round_id: int
    ballot_kind: str
    currency: str
    instance: Instance
    profile: Profile
    areas: tuple[AllocationArea, ...]
    project_area: Mapping[str, str]
    project_organisation: Mapping[str, str]
    project_themes: Mapping[str, tuple[str, ...]]
    titles: Mapping[str, str]
    organisation_ids: Mapping[str, int] = field(default_factory=dict)
    theme_ids: Mapping[str, int] = field(default_factory=dict)

    @property
    def voters(self) -> int:
        """Return the number of ballots."""
        return len(self.profile.ballots)

    def area(self, area_id: str) -> AllocationArea | None:
        """Return the area with this slug, or None."""
        return next((a for a in self.areas if a.id == area_id), None)

    def cost(self, code: str) -> Fraction:
        """Return a project's cost in pence."""
        return self.instance.project(code).cost

    def equity_params(self, spec: EquitySpec) -> EquityParams:
        """Return the equity program's parameters for these settings."""
        return EquityParams(
            areas=self.areas,
            project_area=dict(self.project_area),
            project_organisation=dict(self.project_organisation),
            project_themes=dict(self.project_themes),
            decile_weights=dict(spec.decile_weights),
            floor_share=spec.floor_share,
            organisation_cap=(
                Fraction(spec.organisation_cap) if spec.organisation_cap is not None else None
            ),
            organisation_caps={k: Fraction(v) for k, v in spec.organisation_caps.items()},
            theme_min_share=dict(spec.theme_min_share),
            theme_max_share=dict(spec.theme_max_share),
        )


def _areas(rnd: Round, projects: Sequence[Project]) -> tuple[AllocationArea, ...]:
    """Return the round's areas and its projects' areas, most deprived first."""
    area_rows = list(rnd.areas)
    for p in projects:
        if p.area is not None and p.area not in area_rows:
            area_rows.append(p.area)
    return tuple(
        AllocationArea(a.slug, a.name, a.population, a.deprivation_decile)
        for a in sorted(area_rows, key=lambda a: (a.deprivation_decile, a.name))
    )


def _themes(
    session: Session, projects: Sequence[Project]
) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """Return each project's themes (from its proposal) and each theme's id, by name."""
    proposal_ids = [p.proposal_id for p in projects if p.proposal_id is not None]
    proposals = (
        {pr.id: pr for pr in session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))}
        if proposal_ids
        else {}
    )
    project_themes: dict[str, tuple[str, ...]] = {}
    theme_ids: dict[str, int] = {}
    for p in projects:
        proposal = proposals.get(p.proposal_id) if p.proposal_id else None
        if proposal is not None and proposal.themes:
            project_themes[p.code] = tuple(t.name for t in proposal.themes)
            theme_ids.update({t.name: t.id for t in proposal.themes})
    return project_themes, theme_ids


def round_to_election(session: Session, round_id: int) -> Election:
    """Return the round's projects, ballots and equity data as pure values (money in pence).

    Projects are those on the ballot (not withdrawn), in published order; ballots are every
    ballot on the board in sequence order, with the tracker (hex) as voter id.
    """
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ResultsError(f"There is no round {round_id}.")
    projects = ballot_projects(session, round_id)
    instance = round_instance(rnd, projects)
    profile = board_profile(session, rnd)

    areas = _areas(rnd, projects)
    project_area = {p.code: p.area.slug for p in projects if p.area is not None}
    project_org = {p.code: p.organisation.name for p in projects if p.organisation is not None}
    org_ids = {p.organisation.name: p.organisation.id for p in projects if p.organisation}
    project_themes, theme_ids = _themes(session, projects)
    return Election(
        round_id=rnd.id,
        ballot_kind=rnd.ballot_kind,
        currency=rnd.currency,
        instance=instance,
        profile=profile,
        areas=areas,
        project_area=project_area,
        project_organisation=project_org,
        project_themes=project_themes,
        titles={p.code: p.title for p in projects},
        organisation_ids=org_ids,
        theme_ids=theme_ids,
    )
