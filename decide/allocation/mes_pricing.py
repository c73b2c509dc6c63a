"""One step of the Method of Equal Shares in exact arithmetic: a project's price, and its charge.

Voters who hold the same budget form a *class*; under Add1's certificate each budget is an
affine function ``v + s * t`` of the starting budget t, so a class carries a value `v` (at the
run's start) and a slope `s`. A project's supporters are counted per ``(class, u)``, where
``u`` is a supporter's satisfaction with it (the cost under cost satisfaction, the points
under cumulative ballots).

The price ρ of a project is the smallest ρ with ``sum_i min(b_i, ρ * u_i) = cost``: sort the
supporters by budget per unit of satisfaction; the poorest pay all they have, the others pay
ρ * u. `price` finds that split and ρ, and a slope giving a valid affine lower bound on ρ
along t (exact while the split holds). `charge` takes the payments from the classes. Both
the engine's full run and its replay of a known order use these two functions, so a step is
priced one way in exact arithmetic (the float screen prices it in C, in doubles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from gmpy2 import mpq

# (sort key, budget, slope, u, voters): one class of a project's supporters.
Row = tuple[mpq, mpq, mpq, mpq, int]
# A funded project, its price ρ, and its payments (amount, voters) from the largest down.
Round = tuple[int, mpq, list[tuple[mpq, int]]]
Counts = dict[tuple[int, mpq], int]

ZERO = mpq(0)
_first = itemgetter(0)

__all__ = ["ZERO", "Classes", "Counts", "Price", "Round", "Row", "charge", "price", "round_of"]


class Price(NamedTuple):
    """A project's exact price ρ, the slope of an affine lower bound on it, and the split.

    `rows` are sorted by budget per unit of satisfaction; the first `split` pay all they
    have, the others pay ρ * u.
    """

    rho: mpq
    slope: mpq
    rows: list[Row]
    split: int


@dataclass
class Classes:
    """Classes of voters with equal budgets: value at the start, slope in t, and size.

    Class 1 gathers voters who have spent everything: budget 0 for every t, forever.
    """

    value: list[mpq]
    slope: list[mpq]
    size: list[int] = field(default_factory=list)

    @classmethod
    def starting(cls, start: mpq, slope: mpq, voters: int) -> Classes:
        """Everyone in class 0 with budget `start` (moving with `slope`); class 1 empty."""
        return cls([start, ZERO], [slope, ZERO], [voters, 0])

    def copy(self) -> Classes:
        """Return an independent copy."""
        return Classes(list(self.value), list(self.slope), list(self.size))


def price(counts: Counts, classes: Classes, cost: mpq, by_ratio: bool) -> Price | None:
    """Return the exact price of a project with these supporters, or None if unaffordable.

    `by_ratio`: satisfaction differs between supporters (cardinal ballots); without it every
    supporter's u is the cost, and the work is done on the payment q = ρ u.
    """
    if not by_ratio:
        return _price_by_cost(counts, classes, cost)
    cls_v, cls_s = classes.value, classes.slope
    rows: list[Row] = []
    money = ZERO
    total_u = ZERO
    for (c, u), n in counts.items():
        v = cls_v[c]
        sl = cls_s[c]
        if not v and not sl:
            # Spent-out voters pay nothing whatever the price: leave them out.
            continue
        rows.append((v / u, v, sl, u, n))
        money += n * v
        total_u += n * u
    if money < cost:
        return None
    rows.sort(key=_first)
    paid_v = ZERO
    paid_s = ZERO
    rest_u = total_u
    rho = ZERO
    split = 0
    for _ratio, v, sl, u, n in rows:
        rho = (cost - paid_v) / rest_u
        if rho * u <= v:
            break
        split += 1
        paid_v += n * v
        paid_s += n * sl
        rest_u -= n * u
    return Price(rho, -paid_s / rest_u, rows, split)


def _price_by_cost(counts: Counts, classes: Classes, cost: mpq) -> Price | None:
    """`price` under cost satisfaction: every supporter has u = cost."""
    cls_v, cls_s = classes.value, classes.slope
    rows: list[Row] = []
    voters = 0
    for (c, _u), n in counts.items():
        v = cls_v[c]
        sl = cls_s[c]
        if not v and not sl:
            continue
        rows.append((v, v, sl, cost, n))
        voters += n
    rows.sort(key=_first)
    rest = cost  # what the voters not yet paying in full still owe
    paid_s = ZERO
    split = 0
    for _k, v, sl, _u, n in rows:
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
    return Price(q / cost, -paid_s / (voters * cost), rows, split)


def charge(
    counts: Counts, classes: Classes, rho: mpq, rho_s: mpq
) -> tuple[dict[mpq, int], dict[tuple[int, mpq], int]]:
    """Charge a funded project's supporters, class by class, at price ρ (slope `rho_s`).

    Returns what was paid (amount: voters) and where the supporters who left their class went
    (``(class, u)``: new class); a class whose members all paid alike stays where it is.
    """
    cls_v, cls_s, cls_size = classes.value, classes.slope, classes.size
    paid: dict[mpq, int] = {}
    moved: dict[tuple[int, mpq], int] = {}
    share_u: mpq | None = None  # the u that `share` and `share_s` were computed for
    share = share_s = ZERO
    for (c, u), n in counts.items():
        v = cls_v[c]
        if not v and not cls_s[c]:  # spent out: pays nothing, changes nothing
            paid[ZERO] = paid.get(ZERO, 0) + n
            continue
        if u is not share_u:
            share_u = u
            share = rho * u
            share_s = rho_s * u
        if v < share:
            nv, ns, pay = ZERO, ZERO, v
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
    return paid, moved


def round_of(project: int, rho: mpq, paid: dict[mpq, int]) -> Round:
    """A round as the outcome records it: payments from the largest down."""
    return project, rho, sorted(paid.items(), key=lambda kv: -kv[0])
