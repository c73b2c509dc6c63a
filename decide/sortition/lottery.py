"""Round a distribution over panels to a uniform lottery over m panels.

Following Flanigan, Kehne and Procaccia, *Fair sortition made transparent* (NeurIPS 2021; the
issue cites its journal form, Science Advances 2024): the published lottery is a list of m
panels, possibly with repeats, and the panel drawn is one of them chosen uniformly, so anyone
can check each person's chance by counting.

Our rounding, in two exact steps:

1. Types. Choose how many of the m panels take each panel shape P (a vector of type counts):
   integers n_P ≥ 0 with Σ n_P = m. This is an integer program over the shapes the leximin
   distribution uses, with a window for each type t: the number of seats S_t = Σ_P n_P·x_{P,t}
   that type t gets in the m panels must satisfy ⌈m·π_t − 1⌉ ≤ S_t / count_t ≤ ⌊m·π_t + 1⌋.
   (n_P = m·λ_P, the unrounded distribution, meets it, so the relaxation is always feasible.)
   Among the roundings that keep every window, the program prefers a small largest gap
   |S_t/count_t − m·π_t|. If the integers cannot meet every window, it only minimises that
   gap, and the lottery says so (`within_one_over_m` is false).
2. People. Within a type, seats are dealt in turn through the type's people in pool order,
   panel after panel, so each person of type t sits on ⌊S_t/count_t⌋ or ⌈S_t/count_t⌉ of the
   m panels. With the window of step 1, each person's chance in the lottery (seats/m) is then
   within 1/m of their leximin probability. Quotas only count types, so every panel of the
   lottery meets them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pulp

from decide.sortition.leximin import Distribution
from decide.sortition.programs import ilp_solver

__all__ = ["Lottery", "round_to_lottery"]

# m·π_t is computed in floating point; a window edge within this of an integer is that integer.
_EDGE = 1e-9


@dataclass(frozen=True)
class Lottery:
    """m panels (ids in pool order), each drawn with probability 1/m."""

    panels: tuple[tuple[str, ...], ...]
    within_one_over_m: bool

    @property
    def m(self) -> int:
        """Return the number of panels."""
        return len(self.panels)

    def marginals(self) -> dict[str, Fraction]:
        """Return each person's exact chance of selection in the lottery (seats / m)."""
        seats: dict[str, int] = {}
        for panel in self.panels:
            for pid in panel:
                seats[pid] = seats.get(pid, 0) + 1
        return {pid: Fraction(k, self.m) for pid, k in seats.items()}


def _shape_counts(dist: Distribution, m: int) -> tuple[list[int], bool]:
    """Return n_P for each panel shape of `dist`, and whether every type's window was met."""
    counts = dist.table.counts
    shapes = dist.panels
    n_types = len(counts)
    targets = [m * p for p in dist.type_probabilities]

    def program(windows: bool) -> list[int] | None:
        prob = pulp.LpProblem("lottery", pulp.LpMinimize)
        n = [
            pulp.LpVariable(f"n{j}", lowBound=0, upBound=m, cat=pulp.LpInteger)
            for j in range(len(shapes))
        ]
        dev = pulp.LpVariable("dev", lowBound=0)
        prob += dev
        prob += pulp.lpSum(n) == m, "m"
        for t in range(n_types):
            seats = pulp.lpSum(x[t] * n[j] for j, x in enumerate(shapes) if x[t])
            c = counts[t]
            prob += seats - targets[t] * c <= dev * c, f"dp{t}"
            prob += targets[t] * c - seats <= dev * c, f"dm{t}"
            if windows:
                low = math.ceil(targets[t] - 1 - _EDGE)
                high = math.floor(targets[t] + 1 + _EDGE)
                prob += seats >= max(0, low) * c, f"lo{t}"
                prob += seats <= high * c, f"hi{t}"
        status = prob.solve(ilp_solver())
        if pulp.LpStatus[status] != "Optimal":
            return None
        return [round(v.varValue or 0) for v in n]

    exact = program(True)
    if exact is not None:
        return exact, True
    fallback = program(False)
    assert fallback is not None
    return fallback, False


def round_to_lottery(dist: Distribution, m: int, *, pool_order: Sequence[str]) -> Lottery:
    """Return a uniform lottery over `m` panels whose marginals follow `dist` (see above).

    Each panel lists its ids in `pool_order`.
    """
    if m < 1:
        raise ValueError("the lottery needs at least one panel")
    n_by_shape, within = _shape_counts(dist, m)
    ordered: list[tuple[int, ...]] = []
    for shape, k in sorted(zip(dist.panels, n_by_shape), reverse=True):
        ordered.extend([shape] * k)
    members = dist.table.members
    cursor = [0] * len(members)
    panels: list[tuple[str, ...]] = []
    position = {pid: i for i, pid in enumerate(pool_order)}
    for shape in ordered:
        chosen: list[str] = []
        for t, x in enumerate(shape):
            ids = members[t]
            for _ in range(x):
                chosen.append(ids[cursor[t] % len(ids)])
                cursor[t] += 1
        panels.append(tuple(sorted(chosen, key=position.__getitem__)))
    return Lottery(tuple(panels), within)
