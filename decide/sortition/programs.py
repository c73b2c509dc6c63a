"""The integer and linear programs behind panel selection, on open solvers.

- `PanelProgram`: the integer program over panels written as type counts (x_t people of type
  t, 0 ≤ x_t ≤ count_t, Σ x_t = size, min ≤ Σ_{t has value} x_t ≤ max for every quota),
  built with PuLP and solved by HiGHS (through highspy) or, without it, PuLP's bundled CBC.
- `SeparationLP`: the restricted linear program of column generation, kept in one HiGHS model
  that grows by one row for each new panel, so each round re-solves from the last basis.

Solver tolerances: HiGHS's defaults (primal and dual feasibility 1e-7) for the linear programs;
the integer program is asked for a relative gap of 1e-9, so that column generation stops only
when no panel improves the bound by more than `PRICE_TOLERANCE`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator, Sequence

import pulp

from decide.sortition.pool import Quota, TypeTable

__all__ = [
    "PRICE_TOLERANCE",
    "Bound",
    "PanelProgram",
    "PricingMIP",
    "SeparationLP",
    "ilp_solver",
]

# A new panel is added to column generation only when it beats the bound by more than this.
PRICE_TOLERANCE = 1e-9

# One quota bound: (quota index, "min" or "max").
Bound = tuple[int, str]


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for a moment (HiGHS prints a banner from C++)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


@functools.cache
def _highspy() -> object | None:
    """Return the highspy module, its one-time banner swallowed, or None without it."""
    try:
        import highspy
    except ImportError:
        return None
    with _quiet_stdout():
        highspy.Highs()  # the banner is printed by the first instance only
    return highspy


def ilp_solver(*, gap: float = 1e-9) -> pulp.LpSolver:
    """Return PuLP's HiGHS (in process) when highspy is installed, else its bundled CBC."""
    if _highspy() is not None:
        return pulp.HiGHS(msg=False, gapRel=gap, threads=1)
    return pulp.PULP_CBC_CMD(msg=False, gapRel=gap, threads=1)


class PanelProgram:
    """Feasible panels of `size` from the types of `table` under `quotas`.

    `relaxed` lists quota bounds left out (used to find which quotas conflict).
    """

    def __init__(
        self,
        table: TypeTable,
        quotas: Sequence[Quota],
        size: int,
        *,
        relaxed: frozenset[Bound] = frozenset(),
    ) -> None:
        self.table = table
        counts = table.counts
        self.prob = pulp.LpProblem("panel", pulp.LpMaximize)
        self.x = [
            pulp.LpVariable(f"x{t}", lowBound=0, upBound=c, cat=pulp.LpInteger)
            for t, c in enumerate(counts)
        ]
        self.prob += pulp.lpSum(self.x) == size, "size"
        for q, quota in enumerate(quotas):
            total = pulp.lpSum(self.x[t] for t in table.coverage[q])
            if (q, "min") not in relaxed and quota.min > 0:
                self.prob += total >= quota.min, f"min{q}"
            if (q, "max") not in relaxed:
                self.prob += total <= quota.max, f"max{q}"

    def best(self, weights: Sequence[float] | None = None) -> tuple[int, ...] | None:
        """Return a feasible panel maximising Σ weights_t·x_t, or None if there is none."""
        if weights is None:
            self.prob.setObjective(pulp.LpAffineExpression())
        else:
            self.prob.setObjective(pulp.lpSum(w * v for w, v in zip(weights, self.x) if w))
        status = self.prob.solve(ilp_solver())
        if pulp.LpStatus[status] != "Optimal":
            return None
        return tuple(round(v.varValue or 0) for v in self.x)


class PricingMIP:
    """The panel integer program kept as one HiGHS model whose objective changes each round.

    Column generation asks it hundreds of times for the panel with the largest Σ w_t·x_t;
    rebuilding the model through PuLP each time would cost more than solving it.
    """

    def __init__(self, table: TypeTable, quotas: Sequence[Quota], size: int) -> None:
        hs = _highspy()
        if hs is None:  # pragma: no cover - highspy is a dependency
            raise RuntimeError("highspy is needed for leximin")
        import numpy as np

        self.hs, self.np = hs, np
        counts = table.counts
        self.n = n = len(counts)
        h = hs.Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_max_improving_sols", 1)
        empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
        for c in counts:
            h.addCol(0.0, 0.0, float(c), 0, empty_i, empty_v)
        everyone = np.arange(n, dtype=np.int32)
        h.changeColsIntegrality(n, everyone, np.array([hs.HighsVarType.kInteger] * n))  # type: ignore[attr-defined]
        h.addRow(float(size), float(size), n, everyone, np.ones(n))
        for q, quota in enumerate(quotas):
            cover = np.array(table.coverage[q], dtype=np.int32)
            h.addRow(float(quota.min), float(quota.max), len(cover), cover, np.ones(len(cover)))
        self.everyone = everyone
        self.h = h

    def above(self, weights: Sequence[float], threshold: float) -> tuple[int, ...] | None:
        """Return the panel maximising Σ weights_t·x_t if that exceeds `threshold`, else None."""
        np = self.np
        h = self.h
        # HiGHS minimises here: −Σ w·x, pruning every branch that cannot beat the threshold.
        h.changeColsCost(self.n, self.everyone, -np.asarray(weights, dtype=float))
        h.setOptionValue("objective_bound", -threshold)
        h.run()
        status = h.getModelStatus()
        done = self.hs.HighsModelStatus  # type: ignore[attr-defined]
        if status in (done.kInfeasible, done.kObjectiveBound):
            return None  # proved: no panel beats the threshold
        # The search stops at the first panel that beats the threshold (kSolutionLimit).
        if (
            status not in (done.kOptimal, done.kSolutionLimit)
            or h.getInfo().primal_solution_status != 2
        ):
            raise RuntimeError(f"the panel program was not solved ({status})")
        x = h.getSolution().col_value
        panel = tuple(round(v) for v in x[: self.n])
        if sum(w * v for w, v in zip(weights, panel)) <= threshold:
            return None
        return panel


class SeparationLP:
    """The restricted dual program of one leximin stage, grown row by row.

    Variables y_t ≥ 0 (one per type) and μ (free). Minimise μ − Σ_{t fixed} f_t·y_t subject to
    Σ_{t not fixed} y_t = 1 and, for every known panel P, Σ_t y_t·x_{P,t}/count_t ≤ μ.
    Its optimum is the best smallest probability of the types not yet fixed, over distributions
    on the known panels that give every fixed type at least its probability f_t (Flanigan et
    al. 2021, the dual of their leximin stage); y says which types hold that optimum down.
    """

    def __init__(self, counts: Sequence[int]) -> None:
        hs = _highspy()
        if hs is None:  # pragma: no cover - highspy is a dependency
            raise RuntimeError("highspy is needed for leximin")
        import numpy as np

        self.np = np
        self.counts = counts
        self.n = len(counts)
        h = hs.Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        # Presolve would throw the last basis away; without it each round starts from there.
        h.setOptionValue("presolve", "off")
        inf = hs.kHighsInf  # type: ignore[attr-defined]
        self.inf = inf
        for _ in range(self.n):
            h.addCol(0.0, 0.0, inf, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
        h.addCol(1.0, -inf, inf, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
        self.mu = self.n
        idx = np.arange(self.n, dtype=np.int32)
        h.addRow(1.0, 1.0, self.n, idx, np.ones(self.n))
        self.h = h
        self.fixed: dict[int, float] = {}

    def add_panel(self, panel: Sequence[int]) -> None:
        """Add the row of one panel."""
        np = self.np
        idx = [t for t, x in enumerate(panel) if x]
        vals = [panel[t] / self.counts[t] for t in idx]
        idx.append(self.mu)
        vals.append(-1.0)
        self.h.addRow(
            -self.inf, 0.0, len(idx), np.array(idx, dtype=np.int32), np.array(vals, dtype=float)
        )

    def fix(self, t: int, value: float) -> None:
        """Fix type t's probability at `value`: it leaves the normalisation row."""
        self.fixed[t] = value
        self.h.changeCoeff(0, t, 0.0)
        self.h.changeColCost(t, -value)

    def solve(self) -> tuple[float, list[float], float]:
        """Return (optimum, y, μ)."""
        self.h.run()
        status = self.h.getModelStatus()
        if status != _highspy().HighsModelStatus.kOptimal:  # type: ignore[union-attr]
            raise RuntimeError(f"the leximin program was not solved ({status})")
        sol = self.h.getSolution().col_value
        value = self.h.getInfo().objective_function_value
        return value, [max(0.0, v) for v in sol[: self.n]], sol[self.mu]
