"""Shared PuLP helpers: exact integer scaling, solving with CBC, lexicographic tie-breaking.

CBC works in floating point, so every program is built on integers (money scaled by the common
denominator of the costs and budget) and every answer is re-checked in exact arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pulp  # type: ignore[import-untyped]


def money_scale(values: Sequence[Fraction]) -> int:
    """Return the least common denominator of these amounts."""
    scale = 1
    for v in values:
        scale = scale * v.denominator // math.gcd(scale, v.denominator)
    return scale


@dataclass(frozen=True)
class LinearConstraint:
    """``sense`` is "<=" or ">=": sum of coeffs[p] * x_p compared with rhs (all integers)."""

    name: str
    description: str
    coeffs: Mapping[int, int]
    sense: str
    rhs: int

    def holds(self, chosen: set[int]) -> bool:
        """Return whether a selection satisfies the constraint, exactly."""
        total = sum(c for p, c in self.coeffs.items() if p in chosen)
        return total <= self.rhs if self.sense == "<=" else total >= self.rhs

    def slack(self, chosen: set[int]) -> int:
        """Return how far a selection is from the constraint's bound (negative if violated)."""
        total = sum(c for p, c in self.coeffs.items() if p in chosen)
        return self.rhs - total if self.sense == "<=" else total - self.rhs


@dataclass
class Program:
    """Maximise sum of weights[p] * x_p over binary x subject to linear constraints."""

    n: int
    weights: Sequence[int]
    constraints: list[LinearConstraint] = field(default_factory=list)

    def solve(
        self,
        fixed: Mapping[int, int] | None = None,
        skip: frozenset[str] = frozenset(),
        floor: int | None = None,
    ) -> set[int] | None:
        """Return an optimal selection (or any with objective >= floor), or None if infeasible."""
        prob, x = self._problem(fixed or {}, skip, floor)
        status = prob.solve(pulp.PULP_CBC_CMD(msg=False))
        if pulp.LpStatus[status] != "Optimal":
            return None
        chosen = {i for i in range(self.n) if (x[i].varValue or 0) > 0.5}
        return chosen if self._holds(chosen, fixed or {}, skip) else None

    def _problem(
        self, fixed: Mapping[int, int], skip: frozenset[str], floor: int | None
    ) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
        """The integer program for CBC, one binary variable per project."""
        prob = pulp.LpProblem("decide", pulp.LpMaximize)
        x = [pulp.LpVariable(f"x{i}", cat=pulp.LpBinary) for i in range(self.n)]
        objective = pulp.lpSum(w * x[i] for i, w in enumerate(self.weights) if w)
        if floor is None:
            prob += objective
        else:
            prob += pulp.lpSum([])
            prob += objective >= floor, "objective_floor"
        for k, c in enumerate(self.constraints):
            if c.name in skip:
                continue
            expr = pulp.lpSum(v * x[p] for p, v in c.coeffs.items() if v)
            prob += (expr <= c.rhs) if c.sense == "<=" else (expr >= c.rhs), f"c{k}"
        for i, v in fixed.items():
            prob += x[i] == v, f"fix{i}"
        return prob, x

    def _holds(self, chosen: set[int], fixed: Mapping[int, int], skip: frozenset[str]) -> bool:
        """CBC is floating point: accept its answer only if it holds exactly."""
        if not all(c.holds(chosen) for c in self.constraints if c.name not in skip):
            return False
        return all((i in chosen) == bool(v) for i, v in fixed.items())

    def value(self, chosen: set[int]) -> int:
        """Return the exact objective of a selection."""
        return sum(self.weights[i] for i in chosen)


def lexicographic_best(
    program: Program,
    optimum: set[int],
    order: Sequence[int],
    upper_bound: object | None = None,
    search: object | None = None,
) -> set[int]:
    """Among selections with the optimal objective, return the lexicographically preferred one.

    Walk the projects in tie-break order and fund each one if some optimal selection (given the
    earlier choices) funds it. A project already in the current optimal selection is kept
    without solving; `upper_bound(fixed)` (if given) proves cheaply that a project cannot join
    an optimal selection, so CBC runs only for the few projects that might. `search(fixed)`
    (if given) is an exact search for a selection reaching the optimum: it is asked first, and
    CBC only when it finds none (its "none" can be a search cut short).
    """
    target = program.value(optimum)
    current = set(optimum)
    fixed: dict[int, int] = {}
    for p in order:
        if p in current:
            fixed[p] = 1
            continue
        trial = dict(fixed)
        trial[p] = 1
        if upper_bound is not None and upper_bound(trial) < target:  # type: ignore[operator]
            fixed[p] = 0
            continue
        found = search(trial) if search is not None else None  # type: ignore[operator]
        if found is None:
            found = program.solve(fixed=trial, floor=target)
        if found is not None and program.value(found) >= target:
            current = found
            fixed[p] = 1
        else:
            fixed[p] = 0
    return current
