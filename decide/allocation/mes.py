"""The Method of Equal Shares (MES), with Add1 and greedy completion.

Definition (Peters, Pierczyński and Skowron, "Proportional Participatory Budgeting with Additive
Utilities", NeurIPS 2021; equalshares.net; pabutools 1.2.3 ``rules/mes/mes_rule.py``):

- Every voter starts with the same share ``b`` of the budget: ``B / n`` where n counts every
  ballot, empty ones too.
- In each round, for each project p still affordable (its supporters hold at least its cost
  together), find the smallest ρ with ``sum_i min(b_i, ρ * u_i(p)) = cost(p)``; ``u_i(p)`` is
  the voter's satisfaction: the project's cost under cost satisfaction (approval and ordinal
  ballots), the points under cumulative ballots. Fund the project with the smallest ρ (ties by
  the tie-break) and charge each supporter ``min(b_i, ρ * u_i(p))``. Stop when nothing is
  affordable. Projects nobody supports are never considered.
- Add1 (``voter_budget_increment=1``): run the whole method again with per-voter budget
  ``B / n + k`` for k = 1, 2, ... and stop at the first outcome that is exhaustive over the
  supported projects; if an outcome costs more than B, return the previous one.
- Completion (pabutools ``completion_by_rule_combination``): if the Add1 outcome is not
  exhaustive over all projects, complete it with greedy.

How it is fast (our own design):

- Identical ballots form one weighted group. Voters whose ballots agree on the projects funded
  so far (and on their points for them) always hold the same budget, so budgets live on
  *classes* of voters; each project keeps a count of its supporters per class, and only the
  classes that paid for the last project change.
- Add1 does not need a run for every k. Within one run every budget, price and comparison is an
  affine function of the starting budget t. We record, for every decision, the affine
  comparison that made it (the funded project's exact price against a valid affine lower bound
  on every rival's price, each unaffordable project's total money against its cost, and which
  supporters pay in full). The outcome is provably the same for every t up to the first point
  where one of these comparisons could change, so the loop jumps straight to the first k past
  that point. The lower bound on a rival's price comes from any split of its supporters into
  "pay in full" P and "pay the price" R: ``ρ(t) >= (cost - sum_P b_i(t)) / sum_R u_i``.
  The stopping point (which is not monotone in k) is therefore reproduced exactly. This exact
  path is the fallback; see the next point.
- With the compiled float screen (mesfloat.py, _mesfloat.c), each Add1 step is run in doubles
  with error bounds, and stretches of steps are proved at once (`_add1_screened`): a project's
  price is a convex function of the budgets, so along the starting budget the winner's price
  stays under a chord and each rival's over a tangent. The steps are taken in independent
  blocks, two at a time on two cores, read in order; the outcome returned is always priced
  exactly.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from ballots.model import Instance, Profile
from decide.allocation import mesfloat
from decide.allocation.core import LEX, MesRound, Outcome, Payment, TieBreak, make_outcome
from decide.allocation.greedywelfare import greedy_fill
from decide.allocation.mesfloat import CLEAR, TOO_CLOSE, FloatRun, FloatRunner
from decide.allocation.prepare import Prepared, Q, prepare, to_fraction

try:  # the C helper behind Counter: counts straight into a plain dict, without its overhead
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python implementations

    def _count_elements(mapping: dict[Any, int], iterable: Any) -> None:
        for elem in iterable:
            mapping[elem] = mapping.get(elem, 0) + 1


_first = itemgetter(0)


class _Limit:
    """The largest step Δ >= 0 of the starting budget for which every recorded comparison holds."""

    __slots__ = ("inclusive", "label", "value", "who")

    def __init__(self) -> None:
        self.value: Any = None  # None: no limit
        self.inclusive = True
        self.label: Any = None  # what is being checked, for debugging
        self.who: Any = None  # the label of the comparison that sets the limit

    def keep(self, d0: Any, d1: Any, strict: bool) -> None:
        """Record that ``d0 + d1 * Δ`` must stay positive (strict) or non-negative."""
        if d1 > 0 or (d1 == 0 and (d0 > 0 or (d0 == 0 and not strict))):
            return
        x = d0 / (-d1) if d1 < 0 else d0 - d0  # d1 == 0 and the comparison fails: limit 0
        if x < 0:  # pragma: no cover - every comparison holds at Δ = 0
            x = x - x
        if self.value is None or x < self.value or (x == self.value and strict):
            self.value = x
            self.inclusive = not strict
            self.who = self.label

    def next_step(self) -> int | None:
        """Return the smallest integer Δ >= 1 at which a comparison may fail, or None."""
        if self.value is None:
            return None
        x = self.value
        whole = int(x.numerator // x.denominator)  # floor
        if self.inclusive:
            return max(1, whole + 1)
        return max(1, whole if whole == x else whole + 1)


@dataclass
class _Run:
    selected: list[int]
    rounds: list[tuple[int, Any, list[tuple[Any, int]]]]
    limit: _Limit | None
    start: Any = None
    exact: bool = True  # False when resumed: the rounds' prices then need a fresh run
    round_limits: list[tuple[Any, bool]] | None = None
    snapshots: dict[int, tuple[Any, ...]] | None = None

    def first_failing_round(self, shift: Any) -> int:
        """Return the first round whose comparisons may fail `shift` later (or the round count)."""
        assert self.round_limits is not None
        for r, (value, inclusive) in enumerate(self.round_limits):
            if value is not None and (value < shift or (value == shift and not inclusive)):
                return r
        return len(self.round_limits)

    def resume_point(self, shift: Any) -> tuple[dict[int, tuple[Any, ...]], int] | None:
        """Return the latest snapshot whose rounds all still hold `shift` later, if any."""
        if not self.snapshots or self.round_limits is None:
            return None
        first_bad = self.first_failing_round(shift)
        best = max((r for r in self.snapshots if r <= first_bad), default=None)
        if not best:
            return None
        return self.snapshots, best


class _Engine:
    """Precomputed supporter data for repeated MES runs on one instance."""

    def __init__(self, prep: Prepared, tie_break: TieBreak) -> None:
        self.prep = prep
        self.tie_key = [tie_break.key(pid) for pid in prep.ids]
        costs = prep.costs
        m = len(prep.ids)
        # Satisfaction u_i(p): the cost (cost satisfaction) or the points (cardinal ballots).
        sup_groups: list[list[int]] = [[] for _ in range(m)]
        if prep.cardinal:
            sup: list[list[tuple[int, Any]]] = [[] for _ in range(m)]
            for g, ballot in enumerate(prep.groups):
                for i, pts in ballot:
                    if pts > 0:
                        sup[i].append((g, Q(pts)))
                        sup_groups[i].append(g)
            total_sat = [sum((prep.mult[g] * u for g, u in row), Q(0)) for row in sup]
        else:
            for g, ballot in enumerate(prep.groups):
                for i, _pts in ballot:
                    sup_groups[i].append(g)
            zero = Q(0)
            sup_groups = [row if costs[i] > 0 else [] for i, row in enumerate(sup_groups)]
            total_sat = [costs[i] if sup_groups[i] else zero for i in range(m)]
        self.free = [i for i in range(m) if total_sat[i] > 0 and costs[i] == 0]
        self.candidates = [i for i in range(m) if total_sat[i] > 0 and costs[i] > 0]
        self._sup: list[list[tuple[int, Any]]] | None = None
        if prep.cardinal:
            self._sup = sup
        self.sup_groups = sup_groups
        self._neighbours: list[set[int]] | None = None
        self._gballot: list[list[tuple[int, Any]]] | None = None
        self.weighted: list[list[int]] = []
        self.initial_counts: dict[int, dict[tuple[int, Any], int]] = {}

    @property
    def sup(self) -> list[list[tuple[int, Any]]]:
        """Each project's supporting groups with their satisfaction. Under cost satisfaction
        it is the cost for every supporter, so the list is only built when an exact run needs
        it (the float screen works from sup_groups)."""
        if self._sup is None:
            costs = self.prep.costs
            self._sup = [list(zip(row, repeat(costs[i]))) for i, row in enumerate(self.sup_groups)]
        return self._sup

    @property
    def gballot(self) -> list[list[tuple[int, Any]]]:
        """Each group's candidate projects with its satisfaction; built on first use."""
        if self._gballot is None:
            prep = self.prep
            cand = set(self.candidates)
            costs = prep.costs
            gballot = []
            for ballot in prep.groups:
                row = []
                for i, pts in ballot:
                    if i in cand:
                        row.append((i, Q(pts) if prep.cardinal else costs[i]))
                gballot.append(row)
            self._gballot = gballot
            # Each group's projects, repeated once per voter, for counting in C.
            self.weighted = [[i for i, _u in row] * m for row, m in zip(gballot, prep.mult)]
            # Supporters of each project per (class, satisfaction); all start in class 0.
            for p in self.candidates:
                d: dict[tuple[int, Any], int] = {}
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

    def run(
        self,
        start: Any,
        certify: bool,
        resume: tuple[dict[int, tuple[Any, ...]], int] | None = None,
        every: int = 0,
        horizon: int = 1 << 30,
    ) -> _Run:
        """Run MES with per-voter budget `start`; with `certify`, also find how far it holds.

        `resume` holds an earlier certified run's snapshots and the round to resume from: the
        rounds before it are proved to hold at `start`, so the run continues from there (its
        values moved along their affine forms) and keeps the earlier snapshots. With `every`,
        snapshots are kept every that many rounds, up to round `horizon`, for the next run.
        """
        prep = self.prep
        costs = prep.costs
        mult = prep.mult
        tie_key = self.tie_key
        sup = self.sup
        gballot = self.gballot  # first: builds `weighted` and `initial_counts` too
        limit = _Limit() if certify else None
        cardinal = prep.cardinal  # with cost satisfaction u is the same for every supporter
        weighted = self.weighted
        sup_groups = self.sup_groups
        zero = Q(0)

        # Classes of voters with equal budgets: value at `start` and slope in t.
        # Class 1 gathers voters who have spent everything: budget 0 for every t, forever.
        cls_v: list[Any] = [start, zero]
        cls_s: list[Any] = [Q(1), zero]
        cls_size: list[int] = [prep.n_voters, 0]
        gclass = [0] * len(prep.groups)
        cnt = {p: dict(d) for p, d in self.initial_counts.items()}
        alive = set(self.candidates)
        # Lower bound on each project's price: value at `start` and slope; exact when clean.
        lb_v: dict[int, Any] = {p: zero for p in alive}
        lb_s: dict[int, Any] = {p: zero for p in alive}
        clean: dict[int, bool] = {p: False for p in alive}
        cache: dict[int, tuple[Any, Any, list[Any], int]] = {}
        # Last evaluation of a clean project: partition data needed to certify a win.
        # For the certificate: price of each funded project, last funded neighbour of each.
        price: dict[int, tuple[Any, Any]] = {}
        last_nb: dict[int, int] = {}
        selected: list[int] = []
        rounds: list[tuple[int, Any, list[tuple[Any, int]]]] = []
        round_limits: list[tuple[Any, bool]] = []
        snapshots: dict[int, tuple[Any, ...]] = {}
        exact = True
        if resume is not None:
            old_snapshots, at = resume
            snap = old_snapshots[at]
            shift = start - snap[-1]
            snapshots = {r: old for r, old in old_snapshots.items() if r <= at}
            exact = False
            (
                cls_v,
                cls_s,
                cls_size,
                gclass,
                cnt,
                alive,
                lb_v,
                lb_s,
                price,
                last_nb,
                selected,
                round_limits,
            ) = self._restore(snap, shift)
            clean = {p: False for p in alive}

        lbf = {p: float(v) for p, v in lb_v.items()}
        while True:
            if (
                every
                and certify
                and len(selected) % every == 0
                and len(selected) <= horizon
                and len(selected) not in snapshots
            ):
                snapshots[len(selected)] = (
                    list(cls_v),
                    list(cls_s),
                    list(cls_size),
                    list(gclass),
                    {p: dict(d) for p, d in cnt.items()},
                    set(alive),
                    dict(lb_v),
                    dict(lb_s),
                    dict(price),
                    dict(last_nb),
                    list(selected),
                    list(round_limits),
                    start,
                )
            if limit is not None:
                limit = _Limit()
            best: Any = None
            tied: list[int] = []
            evals: dict[int, tuple[Any, Any, list[Any], int]] = {}
            # Floats order the scan cheaply; exact values decide. A float more than 1e-9 above
            # the best price proves the exact bound is above it too (all prices are positive).
            cutoff = float("inf")
            for p in sorted(alive, key=lbf.__getitem__):
                if best is not None:
                    if lbf[p] > cutoff:
                        break
                    if lb_v[p] > best:
                        continue
                res = (
                    cache[p] if clean[p] else self._price(cnt[p], cls_v, cls_s, costs[p], cardinal)
                )
                if res is None:
                    if limit is not None:
                        avail_v = zero
                        avail_s = zero
                        for (c, _u), n in cnt[p].items():
                            avail_v += n * cls_v[c]
                            avail_s += n * cls_s[c]
                        # Must stay unaffordable: cost - money > 0.
                        limit.label = ("unaffordable", len(selected), p)
                        limit.keep(costs[p] - avail_v, -avail_s, True)
                    alive.discard(p)
                    continue
                rho, slope = res[0], res[1]
                lb_v[p] = rho
                lbf[p] = float(rho)
                lb_s[p] = slope
                clean[p] = True
                cache[p] = res
                evals[p] = res
                if best is None or rho < best:
                    best = rho
                    cutoff = float(rho) * (1 + 1e-9) + 1e-300
                    tied = [p]
                elif rho == best:
                    tied.append(p)
            if not tied:
                if limit is not None:
                    round_limits.append((limit.value, limit.inclusive))
                break
            s = min(tied, key=tie_key.__getitem__)
            rho, rho_s, rows, split = evals[s]
            alive.discard(s)
            selected.append(s)
            if limit is not None:
                key_s = tie_key[s]
                price[s] = (rho, rho_s)
                for p in self.neighbours[s]:
                    if p not in alive:
                        continue
                    # (C) a neighbour waiting in its current state must stay dearer than s, or
                    # as dear if it loses the tie-break to s (its bound is below its price).
                    # (keep() accepts any growing slope at once: skip the call for those.)
                    d1 = lb_s[p] - rho_s
                    if not d1 > 0:
                        limit.label = ("neighbour", len(selected), p)
                        limit.keep(lb_v[p] - rho, d1, tie_key[p] < key_s)
                    # (B') the neighbours of p keep their order, so p's states stay the same.
                    a = last_nb.get(p)
                    if a is not None:
                        pa, pa_s = price[a]
                        d1 = rho_s - pa_s
                        if not d1 > 0:
                            limit.label = ("order", len(selected), a, s)
                            limit.keep(rho - pa, d1, tie_key[a] > key_s)
                    last_nb[p] = s
                limit.label = ("split", len(selected), s)
                keep = limit.keep
                last_u: Any = None
                ru = rsu = zero
                for j, (_key, v, sl, u, _n) in enumerate(rows):
                    if u is not last_u:
                        last_u = u
                        ru = rho * u
                        rsu = rho_s * u
                    if j < split:  # v + sl Δ < ρ(Δ) u
                        d1 = rsu - sl
                        if d1 > 0:  # holds for every Δ >= 0 (it holds at Δ = 0)
                            continue
                        keep(ru - v, d1, True)
                    else:  # v + sl Δ >= ρ(Δ) u
                        d1 = sl - rsu
                        if d1 > 0:
                            continue
                        keep(v - ru, d1, False)
            # Charge the supporters, class by class.
            paid: dict[Any, int] = {}
            moved: dict[tuple[int, Any], int] = {}
            share_u: Any = None  # the u that `share` and `share_s` were computed for
            share = share_s = zero
            for (c, u), n in cnt[s].items():
                v = cls_v[c]
                if not v and not cls_s[c]:  # spent out: pays nothing, changes nothing
                    paid[zero] = paid.get(zero, 0) + n
                    continue
                if u is not share_u:
                    share_u = u
                    share = rho * u
                    share_s = rho_s * u
                if v < share:
                    nv, ns, pay = zero, zero, v
                else:
                    nv, ns, pay = v - share, cls_s[c] - share_s, share
                paid[pay] = paid.get(pay, 0) + n
                if n == cls_size[c]:
                    cls_v[c] = nv
                    cls_s[c] = ns
                elif not nv and not ns:
                    moved[(c, u)] = 1
                    cls_size[1] += n
                    cls_size[c] -= n
                else:
                    moved[(c, u)] = len(cls_v)
                    cls_v.append(nv)
                    cls_s.append(ns)
                    cls_size.append(n)
                    cls_size[c] -= n
            if moved and not cardinal:
                # Cost satisfaction: u is the project's cost, so only the class changes. Bucket
                # the moving groups by (old, new) class and count their projects in C.
                # The new class depends only on the old one (u is the same for everyone).
                moved_c = {c: c2 for (c, _u), c2 in moved.items()}
                buckets: dict[int, list[int]] = {c: [] for c in moved_c}
                for g in sup_groups[s]:
                    c = gclass[g]
                    if c in moved_c:
                        gclass[g] = moved_c[c]
                        buckets[c].append(g)
                for c, members in buckets.items():
                    if not members:
                        continue
                    new_c = moved_c[c]
                    counted: dict[int, int] = {}
                    _count_elements(
                        counted, chain.from_iterable(map(weighted.__getitem__, members))
                    )
                    for p, m in counted.items():
                        if p in alive:
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
            elif moved:
                for g, u in sup[s]:
                    c = gclass[g]
                    c2 = moved.get((c, u))
                    if c2 is None:
                        continue
                    gclass[g] = c2
                    m = mult[g]
                    for p, up in gballot[g]:
                        if p in alive:
                            d = cnt[p]
                            k1 = (c, up)
                            left = d[k1] - m
                            if left:
                                d[k1] = left
                            else:
                                del d[k1]
                            k2 = (c2, up)
                            d[k2] = d.get(k2, 0) + m
            for p in self.neighbours[s]:
                if p in alive:
                    clean[p] = False
            del cnt[s]
            rounds.append((s, rho, sorted(paid.items(), key=lambda kv: -kv[0])))
            if limit is not None:
                round_limits.append((limit.value, limit.inclusive))
        overall = None
        if certify:
            overall = _Limit()
            for value, inclusive in round_limits:
                if value is not None and (
                    overall.value is None
                    or value < overall.value
                    or (value == overall.value and not inclusive)
                ):
                    overall.value = value
                    overall.inclusive = inclusive
        return _Run(selected, rounds, overall, start, exact, round_limits, snapshots)

    def replay(self, start: Any, order: list[int]) -> list[tuple[int, Any, list[tuple[Any, int]]]]:
        """Return the exact rounds of the run from `start` that funds `order`, in that order.

        Only the funded projects are priced, one per round: this gives the exact prices and
        payments of a run whose order is already known (from the float screen). Raises
        ValueError if a project of `order` turns out unaffordable when its turn comes, or if
        the prices fall from one round to the next (in a real run they never do).
        """
        prep = self.prep
        costs = prep.costs
        mult = prep.mult
        cardinal = prep.cardinal
        zero = Q(0)
        cls_v: list[Any] = [start]  # the budget of each class of voters
        cls_s: list[Any] = [zero]  # slopes, all zero here (for _price)
        cls_n: list[int] = [prep.n_voters]
        gclass = [0] * len(prep.groups)
        rounds: list[tuple[int, Any, list[tuple[Any, int]]]] = []
        for s in order:
            counts: dict[tuple[int, Any], int] = {}
            if cardinal:
                for g, u in self.sup[s]:
                    key = (gclass[g], u)
                    counts[key] = counts.get(key, 0) + mult[g]
            else:
                # Cost satisfaction: everyone's u is the cost; count voters per class in C.
                per_class: dict[int, int] = {}
                _count_elements(per_class, map(gclass.__getitem__, self._voters_of(s)))
                u_s = costs[s]
                counts = {(c, u_s): n for c, n in per_class.items()}
            res = self._price(counts, cls_v, cls_s, costs[s], cardinal)
            if res is None:
                raise ValueError("equal shares: a project of the order is unaffordable")
            rho = res[0]
            if rounds and rho < rounds[-1][1]:
                raise ValueError("equal shares: prices fall along the order, so it is not a run")
            paid: dict[Any, int] = {}
            moved: dict[tuple[int, Any], int] = {}
            for (c, u), n in counts.items():
                v = cls_v[c]
                share = rho * u
                pay = v if v < share else share
                paid[pay] = paid.get(pay, 0) + n
                if not pay:
                    continue
                if n == cls_n[c]:
                    cls_v[c] = v - pay
                else:
                    moved[(c, u)] = len(cls_v)
                    cls_v.append(v - pay)
                    cls_s.append(zero)
                    cls_n.append(n)
                    cls_n[c] -= n
            if moved and cardinal:
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
            rounds.append((s, rho, sorted(paid.items(), key=lambda kv: -kv[0])))
        return rounds

    def replay_by_classes(
        self, start: Any, order: list[int], runner: FloatRunner
    ) -> list[tuple[int, Any, list[tuple[Any, int]]]] | None:
        """Return the rounds `replay` would, from the screen's classes of voters.

        Under cost satisfaction the compiled screen can say which supporters paid the same so
        far (a class) and whether each class pays all it has; then each round takes a few exact
        operations per class. Every such claim is checked in exact arithmetic; None when the
        screen cannot give the classes or a claim fails (use `replay` then).
        """
        prep = self.prep
        if prep.cardinal:
            return None
        got = runner.classes(float(start), order)
        if got is None:
            return None
        starts, out = got
        costs = prep.costs
        zero = Q(0)
        cls_v: list[Any] = [start]
        rounds: list[tuple[int, Any, list[tuple[Any, int]]]] = []
        for r, s in enumerate(order):
            entries = [out[i : i + 4] for i in range(starts[r], starts[r + 1], 4)]
            cost_s = costs[s]
            # The screen says which classes pay all they have; the share q that the others pay
            # then follows, and the loop below checks every class against it: each class that
            # pays all it has holds at most q, each other at least q. That makes q the exact
            # water level (the money given at q is then the cost), with no sorting.
            rest = cost_s
            voters = 0
            for c, _c2, n, pays_all in entries:
                if pays_all:
                    rest -= n * cls_v[c]
                else:
                    voters += n
            if not voters or rest <= 0:
                return None
            rho = rest / voters / cost_s
            if rounds and rho < rounds[-1][1]:
                return None  # prices never fall from round to round: not a real run
            share = rho * cost_s
            paid: dict[Any, int] = {}
            for c, c2, n, pays_all in entries:
                v = cls_v[c]
                if v != share and (v < share) != bool(pays_all):
                    return None  # the screen's class disagrees with exact arithmetic
                pay = v if v < share else share
                paid[pay] = paid.get(pay, 0) + n
                while len(cls_v) <= c2:
                    cls_v.append(zero)
                cls_v[c2] = v - pay
            spent_out = prep.approvals[s] - sum(n for _c, _c2, n, _all in entries)
            if spent_out:
                paid[zero] = paid.get(zero, 0) + spent_out
            rounds.append((s, rho, sorted(paid.items(), key=lambda kv: -kv[0])))
        return rounds

    def _voters_of(self, p: int) -> list[int]:
        """Return p's supporting groups, each repeated once per voter (for counting in C)."""
        mult = self.prep.mult
        return list(chain.from_iterable(repeat(g, mult[g]) for g in self.sup_groups[p]))

    @staticmethod
    def _restore(snap: tuple[Any, ...], shift: Any) -> tuple[Any, ...]:
        """Copy a snapshot, moving every value `shift` along its affine form."""
        (
            cls_v,
            cls_s,
            cls_size,
            gclass,
            cnt,
            alive,
            lb_v,
            lb_s,
            price,
            last_nb,
            selected,
            round_limits,
            _start,
        ) = snap
        cls_v = [v + sl * shift if sl else v for v, sl in zip(cls_v, cls_s)]
        lb_v = {p: v + lb_s[p] * shift if lb_s[p] else v for p, v in lb_v.items()}
        price = {p: (v + sl * shift, sl) for p, (v, sl) in price.items()}
        round_limits = [
            (None if value is None else value - shift, inclusive)
            for value, inclusive in round_limits
        ]
        return (
            cls_v,
            list(cls_s),
            list(cls_size),
            list(gclass),
            {p: dict(d) for p, d in cnt.items()},
            set(alive),
            lb_v,
            dict(lb_s),
            price,
            dict(last_nb),
            list(selected),
            round_limits,
        )

    @staticmethod
    def _price(
        counts: dict[tuple[int, Any], int],
        cls_v: list[Any],
        cls_s: list[Any],
        cost: Any,
        by_ratio: bool,
    ) -> tuple[Any, Any, list[tuple[Any, Any, Any, Any, int]], int] | None:
        """Return the exact price ρ of p, a slope giving an affine lower bound, and the split.

        The rows are ``(sort key, budget, slope, u, voters)`` sorted by budget per unit of
        satisfaction; the first `split` rows pay all they have, the others pay ρ * u.
        """
        rows = []
        money = 0
        total_u = 0
        if by_ratio:
            for (c, u), n in counts.items():
                v = cls_v[c]
                sl = cls_s[c]
                if not v and not sl:
                    # Spent-out voters pay nothing whatever the price: leave them out.
                    continue
                rows.append((v / u, v, sl, u, n))
                money += n * v
                total_u += n * u
        else:
            # Cost satisfaction: every supporter has u = cost, so work with the payment q = ρ u.
            voters = 0
            u = cost
            for (c, _u), n in counts.items():
                v = cls_v[c]
                sl = cls_s[c]
                if not v and not sl:
                    continue
                rows.append((v, v, sl, u, n))
                voters += n
            rows.sort(key=_first)
            rest = cost  # what the voters not yet paying in full still owe
            paid_s = 0
            split = 0
            for _k, v, sl, _u2, n in rows:
                # q = rest / voters <= v, without the division
                if rest <= v * voters:
                    break
                split += 1
                rest -= n * v
                paid_s += n * sl
                voters -= n
            else:
                # Even the richest pay in full and fall short: their money is below the cost.
                return None
            q = rest / voters
            rest_u = voters * cost
            return q / cost, -paid_s / rest_u, rows, split
        if money < cost:
            return None
        rows.sort(key=_first)
        paid_v = 0
        paid_s = 0
        rest_u = total_u
        rho: Any = None
        split = 0
        for _ratio, v, sl, u, n in rows:
            rho = (cost - paid_v) / rest_u
            if rho * u <= v:
                break
            split += 1
            paid_v += n * v
            paid_s += n * sl
            rest_u -= n * u
        return rho, -paid_s / rest_u, rows, split


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one computation. The rule makes many small
    objects but no cycles, and while a large profile is in memory each collection scans all of
    it: about a tenth of the time on the largest files."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def equal_shares(
    instance: Instance,
    profile: Profile,
    *,
    tie_break: TieBreak = LEX,
    completion: bool = True,
    add1: bool | None = None,
    prepared: Prepared | None = None,
) -> Outcome:
    """Fund projects by the Method of Equal Shares, with Add1 and greedy completion by default.

    `completion=False` gives plain MES (no Add1, no greedy) unless `add1=True` is also given.
    """
    with _collector_paused():
        return _equal_shares(instance, profile, tie_break, completion, add1, prepared)


def _equal_shares(
    instance: Instance,
    profile: Profile,
    tie_break: TieBreak,
    completion: bool,
    add1: bool | None,
    prepared: Prepared | None,
) -> Outcome:
    prep = prepared or prepare(instance, profile)
    use_add1 = completion if add1 is None else add1
    engine = _Engine(prep, tie_break)
    notes = [
        "Every voter starts with an equal share of the budget; a project is funded when its "
        "supporters can pay for it, each paying the same amount or all they have left."
    ]
    if prep.cardinal:
        notes.append("With points ballots, supporters pay in proportion to their points.")
    else:
        notes.append("Ranked ballots count as support for every project they list.")
    free = list(engine.free)
    details: dict[str, Any] = {
        "satisfaction": "points" if prep.cardinal else "cost",
        "add1": use_add1,
        "completion": completion,
    }
    if prep.n_voters == 0:
        chosen: list[int] = []
        rounds: list[tuple[int, Any, list[tuple[Any, int]]]] = []
        details["mes_budget_per_voter"] = "0"
    else:
        base = prep.budget / prep.n_voters
        # How many runs Add1 took is not recorded: it depends on whether the float screen is
        # built, and the details are hashed when a result is confirmed.
        k = 0
        if not use_add1:
            chosen, rounds = _single_run(engine, base)
        else:
            screened = _add1_screened(engine, base) or _add1(engine, base)
            chosen, rounds, k, _runs = screened
        details["mes_budget_per_voter"] = str(to_fraction(base + k))
        details["add1_increment"] = k
    mes_selected = free + chosen
    steps: list[Any] = [
        MesRound(
            project=prep.ids[s],
            cost=to_fraction(prep.costs[s]),
            rho=to_fraction(rho),
            payments=tuple(Payment(to_fraction(a), n) for a, n in paid),
        )
        for s, rho, paid in rounds
    ]
    final = mes_selected
    if completion and not _exhaustive(prep, mes_selected, range(len(prep.ids))):
        final, gsteps = greedy_fill(prep, tie_break, mes_selected, phase="completion")
        steps.extend(gsteps)
    details["mes_selected"] = [prep.ids[i] for i in mes_selected]
    details["supporters"] = prep.supporters(final)
    return make_outcome(
        "equal-shares",
        instance,
        [prep.ids[i] for i in final],
        tie_break,
        steps=tuple(steps),
        notes=tuple(notes),
        details=details,
    )


def _cost(prep: Prepared, chosen: list[int]) -> Any:
    return sum((prep.costs[i] for i in chosen), Q(0))


def _exhaustive(prep: Prepared, chosen: list[int], available: Any) -> bool:
    spent = _cost(prep, chosen)
    taken = set(chosen)
    return not any(i not in taken and spent + prep.costs[i] <= prep.budget for i in available)


def _add1(engine: _Engine, base: Any) -> tuple[list[int], list[Any], int, int]:
    """Follow pabutools' Add1 loop exactly, jumping over runs proved to give the same outcome."""
    prep = engine.prep
    free = engine.free
    prev: tuple[list[int], int] = ([], 0)
    k = 0
    runs = 0
    resume = None
    every = 4
    # Later rounds hold more classes, so their snapshots cost more; snapshot only as far as
    # recent runs have needed to go back.
    recent: list[int] = []
    while True:
        horizon = 2 * max(recent) + every if recent else 1 << 30
        run = engine.run(base + k, certify=True, resume=resume, every=every, horizon=horizon)
        runs += 1
        chosen = run.selected
        if _cost(prep, free + chosen) > prep.budget:
            if not prev[0] and k == 0:
                return [], [], 0, runs
            # The certificate proves the funded set; compute the rounds at that exact budget.
            again = engine.run(base + prev[1], certify=False)
            assert set(again.selected) == set(prev[0])
            return again.selected, again.rounds, prev[1], runs + 1
        if _exhaustive(prep, free + chosen, engine.candidates):
            if not run.exact:
                run = engine.run(base + k, certify=False)
                runs += 1
            return run.selected, run.rounds, k, runs
        assert run.limit is not None
        step = run.limit.next_step()
        if step is None:  # pragma: no cover - budgets grow until everything is affordable
            raise RuntimeError("equal shares: Add1 found no stopping point")
        # Every k' in [k, k + step) gives this same funded set; the one just before k + step
        # is therefore the "previous outcome" pabutools would fall back to.
        prev = (chosen, k + step - 1)
        resume = run.resume_point(step)
        recent = [*recent[-9:], run.first_failing_round(step)]
        k += step


def _single_run(engine: _Engine, start: Any) -> tuple[list[int], list[Any]]:
    """Run MES once from `start`: screened in floats when possible, priced exactly."""
    runner = _float_runner(engine) if engine.candidates else None
    if runner is not None:
        run = runner.run(float(start))
        if run.status != TOO_CLOSE:
            rounds = _priced(engine, start, run.order, runner)
            if rounds is not None:
                return run.order, rounds
    exact = engine.run(start, certify=False)
    return exact.selected, exact.rounds


def _priced(engine: _Engine, start: Any, order: list[int], runner: FloatRunner) -> list[Any] | None:
    """Return the exact rounds of the screened run funding `order` from `start`: from the
    screen's classes of voters when it can give them, else group by group. None if the order
    fails an exact check (the screen's margins forbid that; the caller then runs exactly)."""
    rounds = engine.replay_by_classes(start, order, runner)
    if rounds is not None:
        return rounds
    try:
        return engine.replay(start, order)
    except ValueError:  # pragma: no cover - the screen's margins forbid this
        return None


def _float_runner(engine: _Engine) -> FloatRunner | None:
    """Return the compiled float screen loaded with this instance, or None without it."""
    if not mesfloat.available():
        return None
    prep = engine.prep
    candidates = engine.candidates
    ranked = sorted(candidates, key=engine.tie_key.__getitem__)
    rank = {p: r for r, p in enumerate(ranked)}
    exact = None
    if prep.cardinal:  # costs exactly, when small enough, for exact ties of pure prices
        costs = [to_fraction(prep.costs[p]) for p in candidates]
        whole = all(to_fraction(u).denominator == 1 for p in candidates for _g, u in engine.sup[p])
        if whole and all(c.numerator < 1 << 40 and c.denominator < 1 << 40 for c in costs):
            exact = [(c.numerator, c.denominator) for c in costs]
    # The screen numbers voter groups afresh, so that the groups of one project's supporters lie
    # close together in memory: its passes over budgets are bound by memory, not arithmetic.
    new = _group_order(prep)
    mult = [0] * len(new)
    for g, m in enumerate(prep.mult):
        mult[new[g]] = m
    groups: list[list[int]] = []
    sats: list[list[float]] = []
    for p in candidates:
        if prep.cardinal:
            pairs = sorted((new[g], float(u)) for g, u in engine.sup[p])
            groups.append([g for g, _u in pairs])
            sats.append([u for _g, u in pairs])
        else:
            groups.append(sorted(new[g] for g in engine.sup_groups[p]))
    return FloatRunner(
        mult,
        candidates,
        [float(prep.costs[p]) for p in candidates],
        groups,
        sats if prep.cardinal else None,
        [rank[p] for p in candidates],
        exact,
    )


def _group_order(prep: Prepared) -> list[int]:
    """A new number for each voter group: groups sorted by the projects on their ballots, the
    most supported project first. Groups that share popular projects then sit side by side, and
    a pass over a project's supporters reads memory nearly in order (on Budapest 2024 this
    made the screen's runs and checks about 40% faster)."""
    by_support = sorted(range(len(prep.ids)), key=lambda i: (-prep.approvals[i], i))
    place = [0] * len(prep.ids)
    for r, i in enumerate(by_support):
        place[i] = r
    keys = [sorted(place[i] for i, _pts in ballot) for ballot in prep.groups]
    new = [0] * len(keys)
    for n, g in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
        new[g] = n
    return new


def _add1_screened(engine: _Engine, base: Any) -> tuple[list[int], list[Any], int, int] | None:
    """Follow pabutools' Add1 loop with the compiled float screen; None without it.

    Each budget B/n + k is first run in doubles (mesfloat.py). A run whose decisions were all
    clear by a wide margin is the exact run; any other is redone exactly. From a clear run at
    one budget, a check at a larger one proves that every budget between funds the same
    projects in the same order: in each round, the winner's price lies below a chord and every
    rival's above a tangent, both straight lines in the starting budget, because prices are
    convex functions of the budgets (mes_float_check in _mesfloat.c says why). The loop
    gallops over such stretches, aiming each proof short of where the check guesses that a
    rival's price line meets the winner's; only whole steps count, so a step of one is a plain
    run. The outcome returned is recomputed exactly, and must agree with the screen.

    The budgets are taken in blocks that can be followed independently; with two cores, two
    blocks go on at once and their findings are read in order (see _Scan).
    """
    runner = _float_runner(engine)
    if runner is None:
        return None
    scan = _Scan(engine, base, runner)
    prev: tuple[list[int], int] | None = None  # the outcome just before the block
    workers = mesfloat.workers()
    blocks = _blocks()

    def start() -> Future[tuple[str, int, list[int], list[int] | None]]:
        if workers is not None:
            return workers.submit(scan.block, *next(blocks))
        done: Future[tuple[str, int, list[int], list[int] | None]] = Future()
        done.set_result(scan.block(*next(blocks)))
        return done

    try:
        # Two blocks in flight with two threads; one at a time without them.
        pending = [start() for _ in range(1 if workers is None else 2)]
        while True:
            found = pending.pop(0).result()
            if found[0] != "go on":
                break
            prev = (found[2], found[1])
            pending.append(start())
    finally:
        scan.cancelled = True  # a block still under way stops at its next run
    kind, k, order, before = found
    if kind == "over":
        if before is not None:
            prev = (before, k - 1)
        if prev is None:
            return [], [], 0, scan.runs
        return _exact_at(engine, base, prev, scan.runs, runner)
    return _exact_at(engine, base, (order, k), scan.runs, runner)


# The first blocks of Add1's budgets hold this many; tests set it smaller to cross many blocks.
_FIRST_BLOCK = 32
# The least a proof tries to reach after a change of order (four times that at a block's start).
_FIRST_STEP = 16


def _blocks() -> Iterator[tuple[int, int]]:
    """Blocks of budgets B/n + k for Add1: each a quarter of all the budgets before it, and at
    least _FIRST_BLOCK (so the first five hold 32 each). Small first, as many instances stop
    early; ever larger later, as a block starts with a full run and the loop's proofs cannot
    reach past its end (some instances stop only after millions of steps); never more than a
    quarter, so that the block where Add1 stops, followed alone, is a small part of the
    whole."""
    lo = 0
    while True:
        size = max(_FIRST_BLOCK, lo // 4)
        yield lo, lo + size
        lo += size


class _Cancelled(Exception):
    """A block of Add1's budgets whose finding is no longer wanted."""


class _Scan:
    """Add1's budgets B/n + k, one block of k at a time (blocks are independent)."""

    def __init__(self, engine: _Engine, base: Any, runner: FloatRunner) -> None:
        self.engine = engine
        self.base = base
        self.runner = runner
        self.runs = 0
        self.cancelled = False
        self._verdicts: dict[tuple[int, ...], str] = {}
        self._exact = threading.Lock()  # exact runs fill the engine's caches as they go

    def verdict(self, order: list[int]) -> str:
        """'over' when the outcome costs more than the budget, 'stop' when it is exhaustive,
        else 'go on'."""
        key = tuple(order)
        found = self._verdicts.get(key)
        if found is None:
            engine = self.engine
            prep = engine.prep
            chosen = engine.free + order
            if _cost(prep, chosen) > prep.budget:
                found = "over"
            elif _exhaustive(prep, chosen, engine.candidates):
                found = "stop"
            else:
                found = "go on"
            self._verdicts[key] = found
        return found

    def exact(self, k: int) -> list[int]:
        """The outcome at budget B/n + k in exact arithmetic (a screened run was too close).
        A cancelled block stops here rather than start an exact run (they can take seconds)."""
        if self.cancelled:
            raise _Cancelled
        self.runs += 1
        with self._exact:
            return self.engine.run(self.base + k, certify=False).selected

    def block(self, lo: int, hi: int) -> tuple[str, int, list[int], list[int] | None]:
        """See _block; a block cancelled during an exact run returns 'go on' (never read)."""
        try:
            return self._block(lo, hi)
        except _Cancelled:
            return "go on", lo, [], None

    def _block(self, lo: int, hi: int) -> tuple[str, int, list[int], list[int] | None]:
        """Follow Add1 over k = lo .. hi - 1. Returns ('stop' or 'over', k, the outcome at k,
        the outcome at k - 1 if k > lo else None) at the first k whose outcome ends the loop,
        else ('go on', hi - 1, the outcome there, None). A cancelled block returns 'go on' early;
        its finding is never read."""
        runner = self.runner
        base = self.base
        k = lo
        self.runs += 1
        cur: FloatRun | None = runner.run(float(base + k))
        if cur.status == TOO_CLOSE:
            cur = None
            order = self.exact(k)
        else:
            order = cur.order
        before: list[int] | None = None
        step = 4 * _FIRST_STEP  # how far the next proof tries to reach
        reached = _FIRST_STEP  # the length of the last proof that held
        missed: FloatRun | None = None  # the last check from `cur` that failed
        while True:
            found = self.verdict(order)
            if found != "go on":
                return found, k, order, before
            if k == hi - 1 or self.cancelled:
                return "go on", k, order, None
            before = order
            step = max(1, min(step, hi - 1 - k))
            if cur is None or step == 1:
                # Only whole steps count: the run one step on is the outcome there, proof or not.
                k += 1
                self.runs += 1
                cur = runner.run(float(base + k))
                missed = None
                if cur.status == TOO_CLOSE:
                    cur = None
                    order = self.exact(k)
                else:
                    order = cur.order
                step = max(reached, _FIRST_STEP)
                continue
            self.runs += 1
            ahead = runner.check(float(base + k + step), cur, missed)
            missed = None
            # The check's guess at where the order may change, as steps from k (FloatRun.reach).
            room = ahead.reach - cur.start
            if ahead.status == CLEAR:  # every budget up to k + step gives this same run
                k += step
                cur = ahead
                reached = step
                # Reach further next time (four times as far while no rival is in sight), but
                # not past where a rival's price line meets the winner's (no guess: infinity).
                room -= step
                if not room < 8 * step:
                    step *= 4
                elif not room < 2 * step:
                    step *= 2
                else:
                    step = max(1, int(room))
                continue
            missed = ahead  # what it proved still holds for a shorter try from the same run
            # Try just short of where the proof broke down; without a guess, a quarter as far.
            step = max(1, int(room)) if 0 < room < step else max(1, step // 4)


def _exact_at(
    engine: _Engine,
    base: Any,
    screened: tuple[list[int], int],
    runs: int,
    runner: FloatRunner,
) -> tuple[list[int], list[Any], int, int] | None:
    """Recompute the chosen run exactly; fall back to the certified loop if they disagree."""
    order, k = screened
    rounds = _priced(engine, base + k, order, runner)
    if rounds is None:  # pragma: no cover - the screen's margins forbid this
        return _add1(engine, base)
    return order, rounds, k, runs + 1
