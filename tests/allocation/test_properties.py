"""Random small instances with ties and exact budget fits, against live pabutools 1.2.3."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Instance, Profile
from decide.allocation import (
    PLAIN,
    TieBreak,
    ballot_usage,
    equal_shares,
    greedy,
    phragmen,
    utilitarian,
)
from decide.allocation.mes import add1_exact

pabutools = pytest.importorskip("pabutools")
from pabutools.election import (  # noqa: E402
    Additive_Cardinal_Sat,
    Cost_Sat,
)
from pabutools.rules import (  # noqa: E402
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

from tests.allocation.helpers import (  # noqa: E402
    add1_by_every_step,
    costly_elections,
    elections,
    engine_of,
    names,
    to_pabutools,
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(elections())
def test_approval_rules_match_pabutools(election: tuple[Instance, Profile]) -> None:
    instance, profile = election
    inst, prof = to_pabutools(instance, profile)
    assert list(greedy(instance, profile).selected_sorted) == names(
        greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat)
    )
    assert list(equal_shares(instance, profile, options=PLAIN).selected_sorted) == names(
        method_of_equal_shares(inst, prof, sat_class=Cost_Sat)
    )
    reference = completion_by_rule_combination(
        inst,
        prof,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
    )
    assert list(equal_shares(instance, profile).selected_sorted) == names(reference)
    assert list(phragmen(instance, profile).selected_sorted) == names(
        sequential_phragmen(inst, prof)
    )


@settings(max_examples=25, deadline=None)
@given(elections())
def test_utilitarian_reaches_pabutools_welfare(election: tuple[Instance, Profile]) -> None:
    instance, profile = election
    inst, prof = to_pabutools(instance, profile)
    theirs = max_additive_utilitarian_welfare(inst, prof, sat_class=Cost_Sat)
    support = {p.id: sum(p.id in b.projects for b in profile.ballots) for p in instance.projects}
    cost = {p.id: p.cost for p in instance.projects}
    welfare = sum((cost[str(p.name)] * support[str(p.name)] for p in theirs), Fraction(0))
    ours = utilitarian(instance, profile)
    assert Fraction(ours.details["welfare"]) == welfare
    assert ours.spent <= instance.budget


@SETTINGS
@given(elections(cumulative=True))
def test_cumulative_rules_match_pabutools(election: tuple[Instance, Profile]) -> None:
    instance, profile = election
    inst, prof = to_pabutools(instance, profile)
    sat = Additive_Cardinal_Sat
    assert list(greedy(instance, profile).selected_sorted) == names(
        greedy_utilitarian_welfare(inst, prof, sat_class=sat)
    )
    assert list(equal_shares(instance, profile, options=PLAIN).selected_sorted) == names(
        method_of_equal_shares(inst, prof, sat_class=sat)
    )
    reference = completion_by_rule_combination(
        inst,
        prof,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": sat, "voter_budget_increment": 1}, {"sat_class": sat}],
    )
    assert list(equal_shares(instance, profile).selected_sorted) == names(reference)


@settings(max_examples=60, deadline=None)
@given(elections(), st.permutations(range(9)))
def test_ballot_order_is_irrelevant_and_usage_adds_up(
    election: tuple[Instance, Profile], perm: list[int]
) -> None:
    instance, profile = election
    shuffled = Profile(
        profile.vote_type, tuple(profile.ballots[i] for i in perm if i < len(profile.ballots))
    )
    for rule in (greedy, equal_shares, phragmen):
        a = rule(instance, profile)
        b = rule(instance, shuffled)
        assert a.selected == b.selected
        assert a.spent <= instance.budget
    outcome = equal_shares(instance, profile)
    # Every funded project with supporters is paid for exactly by its supporters' shares.
    supported = {pid for b in profile.ballots for pid in b.projects}
    expected = sum((outcome.amounts[p] for p in outcome.selected if p in supported), Fraction(0))
    total = sum((ballot_usage(outcome, instance, b).total for b in profile.ballots), Fraction(0))
    assert total == expected


@settings(max_examples=30, deadline=None)
@given(elections(), st.text(min_size=1, max_size=8))
def test_lottery_same_seed_same_outcome(election: tuple[Instance, Profile], seed: str) -> None:
    instance, profile = election
    tie = TieBreak("lottery", seed)
    for rule in (greedy, equal_shares, phragmen):
        a = rule(instance, profile, tie_break=tie)
        b = rule(instance, profile, tie_break=TieBreak("lottery", seed))
        assert a == b
        assert a.to_json_dict()["tie_break"] == {"kind": "lottery", "seed": seed}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly_elections())
def test_add1_jumps_land_where_every_step_lands(election: tuple[Instance, Profile]) -> None:
    """The certified jumps of Add1 stop exactly where running MES at every k stops."""
    engine, base = engine_of(*election)
    chosen, _rounds, k, _runs = add1_exact(engine, base)
    expected, expected_k = add1_by_every_step(engine, base)
    assert sorted(chosen) == sorted(expected)
    assert k == expected_k
