"""Open data: every public dataset as rows with a Table Schema, for CSV, JSON and data packages.

A `Dataset` names its fields (Frictionless Table Schema types) and builds its rows for the whole
site or for one round. Only what pages already show publicly is published: rounds past their
draft, their proposals and versions; for rounds with public results, the projects, the signed
allocation, ledger payments, milestones, impact figures and stories whose consent to the open
data stands (a withdrawn story, or one consented to the project page only, is never exported).
No person is named: not authors, voters, approvers or the people in stories. Money is in
integer pence (the allocation as an exact decimal of pence).

The dashboard's aggregates come from the same `learning.Facts`, so the CSVs recompute every
figure the dashboard shows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audits.manifest import Manifest
from ballots.pabulib import format_decimal
from decide.models import (
    Area,
    ImpactFigure,
    LedgerPayment,
    Milestone,
    OutcomeMeasure,
    Project,
    Proposal,
    ProposalVersion,
    Round,
    RoundManifest,
)
from decide.models.phase import Phase
from decide.services.delivery_reports import shown_stories
from decide.services.learning import IMPACT_ORDER, Facts, partner_type, public_phases
from decide.services.learning_views import (
    Filters,
    coverage_by_rule,
    impact_totals,
    money_by_decile,
    partners,
)

__all__ = ["DATASETS", "LICENCE", "Dataset", "Field", "dataset", "exact_text", "rows_of"]

LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}


@dataclass(frozen=True)
class Field:
    """A column: its name, Table Schema type and meaning."""

    name: str
    type: str
    description: str


Rows = list[tuple[Any, ...]]
Builder = Callable[[Session, Facts, "str | None"], Rows]


@dataclass(frozen=True)
class Dataset:
    """A public dataset: its name (the file name), title, fields and how to build its rows."""

    name: str
    title: str
    fields: tuple[Field, ...]
    build: Builder
    per_round: bool = True

    def schema(self) -> dict[str, Any]:
        """Return the dataset's Frictionless Table Schema."""
        return {
            "fields": [
                {"name": f.name, "type": f.type, "description": f.description} for f in self.fields
            ]
        }


def exact_text(value: Fraction | int) -> str:
    """Write an exact amount as a decimal (six places, rounded, if it has no finite one)."""
    try:
        return format_decimal(value)
    except ValueError:
        return format_decimal(round(Fraction(value), 6))  # exact rounding, never a float


def _shown_rounds(session: Session, round_slug: str | None) -> list[Round]:
    query = select(Round).where(Round.phase != Phase.DRAFT).order_by(Round.id)
    if round_slug is not None:
        query = query.where(Round.slug == round_slug)
    return list(session.scalars(query))


def _public_ids(session: Session, round_slug: str | None) -> dict[int, str]:
    query = (
        select(Round.id, Round.slug)
        .join(RoundManifest, RoundManifest.round_id == Round.id)
        .where(Round.phase.in_(public_phases()))
    )
    if round_slug is not None:
        query = query.where(Round.slug == round_slug)
    return {i: s for i, s in session.execute(query)}


def _rounds(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    counted = {r.slug: r for r in facts.rounds}
    out = []
    for rnd in _shown_rounds(session, round_slug):
        c = counted.get(rnd.slug)
        row = session.get(RoundManifest, rnd.id) if c is not None else None
        m = Manifest.from_json_bytes(row.manifest_json) if row is not None else None
        out.append(
            (
                rnd.slug, rnd.title, rnd.phase.value, rnd.currency, rnd.budget_pence,
                rnd.ballot_kind, m.rule if m else "",
                _canonical(m.rule_parameters) if m else "",
                _canonical(m.tie_break) if m else "",
                c.voters if c else None, c.covered if c else None,
                row.created_at.date().isoformat() if row else None, row.digest if row else "",
            )
        )  # fmt: skip
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _areas(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [(a.slug, a.name, a.population, a.decile) for a in facts.areas]


def _proposals(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    out = []
    for rnd in _shown_rounds(session, round_slug):
        for p in session.scalars(
            select(Proposal).where(Proposal.round_id == rnd.id).order_by(Proposal.id)
        ):
            out.append(
                (
                    rnd.slug, p.id, p.title, p.summary, p.area.slug if p.area else "",
                    partner_type(p.organisation.kind if p.organisation else None),
                    p.organisation.name if p.organisation else "", p.version, p.withdrawn,
                    p.feasibility, p.ballot_cost_pence,
                )
            )  # fmt: skip
    return out


def _versions(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    out = []
    for rnd in _shown_rounds(session, round_slug):
        rows = session.execute(
            select(ProposalVersion, Proposal.id)
            .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
            .where(Proposal.round_id == rnd.id)
            .order_by(Proposal.id, ProposalVersion.number)
        ).all()
        for v, proposal_id in rows:
            content = v.content or {}
            total = sum(int(line.get("amount_pence", 0)) for line in content.get("cost_lines", []))
            out.append(
                (
                    rnd.slug, proposal_id, v.number, v.created_at.date().isoformat(),
                    str(content.get("title", "")), str(content.get("summary", "")), total,
                )
            )  # fmt: skip
    return out


def _projects(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    names = {
        (slug, code): (org or "")
        for slug, code, org in session.execute(
            select(Round.slug, Project.code, Project.organisation_id).join(
                Round, Round.id == Project.round_id
            )
        )
    }
    org_names = _organisation_names(session)
    return [
        (
            p.round_slug, p.code, p.title, p.area_slug or "", p.partner,
            org_names.get(names.get((p.round_slug, p.code)) or 0, ""),
            exact_text(p.allocated), p.funded, p.paid,
        )
        for p in facts.projects
        if round_slug in (None, p.round_slug)
    ]  # fmt: skip


def _organisation_names(session: Session) -> dict[int, str]:
    from decide.models import Organisation

    return {i: n for i, n in session.execute(select(Organisation.id, Organisation.name))}


def _results(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    out = []
    for round_id, slug in sorted(_public_ids(session, round_slug).items()):
        row = session.get(RoundManifest, round_id)
        assert row is not None
        m = Manifest.from_json_bytes(row.manifest_json)
        for p in m.projects:
            amount = m.allocation.get(p.id, Fraction(0))
            out.append(
                (slug, m.rule, p.id, p.name, exact_text(p.cost), amount > 0, exact_text(amount))
            )
    return out


def _payments(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    ids = _public_ids(session, round_slug)
    rows = session.scalars(
        select(LedgerPayment)
        .where(LedgerPayment.round_id.in_(ids))
        .order_by(LedgerPayment.round_id, LedgerPayment.sequence)
    )
    return [
        (ids[p.round_id], p.sequence, p.project_code, p.organisation, p.amount_pence,
         p.paid_on.isoformat(), p.hash)
        for p in rows
    ]  # fmt: skip


def _milestones(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    ids = _public_ids(session, round_slug)
    rows = session.execute(
        select(Milestone, Project.code, Project.round_id)
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.round_id.in_(ids))
        .order_by(Project.round_id, Project.position, Milestone.position, Milestone.id)
    ).all()
    return [
        (ids[rid], code, m.position, m.title, m.planned_on.isoformat(), m.tranche_pence,
         m.status, m.confirmed)
        for m, code, rid in rows
    ]  # fmt: skip


def _impact(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    ids = _public_ids(session, round_slug)
    areas = {i: s for i, s in session.execute(select(Area.id, Area.slug))}
    rows = session.execute(
        select(ImpactFigure, OutcomeMeasure, Project.code, Project.round_id)
        .join(OutcomeMeasure, OutcomeMeasure.id == ImpactFigure.measure_id)
        .join(Project, Project.id == ImpactFigure.project_id)
        .where(Project.round_id.in_(ids), ImpactFigure.withdrawn_at.is_(None))
        .order_by(Project.round_id, *IMPACT_ORDER)
    ).all()
    return [
        (ids[rid], code, m.name, m.unit, m.aggregation, exact_text(f.exact),
         areas.get(f.area_id or 0, ""), f.decile, f.created_at.date().isoformat())
        for f, m, code, rid in rows
    ]  # fmt: skip


def _stories(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    ids = _public_ids(session, round_slug)
    codes = {
        i: code
        for i, code in session.execute(
            select(Project.id, Project.code).where(Project.round_id.in_(ids))
        )
    }
    out = []
    for round_id, slug in sorted(ids.items()):
        # Only stories with consent to the open data that stands: the delivery service's one
        # definition. A story shown on its project page only is never exported.
        stories = shown_stories(session, round_id=round_id, open_data=True)
        for s in sorted(stories, key=lambda s: s.id):
            out.append((slug, codes.get(s.project_id, ""), s.title, s.text,
                        s.consent_on.isoformat(), s.consent_use))  # fmt: skip
    return out


def _money_by_decile(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [
        (r.decile, r.population, exact_text(r.allocated), r.paid,
         exact_text(r.allocated_per_resident), exact_text(r.paid_per_resident))
        for r in money_by_decile(facts, Filters())
    ]  # fmt: skip


def _impact_totals(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [
        (t.measure, t.unit, t.aggregation, exact_text(t.total), t.figures, t.projects)
        for t in impact_totals(facts.impact)
    ]


def _turnout_by_area(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [(r.area_slug, r.round_slug, r.voters) for r in facts.turnout] + [
        (None, r.slug, r.unplaced) for r in facts.rounds if r.unplaced
    ]


def _partners(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [
        (r.partner, r.proposals, r.funded, exact_text(r.allocated))
        for r in partners(facts, Filters())
    ]


def _coverage(session: Session, facts: Facts, round_slug: str | None) -> Rows:
    return [(r.rule, r.rounds, r.voters, r.covered) for r in coverage_by_rule(facts, Filters())]


def _f(spec: str) -> tuple[Field, ...]:
    """Parse 'name:type:description' lines."""
    out = []
    for line in spec.strip().splitlines():
        name, kind, description = line.strip().split(":", 2)
        out.append(Field(name, kind, description.strip()))
    return tuple(out)


ROUND = "round:string:the round's slug (its id in these files)"
DATASETS: tuple[Dataset, ...] = (
    Dataset("rounds", "Rounds", _f(f"""
        {ROUND}
        title:string:title
        phase:string:draft, proposals, deliberation, voting, closed, published or delivery
        currency:string:ISO 4217 code; amounts are in its minor unit (pence)
        budget_pence:integer:budget
        ballot_kind:string:approval, knapsack, cumulative or ranked
        rule:string:the confirmed allocation rule (once published)
        rule_parameters:string:the rule's parameters, as JSON (as in the manifest)
        tie_break:string:the tie-break, as JSON (as in the manifest)
        voters:integer:ballots in the published ballots.pb
        covered:integer:voters with at least one funded project they supported
        published_on:date:the day the manifest was written
        manifest_sha256:string:the manifest digest the panel signed
    """), _rounds),
    Dataset("areas", "Areas", _f("""
        area:string:the area's slug
        name:string:name
        population:integer:residents
        deprivation_decile:integer:1 is the most deprived tenth (English IMD)
    """), _areas),
    Dataset("proposals", "Proposals", _f(f"""
        {ROUND}
        proposal:integer:proposal number
        title:string:title (latest version)
        summary:string:summary (latest version)
        area:string:area slug
        partner_type:string:community-asset, statutory, researcher or resident
        organisation:string:the proposing organisation (none for a resident)
        version:integer:latest version number
        withdrawn:boolean:withdrawn by its author
        feasibility:string:pending, feasible or infeasible
        cost_pence:integer:the cost voters would see
    """), _proposals),
    Dataset("proposal_versions", "Proposal versions", _f(f"""
        {ROUND}
        proposal:integer:proposal number
        version:integer:version number
        saved_on:date:the day this version was saved
        title:string:title in this version
        summary:string:summary in this version
        cost_pence:integer:sum of the cost lines in this version
    """), _versions),
    Dataset("projects", "Projects", _f(f"""
        {ROUND}
        code:string:the project's id on the ballot and in ballots.pb
        title:string:title
        area:string:area slug
        partner_type:string:who proposed it: community-asset, statutory, researcher or resident
        organisation:string:the organisation paid
        allocated_pence:number:allocated by the published result (exact)
        funded:boolean:funded by the published result
        paid_pence:integer:paid so far, from the ledger
    """), _projects),
    Dataset("results", "Results per rule", _f(f"""
        {ROUND}
        rule:string:the confirmed rule
        code:string:project code
        name:string:project name
        cost_pence:number:cost on the ballot
        selected:boolean:funded
        amount_pence:number:amount allocated (exact)
    """), _results),
    Dataset("payments", "Ledger payments", _f(f"""
        {ROUND}
        sequence:integer:position in the round's hash-chained ledger
        code:string:project code
        organisation:string:organisation paid
        amount_pence:integer:amount
        paid_on:date:payment date
        hash:string:the ledger entry's chain hash
    """), _payments),
    Dataset("milestones", "Milestones", _f(f"""
        {ROUND}
        code:string:project code
        position:integer:order within the project
        title:string:title
        planned_on:date:planned date
        tranche_pence:integer:payment tranche tied to it
        status:string:not-started, on-track, delayed or completed
        confirmed:boolean:completion confirmed by the facilitator
    """), _milestones),
    Dataset("impact", "Impact figures", _f(f"""
        {ROUND}
        code:string:project code
        measure:string:outcome measure
        unit:string:unit
        aggregation:string:how figures combine: sum, mean, or latest (running totals; rows in order)
        value:number:reported value (exact)
        area:string:area slug, when reported by area
        decile:integer:deprivation decile, when reported by decile
        reported_on:date:day reported
    """), _impact),
    Dataset("stories", "Stories (with consent to open data)", _f(f"""
        {ROUND}
        code:string:project code
        title:string:title
        text:string:the account
        consent_on:date:day consent was recorded
        consent_use:string:a note on the consent, in the person's words (may be empty)
    """), _stories),
    Dataset("dashboard_money_by_decile", "Dashboard: money by deprivation decile", _f("""
        decile:integer:deprivation decile
        population:integer:residents of the decile's areas
        allocated_pence:number:allocated to projects in those areas (exact)
        paid_pence:integer:paid to them, from the ledger
        allocated_per_resident_pence:number:allocated / population
        paid_per_resident_pence:number:paid / population
    """), _money_by_decile, per_round=False),
    Dataset("dashboard_impact", "Dashboard: impact per measure", _f("""
        measure:string:outcome measure
        unit:string:unit
        aggregation:string:sum, mean, or latest (each project's latest per breakdown, added up)
        total:number:the combined figure (exact, or a mean to six places)
        figures:integer:figures combined
        projects:integer:projects reporting
    """), _impact_totals, per_round=False),
    Dataset("dashboard_turnout", "Dashboard: voters by area and round", _f(f"""
        area:string:area slug (empty: voters whose area is not known)
        {ROUND}
        voters:integer:voters
    """), _turnout_by_area, per_round=False),
    Dataset("dashboard_partners", "Dashboard: proposals and funding by partner type", _f("""
        partner_type:string:partner type
        proposals:integer:proposals made
        funded:integer:projects funded
        allocated_pence:number:allocated to them (exact)
    """), _partners, per_round=False),
    Dataset("dashboard_coverage", "Dashboard: each rule's coverage", _f("""
        rule:string:allocation rule
        rounds:integer:rounds published under it
        voters:integer:their voters
        covered:integer:voters with at least one funded project they supported
    """), _coverage, per_round=False),
)  # fmt: skip


def dataset(name: str, *, per_round: bool = False) -> Dataset | None:
    """Return the dataset with this name (for a round, only the per-round ones)."""
    found = next((d for d in DATASETS if d.name == name), None)
    if found is None or (per_round and not found.per_round):
        return None
    return found


def rows_of(
    session: Session, facts: Facts, ds: Dataset, round_slug: str | None = None
) -> Sequence[tuple[Any, ...]]:
    """Return the dataset's rows (for one round when a slug is given)."""
    return ds.build(session, facts, round_slug)


def cell(value: Any) -> str:
    """Write one CSV cell: booleans as true/false, None as empty, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
