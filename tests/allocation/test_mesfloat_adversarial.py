"""Adversarial small elections for the float screen behind equal shares (mesfloat.py).

Many exact ties (identical projects, equal costs, equal points), costs that exactly use up
their supporters' money at some Add1 step, a project costing the whole budget, costs and
budgets with many decimals, projects nobody supports, free projects, and the lottery
tie-break. Equal shares must give the same outcome, byte for byte, with and without the
screen; its Add1 must land where running every step exactly lands; and it must agree with live
pabutools 1.2.3.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import PLAIN, MesOptions, equal_shares, mesfloat
from decide.allocation.core import TieBreak
from decide.allocation.mes_screen import add1_screened, single_run
from tests.allocation.helpers import add1_by_every_step, engine_of, screened_and_exact

needs_screen = pytest.mark.skipif(
    not mesfloat.available(), reason="the float screen is not built (make install builds it)"
)

IDS = ["1", "2", "9", "10", "11", "20", "a", "B"]
COSTS = [
    Fraction(0),
    Fraction(1),
    Fraction(3),
    Fraction(6),
    Fraction(10),
    Fraction(12),
    Fraction(30),
    Fraction(60),
    Fraction(10253336, 100000),  # 102.53336
    Fraction(4999, 100),
    Fraction(1, 3),
]


@st.composite
def adversarial(draw: st.DrawFn, cumulative: bool | None = None) -> tuple[Instance, Profile]:
    m = draw(st.integers(2, 7))
    ids = draw(st.permutations(IDS))[:m]
    costs = [draw(st.sampled_from(COSTS)) for _ in range(m)]
    if cumulative is None:
        cumulative = draw(st.booleans())
    n = draw(st.integers(1, 10))
    ballots: list[tuple[str, ...]] = []
    points: list[tuple[int, ...] | None] = []
    for _v in range(n):
        chosen = tuple(draw(st.lists(st.sampled_from(ids), max_size=m, unique=True)))
        ballots.append(chosen)
        points.append(tuple(draw(st.integers(1, 3)) for _ in chosen) if cumulative else None)
    # Identical twins: a project with the same supporters (and points) and cost as another.
    if m >= 3 and draw(st.booleans()):
        src, dst = ids[0], ids[1]
        costs[1] = costs[0]
        new_ballots = []
        new_points = []
        for b, pts in zip(ballots, points):
            keep = [(p, pt) for p, pt in zip(b, pts or [1] * len(b)) if p != dst]
            extra = [(dst, pt) for p, pt in keep if p == src]
            both = keep + extra
            new_ballots.append(tuple(p for p, _ in both))
            new_points.append(tuple(pt for _, pt in both) if cumulative else None)
        ballots, points = new_ballots, new_points
    budget_kind = draw(st.sampled_from(["subset", "one", "decimal", "exhaust"]))
    if budget_kind == "subset":
        subset = draw(st.lists(st.booleans(), min_size=m, max_size=m))
        budget = sum((c for c, s in zip(costs, subset) if s), Fraction(0))
    elif budget_kind == "one":
        budget = draw(st.sampled_from(costs))
    else:
        budget = Fraction(draw(st.integers(1, 30000)), 100)
    if budget <= 0:
        budget = Fraction(10253336, 100000)
    if budget_kind == "exhaust":
        # Give one project exactly its supporters' money at Add1 step k0 (cost satisfaction) or
        # the money of its supporters at a step (points): the exact tie money == cost.
        j = draw(st.integers(0, m - 1))
        supporters = sum(ids[j] in b for b in ballots)
        k0 = draw(st.integers(0, 4))
        if supporters:
            costs[j] = supporters * (budget / n + k0)
    instance = Instance(budget, tuple(Project(i, c) for i, c in zip(ids, costs)))
    profile = Profile(
        "cumulative" if cumulative else "approval",
        tuple(Ballot(str(v), b, p) for v, (b, p) in enumerate(zip(ballots, points))),
    )
    return instance, profile


TIES = st.sampled_from([TieBreak(), TieBreak(kind="lottery", seed="x")])


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@needs_screen
@SETTINGS
@given(election=adversarial(), tie=TIES, completion=st.booleans())
def test_same_json_with_and_without_the_screen(
    election: tuple[Instance, Profile],
    tie: TieBreak,
    completion: bool,
) -> None:
    instance, profile = election
    options = MesOptions(add1=completion, completion=completion)
    screened, exact = screened_and_exact(instance, profile, tie_break=tie, options=options)
    assert screened.to_json_dict() == exact.to_json_dict()


@needs_screen
@SETTINGS
@given(adversarial(), TIES)
def test_screened_add1_lands_where_every_step_lands(
    election: tuple[Instance, Profile], tie: TieBreak
) -> None:
    instance, profile = election
    engine, base = engine_of(instance, profile, tie)
    screened = add1_screened(engine, base, 2)
    assert screened is not None
    chosen, rounds, k, _runs = screened
    expected, expected_k = add1_by_every_step(engine, base)
    assert chosen == expected
    assert k == expected_k
    assert rounds == engine.run(base + k, certify=False).rounds


@needs_screen
@SETTINGS
@given(adversarial(), TIES)
def test_single_screened_run_is_the_exact_run(
    election: tuple[Instance, Profile], tie: TieBreak
) -> None:
    instance, profile = election
    engine, base = engine_of(instance, profile, tie)
    for k in range(4):
        exact = engine.run(base + k, certify=False)
        assert single_run(engine, base + k) == (exact.selected, exact.rounds)


pytest.importorskip("pabutools")
from pabutools.election import Additive_Cardinal_Sat, Cost_Sat  # noqa: E402
from pabutools.rules import (  # noqa: E402
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from tests.allocation.helpers import names, to_pabutools  # noqa: E402


@SETTINGS
@given(adversarial())
def test_matches_live_pabutools(election: tuple[Instance, Profile]) -> None:
    instance, profile = election
    inst, prof = to_pabutools(instance, profile)
    sat = Additive_Cardinal_Sat if profile.vote_type == "cumulative" else Cost_Sat
    plain = method_of_equal_shares(inst, prof, sat_class=sat)
    assert sorted(equal_shares(instance, profile, options=PLAIN).selected) == names(plain)
    add1 = method_of_equal_shares(inst, prof, sat_class=sat, voter_budget_increment=1)
    ours = equal_shares(instance, profile)
    assert sorted(ours.details["mes_selected"]) == names(add1)
    reference = completion_by_rule_combination(
        inst,
        prof,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
    )
    assert sorted(ours.selected) == names(reference)
