"""The delivery annex of a round's PDF tally: the dashboard's figures for that round alone."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from audits.annex import DecileLine, DeliveryAnnex, TurnoutLine, decile_money
from audits.manifest import Manifest
from decide.models import Round
from decide.services import learning_cache
from decide.services.learning_views import (
    Filters,
    impact_totals,
    milestone_counts,
    turnout_by_area,
)

__all__ = ["annex_for"]


def annex_for(
    session: Session, rnd: Round, manifest: Manifest, paid_by_project: Mapping[str, int]
) -> DeliveryAnnex | None:
    """Return the round's annex, or None while the round is not on the dashboard.

    Money per decile is the manifest's allocation and the edition's own (co-signed) ledger,
    `paid_by_project`, so the verifier can check the annex against the files it carries.
    """
    known = learning_cache.current_facts(session)
    facts_of = next((r for r in known.rounds if r.slug == rnd.slug), None)
    if facts_of is None:
        return None
    filters = Filters(round=rnd.slug)
    codes = {p.code for p in filters.projects(known)}
    statuses = milestone_counts(
        m for m in known.milestones if m.round_slug == rnd.slug and m.code in codes
    )
    impact = impact_totals(f for f in known.impact if f.round_slug == rnd.slug)
    population: dict[int, int] = {}
    for a in known.areas:
        population[a.decile] = population.get(a.decile, 0) + a.population
    return DeliveryAnnex(
        currency=rnd.currency,
        voters=facts_of.voters,
        covered=facts_of.covered,
        deciles=tuple(
            DecileLine(d, population.get(d, 0), allocated, paid)
            for d, (allocated, paid) in sorted(decile_money(manifest, paid_by_project).items())
        ),
        turnout=tuple(
            TurnoutLine(t.label, t.decile, t.population, t.voters)
            for t in turnout_by_area(known, filters)
        ),
        milestones=tuple(statuses),
        impact=tuple(impact),
    )
