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
    whole, room, cut = _greedy_fill(free[::-1], weights, costs, room)
    total += whole
    if cut is not None:
        total += Fraction(weights[cut] * room, costs[cut])
    return total


def _greedy_fill(
    items: list[int], weights: list[int], costs: list[int], room: int
) -> tuple[int, int, int | None]:
    """Take whole items in the order given (densest first) while they fit: return their value,
    the room left, and the first item that did not fit (None if all did). The linear
    relaxation adds that item's fraction room / cost."""
    whole = 0
    for i in items:
        if costs[i] > room:
            return whole, room, i
        whole += weights[i]
        room -= costs[i]
    return whole, room, None


def knapsack_at_least(
    weights: list[int],
    costs: list[int],
    capacity: int,
    fixed: dict[int, int],
    floor: int,
    limit: int = 200_000,
) -> set[int] | None:
    """Return a selection worth at least `floor` within `capacity` that respects `fixed`, or
    None when there is none, in exact integer arithmetic (depth-first branch and bound, pruned
    by the linear-relaxation bound rounded down: weights are integers). Raises OverflowError
    after `limit` nodes.

    CBC's answers are checked with it: CBC's knapsack cover cuts can cut off the optimum and
    still report "Optimal" (coin-or/Cbc issue 82, coin-or/Cgl issue 32), and we met such a case
    on five projects."""
    chosen = {i for i, v in fixed.items() if v}
    value = sum(weights[i] for i in chosen)
    room = capacity - sum(costs[i] for i in chosen)
    if room < 0:
        return None
    free = [i for i in range(len(weights)) if i not in fixed and weights[i] > 0]
    for i in [i for i in free if costs[i] == 0]:  # worth something and free: always take
        chosen.add(i)
        value += weights[i]
    items = sorted(
        (i for i in free if 0 < costs[i] <= room),
        key=lambda i: (-Fraction(weights[i], costs[i]), i),
    )
    nodes = 0

    def bound(k: int, room: int, value: int) -> int:
        """The relaxation bound, rounded down (weights are integers)."""
        whole, room, cut = _greedy_fill(items[k:], weights, costs, room)
        if cut is None:
            return value + whole
        return value + whole + weights[cut] * room // costs[cut]

    def search(k: int, room: int, value: int, taken: list[int]) -> list[int] | None:
        nonlocal nodes
        nodes += 1
        if nodes > limit:
            raise OverflowError("knapsack search: too many nodes")
        if value >= floor:
            return taken
        if k == len(items) or bound(k, room, value) < floor:
            return None
        i = items[k]
        if costs[i] <= room:
            found = search(k + 1, room - costs[i], value + weights[i], [*taken, i])
            if found is not None:
                return found
        return search(k + 1, room, value, taken)

    found = search(0, room, value, [])
    return None if found is None else chosen | set(found)


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
    weights, common = _welfare_weights(costs, prep.approvals, budget)
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
    # Certify CBC's optimum exactly: no selection may be worth more. Where one is, CBC stopped
    # short (see knapsack_at_least): climb to the true optimum.
    while (better := _exact_search(weights, costs, budget, out, target + 1)) is not None:
        optimum, target = better, program.value(better)
    order = sorted(range(n), key=lambda i: tie_break.key(prep.ids[i]))
    order = [i for i in order if i not in out]
    chosen = lexicographic_best(
        program,
        optimum,
        order,
        upper_bound=lambda fx: knapsack_bound(weights, costs, budget, {**out, **fx}),
        search=lambda fx: _exact_search(weights, costs, budget, {**out, **fx}, target),
    )
    selected = [prep.ids[i] for i in order if i in chosen]
    welfare = Fraction(target * common, scale)
    spent = sum(costs[i] for i in chosen)
    # Price of the budget: support gained per unit of money at the margin (LP relaxation).
    relaxed = knapsack_bound(weights, costs, budget + 1, out) - knapsack_bound(
        weights, costs, budget, out
    )
    budget_report = ConstraintReport(
        name="budget",
        description=budget_c.description,
        binding=spent == budget or relaxed > 0,
        slack=Fraction(budget - spent, scale),
        price=relaxed * common,
    )
    report = ProgramReport(
        objective=welfare,
        status="optimal",
        constraints=(budget_report,),
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


def _welfare_weights(costs: list[int], approvals: list[int], budget: int) -> tuple[list[int], int]:
    """Welfare weight cost * supporters (0 for a project that cannot fit), divided by their
    common factor to keep CBC's numbers small; and that factor."""
    raw = [c * a if c <= budget else 0 for c, a in zip(costs, approvals)]
    common = 0
    for w in raw:
        common = _gcd(common, w)
    common = common or 1
    return [w // common for w in raw], common


def _exact_search(
    weights: list[int], costs: list[int], capacity: int, fixed: dict[int, int], floor: int
) -> set[int] | None:
    """knapsack_at_least, or None on a search too large to finish (CBC's answer then stands)."""
    try:
        return knapsack_at_least(weights, costs, capacity, fixed, floor)
    except OverflowError:  # pragma: no cover - PB knapsacks are easy for branch and bound
        return None


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return abs(a)
