"""The exact engine behind equal shares: full runs with Add1's certificate, and replays.

A run follows the rule's definition (mes.py) in exact arithmetic, on classes of voters with
equal budgets (mes_pricing.py). With `certify`, it also records, for every decision, the
affine comparison that made it: the funded project's exact price against a valid affine lower
bound on every rival's price, each unaffordable project's total money against its cost, and
which supporters pay in full. `Limit` keeps the largest step of the starting budget for which
all of them hold, so Add1 can jump straight past every budget that gives the same outcome.

A certified run can keep snapshots of its state (`EngineState`) every few rounds; a later run
whose first rounds are proved to hold resumes from one, its values moved along their affine
forms (`EngineState.shifted`).

`Engine.replay` prices a run whose order is already known (from the float screen), one funded
project per round, with the same `price` and `charge` as a full run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from itertools import chain, repeat

from gmpy2 import mpq

from decide.allocation.core import TieBreak
from decide.allocation.mes_certify import Limit, certify_win
from decide.allocation.mes_pricing import (
    ZERO,
    Classes,
    Counts,
    Price,
    Round,
    charge,
    price,
    round_of,
)
from decide.allocation.prepare import Prepared, Q

try:  # the C helper behind Counter: counts straight into a plain dict, without its overhead
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python implementations

    def _count_elements(mapping: dict[int, int], iterable: Iterable[int]) -> None:
        for elem in iterable:
            mapping[elem] = mapping.get(elem, 0) + 1


__all__ = ["Engine", "EngineState", "Run", "Verdict", "cost_of", "exhaustive", "verdict"]


class Verdict(Enum):
    """What Add1 does after an outcome: go on to the next budget, stop there, or go back."""

    GO_ON = "go on"  # not exhaustive over the supported projects: the next budget
    STOP = "stop"  # exhaustive: this is Add1's outcome
    OVER = "over"  # costs more than the budget: the previous outcome is Add1's


@dataclass
class EngineState:
    """Everything a run carries from one round to the next (a snapshot is one of these).

    `classes`: voters' budgets by class; `gclass`: each voter group's class; `cnt`: each live
    project's supporters per (class, u); `alive`: projects still affordable; `lb_v`, `lb_s`:
    a lower bound on each project's price (value at `start`, slope); `price`, `last_nb`: for
    the certificate, each funded project's price and the last funded neighbour of each
    project; `round_limits`: each round's limit on the starting budget's step.
    """

    start: mpq
    classes: Classes
    gclass: list[int]
    cnt: dict[int, Counts]
    alive: set[int]
    lb_v: dict[int, mpq]
    lb_s: dict[int, mpq]
    price: dict[int, tuple[mpq, mpq]] = field(default_factory=dict)
    last_nb: dict[int, int] = field(default_factory=dict)
    selected: list[int] = field(default_factory=list)
    round_limits: list[tuple[mpq | None, bool]] = field(default_factory=list)

    def copy(self) -> EngineState:
        """Return an independent copy."""
        return EngineState(
            self.start,
            self.classes.copy(),
            list(self.gclass),
            {p: dict(d) for p, d in self.cnt.items()},
            set(self.alive),
            dict(self.lb_v),
            dict(self.lb_s),
            dict(self.price),
            dict(self.last_nb),
            list(self.selected),
            list(self.round_limits),
        )

    def shifted(self, start: mpq) -> EngineState:
        """Return a copy for starting budget `start`, every value moved along its affine form."""
        shift = start - self.start
        state = self.copy()
        state.start = start
        cls = state.classes
        cls.value = [v + sl * shift if sl else v for v, sl in zip(cls.value, cls.slope)]
        lb_s = state.lb_s
        state.lb_v = {p: v + lb_s[p] * shift if lb_s[p] else v for p, v in state.lb_v.items()}
        state.price = {p: (v + sl * shift, sl) for p, (v, sl) in state.price.items()}
        state.round_limits = [
            (None if value is None else value - shift, inclusive)
            for value, inclusive in state.round_limits
        ]
        return state


@dataclass
class Run:
    """A run's funded projects and rounds; when certified, how far its outcome holds."""

    selected: list[int]
    rounds: list[Round]
    limit: Limit | None
    start: mpq | None = None
    exact: bool = True  # False when resumed: the rounds' prices then need a fresh run
    round_limits: list[tuple[mpq | None, bool]] | None = None
    snapshots: dict[int, EngineState] | None = None

    def first_failing_round(self, shift: mpq | int) -> int:
        """Return the first round whose comparisons may fail `shift` later (or the round count)."""
        assert self.round_limits is not None
        for r, (value, inclusive) in enumerate(self.round_limits):
            if value is not None and (value < shift or (value == shift and not inclusive)):
                return r
        return len(self.round_limits)

    def resume_point(self, shift: mpq | int) -> tuple[dict[int, EngineState], int] | None:
        """Return the latest snapshot whose rounds all still hold `shift` later, if any."""
        if not self.snapshots or self.round_limits is None:
            return None
        first_bad = self.first_failing_round(shift)
        best = max((r for r in self.snapshots if r <= first_bad), default=None)
        if not best:
            return None
        return self.snapshots, best


def cost_of(prep: Prepared, chosen: Iterable[int]) -> mpq:
    """Return the total cost of these projects."""
    return sum((prep.costs[i] for i in chosen), Q(0))


def exhaustive(prep: Prepared, chosen: list[int], available: Iterable[int]) -> bool:
    """Return whether no project of `available` outside `chosen` still fits the budget."""
    spent = cost_of(prep, chosen)
    taken = set(chosen)
    return not any(i not in taken and spent + prep.costs[i] <= prep.budget for i in available)


def verdict(prep: Prepared, chosen: list[int], candidates: Iterable[int]) -> Verdict:
    """Return what Add1 does after an outcome funding `chosen` (free projects included)."""
    if cost_of(prep, chosen) > prep.budget:
        return Verdict.OVER
    if exhaustive(prep, chosen, candidates):
        return Verdict.STOP
    return Verdict.GO_ON


class Engine:
    """Precomputed supporter data for repeated MES runs on one instance."""

    def __init__(self, prep: Prepared, tie_break: TieBreak) -> None:
        self.prep = prep
        self.tie_key = [tie_break.key(pid) for pid in prep.ids]
        m = len(prep.ids)
        # Satisfaction u_i(p): the cost (cost satisfaction) or the points (cardinal ballots).
        self._sup: list[list[tuple[int, mpq]]] | None = None
        if prep.cardinal:
            self._sup, total_sat = self._points_support()
            self.sup_groups = [[g for g, _u in row] for row in self._sup]
        else:
            self.sup_groups, total_sat = self._cost_support()
        costs = prep.costs
        self.free = [i for i in range(m) if total_sat[i] > 0 and costs[i] == 0]
        self.candidates = [i for i in range(m) if total_sat[i] > 0 and costs[i] > 0]
        self._neighbours: list[set[int]] | None = None
        self._gballot: list[list[tuple[int, mpq]]] | None = None
        self.weighted: list[list[int]] = []
        self.initial_counts: dict[int, Counts] = {}

    def _points_support(self) -> tuple[list[list[tuple[int, mpq]]], list[mpq]]:
        """Each project's supporting groups with their points, and its total satisfaction."""
        prep = self.prep
        sup: list[list[tuple[int, mpq]]] = [[] for _ in prep.ids]
        for g, ballot in enumerate(prep.groups):
            for i, pts in ballot:
                if pts > 0:
                    sup[i].append((g, Q(pts)))
        total = [sum((prep.mult[g] * u for g, u in row), Q(0)) for row in sup]
        return sup, total

    def _cost_support(self) -> tuple[list[list[int]], list[mpq]]:
        """Each project's supporting groups under cost satisfaction, and its total satisfaction
        (its cost when anyone supports it; a free project supports nobody's budget)."""
        prep = self.prep
        costs = prep.costs
        found: list[list[int]] = [[] for _ in prep.ids]
        for g, ballot in enumerate(prep.groups):
            for i, _pts in ballot:
                found[i].append(g)
        groups = [row if costs[i] > 0 else [] for i, row in enumerate(found)]
        zero = Q(0)
        return groups, [costs[i] if groups[i] else zero for i in range(len(groups))]

    @property
    def sup(self) -> list[list[tuple[int, mpq]]]:
        """Each project's supporting groups with their satisfaction. Under cost satisfaction
        it is the cost for every supporter, so the list is only built when an exact run needs
        it (the float screen works from sup_groups)."""
        if self._sup is None:
            costs = self.prep.costs
            self._sup = [list(zip(row, repeat(costs[i]))) for i, row in enumerate(self.sup_groups)]
        return self._sup

    @property
    def gballot(self) -> list[list[tuple[int, mpq]]]:
        """Each group's candidate projects with its satisfaction; built on first use."""
        if self._gballot is None:
            prep = self.prep
            cand = set(self.candidates)
            costs = prep.costs
            self._gballot = [
                [(i, Q(pts) if prep.cardinal else costs[i]) for i, pts in ballot if i in cand]
                for ballot in prep.groups
            ]
            # Each group's projects, repeated once per voter, for counting in C.
            self.weighted = [[i for i, _u in row] * m for row, m in zip(self._gballot, prep.mult)]
            # Supporters of each project per (class, satisfaction); all start in class 0.
            for p in self.candidates:
                d: Counts = {}
                for g, u in self.sup[p]:
                    key = (0, u)
                    d[key] = d.get(key, 0) + prep.mult[g]
                self.initial_counts[p] = d
        return self._gballot

    @property
    def neighbours(self) -> list[set[int]]:
        """Projects sharing a supporter with each project: only these change price with it."""
        if self._neighbours is None:
            found: list[set[int]] = [set() for _ in self.prep.ids]
            for row in self.gballot:
                ids = [i for i, _ in row]
                for i in ids:
                    found[i].update(ids)
            self._neighbours = found
        return self._neighbours

    def _fresh_state(self, start: mpq) -> EngineState:
        """The state before the first round, every voter holding `start`."""
        self.gballot  # noqa: B018 - builds `weighted` and `initial_counts` too
        alive = set(self.candidates)
        return EngineState(
            start=start,
            classes=Classes.starting(start, Q(1), self.prep.n_voters),
            gclass=[0] * len(self.prep.groups),
            cnt={p: dict(d) for p, d in self.initial_counts.items()},
            alive=alive,
            lb_v=dict.fromkeys(alive, ZERO),
            lb_s=dict.fromkeys(alive, ZERO),
        )

    def run(
        self,
        start: mpq,
        certify: bool,
        resume: tuple[dict[int, EngineState], int] | None = None,
        every: int = 0,
        horizon: int = 1 << 30,
    ) -> Run:
        """Run MES with per-voter budget `start`; with `certify`, also find how far it holds.

        `resume` holds an earlier certified run's snapshots and the round to resume from: the
        rounds before it are proved to hold at `start`, so the run continues from there (its
        values moved along their affine forms) and keeps the earlier snapshots. With `every`,
        snapshots are kept every that many rounds, up to round `horizon`, for the next run.
        """
        snapshots: dict[int, EngineState] = {}
        if resume is None:
            state = self._fresh_state(start)
            exact = True
        else:
            old_snapshots, at = resume
            state = old_snapshots[at].shifted(start)
            snapshots = {r: old for r, old in old_snapshots.items() if r <= at}
            exact = False
        # Each project's last evaluation while it is clean (its supporters' budgets unchanged
        # since): its price is then known, with the partition data needed to certify a win.
        cache: dict[int, Price] = {}
        clean: set[int] = set()
        lbf = {p: float(v) for p, v in state.lb_v.items()}
        rounds: list[Round] = []
        while True:
            taken = len(state.selected)
            due = every and certify and taken % every == 0 and taken <= horizon
            if due and taken not in snapshots:
                snapshots[taken] = state.copy()
            limit = Limit() if certify else None
            found = self._cheapest(state, cache, clean, lbf, limit)
            if found is None:
                if limit is not None:
                    state.round_limits.append((limit.value, limit.inclusive))
                break
            s, res = found
            state.alive.discard(s)
            state.selected.append(s)
            if limit is not None:
                certify_win(limit, state, s, res, self.neighbours[s], self.tie_key)
            paid, moved = charge(state.cnt[s], state.classes, res.rho, res.slope)
            if moved:
                self._move(state, s, moved)
            clean.difference_update(self.neighbours[s])
            del state.cnt[s]
            rounds.append(round_of(s, res.rho, paid))
            if limit is not None:
                state.round_limits.append((limit.value, limit.inclusive))
        overall = Limit.lowest(state.round_limits) if certify else None
        return Run(state.selected, rounds, overall, start, exact, state.round_limits, snapshots)

    def _cheapest(
        self,
        state: EngineState,
        cache: dict[int, Price],
        clean: set[int],
        lbf: dict[int, float],
        limit: Limit | None,
    ) -> tuple[int, Price] | None:
        """Price the live projects, cheapest bound first; return the winner, or None.

        Floats order the scan cheaply; exact values decide. A float more than 1e-9 above the
        best price proves the exact bound is above it too (all prices are positive).
        Unaffordable projects leave `alive` (recorded in `limit`: they must stay so).
        """
        costs = self.prep.costs
        cardinal = self.prep.cardinal
        classes = state.classes
        lb_v, lb_s, alive, cnt = state.lb_v, state.lb_s, state.alive, state.cnt
        best: mpq | None = None
        tied: list[int] = []
        evals: dict[int, Price] = {}
        cutoff = float("inf")
        for p in sorted(alive, key=lbf.__getitem__):
            if best is not None:
                if lbf[p] > cutoff:
                    break
                if lb_v[p] > best:
                    continue
            res = cache[p] if p in clean else price(cnt[p], classes, costs[p], cardinal)
            if res is None:
                if limit is not None:
                    limit.keep_unaffordable(cnt[p], classes, costs[p], (len(state.selected), p))
                alive.discard(p)
                continue
            rho = res.rho
            lb_v[p] = rho
            lbf[p] = float(rho)
            lb_s[p] = res.slope
            clean.add(p)
            cache[p] = evals[p] = res
            if best is None or rho < best:
                best = rho
                cutoff = float(rho) * (1 + 1e-9) + 1e-300
                tied = [p]
            elif rho == best:
                tied.append(p)
        if not tied:
            return None
        s = min(tied, key=self.tie_key.__getitem__)
        return s, evals[s]

    def _move(self, state: EngineState, s: int, moved: dict[tuple[int, mpq], int]) -> None:
        """Move the supporters of `s` who changed class, in every live project's counts."""
        if not self.prep.cardinal:
            self._move_by_cost(state, s, moved)
            return
        mult = self.prep.mult
        gclass, alive, cnt = state.gclass, state.alive, state.cnt
        gballot = self.gballot
        for g, u in self.sup[s]:
            c = gclass[g]
            c2 = moved.get((c, u))
            if c2 is None:
                continue
            gclass[g] = c2
            m = mult[g]
            for p, up in gballot[g]:
                if p in alive:  # move m supporters from (c, up) to (c2, up); inlined: hot
                    d = cnt[p]
                    k1 = (c, up)
                    left = d[k1] - m
                    if left:
                        d[k1] = left
                    else:
                        del d[k1]
                    k2 = (c2, up)
                    d[k2] = d.get(k2, 0) + m

    def _move_by_cost(self, state: EngineState, s: int, moved: dict[tuple[int, mpq], int]) -> None:
        """`_move` under cost satisfaction: u is the project's cost, so only the class changes.
        The new class depends only on the old one, so the moving groups are bucketed by class
        and their projects counted in C."""
        costs = self.prep.costs
        gclass, alive, cnt = state.gclass, state.alive, state.cnt
        moved_c = {c: c2 for (c, _u), c2 in moved.items()}
        buckets: dict[int, list[int]] = {c: [] for c in moved_c}
        for g in self.sup_groups[s]:
            c = gclass[g]
            if c in moved_c:
                gclass[g] = moved_c[c]
                buckets[c].append(g)
        weighted = self.weighted
        for c, members in buckets.items():
            if not members:
                continue
            new_c = moved_c[c]
            counted: dict[int, int] = {}
            _count_elements(counted, chain.from_iterable(map(weighted.__getitem__, members)))
            for p, m in counted.items():
                if p in alive:  # move m supporters from class c to new_c; inlined: hot
                    d = cnt[p]
                    up = costs[p]
                    k1 = (c, up)
                    left = d[k1] - m
                    if left:
                        d[k1] = left
                    else:
                        del d[k1]
                    k2 = (new_c, up)
                    d[k2] = d.get(k2, 0) + m

    def replay(self, start: mpq, order: list[int]) -> list[Round]:
        """Return the exact rounds of the run from `start` that funds `order`, in that order.

        Only the funded projects are priced, one per round: this gives the exact prices and
        payments of a run whose order is already known (from the float screen). Raises
        ValueError if a project of `order` turns out unaffordable when its turn comes, or if
        the prices fall from one round to the next (in a real run they never do).
        """
        prep = self.prep
        classes = Classes.starting(start, ZERO, prep.n_voters)
        gclass = [0] * len(prep.groups)
        rounds: list[Round] = []
        for s in order:
            counts = self._counts(s, gclass)
            res = price(counts, classes, prep.costs[s], prep.cardinal)
            if res is None:
                raise ValueError("equal shares: a project of the order is unaffordable")
            if rounds and res.rho < rounds[-1][1]:
                raise ValueError("equal shares: prices fall along the order, so it is not a run")
            paid, moved = charge(counts, classes, res.rho, ZERO)
            if moved and prep.cardinal:
                for g, u in self.sup[s]:
                    c2 = moved.get((gclass[g], u))
                    if c2 is not None:
                        gclass[g] = c2
            elif moved:
                by_class = {c: c2 for (c, _u), c2 in moved.items()}
                for g in self.sup_groups[s]:
                    c2 = by_class.get(gclass[g])
                    if c2 is not None:
                        gclass[g] = c2
            rounds.append(round_of(s, res.rho, paid))
        return rounds

    def _counts(self, s: int, gclass: list[int]) -> Counts:
        """Count the supporters of `s` per (class, u)."""
        if self.prep.cardinal:
            mult = self.prep.mult
            counts: Counts = {}
            for g, u in self.sup[s]:
                key = (gclass[g], u)
                counts[key] = counts.get(key, 0) + mult[g]
            return counts
        # Cost satisfaction: everyone's u is the cost; count voters per class in C.
        per_class: dict[int, int] = {}
        _count_elements(per_class, map(gclass.__getitem__, self._voters_of(s)))
        u_s = self.prep.costs[s]
        return {(c, u_s): n for c, n in per_class.items()}

    def _voters_of(self, p: int) -> list[int]:
        """Return p's supporting groups, each repeated once per voter (for counting in C)."""
        mult = self.prep.mult
        return list(chain.from_iterable(repeat(g, mult[g]) for g in self.sup_groups[p]))
