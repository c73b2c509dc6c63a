"""The dashboard's figures: sums over `learning.Facts`, narrowed by the page's filters.

Every figure is exact (integers and fractions of pence); pages round only when they write it.
"Per 1,000 residents" divides a round's voters in an area by the area's population; across
several rounds it is the mean over the rounds (voters summed, population counted once per
round). "Per resident" divides money by the population of the areas in question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from audits.annex import ImpactLine
from decide.models.delivery import MILESTONE_STATUSES
from decide.services.learning import (
    PARTNER_TYPES,
    AreaFacts,
    Facts,
    ImpactFacts,
    MilestoneFacts,
    ProjectFacts,
    RoundFacts,
)

__all__ = [
    "AreaRate",
    "Coverage",
    "DecileMoney",
    "Filters",
    "ImpactTotal",
    "PartnerCount",
    "coverage_by_rule",
    "impact_totals",
    "milestone_counts",
    "money_by_decile",
    "partners",
    "turnout_by_area",
    "turnout_by_decile_and_round",
]


@dataclass(frozen=True)
class Filters:
    """What the visitor narrowed the dashboard to (None: everything)."""

    round: str | None = None
    area: str | None = None
    decile: int | None = None
    partner: str | None = None

    def rounds(self, facts: Facts) -> tuple[RoundFacts, ...]:
        """Return the rounds the filters keep."""
        return tuple(r for r in facts.rounds if self.round in (None, r.slug))

    def areas(self, facts: Facts) -> tuple[AreaFacts, ...]:
        """Return the areas the filters keep."""
        return tuple(
            a
            for a in facts.areas
            if self.area in (None, a.slug) and self.decile in (None, a.decile)
        )

    def projects(self, facts: Facts) -> tuple[ProjectFacts, ...]:
        """Return the projects the filters keep (a project with no area only when unfiltered)."""
        rounds = {r.slug for r in self.rounds(facts)}
        areas = {a.slug for a in self.areas(facts)}
        place_filtered = self.area is not None or self.decile is not None
        return tuple(
            p
            for p in facts.projects
            if p.round_slug in rounds
            and self.partner in (None, p.partner)
            and (p.area_slug in areas if place_filtered else True)
        )

    @property
    def any(self) -> bool:
        """Return True when any filter is set."""
        return any(v is not None for v in (self.round, self.area, self.decile, self.partner))


@dataclass(frozen=True)
class AreaRate:
    """Voters per 1,000 residents of one area (or decile), over the chosen rounds."""

    label: str
    decile: int
    population: int
    voters: int
    rounds: int

    @property
    def per_thousand(self) -> Fraction:
        """Return voters per 1,000 residents per round."""
        if not self.population or not self.rounds:
            return Fraction(0)
        return Fraction(self.voters * 1000, self.population * self.rounds)


def turnout_by_area(facts: Facts, filters: Filters) -> list[AreaRate]:
    """Return each chosen area's voters per 1,000 residents over the chosen rounds."""
    rounds = {r.slug for r in filters.rounds(facts)}
    voters: dict[str, int] = defaultdict(int)
    for t in facts.turnout:
        if t.round_slug in rounds:
            voters[t.area_slug] += t.voters
    return [
        AreaRate(a.name, a.decile, a.population, voters[a.slug], len(rounds))
        for a in filters.areas(facts)
    ]


def turnout_by_decile_and_round(
    facts: Facts, filters: Filters
) -> tuple[tuple[RoundFacts, ...], dict[int, list[AreaRate]]]:
    """Return the chosen rounds, and per decile its rate in each of them (a line per decile)."""
    rounds = filters.rounds(facts)
    areas = filters.areas(facts)
    deciles = sorted({a.decile for a in areas})
    series: dict[int, list[AreaRate]] = {}
    for d in deciles:
        in_decile = {a.slug for a in areas if a.decile == d}
        population = sum(a.population for a in areas if a.decile == d)
        series[d] = [
            AreaRate(
                r.title,
                d,
                population,
                sum(
                    t.voters
                    for t in facts.turnout
                    if t.round_slug == r.slug and t.area_slug in in_decile
                ),
                1,
            )
            for r in rounds
        ]
    return rounds, series


@dataclass(frozen=True)
class DecileMoney:
    """Money allocated and paid to projects in one deprivation decile's areas."""

    decile: int
    population: int
    allocated: Fraction
    paid: int

    @property
    def allocated_per_resident(self) -> Fraction:
        """Return the allocation per resident, in pence."""
        return self.allocated / self.population if self.population else Fraction(0)

    @property
    def paid_per_resident(self) -> Fraction:
        """Return the payments per resident, in pence."""
        return Fraction(self.paid, self.population) if self.population else Fraction(0)


def money_by_decile(facts: Facts, filters: Filters) -> list[DecileMoney]:
    """Return, per decile of the chosen areas, the money allocated and paid per resident."""
    areas = filters.areas(facts)
    decile_of = {a.slug: a.decile for a in facts.areas}
    allocated: dict[int, Fraction] = defaultdict(Fraction)
    paid: dict[int, int] = defaultdict(int)
    for p in filters.projects(facts):
        d = decile_of.get(p.area_slug or "")
        if d is not None:
            allocated[d] += p.allocated
            paid[d] += p.paid
    out = []
    for d in sorted({a.decile for a in areas}):
        population = sum(a.population for a in areas if a.decile == d)
        out.append(DecileMoney(d, population, allocated[d], paid[d]))
    return out


@dataclass(frozen=True)
class PartnerCount:
    """Proposals made and projects funded, for one partner type."""

    partner: str
    label: str
    proposals: int
    funded: int
    allocated: Fraction


def partners(facts: Facts, filters: Filters) -> list[PartnerCount]:
    """Return proposals and funded projects per partner type over the chosen rounds."""
    rounds = {r.slug for r in filters.rounds(facts)}
    areas = {a.slug for a in filters.areas(facts)}
    place_filtered = filters.area is not None or filters.decile is not None
    projects = filters.projects(facts)
    out = []
    for key, label in PARTNER_TYPES.items():
        if filters.partner not in (None, key):
            continue
        proposals = sum(
            1
            for p in facts.proposals
            if p.round_slug in rounds
            and p.partner == key
            and (p.area_slug in areas if place_filtered else True)
        )
        funded = [p for p in projects if p.partner == key and p.funded]
        out.append(
            PartnerCount(
                key, label, proposals, len(funded), sum((p.allocated for p in funded), Fraction(0))
            )
        )
    return out


@dataclass(frozen=True)
class Coverage:
    """A rule's coverage: voters who supported at least one project it funded."""

    rule: str
    rounds: int
    voters: int
    covered: int

    @property
    def share(self) -> Fraction:
        """Return the share of voters covered."""
        return Fraction(self.covered, self.voters) if self.voters else Fraction(0)


def coverage_by_rule(facts: Facts, filters: Filters) -> list[Coverage]:
    """Return each rule's coverage over the chosen rounds (counted from published ballots)."""
    by_rule: dict[str, list[RoundFacts]] = defaultdict(list)
    for r in filters.rounds(facts):
        by_rule[r.rule].append(r)
    return [
        Coverage(rule, len(rs), sum(r.voters for r in rs), sum(r.covered for r in rs))
        for rule, rs in sorted(by_rule.items())
    ]


AWAITING_CONFIRMATION = "Completed, awaiting confirmation"


def milestone_counts(milestones: Iterable[MilestoneFacts]) -> list[tuple[str, int]]:
    """Return (label, count) per milestone status. Only milestones the facilitator confirmed
    count as completed; one its organisation calls completed waits in a row of its own."""
    counts: dict[str, int] = defaultdict(int)
    for m in milestones:
        if m.status == "completed" and not m.confirmed:
            counts[AWAITING_CONFIRMATION] += 1
        else:
            counts[MILESTONE_STATUSES.get(m.status, m.status)] += 1
    labels = [*MILESTONE_STATUSES.values(), AWAITING_CONFIRMATION]
    return [(label, counts.get(label, 0)) for label in labels]


# One measure's figures combined as the measure says (summed, averaged, or latest): the same
# line the PDF's delivery annex prints. `figures` is how many figures went in (for a mean, how
# many were averaged; for a running total, each project's latest per breakdown), `projects`
# how many projects reported.
ImpactTotal = ImpactLine


def _level(area: str | None, decile: int | None) -> tuple[int, bool]:
    """Order a figure's breakdown from coarse to fine: how many of area and decile it gives."""
    return (area is not None) + (decile is not None), area is not None


def combine(aggregation: str, figures: Sequence[ImpactFacts]) -> tuple[Fraction, int]:
    """Return (total, figures counted) for one measure's figures, given in the order reported.

    sum: every figure added; mean: their mean (exact); latest: each project's most recent
    figure per area and decile breakdown, added across projects and breakdowns. A project
    whose figures are at several levels (a whole-project figure and figures by area, stored
    before a broken-down measure required its breakdown on every figure) counts at its
    coarsest level only, so its overall figure is never added to its own breakdowns.
    """
    if aggregation == "latest":
        latest: dict[tuple[str, str, str | None, int | None], Fraction] = {}
        for f in figures:  # a later figure replaces the earlier one of its breakdown
            latest[(f.round_slug, f.code, f.area_slug, f.decile)] = f.value
        coarsest: dict[tuple[str, str], tuple[int, bool]] = {}  # per project
        for r, c, area, decile in latest:
            level = _level(area, decile)
            coarsest[(r, c)] = min(level, coarsest.get((r, c), level))
        counted = [
            v
            for (r, c, area, decile), v in latest.items()
            if _level(area, decile) == coarsest[(r, c)]
        ]
        return sum(counted, Fraction(0)), len(counted)
    total = sum((f.value for f in figures), Fraction(0))
    if aggregation == "mean":
        return (total / len(figures) if figures else Fraction(0)), len(figures)
    return total, len(figures)


def impact_totals(figures: Iterable[ImpactFacts]) -> list[ImpactTotal]:
    """Return each measure's total over these figures (given in the order reported)."""
    by_measure: dict[tuple[str, str, str], list[ImpactFacts]] = defaultdict(list)
    for f in figures:
        by_measure[(f.measure, f.unit, f.aggregation)].append(f)
    out = []
    for (measure, unit, aggregation), rows in sorted(by_measure.items()):
        total, counted = combine(aggregation, rows)
        projects = len({(f.round_slug, f.code) for f in rows})
        out.append(ImpactTotal(measure, unit, aggregation, total, counted, projects))
    return out
