"""Maximum utilitarian welfare with cost satisfaction, as an integer program (PuLP + CBC).

Definition (pabutools 1.2.3 ``rules/maxwelfare.py``, ``max_additive_utilitarian_welfare`` with
``Cost_Sat``): choose the set of projects within the budget that maximises the sum, over voters,
of the cost of the funded projects they support, i.e. sum over funded p of cost(p) * supporters(p).
Ranked and points ballots count as support for every project they list.

pabutools returns one optimal set with no control over ties. Here, among all optimal sets, the
tie-break decides lexicographically: the first project in tie-break order is funded if any
optimal set funds it, then the second, and so on (see `programs.lexicographic_best`).
"""

from __future__ import annotations

from fractions import Fraction

from ballots.model import Instance, Profile
from decide.allocation.core import (
    LEX,
    ConstraintReport,
    Outcome,
    ProgramReport,
    TieBreak,
    fraction_text,
    make_outcome,
)
from decide.allocation.prepare import Prepared, prepare
from decide.allocation.programs import LinearConstraint, Program, lexicographic_best, money_scale


def knapsack_bound(
    weights: list[int], costs: list[int], capacity: int, fixed: dict[int, int]
) -> Fraction:
    """Return the linear-relaxation bound of a 0/1 knapsack with some items fixed, exactly."""
    total = Fraction(0)
    room = capacity
    for i, v in fixed.items():
        if v:
            total += weights[i]
            room -= costs[i]
    if room < 0:
        return Fraction(-1)
    free = [i for i in range(len(weights)) if i not in fixed and weights[i] > 0]
    free.sort(key=lambda i: Fraction(weights[i], costs[i]) if costs[i] else Fraction(10**30))
    for i in reversed(free):
        if costs[i] <= room:
            total += weights[i]
            room -= costs[i]
        else:
            total += Fraction(weights[i] * room, costs[i])
            break
    return total


def utilitarian(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    prepared: Prepared | None = None,
) -> Outcome:
    """Fund the set of projects with the greatest total support-weighted cost within the budget."""
    prep = prepared or prepare(instance, profile)
    costs_f = [p.cost for p in instance.projects]
    scale = money_scale([*costs_f, instance.budget])
    costs = [int(c * scale) for c in costs_f]
    budget = int(instance.budget * scale)
    n = len(costs)
    # Welfare weight cost * supporters, divided by a common factor to keep CBC's numbers small.
    raw = [costs[i] * prep.approvals[i] if costs[i] <= budget else 0 for i in range(n)]
    common = 0
    for w in raw:
        common = _gcd(common, w)
    common = common or 1
    weights = [w // common for w in raw]
    budget_c = LinearConstraint(
        "budget",
        "the total cost of funded projects is at most the budget",
        {i: c for i, c in enumerate(costs)},
        "<=",
        budget,
    )
    program = Program(n, weights, [budget_c])
    # Projects that cannot fit are fixed out; they would only slow CBC down.
    out = {i: 0 for i in range(n) if costs[i] > budget}
    optimum = program.solve(fixed=out)
    if optimum is None:  # pragma: no cover - the empty set is always feasible
        raise RuntimeError("utilitarian: CBC found no solution")
    target = program.value(optimum)
    bound = knapsack_bound(weights, costs, budget, out)
    if bound < target:  # pragma: no cover - CBC answer contradicts the relaxation
        raise RuntimeError("utilitarian: inconsistent solver answer")
    order = sorted(range(n), key=lambda i: tie_break.key(prep.ids[i]))
    order = [i for i in order if i not in out]
    chosen = lexicographic_best(
        program,
        optimum,
        order,
        upper_bound=lambda fx: knapsack_bound(weights, costs, budget, {**out, **fx}),
    )
    selected = [prep.ids[i] for i in order if i in chosen]
    welfare = Fraction(target * common, scale)
    spent = sum(costs[i] for i in chosen)
    # Price of the budget: support gained per unit of money at the margin (LP relaxation).
    relaxed = knapsack_bound(weights, costs, budget + 1, out) - knapsack_bound(
        weights, costs, budget, out
    )
    report = ProgramReport(
        objective=welfare,
        status="optimal",
        constraints=(
            ConstraintReport(
                name="budget",
                description=budget_c.description,
                binding=spent == budget or relaxed > 0,
                slack=Fraction(budget - spent, scale),
                price=relaxed * common,
            ),
        ),
        tie_break_note=(
            "Among all sets with the greatest welfare, projects earlier in tie-break order are "
            "preferred one by one (lexicographic)."
        ),
    )
    return make_outcome(
        "utilitarian",
        instance,
        selected,
        tie_break,
        program=report,
        notes=(
            "The funded set maximises the total, over voters, of the cost of the funded "
            "projects each supports, within the budget. Ranked and points ballots count as "
            "support for every project they list.",
        ),
        details={
            "welfare": fraction_text(welfare),
            "supporters": prep.supporters([i for i in order if i in chosen]),
        },
    )


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return abs(a)
