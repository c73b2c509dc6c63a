"""Add1's certificate: how far a run's outcome holds as the starting budget grows.

Within one run every budget, price and comparison is an affine function of the starting
budget t. Each decision of a run rests on comparisons ``d0 + d1 * Δ`` (Δ: the step of t past
the run's start) that hold at Δ = 0. `Limit` keeps the largest Δ for which all of them still
hold; the outcome is provably the same for every t up to there. The comparisons, for each
funded project s at price ρ(Δ):

- (C) every live neighbour p of s waiting in its current state stays dearer than s (or as
  dear, if it loses the tie-break): its affine lower bound stays above ρ(Δ);
- (B') the neighbours of each such p keep their order, so p's states stay the same;
- the split stays: the supporters who pay in full still hold less than ρ(Δ) u, the others at
  least that;
- and each project found unaffordable stays so: its supporters' money stays below its cost.

The lower bound on a rival's price comes from any split of its supporters into "pay in full"
P and "pay the price" R: ``ρ(t) >= (cost - sum_P b_i(t)) / sum_R u_i``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING

from gmpy2 import mpq

from decide.allocation.mes_pricing import ZERO, Classes, Counts, Price

if TYPE_CHECKING:
    from decide.allocation.mes_engine import EngineState

__all__ = ["Limit", "certify_win"]


class Limit:
    """The largest step Δ >= 0 of the starting budget for which every recorded comparison holds."""

    __slots__ = ("inclusive", "label", "value", "who")

    def __init__(self) -> None:
        self.value: mpq | None = None  # None: no limit
        self.inclusive = True
        self.label: Hashable = None  # what is being checked, for debugging
        self.who: Hashable = None  # the label of the comparison that sets the limit

    @classmethod
    def lowest(cls, limits: Iterable[tuple[mpq | None, bool]]) -> Limit:
        """Return the tightest of these (value, inclusive) limits."""
        overall = cls()
        for value, inclusive in limits:
            if value is not None and (
                overall.value is None
                or value < overall.value
                or (value == overall.value and not inclusive)
            ):
                overall.value = value
                overall.inclusive = inclusive
        return overall

    def keep(self, d0: mpq, d1: mpq, strict: bool) -> None:
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

    def keep_unaffordable(self, counts: Counts, classes: Classes, cost: mpq, at: Hashable) -> None:
        """Record that a project's supporters must stay unable to pay for it."""
        avail_v = ZERO
        avail_s = ZERO
        for (c, _u), n in counts.items():
            avail_v += n * classes.value[c]
            avail_s += n * classes.slope[c]
        # Must stay unaffordable: cost - money > 0.
        self.label = ("unaffordable", at)
        self.keep(cost - avail_v, -avail_s, True)

    def next_step(self) -> int | None:
        """Return the smallest integer Δ >= 1 at which a comparison may fail, or None."""
        if self.value is None:
            return None
        x = self.value
        whole = int(x.numerator // x.denominator)  # floor
        if self.inclusive:
            return max(1, whole + 1)
        return max(1, whole if whole == x else whole + 1)


def certify_win(
    limit: Limit,
    state: EngineState,
    s: int,
    res: Price,
    neighbours: Iterable[int],
    tie_key: list[str],
) -> None:
    """Record the comparisons that make `s` (price `res`) this round's winner."""
    rho, rho_s = res.rho, res.slope
    key_s = tie_key[s]
    state.price[s] = (rho, rho_s)
    taken = len(state.selected)
    alive, lb_v, lb_s, price, last_nb = (
        state.alive,
        state.lb_v,
        state.lb_s,
        state.price,
        state.last_nb,
    )
    for p in neighbours:
        if p not in alive:
            continue
        # (C) a neighbour waiting in its current state must stay dearer than s, or as dear if
        # it loses the tie-break to s (its bound is below its price). (keep() accepts any
        # growing slope at once: skip the call for those.)
        d1 = lb_s[p] - rho_s
        if not d1 > 0:
            limit.label = ("neighbour", taken, p)
            limit.keep(lb_v[p] - rho, d1, tie_key[p] < key_s)
        # (B') the neighbours of p keep their order, so p's states stay the same.
        a = last_nb.get(p)
        if a is not None:
            pa, pa_s = price[a]
            d1 = rho_s - pa_s
            if not d1 > 0:
                limit.label = ("order", taken, a, s)
                limit.keep(rho - pa, d1, tie_key[a] > key_s)
        last_nb[p] = s
    limit.label = ("split", taken, s)
    _certify_split(limit, res)


def _certify_split(limit: Limit, res: Price) -> None:
    """Record that the supporters who pay in full, and only they, keep doing so."""
    rho, rho_s = res.rho, res.slope
    keep = limit.keep
    last_u: mpq | None = None
    ru = rsu = ZERO
    for j, (_key, v, sl, u, _n) in enumerate(res.rows):
        if u is not last_u:
            last_u = u
            ru = rho * u
            rsu = rho_s * u
        if j < res.split:  # v + sl Δ < ρ(Δ) u
            d1 = rsu - sl
            if d1 > 0:  # holds for every Δ >= 0 (it holds at Δ = 0)
                continue
            keep(ru - v, d1, True)
        else:  # v + sl Δ >= ρ(Δ) u
            d1 = sl - rsu
            if d1 > 0:
                continue
            keep(v - ru, d1, False)
