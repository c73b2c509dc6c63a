"""Random small instances with ties and exact budget fits, against live pabutools 1.2.3."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.model import Ballot, Instance, Profile, Project
from decide.allocation import (
    TieBreak,
    ballot_usage,
    equal_shares,
    greedy,
    phragmen,
    utilitarian,
)

pabutools = pytest.importorskip("pabutools")
from pabutools.election import (  # noqa: E402
    Additive_Cardinal_Sat,
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
)
from pabutools.election import Instance as PInstance  # noqa: E402
from pabutools.election import Project as PProject  # noqa: E402
from pabutools.rules import (  # noqa: E402
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)


@st.composite
def elections(draw: st.DrawFn, cumulative: bool = False) -> tuple[Instance, Profile]:
    """Draw a small election: few cost values (ties), a budget that some subset fits exactly."""
    m = draw(st.integers(2, 6))
    # Ids chosen so that string order differs from number order ("10" < "9").
    ids = draw(st.permutations(["1", "2", "9", "10", "11", "20"]))[:m]
    costs = [draw(st.sampled_from([1, 2, 3, 4, 6, 10])) for _ in range(m)]
    subset = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    budget = sum(c for c, s in zip(costs, subset) if s) or costs[0]
    if draw(st.booleans()):
        budget += draw(st.integers(0, 3))
    n = draw(st.integers(1, 9))
    ballots = []
    for v in range(n):
        chosen = draw(st.lists(st.sampled_from(ids), max_size=m, unique=True))
        points = tuple(draw(st.integers(1, 3)) for _ in chosen) if cumulative else None
        ballots.append(Ballot(str(v), tuple(chosen), points))
    instance = Instance(
        Fraction(budget), tuple(Project(i, Fraction(c)) for i, c in zip(ids, costs))
    )
    return instance, Profile("cumulative" if cumulative else "approval", tuple(ballots))


def to_pabutools(instance: Instance, profile: Profile):  # type: ignore[no-untyped-def]
    """Convert with exact costs and budget (Fractions, so decimals are kept)."""
    projects = {p.id: PProject(p.id, p.cost) for p in instance.projects}
    inst = PInstance(projects.values(), budget_limit=instance.budget)
    if profile.vote_type == "cumulative":
        prof = CumulativeProfile(
            [
                CumulativeBallot({projects[i]: pt for i, pt in zip(b.projects, b.points or ())})
                for b in profile.ballots
            ],
            instance=inst,
        )
    else:
        prof = ApprovalProfile(
            [ApprovalBallot({projects[i] for i in b.projects}) for b in profile.ballots],
            instance=inst,
        )
    return inst, prof


def names(allocation) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(str(p.name) for p in allocation)


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(elections())
def test_approval_rules_match_pabutools(election: tuple[Instance, Profile]) -> None:
    instance, profile = election
    inst, prof = to_pabutools(instance, profile)
    assert list(greedy(instance, profile).selected_sorted) == names(
        greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat)
    )
    assert list(equal_shares(instance, profile, completion=False).selected_sorted) == names(
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
    assert list(equal_shares(instance, profile, completion=False).selected_sorted) == names(
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


@st.composite
def costly_elections(draw: st.DrawFn) -> tuple[Instance, Profile]:
    """Draw elections whose costs dwarf the per-voter share, so Add1 takes many steps."""
    m = draw(st.integers(3, 9))
    ids = [str(i) for i in draw(st.lists(st.integers(1, 60), min_size=m, max_size=m, unique=True))]
    costs = [draw(st.sampled_from([10, 20, 30, 45, 60, 75, 100])) * 40 for _ in ids]
    budget = sum(costs) // draw(st.integers(2, 4))
    cumulative = draw(st.booleans())
    ballots = []
    for v in range(draw(st.integers(5, 40))):
        chosen = draw(st.lists(st.sampled_from(ids), max_size=5, unique=True))
        points = tuple(draw(st.integers(1, 4)) for _ in chosen) if cumulative else None
        ballots.append(Ballot(str(v), tuple(chosen), points))
    instance = Instance(
        Fraction(budget), tuple(Project(i, Fraction(c)) for i, c in zip(ids, costs))
    )
    return instance, Profile("cumulative" if cumulative else "approval", tuple(ballots))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costly_elections())
def test_add1_jumps_land_where_every_step_lands(election: tuple[Instance, Profile]) -> None:
    """The certified jumps of Add1 stop exactly where running MES at every k stops."""
    from decide.allocation import mes
    from decide.allocation.prepare import prepare

    instance, profile = election
    prep = prepare(instance, profile)
    engine = mes._Engine(prep, TieBreak())
    base = prep.budget / prep.n_voters
    chosen, _rounds, k, _runs = mes._add1(engine, base)
    previous: list[int] = []
    step = 0
    while True:
        run = engine.run(base + step, certify=False)
        if mes._cost(prep, engine.free + run.selected) > prep.budget:
            expected, expected_k = previous, step - 1
            break
        if mes._exhaustive(prep, engine.free + run.selected, engine.candidates):
            expected, expected_k = run.selected, step
            break
        previous = run.selected
        step += 1
    assert sorted(chosen) == sorted(expected)
    assert k == expected_k
