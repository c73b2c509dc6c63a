"""The integer and linear programs behind panel selection, on open solvers.

- `PanelProgram`: the integer program over panels written as type counts (x_t people of type
  t, 0 ≤ x_t ≤ count_t, Σ x_t = size, min ≤ Σ_{t has value} x_t ≤ max for every quota),
  built with PuLP and solved by HiGHS (through highspy) or, without it, PuLP's bundled CBC.
- `PricingMIP`: the same integer program kept as one HiGHS model whose objective changes,
  asked hundreds of times by column generation.
- `MasterLP`: the restricted linear program of column generation, kept in one HiGHS model
  that grows by one column for each new panel, so each round re-solves from the last basis.
- `RelaxedLeximin`: leximin over the linear relaxation of the panel program (x_t real), a
  small program with one variable per type and no panels at all. Every distribution over
  panels gives each type an expected count inside that relaxation, so its leximin is an upper
  bound (in the leximin order) on the true one.
- `partition_panels`: an integer program that looks for m panels in which type t has exactly
  a given number of seats in total, so that the uniform mix of the m panels reaches a target.

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
from typing import Any

import pulp

from decide.sortition.pool import Quota, TypeTable

__all__ = [
    "PRICE_TOLERANCE",
    "Bound",
    "GreedyPricer",
    "MasterLP",
    "PanelProgram",
    "PricingMIP",
    "RelaxedLeximin",
    "ilp_solver",
    "partition_panels",
]

# A new panel is added to column generation only when it beats the bound by more than this.
PRICE_TOLERANCE = 1e-9

# The pricing search stops after this many improving panels (see `PricingMIP.above`).
IMPROVING_PANELS = 1

# A type whose dual weight in the relaxation is above this is fixed at the stage's level. Larger
# than the solver's tolerances (1e-7 on Σ y = 1), so that a dual that is zero up to rounding never
# fixes a type too early; a type left open wrongly is fixed by the next stage, at the same level.
RELAXED_FIX_TOLERANCE = 1e-6

# Branch-and-bound nodes `partition_panels` may use before giving up: a count of work, not a
# clock, so that the same pool gives the same answer on any machine.
PARTITION_NODES = 100

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
        highspy.Highs()  # type: ignore[no-untyped-call]  # the banner: first instance only
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
        h.setOptionValue("mip_max_improving_sols", IMPROVING_PANELS)
        h.setOptionValue("mip_improving_solution_save", True)
        # Measured on a 1,000-person pool with 885 types: a third faster per solve without
        # these (the model is small, and it is solved hundreds of times).
        h.setOptionValue("presolve", "off")
        h.setOptionValue("mip_detect_symmetry", False)
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

    def above(self, weights: Sequence[float], threshold: float) -> list[tuple[int, ...]]:
        """Return panels whose Σ weights_t·x_t exceeds `threshold` (none: no panel does).

        The search stops after a few improving panels and returns every one it met that
        beats the threshold: more columns per solve, fewer solves.
        """
        np = self.np
        h = self.h
        # HiGHS minimises here: −Σ w·x, pruning every branch that cannot beat the threshold.
        h.changeColsCost(self.n, self.everyone, -np.asarray(weights, dtype=float))
        h.setOptionValue("objective_bound", -threshold)
        h.run()
        status = h.getModelStatus()
        done = self.hs.HighsModelStatus  # type: ignore[attr-defined]
        if status in (done.kInfeasible, done.kObjectiveBound):
            return []  # proved: no panel beats the threshold
        if (
            status not in (done.kOptimal, done.kSolutionLimit)
            or h.getInfo().primal_solution_status != 2
        ):
            raise RuntimeError(f"the panel program was not solved ({status})")
        found = [h.getSolution().col_value] + [s.col_value for s in h.getSavedMipSolutions()]
        out: list[tuple[int, ...]] = []
        for x in found:
            panel = tuple(round(v) for v in x[: self.n])
            if panel not in out and sum(w * v for w, v in zip(weights, panel)) > threshold:
                out.append(panel)
        return out


class MasterLP:
    """The restricted primal program of one leximin stage, grown column by column.

    Variables z and λ_P ≥ 0 (one per known panel P). Maximise z subject to Σ_P λ_P = 1,
    Σ_P λ_P·x_{P,t}/count_t ≥ z for each type t not yet fixed, and ≥ f_t for each fixed type.
    A new panel is a new column, so the last basis stays feasible and the primal simplex
    method goes on from it. The row duals y (taken as magnitudes: each row's dual has one
    sign in theory) are the weights of the pricing program; strong duality gives
    μ = z + Σ_{t fixed} f_t·y_t (Flanigan et al. 2021, the dual of their leximin stage).
    """

    def __init__(self, counts: Sequence[int]) -> None:
        hs = _highspy()
        if hs is None:  # pragma: no cover - highspy is a dependency
            raise RuntimeError("highspy is needed for leximin")
        import numpy as np

        self.hs, self.np = hs, np
        self.counts = counts
        self.n = n = len(counts)
        h = hs.Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("simplex_strategy", 4)  # primal: new columns keep the basis feasible
        inf = hs.kHighsInf  # type: ignore[attr-defined]
        self.inf = inf
        empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
        h.addRow(1.0, 1.0, 0, empty_i, empty_v)
        for _ in range(n):
            h.addRow(0.0, inf, 0, empty_i, empty_v)
        rows = np.arange(1, n + 1, dtype=np.int32)
        h.addCol(1.0, 0.0, 1.0, n, rows, -np.ones(n))  # z
        h.changeObjectiveSense(hs.ObjSense.kMaximize)  # type: ignore[attr-defined]
        self.h = h
        self.fixed: dict[int, float] = {}

    def add_panel(self, panel: Sequence[int]) -> None:
        """Add the column of one panel."""
        np = self.np
        rows = [0] + [1 + t for t, x in enumerate(panel) if x]
        vals = [1.0] + [x / self.counts[t] for t, x in enumerate(panel) if x]
        self.h.addCol(0.0, 0.0, self.inf, len(rows), np.array(rows, np.int32), np.array(vals))

    def fix(self, t: int, value: float) -> None:
        """Fix type t's probability at `value`: its row no longer involves z."""
        self.fixed[t] = value
        self.h.changeCoeff(1 + t, 0, 0.0)
        self.h.changeRowBounds(1 + t, value, self.inf)

    def solve(self) -> tuple[float, list[float], float]:
        """Return (optimum, y, μ)."""
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status != self.hs.HighsModelStatus.kOptimal:  # type: ignore[attr-defined]
            raise RuntimeError(f"the leximin program was not solved ({status})")
        value = h.getInfo().objective_function_value
        duals = h.getSolution().row_dual
        y = [abs(duals[1 + t]) for t in range(self.n)]
        mu = value + sum(f * y[t] for t, f in self.fixed.items())
        return value, y, mu


class GreedyPricer:
    """A fast heuristic for the pricing program: fill the panel seat by seat, best price first.

    Each seat goes to the type with the highest price that keeps every quota within reach
    (no maximum exceeded; for each feature, the seats left can still cover its unmet minimums).
    It may miss the best panel, or fail: column generation then asks `PricingMIP`, whose
    answer alone ends a stage, so the heuristic changes the speed, never the result's optimality.
    """

    def __init__(self, table: TypeTable, quotas: Sequence[Quota], size: int) -> None:
        import numpy as np

        self.np = np
        self.size = size
        self.counts = np.array(table.counts)
        features = sorted({quota.feature for quota in quotas})
        # which[t, g]: the quota that counts type t on feature g (every value has a quota).
        which = np.zeros((len(table.members), len(features)), dtype=int)
        self.group = np.zeros(len(quotas), dtype=int)
        for j, quota in enumerate(quotas):
            g = features.index(quota.feature)
            self.group[j] = g
            which[list(table.coverage[j]), g] = j
        self.which = which
        self.n_features = len(features)
        self.mins = np.array([quota.min for quota in quotas])
        self.maxs = np.array([quota.max for quota in quotas])

    def panel(self, prices: Sequence[float]) -> tuple[int, ...] | None:
        """Return a feasible panel built greedily by `prices`, or None if the greedy got stuck."""
        np = self.np
        which = self.which
        price = np.asarray(prices, dtype=float)
        x = np.zeros(len(price), dtype=int)
        filled = np.zeros(len(self.mins), dtype=int)
        for seat in range(self.size):
            left = self.size - seat - 1
            deficit = np.maximum(self.mins - filled, 0)
            short = np.bincount(self.group, weights=deficit, minlength=self.n_features)
            helps = deficit[which] > 0
            ok = (x < self.counts) & ~(filled >= self.maxs)[which].any(axis=1)
            if short.max() > left - 1:
                ok &= ((short[None, :] - helps) <= left).all(axis=1)
            if not ok.any():
                return None
            # Among equal prices, prefer a seat that covers a minimum not yet met.
            score = np.where(ok, price + 1e-12 * helps.sum(axis=1), -np.inf)
            t = int(np.argmax(score))
            x[t] += 1
            filled[which[t]] += 1
        if (filled < self.mins).any():
            return None
        return tuple(int(v) for v in x)


def _new_highs(hs: Any) -> Any:
    """Return a quiet, single-threaded HiGHS instance."""
    h = hs.Highs()  # type: ignore[attr-defined]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


class RelaxedLeximin:
    """Leximin over the relaxation: x_t real in [0, count_t], the size and every quota kept.

    Variables x_t and z; maximise z subject to x_t/count_t ≥ z for each open type and
    x_t/count_t ≥ f_t for each fixed one. At a stage's optimum, the types whose row has a
    positive dual cannot rise above it (their dual-weighted average is capped by z), so they
    are fixed; every stage fixes at least one type.
    """

    def __init__(self, table: TypeTable, quotas: Sequence[Quota], size: int) -> None:
        hs = _highspy()
        if hs is None:  # pragma: no cover - highspy is a dependency
            raise RuntimeError("highspy is needed for leximin")
        import numpy as np

        self.hs = hs
        counts = table.counts
        self.n = n = len(counts)
        h = _new_highs(hs)
        inf = hs.kHighsInf  # type: ignore[attr-defined]
        self.inf = inf
        empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
        for c in counts:
            h.addCol(0.0, 0.0, float(c), 0, empty_i, empty_v)
        h.addCol(1.0, -inf, inf, 0, empty_i, empty_v)  # z
        everyone = np.arange(n, dtype=np.int32)
        h.addRow(float(size), float(size), n, everyone, np.ones(n))
        for q, quota in enumerate(quotas):
            cover = np.array(table.coverage[q], dtype=np.int32)
            h.addRow(float(quota.min), float(quota.max), len(cover), cover, np.ones(len(cover)))
        self.base = 1 + len(quotas)
        for t, c in enumerate(counts):
            h.addRow(0.0, inf, 2, np.array([t, n], np.int32), np.array([1.0 / c, -1.0]))
        h.changeObjectiveSense(hs.ObjSense.kMaximize)
        self.h = h
        self.stages = 0

    def solve(self) -> list[float] | None:
        """Return each type's leximin level in the relaxation, or None if it is infeasible."""
        h = self.h
        n = self.n
        levels: dict[int, float] = {}
        while len(levels) < n:
            self.stages += 1
            h.run()
            if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:  # type: ignore[attr-defined]
                return None
            z = h.getInfo().objective_function_value  # type: ignore[attr-defined]
            duals = h.getSolution().row_dual  # type: ignore[attr-defined]
            open_types = [t for t in range(n) if t not in levels]
            y = {t: abs(duals[self.base + t]) for t in open_types}
            holding = [t for t in open_types if y[t] > RELAXED_FIX_TOLERANCE]
            for t in holding or [max(open_types, key=y.__getitem__)]:
                levels[t] = z
                h.changeCoeff(self.base + t, n, 0.0)
                h.changeRowBounds(self.base + t, z, self.inf)
        return [levels[t] for t in range(n)]


def partition_panels(
    table: TypeTable, quotas: Sequence[Quota], size: int, seats: Sequence[int], m: int
) -> list[tuple[int, ...]] | None:
    """Return m panels meeting the quotas in which type t has seats[t] seats in all, or None.

    Variables x_{t,j} (people of type t on panel j); None when the integer program is
    infeasible or not solved within `PARTITION_NODES` nodes.
    """
    hs = _highspy()
    if hs is None:  # pragma: no cover - highspy is a dependency
        raise RuntimeError("highspy is needed for leximin")
    import numpy as np

    counts = table.counts
    n = len(counts)
    h = _new_highs(hs)
    h.setOptionValue("mip_max_nodes", PARTITION_NODES)
    empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
    for t in range(n):  # column t·m + j is x_{t,j}
        for _ in range(m):
            h.addCol(0.0, 0.0, float(min(counts[t], seats[t])), 0, empty_i, empty_v)
    cols = n * m
    integer = np.array([hs.HighsVarType.kInteger] * cols)  # type: ignore[attr-defined]
    h.changeColsIntegrality(cols, np.arange(cols, dtype=np.int32), integer)
    for t in range(n):
        idx = np.arange(t * m, (t + 1) * m, dtype=np.int32)
        h.addRow(float(seats[t]), float(seats[t]), m, idx, np.ones(m))
    for j in range(m):
        idx = np.arange(n, dtype=np.int32) * m + j
        h.addRow(float(size), float(size), n, idx, np.ones(n))
        for q, quota in enumerate(quotas):
            idx = np.array(table.coverage[q], dtype=np.int32) * m + j
            h.addRow(float(quota.min), float(quota.max), len(idx), idx, np.ones(len(idx)))
    h.run()
    if h.getInfo().primal_solution_status != 2:  # type: ignore[attr-defined]
        return None  # infeasible, or no solution within the node limit
    x = h.getSolution().col_value  # type: ignore[attr-defined]
    return [tuple(round(x[t * m + j]) for t in range(n)) for j in range(m)]
