"""Leximin and maximin selection probabilities, by column generation over feasible panels.

Definition (Flanigan, Gölz, Gupta, Hennig, Procaccia, *Fair algorithms for selecting citizens'
assemblies*, Nature 596, 548–552, 2021): among all probability distributions over panels that
meet the quotas, *maximin* maximises the smallest selection probability of any volunteer;
*leximin* does that, then maximises the second smallest, and so on.

How we compute it (our own code; the paper's method, on types instead of people):

1. People with equal values on every quota feature are interchangeable, so leximin gives them
   equal probabilities (the leximin vector is unique and the problem is symmetric in them). A
   panel is then a vector x of how many people of each type it takes, and a type's
   probability is E[x_t]/count_t.
2. Each stage solves "maximise the smallest probability of the types not yet fixed, keeping
   each fixed type at its level" over the panels found so far (`MasterLP`), reads its dual
   weights y, then asks the integer program (`PricingMIP`) for a panel with
   Σ_t y_t·x_t/count_t above μ, the dual bound. Such a panel would raise the optimum: add it
   and re-solve. None: the stage's optimum is reached (up to `PRICE_TOLERANCE`).
3. Types with positive dual weight y_t cannot rise above the stage's optimum in any
   distribution that keeps the others at least there (their y-weighted average is capped by
   it), so they are fixed at it. Every stage fixes at least one type.
4. A last linear program finds weights on the panels found that give every type its level.

Maximin is stage 1 alone; the probabilities above the minimum are then whatever that last
program returns.

A shortcut comes first, and usually settles it. Leximin over the *relaxation* (x_t real,
`RelaxedLeximin`: one small program per stage, no panels) is an upper bound on the true
leximin, because every distribution over panels gives expected counts inside the relaxation.
If some m (up to `PARTITION_PANELS`) makes m·count_t·π_t a whole number of seats for every
type, an integer program (`partition_panels`) looks for m panels that give type t exactly
that many seats in all. Found: the uniform mix of those m panels reaches the bound, so it is
the leximin distribution (and a maximin one), with probabilities that are exact fractions
seats/(m·count_t). With two quota features the relaxation's corners are whole panels (the
quota matrix is totally unimodular), so the shortcut always applies when such an m exists;
with more features, or when the integer program runs out of nodes, column generation runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from decide.sortition.explain import InfeasibleQuotas, explain_infeasible
from decide.sortition.pool import Pool, Quota, TypeTable, check_quotas, type_table
from decide.sortition.programs import (
    PRICE_TOLERANCE,
    GreedyPricer,
    MasterLP,
    PanelProgram,
    PricingMIP,
    RelaxedLeximin,
    _highspy,
    partition_panels,
)

__all__ = ["METHODS", "Distribution", "leximin", "maximin", "select_distribution"]

METHODS = ("leximin", "maximin")

# Greedy panels tried per round of column generation before the integer program is asked.
GREEDY_TRIES = 8

# A type whose dual weight exceeds this at a stage's optimum is fixed at that stage's level.
FIX_TOLERANCE = 1e-9

# The shortcut tries lotteries of up to this many panels, while the integer program stays
# below `PARTITION_CELLS` variables (types × panels).
PARTITION_PANELS = 1000
PARTITION_CELLS = 40_000

# m·count_t·π_t within this of a whole number counts as that number (π_t comes from a linear
# program solved in floating point, to about 1e-9).
SEAT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Distribution:
    """A distribution over panels (type vectors) and the probability it gives each type."""

    method: str
    table: TypeTable
    size: int
    panels: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    type_probabilities: tuple[float, ...]
    columns: int
    stages: int
    seconds: float

    def probabilities(self) -> dict[str, float]:
        """Return each person's selection probability."""
        return {
            pid: self.type_probabilities[t]
            for t, ids in enumerate(self.table.members)
            for pid in ids
        }

    @property
    def min_probability(self) -> float:
        """Return the smallest selection probability of anyone in the pool."""
        return min(self.type_probabilities)


def _cover(
    greedy: GreedyPricer, pricing: PricingMIP, n: int
) -> tuple[set[tuple[int, ...]], set[int]]:
    """Return panels that together include every type that can serve, and those that cannot."""
    panels: set[tuple[int, ...]] = set()
    uncovered = set(range(n))
    while uncovered:
        weights = [1.0 if t in uncovered else 0.0 for t in range(n)]
        found = greedy.panel(weights)
        if found is None or not any(found[t] for t in uncovered):
            more = pricing.above(weights, 0.5)  # a panel taking anyone still uncovered
            found = more[0] if more else None
        if found is None:  # no feasible panel includes any of them
            break
        panels.add(found)
        uncovered -= {t for t in uncovered if found[t] > 0}
    return panels, uncovered


def _greedy_panels(
    greedy: GreedyPricer,
    prices: Sequence[float],
    threshold: float,
    known: set[tuple[int, ...]],
    rng: random.Random,
) -> list[tuple[int, ...]]:
    """Return new panels beating `threshold`, from the greedy on the prices and perturbations."""
    out: list[tuple[int, ...]] = []
    for attempt in range(GREEDY_TRIES):
        trial = prices if attempt == 0 else [p * (0.8 + 0.4 * rng.random()) for p in prices]
        panel = greedy.panel(trial)
        if panel is None or panel in known or panel in out:
            continue
        if sum(p * x for p, x in zip(prices, panel)) > threshold:
            out.append(panel)
    return out


def _final_weights(
    panels: Sequence[tuple[int, ...]], counts: Sequence[int], floors: Sequence[float]
) -> list[float]:
    """Return weights on `panels` (summing to 1) giving each type t at least floors[t]."""
    import numpy as np

    hs = _highspy()
    assert hs is not None
    h = hs.Highs()  # type: ignore[attr-defined]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    inf = hs.kHighsInf  # type: ignore[attr-defined]
    n = len(counts)
    empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
    h.addRow(1.0, 1.0, 0, empty_i, empty_v)
    for t in range(n):
        h.addRow(floors[t], inf, 0, empty_i, empty_v)
    for panel in panels:
        rows = [0] + [1 + t for t, x in enumerate(panel) if x]
        vals = [1.0] + [x / counts[t] for t, x in enumerate(panel) if x]
        h.addCol(0.0, 0.0, inf, len(rows), np.array(rows, np.int32), np.array(vals))
    # δ: how far below its floor a type may fall, minimised (0 up to solver tolerance).
    h.addCol(1.0, 0.0, inf, n, np.arange(1, n + 1, dtype=np.int32), np.ones(n))
    h.run()
    weights = [max(0.0, v) for v in h.getSolution().col_value[: len(panels)]]
    total = sum(weights)
    return [w / total for w in weights]


def _holding_types(open_types: Sequence[int], y: Sequence[float]) -> list[int]:
    """Return the open types to fix at this stage's level (at least one)."""
    holding = [t for t in open_types if y[t] > FIX_TOLERANCE]
    if not holding:
        holding = [max(open_types, key=lambda t: y[t])]
    return holding


@dataclass
class _ColumnGeneration:
    """The master LP, the panels it holds (its columns), and the two ways to price new ones."""

    greedy: GreedyPricer
    pricing: PricingMIP
    counts: Sequence[int]
    lp: MasterLP
    columns: list[tuple[int, ...]]
    known: set[tuple[int, ...]]

    @classmethod
    def start(cls, table: TypeTable, quotas: Sequence[Quota], size: int) -> _ColumnGeneration:
        """Build the master LP on covering panels, fixing at 0 the types no panel can take."""
        pricing = PricingMIP(table, quotas, size)
        greedy = GreedyPricer(table, quotas, size)
        counts = table.counts
        found, never = _cover(greedy, pricing, len(counts))
        columns = sorted(found)
        lp = MasterLP(counts)
        for panel in columns:
            lp.add_panel(panel)
        for t in never:
            lp.fix(t, 0.0)
        return cls(greedy, pricing, counts, lp, columns, set(found))

    def price_out(self, rng: random.Random) -> tuple[float, list[float]]:
        """Add panels beating the dual bound until none is left; return the optimum and duals."""
        n = len(self.counts)
        while True:
            value, y, mu = self.lp.solve()
            prices = [y[t] / self.counts[t] for t in range(n)]
            threshold = mu + PRICE_TOLERANCE
            fresh = _greedy_panels(self.greedy, prices, threshold, self.known, rng)
            if not fresh:
                fresh = [p for p in self.pricing.above(prices, threshold) if p not in self.known]
            if not fresh:
                return value, y
            for panel in fresh:
                self.known.add(panel)
                self.columns.append(panel)
                self.lp.add_panel(panel)

    def run_stages(self, method: str) -> tuple[list[float], int]:
        """Run the leximin (or maximin) stages; return each type's floor and the stage count."""
        n = len(self.counts)
        rng = random.Random(0)  # perturbs the greedy's prices; fixed, so runs repeat exactly
        floors = [0.0] * n
        stages = 0
        while len(self.lp.fixed) < n:
            stages += 1
            value, y = self.price_out(rng)
            level = min(1.0, max(0.0, value))
            open_types = [t for t in range(n) if t not in self.lp.fixed]
            if method == "maximin":
                for t in open_types:
                    floors[t] = level
                break
            for t in _holding_types(open_types, y):
                floors[t] = level
                self.lp.fix(t, level)
        return floors, stages


def _support(
    columns: Sequence[tuple[int, ...]], counts: Sequence[int], floors: Sequence[float]
) -> tuple[tuple[tuple[int, ...], ...], tuple[float, ...], tuple[float, ...]]:
    """Return the panels with positive weight, their weights and each type's probability."""
    lam = _final_weights(columns, counts, floors)
    support = [(p, w) for p, w in zip(columns, lam) if w > 1e-12]
    total = sum(w for _, w in support)
    panels = tuple(p for p, _ in support)
    weights = tuple(w / total for _, w in support)
    probs = tuple(
        min(1.0, sum(w * p[t] for p, w in zip(panels, weights)) / counts[t])
        for t in range(len(counts))
    )
    return panels, weights, probs


def _whole_seats(
    levels: Sequence[float], counts: Sequence[int], size: int
) -> tuple[int, list[int]]:
    """Return the smallest m making every m·count_t·π_t whole, and those seats ((0, []): none)."""
    for m in range(1, min(PARTITION_PANELS, PARTITION_CELLS // len(counts)) + 1):
        exact = [m * c * p for c, p in zip(counts, levels)]
        seats = [round(v) for v in exact]
        if sum(seats) == m * size and all(
            abs(v - s) <= SEAT_TOLERANCE for v, s in zip(exact, seats)
        ):
            return m, seats
    return 0, []


def _partition_shortcut(
    table: TypeTable, quotas: Sequence[Quota], size: int
) -> tuple[tuple[tuple[int, ...], ...], tuple[float, ...], tuple[float, ...], int] | None:
    """Return (panels, weights, probabilities, stages) if m panels reach the relaxed leximin."""
    relaxed = RelaxedLeximin(table, quotas, size)
    levels = relaxed.solve()
    if levels is None:
        return None
    counts = table.counts
    m, seats = _whole_seats(levels, counts, size)
    if not m:
        return None
    found = partition_panels(table, quotas, size, seats, m)
    if found is None:
        return None
    shapes = sorted(set(found))
    weights = tuple(Fraction(found.count(p), m) for p in shapes)
    probs = tuple(float(Fraction(s, m * c)) for s, c in zip(seats, counts))
    return tuple(shapes), tuple(float(w) for w in weights), probs, relaxed.stages


def select_distribution(
    pool: Pool, quotas: Sequence[Quota], size: int, *, method: str = "leximin"
) -> Distribution:
    """Return the leximin (or maximin) distribution over panels of `size` meeting `quotas`.

    Raises `InfeasibleQuotas`, naming the quotas that conflict, when no panel meets them.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    start = time.perf_counter()
    check_quotas(pool, quotas, size)
    table = type_table(pool, quotas)
    counts = table.counts
    prog = PanelProgram(table, quotas, size)
    if prog.best() is None:
        raise InfeasibleQuotas(explain_infeasible(pool, quotas, size))
    shortcut = _partition_shortcut(table, quotas, size)
    if shortcut is not None:
        panels, weights, probs, stages = shortcut
        generated = len(panels)
    else:
        master = _ColumnGeneration.start(table, quotas, size)
        floors, stages = master.run_stages(method)
        panels, weights, probs = _support(master.columns, counts, floors)
        generated = len(master.columns)
    return Distribution(
        method=method,
        table=table,
        size=size,
        panels=panels,
        weights=weights,
        type_probabilities=probs,
        columns=generated,
        stages=stages,
        seconds=time.perf_counter() - start,
    )


def leximin(pool: Pool, quotas: Sequence[Quota], size: int) -> Distribution:
    """Return the leximin distribution (see the module docstring)."""
    return select_distribution(pool, quotas, size, method="leximin")


def maximin(pool: Pool, quotas: Sequence[Quota], size: int) -> Distribution:
    """Return a maximin distribution (see the module docstring)."""
    return select_distribution(pool, quotas, size, method="maximin")
