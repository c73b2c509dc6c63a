"""Sequential Phragmén: voters earn money continuously and buy projects as soon as they can.

Definition (Brill, Freeman, Janson and Lackner, "Phragmén's voting methods and justified
representation", AAAI 2017; pabutools 1.2.3 ``rules/phragmen.py``):

- Projects costing more than the budget are dropped first.
- Each round, for each remaining project p: its new load is (sum of its supporters' loads +
  cost(p)) / number of supporters. The project with the smallest new load is bought (ties by the
  tie-break) and all its supporters' loads become that value.
- The rule stops at the first round where a project tied for the smallest load would overshoot
  the budget; it does not skip to a cheaper one. Projects nobody supports have infinite load and
  are bought at the end if they (and every other remaining project) fit.
- Ranked and points ballots count as approval of every project they list.

Every supporter of the project just bought ends with the same load, so a voter's load is the
load of the last bought project they support; we keep each project's sum of supporters' loads
and update it only for the voters who just paid.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any

from ballots.model import Instance, Profile
from decide.allocation.core import LEX, Outcome, PhragmenRound, TieBreak, make_outcome
from decide.allocation.prepare import Prepared, Q, prepare, to_fraction


def phragmen(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    prepared: Prepared | None = None,
) -> Outcome:
    """Fund projects by sequential Phragmén."""
    prep = prepared or prepare(instance, profile)
    costs = prep.costs
    budget = prep.budget
    m = len(prep.ids)
    keys = [tie_break.key(pid) for pid in prep.ids]
    sup: list[list[int]] = [[] for _ in range(m)]
    for g, ballot in enumerate(prep.groups):
        for i, _pts in ballot:
            sup[i].append(g)
    approvals = prep.approvals
    remaining = {i for i in range(m) if costs[i] <= budget}
    load_sum: list[Any] = [Q(0)] * m
    loads: list[Any] = [Q(0)]  # loads[0] is the starting load; then one per project bought
    last = [0] * len(prep.groups)  # index in `loads` of each group's current load
    weighted = [[i for i, _pts in ballot] * m for ballot, m in zip(prep.groups, prep.mult)]
    spent = Q(0)
    selected: list[int] = []
    steps: list[PhragmenRound] = []
    while remaining:
        best: Any = None
        tied: list[int] = []
        for p in remaining:
            if approvals[p] == 0:
                continue
            load = (load_sum[p] + costs[p]) / approvals[p]
            if best is None or load < best:
                best = load
                tied = [p]
            elif load == best:
                tied.append(p)
        if best is None:  # only unsupported projects are left: all tied at infinite load
            tied = list(remaining)
        if any(spent + costs[p] > budget for p in tied):
            break
        s = min(tied, key=keys.__getitem__)
        remaining.discard(s)
        selected.append(s)
        spent += costs[s]
        steps.append(
            PhragmenRound(
                project=prep.ids[s],
                cost=to_fraction(costs[s]),
                load=None if best is None else to_fraction(best),
                supporters=approvals[s],
            )
        )
        if best is None:
            continue
        # Supporters of s move from their old load to `best`: count them per old load in
        # integers first, then touch each project's exact sum once per old load.
        by_old: dict[int, list[int]] = {}
        for g in sup[s]:
            by_old.setdefault(last[g], []).append(g)
            last[g] = len(loads)
        for old, members in by_old.items():
            # Counter counts in C; each group's list already repeats its projects per voter.
            counts = Counter(chain.from_iterable(map(weighted.__getitem__, members)))
            delta = best - loads[old]
            for i, c in counts.items():
                load_sum[i] += c * delta
        loads.append(best)
    return make_outcome(
        "phragmen",
        instance,
        [prep.ids[i] for i in selected],
        tie_break,
        steps=tuple(steps),
        notes=(
            "Supporters share the cost of each project they get; the next project is the one "
            "that keeps the largest share any voter carries as small as possible. Ranked and "
            "points ballots count as support for every project they list.",
        ),
        details={"supporters": prep.supporters(selected)},
    )
