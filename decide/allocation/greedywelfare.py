"""Greedy utilitarian welfare: fund projects by score per unit of cost, skipping what won't fit.

Definition (pabutools 1.2.3, ``rules/greedywelfare/greedywelfare_rule.py``, additive scheme):
order the projects by tie-break order, then stable-sort them by satisfaction density (total
satisfaction divided by cost), highest first; walk the list once and fund every project whose
cost is at most the money remaining.

- With cost satisfaction (approval and ordinal ballots) a voter's satisfaction from a project is
  its cost, so the density is the number of supporters.
- With additive cardinal satisfaction (cumulative and scoring ballots) the density is the total
  points per unit of cost.
- Projects nobody supports have density 0 and are still funded if they fit; a project costing
  nothing with positive satisfaction has infinite density.
"""

from __future__ import annotations

from typing import Any

from ballots.model import Instance, Profile
from decide.allocation.core import LEX, GreedyStep, Outcome, TieBreak, make_outcome
from decide.allocation.prepare import Prepared, prepare, to_fraction


def greedy_order(prep: Prepared, tie_break: TieBreak, skip: set[int]) -> list[tuple[int, Any]]:
    """Return ``(project index, density or None for infinite)`` in greedy order."""
    by_tie = sorted(
        (i for i in range(len(prep.ids)) if i not in skip), key=lambda i: tie_break.key(prep.ids[i])
    )
    scored: list[tuple[tuple[int, Any], int, Any]] = []
    for rank, i in enumerate(by_tie):
        cost = prep.costs[i]
        total = prep.points[i] if prep.cardinal else cost * prep.approvals[i]
        if total > 0:
            if cost > 0:
                density = total / cost
                scored.append(((1, -density), rank, density))
            else:
                scored.append(((0, 0), rank, None))
        else:
            scored.append(((2, 0), rank, 0))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [(by_tie[rank], density) for _, rank, density in scored]


def greedy_fill(
    prep: Prepared, tie_break: TieBreak, initial: list[int], phase: str = "greedy"
) -> tuple[list[int], list[GreedyStep]]:
    """Complete `initial` greedily; return the indices funded (initial first) and the steps."""
    selected = list(initial)
    remaining = prep.budget - sum((prep.costs[i] for i in initial), 0)
    steps: list[GreedyStep] = []
    for i, density in greedy_order(prep, tie_break, set(initial)):
        cost = prep.costs[i]
        funded = cost <= remaining
        if funded:
            selected.append(i)
            remaining -= cost
        steps.append(
            GreedyStep(
                project=prep.ids[i],
                score=None if density is None else to_fraction(density),
                cost=to_fraction(cost),
                funded=funded,
                remaining_after=to_fraction(remaining),
                phase=phase,
            )
        )
    return selected, steps


def greedy(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    prepared: Prepared | None = None,
) -> Outcome:
    """Fund projects greedily by supporters (or points) per unit of cost."""
    prep = prepared or prepare(instance, profile)
    selected, steps = greedy_fill(prep, tie_break, [])
    notes = [_satisfaction_note(prep)]
    return make_outcome(
        "greedy",
        instance,
        [prep.ids[i] for i in selected],
        tie_break,
        steps=tuple(steps),
        notes=tuple(notes),
        details={
            "satisfaction": "points" if prep.cardinal else "cost",
            "supporters": prep.supporters(selected),
        },
    )


def _satisfaction_note(prep: Prepared) -> str:
    if prep.cardinal:
        return "Projects are ranked by total points per unit of cost."
    return (
        "Projects are ranked by number of supporters; ranked ballots count as support for "
        "every project they list."
    )
