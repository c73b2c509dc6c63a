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
and update it only for the voters who just paid. All loads are kept as integer numerators over
one shared denominator, so that bookkeeping is plain integer arithmetic: exact, and free of the
gcd work each rational addition would do.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import chain
from math import gcd, lcm
from operator import mul

from gmpy2 import mpq

from ballots.model import Instance, Profile
from decide.allocation.core import LEX, Outcome, PhragmenRound, TieBreak, make_outcome
from decide.allocation.prepare import Prepared, Q, prepare, to_fraction


def _least_loads(
    active: list[int], total: list[int], approvals: list[int]
) -> tuple[list[int], int, int]:
    """The projects with the smallest total[p] / approvals[p] (compared exactly, by
    cross-multiplying), and that ratio's numerator and denominator."""
    s = active[0]
    best_total, best_app = total[s], approvals[s]
    tied = [s]
    for p in active[1:]:
        lhs, rhs = total[p] * best_app, best_total * approvals[p]
        if lhs < rhs:
            best_total, best_app = total[p], approvals[p]
            tied = [p]
        elif lhs == rhs:
            tied.append(p)
    return tied, best_total, best_app


def _move_supporters(
    prep: Prepared,
    supporters: list[int],
    last: list[int],
    level: list[int],
    total: list[int],
    num: int,
) -> None:
    """Move a bought project's supporting groups from their old load to the new one (`num`,
    about to be level[len(level)]): count them per old load in integers first, then touch each
    project's total once per old load."""
    groups, mult = prep.groups, prep.mult
    new = len(level)
    by_old: dict[int, list[int]] = {}
    for g in supporters:
        by_old.setdefault(last[g], []).append(g)
        last[g] = new
    for old, members in by_old.items():
        # Counter counts in C, each group's (project, points) pairs repeated per voter.
        counts = Counter(
            chain.from_iterable(
                map(mul, map(groups.__getitem__, members), map(mult.__getitem__, members))
            )
        )
        delta = num - level[old]
        for (i, _pts), c in counts.items():
            total[i] += c * delta


def _buy_unsupported(
    prep: Prepared,
    affordable: list[int],
    keys: list[str],
    spent: mpq,
    selected: list[int],
    steps: list[PhragmenRound],
) -> None:
    """Only unsupported projects are left, all tied at infinite load: buy them in tie-break
    order while every one of them still fits."""
    costs, budget = prep.costs, prep.budget
    rest = sorted((i for i in affordable if not prep.approvals[i]), key=keys.__getitem__)
    while rest and all(spent + costs[p] <= budget for p in rest):
        s = rest.pop(0)
        selected.append(s)
        spent += costs[s]
        steps.append(
            PhragmenRound(project=prep.ids[s], cost=to_fraction(costs[s]), load=None, supporters=0)
        )


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
    approvals = prep.approvals
    affordable = [i for i in range(m) if costs[i] <= budget]
    active = [i for i in affordable if approvals[i]]
    # Every load is an integer numerator over one common denominator `den`. total[p] is the
    # numerator of (sum of p's supporters' loads + cost(p)), so p's new load would be
    # total[p] / (approvals[p] * den). Entries of projects no longer active go stale.
    den = lcm(*(int(costs[i].denominator) for i in active))
    total = [0] * m
    for i in active:
        total[i] = int(costs[i].numerator) * (den // int(costs[i].denominator))
    level = [0]  # numerator of the starting load, then of each bought project's load
    last = [0] * len(prep.groups)  # index in `level` of each group's current load
    sup: list[list[int]] = [[] for _ in range(m)]
    for g, ballot in enumerate(prep.groups):
        for i, _pts in ballot:
            sup[i].append(g)
    spent = Q(0)
    selected: list[int] = []
    steps: list[PhragmenRound] = []
    stopped = False
    while active:
        tied, best_total, best_app = _least_loads(active, total, approvals)
        if any(spent + costs[p] > budget for p in tied):
            stopped = True
            break
        s = min(tied, key=keys.__getitem__)
        active.remove(s)
        selected.append(s)
        spent += costs[s]
        # The new load is best_total / (best_app * den); grow `den` just enough that it stays
        # an integer numerator, scaling every live numerator by the same factor.
        common = gcd(best_total, best_app)
        num, grow = best_total // common, best_app // common
        if grow > 1:
            den *= grow
            for p in active:
                total[p] *= grow
            level = [x * grow for x in level]
        steps.append(
            PhragmenRound(
                project=prep.ids[s],
                cost=to_fraction(costs[s]),
                load=Fraction(num, den),
                supporters=approvals[s],
            )
        )
        _move_supporters(prep, sup[s], last, level, total, num)
        level.append(num)
    if not stopped:
        _buy_unsupported(prep, affordable, keys, spent, selected, steps)
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
