"""The dashboard's sections: figures, chart geometry (audits.charts) and a summary in words.

Kept apart from the view so the figures and sentences can be tested without a request. Every
section has the same shape: `rows` for its table, a chart, and `summary` (one or two
sentences saying what the chart shows, for everyone and for screen readers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from audits import charts
from ballots.wording import combined_words, exact_figure, impact_total_text, money, plural
from decide.allocation.names import rule_name
from decide.services.learning import Facts
from decide.services.learning_views import (
    AWAITING_CONFIRMATION,
    Filters,
    ImpactTotal,
    coverage_by_rule,
    impact_totals,
    milestone_counts,
    money_by_decile,
    partners,
    turnout_by_area,
    turnout_by_decile_and_round,
)

per_thousand = charts.per_thousand_text


def percent(share: Fraction) -> str:
    """Write a share as a whole percentage, rounded half up: 2/3 -> '67%'."""
    return f"{int(share * 100 + Fraction(1, 2))}%"


@dataclass(frozen=True)
class ImpactLine:
    """One measure's total over the chosen rounds, as the table writes it."""

    total: ImpactTotal

    @property
    def text(self) -> str:
        """Write the total exactly (a mean without a short decimal to two places)."""
        return impact_total_text(self.total.total)

    @property
    def how(self) -> str:
        """Say how the figures were combined."""
        t = self.total
        return combined_words(t.aggregation, t.figures, t.projects)


def _turnout(known: Facts, filters: Filters) -> dict[str, Any]:
    rounds, series = turnout_by_decile_and_round(known, filters)
    labels = [str(r.position + 1) for r in rounds]
    lines = [
        charts.Series(f"D{d}", tuple(rate.per_thousand for rate in rates))
        for d, rates in series.items()
    ]
    chart = charts.line_chart(labels, lines)
    latest = {d: rates[-1] for d, rates in series.items() if rates}
    summary = "No round with published results matches these filters."
    if latest:
        high = max(latest.values(), key=lambda r: (r.per_thousand, -r.decile))
        low = min(latest.values(), key=lambda r: (r.per_thousand, r.decile))
        summary = (
            f"In {rounds[-1].title}, areas in deprivation decile {high.decile} had the most "
            f"voters per 1,000 residents ({per_thousand(high.per_thousand)}), and decile "
            f"{low.decile} the fewest ({per_thousand(low.per_thousand)})."
        )
    return {"rounds": rounds, "series": series, "chart": chart, "summary": summary}


def _areas(known: Facts, filters: Filters) -> dict[str, Any]:
    rows = turnout_by_area(known, filters)
    rounds = filters.rounds(known)
    per_area = defaultdict(dict)  # type: ignore[var-annotated]
    for t in known.turnout:
        per_area[t.area_slug][t.round_slug] = t.voters
    labels = [str(r.position + 1) for r in rounds]
    series = [
        (
            area,
            charts.Series(
                area.name,
                tuple(
                    Fraction(per_area[area.slug].get(r.slug, 0) * 1000, area.population)
                    if area.population
                    else Fraction(0)
                    for r in rounds
                ),
            ),
        )
        for area in filters.areas(known)
    ]
    # One scale for every panel, so that their heights compare (the caption says it).
    top = charts.shared_top([s for _, s in series])
    multiples = [
        (area, charts.line_chart(labels, [s], width=160, height=100, label_room=8, top=top))
        for area, s in series
    ]
    scale = (
        f"Every panel has the same scale, from 0 to {exact_figure(top)} voters per 1,000 "
        "residents, so their heights can be compared."
    )
    best = max(rows, key=lambda r: r.per_thousand, default=None)
    summary = (
        f"Over {plural(len(rounds), 'round')}, {best.label} (decile {best.decile}) had the most "
        f"voters per 1,000 residents per round: {per_thousand(best.per_thousand)}."
        if best is not None and best.voters
        else "No voters are placed in these areas yet (only account voters have a known area)."
    )
    return {"rows": rows, "multiples": multiples, "summary": summary, "scale": scale}


def _money(known: Facts, filters: Filters, currency: str) -> dict[str, Any]:
    rows = money_by_decile(known, filters)
    chart, stacks = charts.stacked_bars(
        [
            (
                f"Decile {r.decile}",
                (r.paid_per_resident, r.allocated_per_resident - r.paid_per_resident),
                money(r.allocated_per_resident, currency),
            )
            for r in rows
        ]
    )
    allocated = sum((r.allocated for r in rows), Fraction(0))
    paid = sum(r.paid for r in rows)
    top = max(rows, key=lambda r: (r.allocated_per_resident, -r.decile), default=None)
    summary = (
        f"{money(allocated, currency)} allocated and {money(paid, currency)} paid to projects in "
        f"these areas. Decile {top.decile} received the most per resident: "
        f"{money(top.allocated_per_resident, currency)} allocated, "
        f"{money(top.paid_per_resident, currency)} paid."
        if top is not None and allocated
        else "No money has been allocated to projects in these areas yet."
    )
    ids = {r.slug: r for r in known.rounds}
    funded = [(ids[p.round_slug], p) for p in filters.projects(known) if p.funded]
    return {
        "rows": rows, "chart": chart, "stacks": stacks, "summary": summary, "funded": funded,
        "area_names": {a.slug: a.name for a in known.areas},
    }  # fmt: skip


def _partners(known: Facts, filters: Filters, currency: str) -> dict[str, Any]:
    rows = partners(known, filters)
    chart, stacks = charts.stacked_bars(
        [(r.label, (r.funded, max(r.proposals - r.funded, 0)), str(r.proposals)) for r in rows]
    )
    parts = [f"{r.label.lower()}s made {r.proposals} and had {r.funded} funded" for r in rows]
    summary = "Proposals by partner type: " + "; ".join(parts) + "." if rows else ""
    return {"rows": rows, "chart": chart, "stacks": stacks, "summary": summary}


def _coverage(known: Facts, filters: Filters) -> dict[str, Any]:
    rows = coverage_by_rule(known, filters)
    chart = charts.bars([(rule_name(r.rule), r.share * 100, percent(r.share)) for r in rows])
    parts = [f"{percent(r.share)} of voters under {rule_name(r.rule)}" for r in rows]
    summary = (
        "A funded project that they had supported: " + "; ".join(parts) + "."
        if rows
        else "No published ballots match these filters."
    )
    return {"rows": rows, "chart": chart, "summary": summary}


def _delivery(known: Facts, filters: Filters) -> dict[str, Any]:
    codes = {(p.round_slug, p.code) for p in filters.projects(known)}
    milestones = [m for m in known.milestones if (m.round_slug, m.code) in codes]
    status_rows = milestone_counts(milestones)
    counts = dict(status_rows)
    waiting = counts[AWAITING_CONFIRMATION]
    chart = charts.bars([(label, n, str(n)) for label, n in status_rows])
    impact = [
        ImpactLine(t)
        for t in impact_totals(f for f in known.impact if (f.round_slug, f.code) in codes)
    ]
    confirmed = sum(1 for m in milestones if m.confirmed)
    summary = (
        f"{plural(len(milestones), 'milestone')} planned for the funded projects: "
        f"{confirmed} completed (only milestones the facilitator confirmed count as completed; "
        f"{waiting} more {'awaits' if waiting == 1 else 'await'} confirmation), "
        f"{counts['Delayed']} delayed."
        if milestones
        else "No milestones have been planned for these projects yet."
    )
    return {"rows": status_rows, "chart": chart, "impact": impact, "summary": summary}


def dashboard(known: Facts, filters: Filters) -> dict[str, Any]:
    """Return every section of the dashboard for these filters."""
    currency = known.rounds[0].currency if known.rounds else "GBP"
    return {
        "currency": currency,
        "rounds": filters.rounds(known),
        "turnout": _turnout(known, filters),
        "areas": _areas(known, filters),
        "money": _money(known, filters, currency),
        "partners": _partners(known, filters, currency),
        "coverage": _coverage(known, filters),
        "delivery": _delivery(known, filters),
        "per_thousand": per_thousand,
        "percent": percent,
    }
