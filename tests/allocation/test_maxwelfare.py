"""The utilitarian integer program: CBC's optimum is certified in exact arithmetic.

CBC's knapsack cover cuts can cut off the optimum while reporting "Optimal" (coin-or/Cbc issue
82, coin-or/Cgl issue 32). Hypothesis found such an election against pabutools; it is kept
below, and the exact search behind the certificate is checked against brute force.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation.maxwelfare import knapsack_at_least, utilitarian


def test_welfare_is_optimal_where_cbc_stops_short() -> None:
    """Budget 27; "10" has three supporters, the rest two. CBC 2.10 answers {1, 2, 9, 11}
    (welfare 50) and calls it optimal; {2, 10, 11} gives 20 * 2 + 6 * 3 = 58."""
    projects = tuple(
        Project(pid, Fraction(cost))
        for pid, cost in (("1", 2), ("2", 10), ("9", 3), ("10", 6), ("11", 10))
    )
    everything = ("1", "2", "9", "10", "11")
    ballots = (Ballot("0", ("10",)), Ballot("1", everything), Ballot("2", everything))
    outcome = utilitarian(Instance(Fraction(27), projects), Profile("approval", ballots))
    assert outcome.details["welfare"] == "58"
    assert sorted(outcome.selected) == ["10", "11", "2"]


def _brute(
    weights: list[int], costs: list[int], capacity: int, fixed: dict[int, int]
) -> int | None:
    n = len(weights)
    best = None
    for r in range(n + 1):
        for combo in combinations(range(n), r):
            chosen = set(combo)
            if any((i in chosen) != bool(v) for i, v in fixed.items()):
                continue
            if sum(costs[i] for i in chosen) > capacity:
                continue
            value = sum(weights[i] for i in chosen)
            best = value if best is None else max(best, value)
    return best


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 20)), min_size=1, max_size=8),
    capacity=st.integers(0, 60),
    fixed_bits=st.lists(st.sampled_from([None, 0, 1]), min_size=8, max_size=8),
    extra=st.integers(-3, 3),
)
def test_exact_search_agrees_with_brute_force(
    items: list[tuple[int, int]], capacity: int, fixed_bits: list[int | None], extra: int
) -> None:
    weights = [w for w, _c in items]
    costs = [c for _w, c in items]
    fixed = {i: v for i, v in enumerate(fixed_bits[: len(items)]) if v is not None}
    best = _brute(weights, costs, capacity, fixed)
    floor = (best or 0) + extra
    found = knapsack_at_least(weights, costs, capacity, fixed, floor)
    if best is None or best < floor:
        assert found is None
    else:
        assert found is not None
        assert sum(costs[i] for i in found) <= capacity
        assert sum(weights[i] for i in found) >= floor
        assert all((i in found) == bool(v) for i, v in fixed.items())
