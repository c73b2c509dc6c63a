"""Equal shares with and without the float screen, where money nearly runs out.

After a project takes almost all of its supporters' money, what they have left keeps the
absolute rounding error of the payment (catastrophic cancellation). The screen's error bounds
must then send every close decision to the exact path: the outcome must be the same, byte for
byte, with the screen and without it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import MesOptions, mesfloat
from tests.allocation.helpers import screened_and_exact

pytestmark = pytest.mark.skipif(
    not mesfloat.available(), reason="the float screen is not built (make install builds it)"
)

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SMALL = st.sampled_from(
    [Fraction(1), Fraction(2), Fraction(3), Fraction(1, 100), Fraction(3, 100), Fraction(1, 10**7)]
)


def _same(monkeypatch: pytest.MonkeyPatch, instance: Instance, profile: Profile) -> None:
    for completion in (False, True):
        options = MesOptions(add1=completion, completion=completion)
        screened, exact = screened_and_exact(instance, profile, options=options)
        assert screened.to_json_dict() == exact.to_json_dict(), completion


@SETTINGS
@given(
    budget=st.one_of(
        st.integers(10, 10**9).map(Fraction),
        st.integers(1000, 10**11).map(lambda c: Fraction(c, 100)),
    ),
    d=SMALL,
    nudge=st.sampled_from([Fraction(0), Fraction(1, 100), Fraction(-1, 10**9), Fraction(1, 10**9)]),
    n=st.integers(2, 50),
    others=st.lists(st.sampled_from([("1",), ("2",), ("1", "2")]), max_size=3),
)
def test_a_project_costing_what_a_near_total_spend_leaves(
    monkeypatch: pytest.MonkeyPatch,
    budget: Fraction,
    d: Fraction,
    nudge: Fraction,
    n: int,
    others: list[tuple[str, ...]],
) -> None:
    d = min(d, budget / 7)
    second = d + nudge if d + nudge > 0 else d
    instance = Instance(budget, (Project("1", budget - d), Project("2", second)))
    supports = [("1", "2")] * n + others
    profile = Profile("approval", tuple(Ballot(str(v), s) for v, s in enumerate(supports)))
    _same(monkeypatch, instance, profile)


@SETTINGS
@given(
    t=st.integers(10**6, 10**8),
    r=st.integers(2, 20),
    e=st.integers(0, 3),
    c=st.integers(1, 3),
    d=SMALL,
    p=st.integers(1, 10**12),
    q=st.integers(10**6, 10**11),
    third=st.integers(0, 3),
)
def test_prices_from_tiny_leftovers_and_untouched_budgets(
    monkeypatch: pytest.MonkeyPatch,
    t: int,
    r: int,
    e: int,
    c: int,
    d: Fraction,
    p: int,
    q: int,
    third: int,
) -> None:
    ballots = [Ballot(f"a{i}", ("1", "2")) for i in range(r)]
    ballots += [Ballot(f"e{i}", ("1",)) for i in range(e)]
    ballots += [Ballot(f"c{i}", ("2", "3")) for i in range(c)] + [Ballot("d", ("3",))]
    leftover = d / (r + e)
    c3 = [Fraction(2), Fraction(p, q), (c + 1) * leftover, (c + 1) * leftover + Fraction(1, q)]
    projects = (
        Project("1", (r + e) * Fraction(t) - d),
        Project("2", Fraction(p, q)),
        Project("3", c3[third]),
    )
    instance = Instance(Fraction((r + e + c + 1) * t), projects)
    _same(monkeypatch, instance, Profile("approval", tuple(ballots)))


@SETTINGS
@given(data=st.data(), n=st.integers(2, 12), m=st.integers(2, 4), cumulative=st.booleans())
def test_costs_exhausting_money_at_an_add1_step(
    monkeypatch: pytest.MonkeyPatch, data: Any, n: int, m: int, cumulative: bool
) -> None:
    """Costs equal to some supporters' whole money at Add1 step k, or all but a little of it,
    so that spending chains run near zero and the screen must decide exhaustiveness."""
    budget = Fraction(data.draw(st.integers(10 * n, 10**9)), data.draw(st.sampled_from([1, 100])))
    base = budget / n
    ids = [str(i + 1) for i in range(m)]
    ballots, projects = [], []
    supporters: dict[int, list[str]] = {v: [] for v in range(n)}
    for pid in ids:
        group = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        for v in group:
            supporters[v].append(pid)
        k = data.draw(st.integers(0, 5))
        less = data.draw(st.sampled_from([Fraction(0), Fraction(1), Fraction(1, 100)]))
        cost = len(group) * (base + k) - less
        projects.append(Project(pid, cost if cost > 0 else Fraction(1)))
    for v, sup in supporters.items():
        if sup:
            pts = tuple(data.draw(st.integers(1, 5)) for _ in sup) if cumulative else None
            ballots.append(Ballot(str(v), tuple(sup), pts))
    profile = Profile("cumulative" if cumulative else "approval", tuple(ballots))
    _same(monkeypatch, Instance(budget, tuple(projects)), profile)
